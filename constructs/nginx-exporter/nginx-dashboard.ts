/** NGINX: the server as its stub_status shows it: up or not, connections by state, requests, dropped connections. */
import { NGINX_EXPORTER_NAME, NGINX_METRICS } from "./catalog";
import {
  finishDashboard,
  labelLegend,
  matcher,
  newDashboard,
  rate,
  row,
  selector,
  statPanel,
  sumBy,
  timeseriesPanel,
} from "../../dashboards/house-style";
import { TARGET_LABELS } from "../../dashboards/metrics";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the NGINX dashboard. */
export const NGINX_UID = "monitoring-nginx";

/** The PromQL of the NGINX dashboard by panel, exported so tests can assert the exact queries. */
export function nginxQueries(ctx: DashboardContext) {
  const job = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, NGINX_EXPORTER_NAME))];
  const m = NGINX_METRICS;
  const { instance } = TARGET_LABELS;
  return {
    up: selector(m.up.name, job),
    active: selector(m.connectionsActive.name, job),
    reading: selector(m.connectionsReading.name, job),
    writing: selector(m.connectionsWriting.name, job),
    waiting: selector(m.connectionsWaiting.name, job),
    requests: sumBy([instance], rate(selector(m.httpRequestsTotal.name, job))),
    accepted: sumBy([instance], rate(selector(m.connectionsAccepted.name, job))),
    dropped: `${sumBy([instance], rate(selector(m.connectionsAccepted.name, job)))} - ${sumBy([instance], rate(selector(m.connectionsHandled.name, job)))}`,
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = nginxQueries(ctx);
  const byInstance = labelLegend(TARGET_LABELS.instance);
  return finishDashboard(
    newDashboard(ctx, {
      uid: NGINX_UID,
      title: "NGINX",
      description: "The NGINX servers nginx-prometheus-exporter reads (stub_status): connections and requests.",
      tags: ["nginx"],
    })
      .withRow(row("Server"))
      .withPanel(
        statPanel(ctx, {
          title: "NGINX up",
          description: "1: the exporter's last read of stub_status succeeded.",
          thresholds: [
            { value: null, color: "red" },
            { value: 1, color: "green" },
          ],
          valueTexts: { "0": { text: "DOWN", color: "red" }, "1": { text: "UP", color: "green" } },
          queries: [{ expr: q.up, legend: byInstance }],
        }),
      )
      .withPanel(statPanel(ctx, { title: "Active connections", queries: [{ expr: q.active, legend: byInstance }] }))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Connections by state",
          min: 0,
          queries: [
            { expr: q.reading, legend: `reading ${byInstance}` },
            { expr: q.writing, legend: `writing ${byInstance}` },
            { expr: q.waiting, legend: `waiting ${byInstance}` },
          ],
        }),
      )
      .withRow(row("Work"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Requests",
          unit: "reqps",
          min: 0,
          queries: [{ expr: q.requests, legend: byInstance }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Connections accepted and dropped",
          description: "Dropped: accepted but not handled (worker_connections or a resource limit reached).",
          unit: "cps",
          min: 0,
          queries: [
            { expr: q.accepted, legend: `accepted ${byInstance}` },
            { expr: q.dropped, legend: `dropped ${byInstance}` },
          ],
        }),
      ),
  );
}

/** The NGINX dashboard module (nginx-exporter). */
export const nginxDashboard: DashboardModule = { name: "nginx", uid: NGINX_UID, build };
