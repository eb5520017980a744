/**
 * Host: the machine everything runs on, as node-exporter sees it: CPU, memory, disk I/O, filesystems, network.
 */
import {
  NODE_CPU_IDLE_MODE,
  NODE_LOOPBACK_DEVICE,
  NODE_MEMORY_FILESYSTEM_TYPES,
  NODE_METRICS,
  NODE_EXPORTER_NAME,
} from "./catalog";
import {
  excludeValues,
  finishDashboard,
  labelLegend,
  matcher,
  newDashboard,
  rate,
  row,
  selector,
  statPanel,
  sumBy,
  tablePanel,
  timeseriesPanel,
} from "../../dashboards/house-style";
import { TARGET_LABELS } from "../../dashboards/metrics";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the Host dashboard. */
export const HOST_UID = "monitoring-host";

/** The PromQL of the Host dashboard by panel, exported so tests can assert the exact queries. */
export function hostQueries(ctx: DashboardContext) {
  const job = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, NODE_EXPORTER_NAME))];
  const m = NODE_METRICS;
  const { instance } = TARGET_LABELS;
  const disks = [...job, excludeValues(m.filesystemAvailBytes.labels.fstype, NODE_MEMORY_FILESYSTEM_TYPES)];
  const interfaces = [...job, matcher(m.networkReceiveBytesTotal.labels.device, "!=", NODE_LOOPBACK_DEVICE)];
  const idle = selector(m.cpuSecondsTotal.name, [
    ...job,
    matcher(m.cpuSecondsTotal.labels.mode, "=", NODE_CPU_IDLE_MODE),
  ]);
  return {
    cpuBusy: `1 - avg by (${instance}) (${rate(idle)})`,
    cpuByMode: sumBy(
      [m.cpuSecondsTotal.labels.mode],
      rate(
        selector(m.cpuSecondsTotal.name, [...job, matcher(m.cpuSecondsTotal.labels.mode, "!=", NODE_CPU_IDLE_MODE)]),
      ),
    ),
    load1: selector(m.load1.name, job),
    memoryUsed: `1 - ${selector(m.memoryAvailableBytes.name, job)} / ${selector(m.memoryTotalBytes.name, job)}`,
    memoryAvailable: selector(m.memoryAvailableBytes.name, job),
    diskRead: sumBy([m.diskReadBytesTotal.labels.device], rate(selector(m.diskReadBytesTotal.name, job))),
    diskWritten: sumBy([m.diskWrittenBytesTotal.labels.device], rate(selector(m.diskWrittenBytesTotal.name, job))),
    filesystemUsed: `1 - ${selector(m.filesystemAvailBytes.name, disks)} / ${selector(m.filesystemSizeBytes.name, disks)}`,
    filesystemReadonly: selector(m.filesystemReadonly.name, disks),
    networkReceive: sumBy(
      [m.networkReceiveBytesTotal.labels.device],
      rate(selector(m.networkReceiveBytesTotal.name, interfaces)),
    ),
    networkTransmit: sumBy(
      [m.networkTransmitBytesTotal.labels.device],
      rate(selector(m.networkTransmitBytesTotal.name, interfaces)),
    ),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = hostQueries(ctx);
  const fs = NODE_METRICS.filesystemAvailBytes.labels;
  const device = NODE_METRICS.diskReadBytesTotal.labels.device;
  return finishDashboard(
    newDashboard(ctx, {
      uid: HOST_UID,
      title: "Host",
      description: "The machine everything runs on, from node-exporter: CPU, memory, disks, filesystems, network.",
      tags: ["host"],
    })
      .withRow(row("CPU and memory"))
      .withPanel(
        statPanel(ctx, {
          title: "CPU busy",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.9, color: "red" },
          ],
          queries: [{ expr: q.cpuBusy, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Memory used",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.9, color: "red" },
          ],
          queries: [{ expr: q.memoryUsed, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Load (1 minute)",
          min: 0,
          queries: [{ expr: q.load1, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "CPU by mode (cores)",
          description: "CPU seconds per second in each mode but idle: 1 is one fully busy core.",
          min: 0,
          queries: [{ expr: q.cpuByMode, legend: labelLegend(NODE_METRICS.cpuSecondsTotal.labels.mode) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Memory available",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.memoryAvailable, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withRow(row("Disks and filesystems"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Disk I/O",
          unit: "Bps",
          min: 0,
          queries: [
            { expr: q.diskRead, legend: `read ${labelLegend(device)}` },
            { expr: q.diskWritten, legend: `written ${labelLegend(device)}` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Filesystem space used",
          unit: "percentunit",
          min: 0,
          queries: [{ expr: q.filesystemUsed, legend: `${labelLegend(fs.mountpoint)} (${labelLegend(fs.device)})` }],
        }),
      )
      .withPanel(
        tablePanel(ctx, {
          title: "Filesystems read-only",
          description: "1: mounted read-only (the kernel remounts a filesystem read-only after I/O errors).",
          span: 24,
          queries: [{ expr: q.filesystemReadonly }],
          valueTexts: { "0": { text: "read-write", color: "green" }, "1": { text: "READ-ONLY", color: "red" } },
          transformations: [
            {
              id: "organize",
              options: {
                excludeByName: { Time: true, __name__: true, [TARGET_LABELS.job]: true },
                indexByName: { [fs.mountpoint]: 0, [fs.device]: 1, [fs.fstype]: 2, Value: 3 },
                renameByName: { Value: "state" },
              },
            },
          ],
        }),
      )
      .withRow(row("Network"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Network received",
          unit: "Bps",
          min: 0,
          queries: [
            { expr: q.networkReceive, legend: labelLegend(NODE_METRICS.networkReceiveBytesTotal.labels.device) },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Network sent",
          unit: "Bps",
          min: 0,
          queries: [
            { expr: q.networkTransmit, legend: labelLegend(NODE_METRICS.networkTransmitBytesTotal.labels.device) },
          ],
        }),
      ),
  );
}

/** The Host dashboard module (node-exporter). */
export const hostDashboard: DashboardModule = { name: "host", uid: HOST_UID, build };
