/**
 * nginx-exporter's metric catalog: the metrics the NGINX dashboard and alerts read (their one home), and the whole
 * exposition of the real exporter ({@link NGINX_EXPORTER_EXPOSITION}), which the service declares.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";
import { NGINX_EXPORTER_EXPOSITION } from "./exposition";

/** The service name (alias and job) of the exporter. */
export const NGINX_EXPORTER_NAME = "nginx-exporter";

/** nginx-prometheus-exporter's metrics (from NGINX's stub_status) the NGINX dashboard and alerts read. */
export const NGINX_METRICS = {
  /** 1 when the exporter's last read of stub_status succeeded. */
  up: { name: "nginx_up", type: "gauge" },
  connectionsActive: { name: "nginx_connections_active", type: "gauge" },
  connectionsReading: { name: "nginx_connections_reading", type: "gauge" },
  connectionsWriting: { name: "nginx_connections_writing", type: "gauge" },
  connectionsWaiting: { name: "nginx_connections_waiting", type: "gauge" },
  connectionsAccepted: { name: "nginx_connections_accepted", type: "counter" },
  /** Accepted connections NGINX handled; fewer than accepted when it hits `worker_connections` or a resource limit. */
  connectionsHandled: { name: "nginx_connections_handled", type: "counter" },
  httpRequestsTotal: { name: "nginx_http_requests_total", type: "counter" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Every series name of {@link NGINX_METRICS}, sorted. */
export const NGINX_SERIES: readonly string[] = seriesList(NGINX_METRICS);

/** What the nginx-exporter service declares: everything the real exporter exposes, and the process metrics. */
export const NGINX_EXPORTER_CATALOG: readonly string[] = [
  ...new Set([...NGINX_EXPORTER_EXPOSITION, ...NGINX_SERIES, ...PROCESS_SERIES]),
].sort();
