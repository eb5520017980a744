/**
 * PostgreSQL: the database server as postgres_exporter sees it: up or not, connections against the limit,
 * transactions, cache hit ratio, deadlocks and database sizes.
 */
import { POSTGRES_EXPORTER_NAME, POSTGRES_METRICS } from "./catalog";
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

/** Stable uid of the PostgreSQL dashboard. */
export const POSTGRES_UID = "monitoring-postgres";

/** The PromQL of the PostgreSQL dashboard by panel, exported so tests can assert the exact queries. */
export function postgresQueries(ctx: DashboardContext) {
  const job = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, POSTGRES_EXPORTER_NAME))];
  const m = POSTGRES_METRICS;
  const { instance } = TARGET_LABELS;
  const db = m.xactCommit.labels.database;
  const hit = sumBy([instance, db], rate(selector(m.blksHit.name, job)));
  const read = sumBy([instance, db], rate(selector(m.blksRead.name, job)));
  return {
    up: selector(m.up.name, job),
    connectionsUsed: `${sumBy([instance], selector(m.activityCount.name, job))} / ${sumBy([instance], selector(m.maxConnections.name, job))}`,
    connectionsByState: sumBy([instance, m.activityCount.labels.state], selector(m.activityCount.name, job)),
    commits: sumBy([instance, db], rate(selector(m.xactCommit.name, job))),
    rollbacks: sumBy([instance, db], rate(selector(m.xactRollback.name, job))),
    // Databases that read no block in the window have no ratio (not NaN): the denominator must be positive.
    cacheHitRatio: `${hit} / (${hit} + ${read} > 0)`,
    deadlocks: sumBy([instance, db], rate(selector(m.deadlocks.name, job))),
    databaseSize: selector(m.databaseSizeBytes.name, job),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = postgresQueries(ctx);
  const { instance } = TARGET_LABELS;
  const byDb = `${labelLegend(instance)} ${labelLegend(POSTGRES_METRICS.xactCommit.labels.database)}`;
  return finishDashboard(
    newDashboard(ctx, {
      uid: POSTGRES_UID,
      title: "PostgreSQL",
      description: "The PostgreSQL servers postgres_exporter queries: connections, transactions, cache, sizes.",
      tags: ["postgres"],
    })
      .withRow(row("Server"))
      .withPanel(
        statPanel(ctx, {
          title: "PostgreSQL up",
          description: "1: the exporter's last query of the server succeeded.",
          thresholds: [
            { value: null, color: "red" },
            { value: 1, color: "green" },
          ],
          valueTexts: { "0": { text: "DOWN", color: "red" }, "1": { text: "UP", color: "green" } },
          queries: [{ expr: q.up, legend: labelLegend(instance) }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Connections used",
          description: "Connections in use, as a share of max_connections.",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.8, color: "orange" },
          ],
          queries: [{ expr: q.connectionsUsed, legend: labelLegend(instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Connections by state",
          min: 0,
          queries: [
            {
              expr: q.connectionsByState,
              legend: `${labelLegend(instance)} ${labelLegend(POSTGRES_METRICS.activityCount.labels.state)}`,
            },
          ],
        }),
      )
      .withRow(row("Work"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Transactions",
          unit: "ops",
          min: 0,
          queries: [
            { expr: q.commits, legend: `commit ${byDb}` },
            { expr: q.rollbacks, legend: `rollback ${byDb}` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Buffer cache hit ratio",
          description: "Blocks found in the buffer cache, out of all blocks read.",
          unit: "percentunit",
          min: 0,
          queries: [{ expr: q.cacheHitRatio, legend: byDb }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Deadlocks",
          unit: "ops",
          min: 0,
          queries: [{ expr: q.deadlocks, legend: byDb }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Database size",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.databaseSize, legend: byDb }],
        }),
      ),
  );
}

/** The PostgreSQL dashboard module (postgres-exporter). */
export const postgresDashboard: DashboardModule = { name: "postgres", uid: POSTGRES_UID, build };
