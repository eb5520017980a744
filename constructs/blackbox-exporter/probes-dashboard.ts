/**
 * Service health: the blackbox exporter's probe of every health endpoint from inside the network: up or not, how
 * long it takes, which status code it answers.
 */
import { PROBE_JOB, PROBE_METRICS, PROBE_SERVICE_LABEL } from "./catalog";
import {
  finishDashboard,
  labelLegend,
  matcher,
  newDashboard,
  row,
  selector,
  statPanel,
  tablePanel,
  timeseriesPanel,
} from "../../dashboards/house-style";
import { hostLegend, hostMatchers, withHostVariable } from "../../dashboards/hosts";
import { TARGET_LABELS } from "../../dashboards/metrics";
import type { DashboardContext, DashboardModule } from "../../dashboards/types";

/** Stable uid of the Service health dashboard. */
export const PROBES_UID = "monitoring-service-health";

/** The PromQL of the Service health dashboard by panel, exported so tests can assert the exact queries. */
export function probesQueries(ctx: DashboardContext) {
  const job = [matcher(TARGET_LABELS.job, "=", PROBE_JOB), ...hostMatchers(ctx)];
  const success = selector(PROBE_METRICS.success.name, job);
  return {
    failing: `count(${success} == 0) or vector(0)`,
    success,
    duration: selector(PROBE_METRICS.durationSeconds.name, job),
    statusCode: selector(PROBE_METRICS.httpStatusCode.name, job),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = probesQueries(ctx);
  const endpoint = hostLegend(ctx, `${labelLegend(PROBE_SERVICE_LABEL)} ${labelLegend(TARGET_LABELS.instance)}`);
  return finishDashboard(
    withHostVariable(
      ctx,
      newDashboard(ctx, {
        uid: PROBES_UID,
        title: "Service health",
        description: "Every health endpoint probed from inside the network by the blackbox exporter.",
        tags: ["probes"],
      }),
      selector(PROBE_METRICS.success.name, [matcher(TARGET_LABELS.job, "=", PROBE_JOB)]),
    )
      .withRow(row("Probes"))
      .withPanel(
        statPanel(ctx, {
          title: "Probes failing",
          height: 8,
          thresholds: [
            { value: null, color: "green" },
            { value: 1, color: "red" },
          ],
          queries: [{ expr: q.failing, legend: "failing" }],
        }),
      )
      .withPanel(
        tablePanel(ctx, {
          title: "Health endpoints",
          description: "Whether each health endpoint answered 2xx on its last probe.",
          span: 18,
          queries: [{ expr: q.success }],
          valueTexts: { "0": { text: "FAILING", color: "red" }, "1": { text: "OK", color: "green" } },
          transformations: [
            {
              id: "organize",
              options: {
                excludeByName: { Time: true, __name__: true, [TARGET_LABELS.job]: true },
                indexByName: { [PROBE_SERVICE_LABEL]: 0, [TARGET_LABELS.instance]: 1, Value: 2 },
                renameByName: { Value: "state" },
              },
            },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Probe duration",
          unit: "s",
          min: 0,
          queries: [{ expr: q.duration, legend: endpoint }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "HTTP status code",
          description: "0: no answer (connection refused, timeout).",
          min: 0,
          queries: [{ expr: q.statusCode, legend: endpoint }],
        }),
      ),
  );
}

/** The Service health dashboard module (blackbox exporter). */
export const probesDashboard: DashboardModule = { name: "service-health", uid: PROBES_UID, build };
