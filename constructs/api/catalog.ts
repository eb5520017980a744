/**
 * The demo API's metric catalog, from its metrics contract in `app/` (the one home of its metric and label names):
 * every series its `/metrics` exposes that dashboards and rules may read, and the rule that traffic queries leave out
 * the endpoints serving probes and scrapes.
 */
import {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_LABELS,
  HTTP_METRICS,
  NON_TRAFFIC_ENDPOINTS,
  RUNTIME_METRICS,
} from "@monitoring-stack/api/contract";
import { seriesNames } from "../../dashboards/metrics";
import type { SeriesRule } from "../../dashboards/types";
import type { RequestMetrics } from "../core/slo";

/** Every series name the API declares: its HTTP metrics (histograms as their series) and its runtime metrics. */
export const API_CATALOG: readonly string[] = [
  ...Object.values(HTTP_METRICS).flatMap(seriesNames),
  ...Object.values(RUNTIME_METRICS),
];

/** Series of the HTTP metrics that carry the endpoint label: traffic queries over them exclude probes and scrapes. */
export const API_TRAFFIC_SERIES: readonly string[] = Object.values(HTTP_METRICS)
  .filter((metric) => (metric.labels as readonly string[]).includes(HTTP_LABELS.endpoint))
  .flatMap(seriesNames);

/** The lint rule the API declares: every selector over its traffic series leaves out the non-traffic endpoints. */
export const API_SERIES_RULES: readonly SeriesRule[] = [
  {
    series: API_TRAFFIC_SERIES,
    label: HTTP_LABELS.endpoint,
    values: NON_TRAFFIC_ENDPOINTS,
    reason: "they serve probes and scrapes, not user traffic",
  },
];

/**
 * The API's request metrics as its SLOs read them, from its contract: the request counter and its status label, the
 * duration histogram and the bucket boundaries the API defines it with (`HTTP_DURATION_BUCKETS_SECONDS`).
 */
export const API_REQUEST_METRICS: RequestMetrics = {
  requestsTotal: HTTP_METRICS.requestsTotal.name,
  statusLabel: HTTP_LABELS.status,
  durationHistogram: {
    name: HTTP_METRICS.requestDurationSeconds.name,
    bucketsSeconds: HTTP_DURATION_BUCKETS_SECONDS,
  },
};
