/**
 * postgres-exporter's metric catalog: the metrics the PostgreSQL dashboard and alerts read (their one home), and the
 * whole exposition of the real exporter ({@link POSTGRES_EXPORTER_EXPOSITION}), which the service declares.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";
import { POSTGRES_EXPORTER_EXPOSITION } from "./exposition";

/** The service name (alias and job) of the exporter. */
export const POSTGRES_EXPORTER_NAME = "postgres-exporter";

/** postgres_exporter's metrics the PostgreSQL dashboard and alerts read. */
export const POSTGRES_METRICS = {
  /** 1 when the exporter's last query of the server succeeded. */
  up: { name: "pg_up", type: "gauge" },
  /** Connections by database and state (`active`, `idle`, ...). */
  activityCount: { name: "pg_stat_activity_count", type: "gauge", labels: { database: "datname", state: "state" } },
  /** The server's `max_connections`. */
  maxConnections: { name: "pg_settings_max_connections", type: "gauge" },
  /** Committed transactions by database (a counter without `_total`, as the exporter names it). */
  xactCommit: { name: "pg_stat_database_xact_commit", type: "counter", labels: { database: "datname" } },
  xactRollback: { name: "pg_stat_database_xact_rollback", type: "counter", labels: { database: "datname" } },
  /** Blocks found in the buffer cache, and read from disk. */
  blksHit: { name: "pg_stat_database_blks_hit", type: "counter", labels: { database: "datname" } },
  blksRead: { name: "pg_stat_database_blks_read", type: "counter", labels: { database: "datname" } },
  deadlocks: { name: "pg_stat_database_deadlocks", type: "counter", labels: { database: "datname" } },
  databaseSizeBytes: { name: "pg_database_size_bytes", type: "gauge", labels: { database: "datname" } },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Every series name of {@link POSTGRES_METRICS}, sorted. */
export const POSTGRES_SERIES: readonly string[] = seriesList(POSTGRES_METRICS);

/** What the postgres-exporter service declares: everything the real exporter exposes, and the process metrics. */
export const POSTGRES_EXPORTER_CATALOG: readonly string[] = [
  ...new Set([...POSTGRES_EXPORTER_EXPOSITION, ...POSTGRES_SERIES, ...PROCESS_SERIES]),
].sort();
