/**
 * Containers: CPU, memory and network of every Docker container, from cAdvisor (deployed only when enabled).
 */
import { CADVISOR_METRICS, CADVISOR_NAME } from "./catalog";
import {
  finishDashboard,
  labelLegend,
  matcher,
  newDashboard,
  rate,
  row,
  selector,
  sumBy,
  timeseriesPanel,
} from "../../dashboards/house-style";
import { TARGET_LABELS } from "../../dashboards/metrics";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the Containers dashboard. */
export const CONTAINERS_UID = "monitoring-containers";

/** The PromQL of the Containers dashboard by panel, exported so tests can assert the exact queries. */
export function containersQueries(ctx: DashboardContext) {
  const m = CADVISOR_METRICS;
  const name = m.cpuUsageSecondsTotal.labels.name;
  // Docker containers have a name; the other cgroups cAdvisor reports (the host, slices) do not.
  const containers = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, CADVISOR_NAME)), matcher(name, "!=", "")];
  return {
    cpu: sumBy([name], rate(selector(m.cpuUsageSecondsTotal.name, containers))),
    memory: sumBy([name], selector(m.memoryWorkingSetBytes.name, containers)),
    networkReceive: sumBy([name], rate(selector(m.networkReceiveBytesTotal.name, containers))),
    networkTransmit: sumBy([name], rate(selector(m.networkTransmitBytesTotal.name, containers))),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = containersQueries(ctx);
  const legend = labelLegend(CADVISOR_METRICS.cpuUsageSecondsTotal.labels.name);
  return finishDashboard(
    newDashboard(ctx, {
      uid: CONTAINERS_UID,
      title: "Containers",
      description: "CPU, memory and network of every Docker container on the host, from cAdvisor.",
      tags: ["containers"],
    })
      .withRow(row("Containers"))
      .withPanel(
        timeseriesPanel(ctx, { title: "CPU by container (cores)", min: 0, queries: [{ expr: q.cpu, legend }] }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Memory working set by container",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.memory, legend }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Network received by container",
          unit: "Bps",
          min: 0,
          queries: [{ expr: q.networkReceive, legend }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Network sent by container",
          unit: "Bps",
          min: 0,
          queries: [{ expr: q.networkTransmit, legend }],
        }),
      ),
  );
}

/** The Containers dashboard module (cAdvisor). */
export const containersDashboard: DashboardModule = { name: "containers", uid: CONTAINERS_UID, build };
