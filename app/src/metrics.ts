import { HEALTH_PATH, METRICS_PATH, READY_PATH } from "./probes";

/**
 * The API's metrics contract: every metric and label name the API exposes, in one place.
 *
 * Dashboards, alert rules and tests import these names; nothing else types them again. The names follow the seed
 * service (prometheus_client on FastAPI), so queries written for the original dashboards keep working.
 */

/** Label names of the HTTP metrics. */
export const HTTP_LABELS = {
  /** HTTP method, limited to the known methods; anything else is counted as `OTHER`. */
  method: "method",
  /** Route template (`/api/items/:id`), never the raw path; unmatched requests share one value. */
  endpoint: "endpoint",
  /** Numeric status code as a string (`"200"`). */
  status: "status",
} as const;

/** The HTTP metrics the API defines itself. */
export const HTTP_METRICS = {
  /** Counter of finished requests by method, endpoint and status. */
  requestsTotal: {
    name: "http_requests_total",
    type: "counter",
    labels: [HTTP_LABELS.method, HTTP_LABELS.endpoint, HTTP_LABELS.status],
  },
  /** Histogram of request durations in seconds by method and endpoint. */
  requestDurationSeconds: {
    name: "http_request_duration_seconds",
    type: "histogram",
    labels: [HTTP_LABELS.method, HTTP_LABELS.endpoint],
  },
  /** Gauge of requests being served right now. */
  requestsInFlight: {
    name: "http_requests_in_flight",
    type: "gauge",
    labels: [],
  },
} as const;

/**
 * Process and Node.js runtime metrics (prom-client's default metrics) that dashboards and alert rules use.
 * The `process_*` names are the same in every Prometheus client, so they also cover Prometheus and Grafana.
 */
export const RUNTIME_METRICS = {
  processCpuSecondsTotal: "process_cpu_seconds_total",
  processResidentMemoryBytes: "process_resident_memory_bytes",
  processStartTimeSeconds: "process_start_time_seconds",
  processOpenFds: "process_open_fds",
  eventLoopLagSeconds: "nodejs_eventloop_lag_seconds",
  eventLoopLagP99Seconds: "nodejs_eventloop_lag_p99_seconds",
  heapSizeUsedBytes: "nodejs_heap_size_used_bytes",
  heapSizeTotalBytes: "nodejs_heap_size_total_bytes",
  gcDurationSeconds: "nodejs_gc_duration_seconds",
} as const;

/** Endpoints that serve probes and scrapes, not user traffic; traffic panels and alert rules leave them out. */
export const NON_TRAFFIC_ENDPOINTS = [METRICS_PATH, HEALTH_PATH, READY_PATH] as const;

/** The `endpoint` label value of requests that match no route, so unknown paths share one series. */
export const UNMATCHED_ENDPOINT = "unmatched";

/** HTTP methods counted under their own name in the `method` label; every other method is counted as `OTHER`. */
export const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** The `method` label value of requests whose method is not in {@link KNOWN_METHODS}. */
export const OTHER_METHOD = "OTHER";

/**
 * Upper bounds (seconds) of the `http_request_duration_seconds` buckets: prometheus_client's defaults, so the seed
 * service's `histogram_quantile` queries and `le` selectors keep working. `+Inf` is implicit.
 */
export const HTTP_DURATION_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const;
