/** Redis: the server as redis_exporter sees it: up or not, memory against maxmemory, clients, commands, hits, keys. */
import { REDIS_EXPORTER_NAME, REDIS_METRICS } from "./catalog";
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

/** Stable uid of the Redis dashboard. */
export const REDIS_UID = "monitoring-redis";

/** The PromQL of the Redis dashboard by panel, exported so tests can assert the exact queries. */
export function redisQueries(ctx: DashboardContext) {
  const job = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, REDIS_EXPORTER_NAME))];
  const m = REDIS_METRICS;
  const { instance } = TARGET_LABELS;
  const hits = sumBy([instance], rate(selector(m.keyspaceHitsTotal.name, job)));
  const misses = sumBy([instance], rate(selector(m.keyspaceMissesTotal.name, job)));
  return {
    up: selector(m.up.name, job),
    memoryUsed: selector(m.memoryUsedBytes.name, job),
    // A server without maxmemory (0) has no share.
    memoryShare: `${selector(m.memoryUsedBytes.name, job)} / (${selector(m.memoryMaxBytes.name, job)} > 0)`,
    clients: selector(m.connectedClients.name, job),
    commands: sumBy([instance], rate(selector(m.commandsProcessedTotal.name, job))),
    // No lookups in the window: no ratio rather than NaN.
    hitRatio: `${hits} / (${hits} + ${misses} > 0)`,
    keys: sumBy([instance, m.dbKeys.labels.db], selector(m.dbKeys.name, job)),
    evictions: sumBy([instance], rate(selector(m.evictedKeysTotal.name, job))),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = redisQueries(ctx);
  const byInstance = labelLegend(TARGET_LABELS.instance);
  return finishDashboard(
    newDashboard(ctx, {
      uid: REDIS_UID,
      title: "Redis",
      description: "The Redis servers redis_exporter queries: memory, clients, commands, hit ratio, keys.",
      tags: ["redis"],
    })
      .withRow(row("Server"))
      .withPanel(
        statPanel(ctx, {
          title: "Redis up",
          description: "1: the exporter's last INFO of the server succeeded.",
          thresholds: [
            { value: null, color: "red" },
            { value: 1, color: "green" },
          ],
          valueTexts: { "0": { text: "DOWN", color: "red" }, "1": { text: "UP", color: "green" } },
          queries: [{ expr: q.up, legend: byInstance }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Memory used of maxmemory",
          description: "Empty for a server without maxmemory.",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.9, color: "orange" },
          ],
          queries: [{ expr: q.memoryShare, legend: byInstance }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Memory used",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.memoryUsed, legend: byInstance }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Connected clients",
          min: 0,
          queries: [{ expr: q.clients, legend: byInstance }],
        }),
      )
      .withRow(row("Work"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Commands",
          unit: "ops",
          min: 0,
          queries: [{ expr: q.commands, legend: byInstance }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Keyspace hit ratio",
          description: "Key lookups that found their key.",
          unit: "percentunit",
          min: 0,
          queries: [{ expr: q.hitRatio, legend: byInstance }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Keys",
          min: 0,
          queries: [{ expr: q.keys, legend: `${byInstance} ${labelLegend(REDIS_METRICS.dbKeys.labels.db)}` }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Evicted keys",
          unit: "ops",
          min: 0,
          queries: [{ expr: q.evictions, legend: byInstance }],
        }),
      ),
  );
}

/** The Redis dashboard module (redis-exporter). */
export const redisDashboard: DashboardModule = { name: "redis", uid: REDIS_UID, build };
