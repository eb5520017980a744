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
import { hostLegend, hostMatchers, perHost, withHostVariable } from "../../dashboards/hosts";
import { TARGET_LABELS } from "../../dashboards/metrics";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the Containers dashboard. */
export const CONTAINERS_UID = "monitoring-containers";

/** The PromQL of the Containers dashboard by panel, exported so tests can assert the exact queries. */
export function containersQueries(ctx: DashboardContext) {
  const m = CADVISOR_METRICS;
  const name = m.cpuUsageSecondsTotal.labels.name;
  // Docker containers have a name; the other cgroups cAdvisor reports (the host, slices) do not.
  const containers = [
    matcher(TARGET_LABELS.job, "=", jobOf(ctx, CADVISOR_NAME)),
    matcher(name, "!=", ""),
    ...hostMatchers(ctx),
  ];
  // With extra hosts, containers of one name may run on several hosts: per host and name.
  const by = perHost(ctx, [name]);
  return {
    cpu: sumBy(by, rate(selector(m.cpuUsageSecondsTotal.name, containers))),
    memory: sumBy(by, selector(m.memoryWorkingSetBytes.name, containers)),
    networkReceive: sumBy(by, rate(selector(m.networkReceiveBytesTotal.name, containers))),
    networkTransmit: sumBy(by, rate(selector(m.networkTransmitBytesTotal.name, containers))),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = containersQueries(ctx);
  const legend = hostLegend(ctx, labelLegend(CADVISOR_METRICS.cpuUsageSecondsTotal.labels.name));
  return finishDashboard(
    withHostVariable(
      ctx,
      newDashboard(ctx, {
        uid: CONTAINERS_UID,
        title: "Containers",
        description: "CPU, memory and network of every Docker container on the host, from cAdvisor.",
        tags: ["containers"],
      }),
      selector(CADVISOR_METRICS.cpuUsageSecondsTotal.name, [
        matcher(TARGET_LABELS.job, "=", jobOf(ctx, CADVISOR_NAME)),
      ]),
    )
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
