/**
 * redis-exporter's metric catalog: the metrics the Redis dashboard and alerts read (their one home), and the whole
 * exposition of the real exporter ({@link REDIS_EXPORTER_EXPOSITION}), which the service declares.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";
import { REDIS_EXPORTER_EXPOSITION } from "./exposition";

/** The service name (alias and job) of the exporter. */
export const REDIS_EXPORTER_NAME = "redis-exporter";

/** redis_exporter's metrics the Redis dashboard and alerts read. */
export const REDIS_METRICS = {
  /** 1 when the exporter's last `INFO` of the server succeeded. */
  up: { name: "redis_up", type: "gauge" },
  memoryUsedBytes: { name: "redis_memory_used_bytes", type: "gauge" },
  /** The server's `maxmemory`; 0 when it has none. */
  memoryMaxBytes: { name: "redis_memory_max_bytes", type: "gauge" },
  connectedClients: { name: "redis_connected_clients", type: "gauge" },
  commandsProcessedTotal: { name: "redis_commands_processed_total", type: "counter" },
  keyspaceHitsTotal: { name: "redis_keyspace_hits_total", type: "counter" },
  keyspaceMissesTotal: { name: "redis_keyspace_misses_total", type: "counter" },
  /** Keys by database (`db0`, ...); a database without keys has no series. */
  dbKeys: { name: "redis_db_keys", type: "gauge", labels: { db: "db" } },
  evictedKeysTotal: { name: "redis_evicted_keys_total", type: "counter" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Every series name of {@link REDIS_METRICS}, sorted. */
export const REDIS_SERIES: readonly string[] = seriesList(REDIS_METRICS);

/** What the redis-exporter service declares: everything the real exporter exposes, and the process metrics. */
export const REDIS_EXPORTER_CATALOG: readonly string[] = [
  ...new Set([...REDIS_EXPORTER_EXPOSITION, ...REDIS_SERIES, ...PROCESS_SERIES]),
].sort();
