/**
 * The metric names dashboards and alert rules use that the API does not define: Prometheus' and Grafana's own
 * metrics, and the series Prometheus records for every scrape.
 *
 * Besides the API's metrics contract (`app/src/metrics.ts`), these are the only names a dashboard query may use. Each
 * is declared here once; the dashboard lint checks that every name a query uses is declared, and the end-to-end suite
 * checks every declared name against the real binaries. The `*_SELF_METRICS` lists hold series names as they appear
 * in a scrape and in queries, so a histogram contributes its `_bucket`, `_count` and `_sum` series.
 *
 * Sources: Prometheus 3.5 (checked against the `prometheus` binary's own `/metrics`), Grafana 12
 * (`pkg/middleware/request_metrics.go`, `pkg/infra/httpclient/httpclientprovider/datasource_metrics_middleware.go`).
 * `process_*` names are in the API's `RUNTIME_METRICS`: every Prometheus client library exposes them.
 */

/** A metric as a Prometheus client declares it. */
export interface DeclaredMetric {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary";
  /** Label names dashboards use, by what they mean. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Labels Prometheus attaches to every scraped series: the target's job and instance (`host:port`). */
export const TARGET_LABELS = { job: "job", instance: "instance" } as const;

/** Other label names Prometheus defines: a histogram bucket's upper bound, a rule group on the rule metrics. */
export const PROMETHEUS_LABELS = { le: "le", ruleGroup: "rule_group" } as const;

/** Series Prometheus writes itself for every target on every scrape (they exist as soon as a target is scraped). */
export const SCRAPE_METRICS = {
  /** 1 when the last scrape of the target succeeded, 0 when it failed. */
  up: { name: "up", type: "gauge" },
  scrapeDurationSeconds: { name: "scrape_duration_seconds", type: "gauge" },
  scrapeSamplesScraped: { name: "scrape_samples_scraped", type: "gauge" },
  scrapeSamplesPostMetricRelabeling: { name: "scrape_samples_post_metric_relabeling", type: "gauge" },
  scrapeSeriesAdded: { name: "scrape_series_added", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Prometheus' own metrics (its `/metrics`, scraped under the stack's Prometheus job) that dashboards and rules query. */
export const PROMETHEUS_METRICS = {
  configLastReloadSuccessful: { name: "prometheus_config_last_reload_successful", type: "gauge" },
  /** Failed rule evaluations, by `rule_group`; the alert rules watch it. */
  ruleEvaluationFailuresTotal: { name: "prometheus_rule_evaluation_failures_total", type: "counter" },
  /** Has a `type` label (`float`, `histogram`). */
  headSamplesAppendedTotal: { name: "prometheus_tsdb_head_samples_appended_total", type: "counter" },
  headSeries: { name: "prometheus_tsdb_head_series", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/**
 * Grafana's own metrics (its `/metrics`, scraped under the stack's Grafana job) that dashboards query.
 *
 * No Grafana runs on the CI machines, so queries over these can only be proven on a deployed stack; see
 * `queriesNeedingGrafana`.
 */
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

/**
 * The series a classic Prometheus histogram exposes under its base name.
 * @example histogramSeries("x").bucket // "x_bucket"
 */
export function histogramSeries(name: string): {
  readonly bucket: string;
  readonly count: string;
  readonly sum: string;
} {
  return { bucket: `${name}_bucket`, count: `${name}_count`, sum: `${name}_sum` };
}

/**
 * The series names a metric appears as in a scrape: a classic histogram as `_bucket`, `_count` and `_sum`, a summary
 * as itself plus `_count` and `_sum`, anything else as itself.
 * @example seriesNames({ name: "x", type: "histogram" }) // ["x_bucket", "x_count", "x_sum"]
 */
export function seriesNames(metric: Pick<DeclaredMetric, "name" | "type">): string[] {
  switch (metric.type) {
    case "histogram": {
      const series = histogramSeries(metric.name);
      return [series.bucket, series.count, series.sum];
    }
    case "summary": {
      const series = histogramSeries(metric.name);
      return [metric.name, series.count, series.sum];
    }
    default:
      return [metric.name];
  }
}

function seriesList(metrics: Readonly<Record<string, DeclaredMetric>>): readonly string[] {
  return Object.values(metrics).flatMap(seriesNames).sort();
}

/** Every series name of `SCRAPE_METRICS`, sorted (Prometheus records them per target; query `up` to see them). */
export const SCRAPE_SERIES: readonly string[] = seriesList(SCRAPE_METRICS);

/** Every series name of `PROMETHEUS_METRICS`, sorted: each must appear on the real Prometheus' `/metrics`. */
export const PROMETHEUS_SELF_METRICS: readonly string[] = seriesList(PROMETHEUS_METRICS);

/** Every series name of `GRAFANA_METRICS`, sorted: each must appear on a real Grafana's `/metrics`. */
export const GRAFANA_SELF_METRICS: readonly string[] = seriesList(GRAFANA_METRICS);
