/**
 * Grafana's own metrics (its `/metrics`, scraped under its job) that dashboards query: its metric catalog.
 *
 * Sources: Grafana 12 (`pkg/middleware/request_metrics.go`,
 * `pkg/infra/httpclient/httpclientprovider/datasource_metrics_middleware.go`). No Grafana runs on the CI machines, so
 * queries over these can only be proven on a deployed stack.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";

/** Grafana's own metrics the dashboards query. */
export const GRAFANA_METRICS = {
  /** Grafana's HTTP server requests (labels also `handler`, `method`). */
  httpRequestDurationSeconds: {
    name: "grafana_http_request_duration_seconds",
    type: "histogram",
    labels: { statusCode: "status_code" },
  },
  httpRequestInFlight: { name: "grafana_http_request_in_flight", type: "gauge" },
  /** Grafana's requests to datasources (labels also `datasource_type`, `method`); appears after the first one. */
  datasourceRequestTotal: {
    name: "grafana_datasource_request_total",
    type: "counter",
    labels: { datasource: "datasource", code: "code" },
  },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Every series name of {@link GRAFANA_METRICS}, sorted: each must appear on a real Grafana's `/metrics`. */
export const GRAFANA_SELF_METRICS: readonly string[] = seriesList(GRAFANA_METRICS);

/** What the Grafana service declares it exposes: its own metrics and the process metrics. */
export const GRAFANA_CATALOG: readonly string[] = [...GRAFANA_SELF_METRICS, ...PROCESS_SERIES].sort();
