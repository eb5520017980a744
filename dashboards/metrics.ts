/**
 * Facts of the Prometheus data model every metric catalog and dashboard builds on: how a metric is declared, the
 * series it appears as in a scrape (a histogram as `_bucket`, `_count`, `_sum`), the labels Prometheus attaches to
 * every target, the series it records for every scrape, and the process metrics every client library exposes.
 *
 * Each component declares its own metrics in its folder (`constructs/<component>/catalog.ts`); these are what no one
 * component owns. The end-to-end suite checks the scrape and process series against the real binaries.
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

/** The label of a classic histogram's buckets: the bucket's upper bound. */
export const HISTOGRAM_LABELS = { le: "le" } as const;

/** Series Prometheus writes itself for every target on every scrape (they exist as soon as a target is scraped). */
export const SCRAPE_METRICS = {
  /** 1 when the last scrape of the target succeeded, 0 when it failed. */
  up: { name: "up", type: "gauge" },
  scrapeDurationSeconds: { name: "scrape_duration_seconds", type: "gauge" },
  scrapeSamplesScraped: { name: "scrape_samples_scraped", type: "gauge" },
  scrapeSamplesPostMetricRelabeling: { name: "scrape_samples_post_metric_relabeling", type: "gauge" },
  scrapeSeriesAdded: { name: "scrape_series_added", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/**
 * The process metrics every Prometheus client library exposes (the Go client in Prometheus and the exporters,
 * prom-client in the API, Grafana's): CPU, resident memory, start time, open file descriptors.
 */
export const PROCESS_METRICS = {
  cpuSecondsTotal: { name: "process_cpu_seconds_total", type: "counter" },
  residentMemoryBytes: { name: "process_resident_memory_bytes", type: "gauge" },
  startTimeSeconds: { name: "process_start_time_seconds", type: "gauge" },
  openFds: { name: "process_open_fds", type: "gauge" },
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

/** Every series name of a catalog's metrics, sorted. */
export function seriesList(metrics: Readonly<Record<string, DeclaredMetric>>): readonly string[] {
  return Object.values(metrics).flatMap(seriesNames).sort();
}

/** Every series name of `SCRAPE_METRICS`, sorted (Prometheus records them per target; query `up` to see them). */
export const SCRAPE_SERIES: readonly string[] = seriesList(SCRAPE_METRICS);

/** Every series name of {@link PROCESS_METRICS}, sorted. */
export const PROCESS_SERIES: readonly string[] = seriesList(PROCESS_METRICS);

/**
 * The fix for a query (a dashboard's, an alert rule's) reading a metric nobody declares, naming the user's own
 * setting: the `metricNames` of the service or scrape job its `job` selector names, when it names one.
 * @param selectedJobs the values of the query's `job="..."` matchers on that metric
 * @param serviceJobs the job of every service, by service name
 * @param deployedJobs every job prometheus.yml renders (a scrape job that is no service is named when it is one)
 * @example unknownMetricFix("orders_backlg", ["orders"], { orders: "orders" }, ["orders"])
 *   // 'add "orders_backlg" to the metricNames of the service "orders" (addService("orders", { metricNames: [...] })) if it exposes it, or correct the metric name'
 */
export function unknownMetricFix(
  metric: string,
  selectedJobs: readonly string[],
  serviceJobs: Readonly<Record<string, string>>,
  deployedJobs: readonly string[],
): string {
  const byJob = new Map(Object.entries(serviceJobs).map(([service, job]) => [job, service]));
  const jobs = [...new Set(selectedJobs)].filter((job) => byJob.has(job) || deployedJobs.includes(job));
  const owners = jobs.map((job) => {
    const service = byJob.get(job);
    return service !== undefined
      ? `the service ${JSON.stringify(service)} (addService(${JSON.stringify(service)}, { metricNames: [...] }))`
      : `the scrape job ${JSON.stringify(job)} (addScrapeJob(${JSON.stringify(job)}, { metricNames: [...] }))`;
  });
  if (owners.length > 0) {
    return `add ${JSON.stringify(metric)} to the metricNames of ${owners.join(" or ")} if it exposes it, or correct the metric name`;
  }
  return `correct the metric name, deploy the component whose catalog has it, or list it in the metricNames of your service (addService(name, { metricNames: [...] })) or scrape job (addScrapeJob) that exposes it`;
}

/** The series Prometheus writes for alerting rules themselves; alert rules may read them. */
export const ALERT_SERIES: readonly string[] = ["ALERTS", "ALERTS_FOR_STATE"];

/** The `job="..."` values of the selectors of `metric` in a parsed query. */
export function jobsSelectedFor(
  selectors: readonly {
    readonly metric: string | undefined;
    readonly matchers: readonly { readonly label: string; readonly op: string; readonly value: string }[];
  }[],
  metric: string,
): string[] {
  return selectors
    .filter((selector) => selector.metric === metric)
    .flatMap((selector) => selector.matchers.filter((m) => m.label === "job" && m.op === "=").map((m) => m.value));
}
