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
  labelValues,
  newDashboard,
  queryVariable,
  rate,
  row,
  selector,
  statPanel,
  sumBy,
  tablePanel,
  timeseriesPanel,
  variableRef,
} from "../../dashboards/house-style";
import { TARGET_LABELS } from "../../dashboards/metrics";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the Host dashboard. */
export const HOST_UID = "monitoring-host";

/** The label every series carries once the stack has extra hosts, and the Host dashboard's variable over it. */
export const HOST_LABEL = "host";

/** The PromQL of the Host dashboard by panel, exported so tests can assert the exact queries. */
export function hostQueries(ctx: DashboardContext) {
  const multiHost = ctx.hosts !== undefined;
  // With several hosts, every node-exporter has the same job and instance: the host label tells them apart.
  const job = [
    matcher(TARGET_LABELS.job, "=", jobOf(ctx, NODE_EXPORTER_NAME)),
    ...(multiHost ? [matcher(HOST_LABEL, "=~", variableRef(HOST_LABEL))] : []),
  ];
  const perHost = (labels: readonly string[]): string[] => (multiHost ? [HOST_LABEL, ...labels] : [...labels]);
  const m = NODE_METRICS;
  const instance = perHost([TARGET_LABELS.instance]).join(", ");
  const disks = [...job, excludeValues(m.filesystemAvailBytes.labels.fstype, NODE_MEMORY_FILESYSTEM_TYPES)];
  const interfaces = [...job, matcher(m.networkReceiveBytesTotal.labels.device, "!=", NODE_LOOPBACK_DEVICE)];
  const idle = selector(m.cpuSecondsTotal.name, [
    ...job,
    matcher(m.cpuSecondsTotal.labels.mode, "=", NODE_CPU_IDLE_MODE),
  ]);
  return {
    cpuBusy: `1 - avg by (${instance}) (${rate(idle)})`,
    cpuByMode: sumBy(
      perHost([m.cpuSecondsTotal.labels.mode]),
      rate(
        selector(m.cpuSecondsTotal.name, [...job, matcher(m.cpuSecondsTotal.labels.mode, "!=", NODE_CPU_IDLE_MODE)]),
      ),
    ),
    load1: selector(m.load1.name, job),
    memoryUsed: `1 - ${selector(m.memoryAvailableBytes.name, job)} / ${selector(m.memoryTotalBytes.name, job)}`,
    memoryAvailable: selector(m.memoryAvailableBytes.name, job),
    diskRead: sumBy(perHost([m.diskReadBytesTotal.labels.device]), rate(selector(m.diskReadBytesTotal.name, job))),
    diskWritten: sumBy(
      perHost([m.diskWrittenBytesTotal.labels.device]),
      rate(selector(m.diskWrittenBytesTotal.name, job)),
    ),
    filesystemUsed: `1 - ${selector(m.filesystemAvailBytes.name, disks)} / ${selector(m.filesystemSizeBytes.name, disks)}`,
    filesystemReadonly: selector(m.filesystemReadonly.name, disks),
    networkReceive: sumBy(
      perHost([m.networkReceiveBytesTotal.labels.device]),
      rate(selector(m.networkReceiveBytesTotal.name, interfaces)),
    ),
    networkTransmit: sumBy(
      perHost([m.networkTransmitBytesTotal.labels.device]),
      rate(selector(m.networkTransmitBytesTotal.name, interfaces)),
    ),
  };
}

/** The dashboard, with a `host` variable (every host by default) when the stack has extra hosts. */
function withHostVariable(
  ctx: DashboardContext,
  dashboard: ReturnType<typeof newDashboard>,
): ReturnType<typeof newDashboard> {
  if (ctx.hosts === undefined) return dashboard;
  return dashboard.withVariable(
    queryVariable(ctx, {
      name: HOST_LABEL,
      label: "Host",
      query: labelValues(NODE_METRICS.load1.name, HOST_LABEL),
    }),
  );
}

function build(ctx: DashboardContext): Record<string, unknown> {
  // With several hosts every legend starts with the host: the same instance runs on each.
  const legend = (label: string): string =>
    ctx.hosts === undefined ? labelLegend(label) : `${labelLegend(HOST_LABEL)} ${labelLegend(label)}`;
  const q = hostQueries(ctx);
  const fs = NODE_METRICS.filesystemAvailBytes.labels;
  const device = NODE_METRICS.diskReadBytesTotal.labels.device;
  return finishDashboard(
    withHostVariable(
      ctx,
      newDashboard(ctx, {
        uid: HOST_UID,
        title: "Host",
        description:
          ctx.hosts === undefined
            ? "The machine everything runs on, from node-exporter: CPU, memory, disks, filesystems, network."
            : "Every host of the stack (the host variable), from its node-exporter: CPU, memory, disks, filesystems, network.",
        tags: ["host"],
      }),
    )
      .withRow(row("CPU and memory"))
      .withPanel(
        statPanel(ctx, {
          title: "CPU busy",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.9, color: "red" },
          ],
          queries: [{ expr: q.cpuBusy, legend: legend(TARGET_LABELS.instance) }],
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
          queries: [{ expr: q.memoryUsed, legend: legend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Load (1 minute)",
          min: 0,
          queries: [{ expr: q.load1, legend: legend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "CPU by mode (cores)",
          description: "CPU seconds per second in each mode but idle: 1 is one fully busy core.",
          min: 0,
          queries: [{ expr: q.cpuByMode, legend: legend(NODE_METRICS.cpuSecondsTotal.labels.mode) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Memory available",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.memoryAvailable, legend: legend(TARGET_LABELS.instance) }],
        }),
      )
      .withRow(row("Disks and filesystems"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Disk I/O",
          unit: "Bps",
          min: 0,
          queries: [
            { expr: q.diskRead, legend: `read ${legend(device)}` },
            { expr: q.diskWritten, legend: `written ${legend(device)}` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Filesystem space used",
          unit: "percentunit",
          min: 0,
          queries: [{ expr: q.filesystemUsed, legend: `${legend(fs.mountpoint)} (${legend(fs.device)})` }],
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
          queries: [{ expr: q.networkReceive, legend: legend(NODE_METRICS.networkReceiveBytesTotal.labels.device) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Network sent",
          unit: "Bps",
          min: 0,
          queries: [{ expr: q.networkTransmit, legend: legend(NODE_METRICS.networkTransmitBytesTotal.labels.device) }],
        }),
      ),
  );
}

/** The Host dashboard module (node-exporter). */
export const hostDashboard: DashboardModule = { name: "host", uid: HOST_UID, build };
