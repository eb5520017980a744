/**
 * API Overview: traffic, errors, latency, saturation and runtime (event loop, heap) of the instrumented API, from its
 * metrics contract.
 *
 * Traffic panels leave out the endpoints that serve probes and scrapes (`NON_TRAFFIC_ENDPOINTS`), so Prometheus'
 * own scrapes never look like user traffic.
 */
import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS, RUNTIME_METRICS } from "@monitoring-stack/api/contract";
import {
  excludeValues,
  finishDashboard,
  histogramQuantile,
  labelLegend,
  labelValues,
  matcher,
  newDashboard,
  queryVariable,
  rate,
  ratioOrZero,
  row,
  selector,
  statPanel,
  sumBy,
  timeseriesPanel,
  variableRef,
} from "../../dashboards/house-style";
import { hostLegend, hostMatchers, perHost, withHostVariable } from "../../dashboards/hosts";
import { histogramSeries, SCRAPE_METRICS, TARGET_LABELS } from "../../dashboards/metrics";
import { DEMO_API_DEFAULTS } from "./defaults";
import { jobOf, type DashboardContext, type DashboardModule } from "../../dashboards/types";

/** Stable uid of the API Overview dashboard. */
export const API_OVERVIEW_UID = "monitoring-api-overview";

/** Label the status-class panel groups by (`2xx`, `4xx`, `5xx`), derived from the status label in the query. */
const STATUS_CLASS = "status_class";

/** Template variables: pick instances and endpoints; both default to All. */
const INSTANCE_VARIABLE = TARGET_LABELS.instance;
const ENDPOINT_VARIABLE = HTTP_LABELS.endpoint;

/** Latency quantiles shown per endpoint. */
const LATENCY_QUANTILES = [0.5, 0.95, 0.99] as const;

/** The PromQL of the API Overview, exported so tests can assert the exact queries. */
export function apiOverviewQueries(ctx: DashboardContext): {
  readonly requestRate: string;
  readonly requestRateByEndpoint: string;
  readonly requestRateByStatusClass: string;
  readonly errorRatio: string;
  readonly latency: (quantile: number, by: readonly string[]) => string;
  readonly inFlight: string;
  readonly inFlightByInstance: string;
  readonly eventLoopLagP99: string;
  readonly eventLoopLag: string;
  readonly heapUsed: string;
  readonly heapTotal: string;
} {
  const api = [
    matcher(TARGET_LABELS.job, "=", jobOf(ctx, DEMO_API_DEFAULTS.name)),
    matcher(TARGET_LABELS.instance, "=~", variableRef(INSTANCE_VARIABLE)),
    ...hostMatchers(ctx),
  ];
  const traffic = [
    ...api,
    excludeValues(HTTP_LABELS.endpoint, NON_TRAFFIC_ENDPOINTS),
    matcher(HTTP_LABELS.endpoint, "=~", variableRef(ENDPOINT_VARIABLE)),
  ];
  const requests = selector(HTTP_METRICS.requestsTotal.name, traffic);
  const serverErrors = selector(HTTP_METRICS.requestsTotal.name, [
    ...traffic,
    matcher(HTTP_LABELS.status, "=~", "5.."),
  ]);
  const buckets = selector(histogramSeries(HTTP_METRICS.requestDurationSeconds.name).bucket, traffic);
  const inFlight = selector(HTTP_METRICS.requestsInFlight.name, api);
  return {
    requestRate: sumBy([], rate(requests)),
    requestRateByEndpoint: sumBy([HTTP_LABELS.endpoint], rate(requests)),
    requestRateByStatusClass: sumBy(
      [STATUS_CLASS],
      `label_replace(${rate(requests)}, "${STATUS_CLASS}", "\${1}xx", "${HTTP_LABELS.status}", "(.)..")`,
    ),
    errorRatio: ratioOrZero(sumBy([], rate(serverErrors)), sumBy([], rate(requests))),
    latency: (quantile, by) => histogramQuantile(quantile, by, buckets),
    inFlight: sumBy([], inFlight),
    // With extra hosts, one instance address may run on several hosts: per host and instance.
    inFlightByInstance: sumBy(perHost(ctx, [TARGET_LABELS.instance]), inFlight),
    eventLoopLagP99: selector(RUNTIME_METRICS.eventLoopLagP99Seconds, api),
    eventLoopLag: selector(RUNTIME_METRICS.eventLoopLagSeconds, api),
    heapUsed: selector(RUNTIME_METRICS.heapSizeUsedBytes, api),
    heapTotal: selector(RUNTIME_METRICS.heapSizeTotalBytes, api),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = apiOverviewQueries(ctx);
  const trafficSelector = selector(HTTP_METRICS.requestsTotal.name, [
    matcher(TARGET_LABELS.job, "=", jobOf(ctx, DEMO_API_DEFAULTS.name)),
    excludeValues(HTTP_LABELS.endpoint, NON_TRAFFIC_ENDPOINTS),
  ]);
  return finishDashboard(
    withHostVariable(
      ctx,
      newDashboard(ctx, {
        uid: API_OVERVIEW_UID,
        title: "API Overview",
        description: `Traffic, errors, latency and saturation of the API (job "${jobOf(ctx, DEMO_API_DEFAULTS.name)}").`,
        tags: ["api"],
      }),
      selector(SCRAPE_METRICS.up.name, [matcher(TARGET_LABELS.job, "=", jobOf(ctx, DEMO_API_DEFAULTS.name))]),
    )
      .withVariable(
        queryVariable(ctx, {
          name: INSTANCE_VARIABLE,
          label: "Instance",
          query: labelValues(
            selector(SCRAPE_METRICS.up.name, [matcher(TARGET_LABELS.job, "=", jobOf(ctx, DEMO_API_DEFAULTS.name))]),
            TARGET_LABELS.instance,
          ),
        }),
      )
      .withVariable(
        queryVariable(ctx, {
          name: ENDPOINT_VARIABLE,
          label: "Endpoint",
          query: labelValues(trafficSelector, HTTP_LABELS.endpoint),
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Request rate",
          unit: "reqps",
          queries: [{ expr: q.requestRate, legend: "requests" }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Error ratio (5xx)",
          description: "Share of responses with a 5xx status; 0 when there is traffic and no server error.",
          unit: "percentunit",
          thresholds: [
            { value: null, color: "green" },
            { value: 0.01, color: "orange" },
            { value: 0.05, color: "red" },
          ],
          queries: [{ expr: q.errorRatio, legend: "5xx ratio" }],
        }),
      )
      .withPanel(
        statPanel(ctx, { title: "Latency p95", unit: "s", queries: [{ expr: q.latency(0.95, []), legend: "p95" }] }),
      )
      .withPanel(statPanel(ctx, { title: "In-flight requests", queries: [{ expr: q.inFlight, legend: "in flight" }] }))
      .withRow(row("Traffic"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Request rate",
          unit: "reqps",
          span: 8,
          queries: [{ expr: q.requestRate, legend: "total" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Request rate by endpoint",
          unit: "reqps",
          span: 8,
          queries: [{ expr: q.requestRateByEndpoint, legend: labelLegend(HTTP_LABELS.endpoint) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Request rate by status class",
          unit: "reqps",
          span: 8,
          queries: [{ expr: q.requestRateByStatusClass, legend: labelLegend(STATUS_CLASS) }],
        }),
      )
      .withRow(row("Errors and latency"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "5xx error ratio",
          description: "Share of responses with a 5xx status; 0 when there is traffic and no server error.",
          unit: "percentunit",
          min: 0,
          queries: [{ expr: q.errorRatio, legend: "5xx ratio" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Latency by endpoint (p50 / p95 / p99)",
          unit: "s",
          queries: LATENCY_QUANTILES.map((quantile) => ({
            expr: q.latency(quantile, [HTTP_LABELS.endpoint]),
            legend: `p${Math.round(quantile * 100)} ${labelLegend(HTTP_LABELS.endpoint)}`,
          })),
        }),
      )
      .withRow(row("Saturation"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "In-flight requests",
          span: 24,
          min: 0,
          queries: [{ expr: q.inFlightByInstance, legend: hostLegend(ctx, labelLegend(TARGET_LABELS.instance)) }],
        }),
      )
      .withRow(row("Runtime"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Event-loop lag",
          unit: "s",
          min: 0,
          queries: [
            { expr: q.eventLoopLagP99, legend: hostLegend(ctx, `p99 ${labelLegend(TARGET_LABELS.instance)}`) },
            { expr: q.eventLoopLag, legend: hostLegend(ctx, `current ${labelLegend(TARGET_LABELS.instance)}`) },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Heap",
          unit: "bytes",
          min: 0,
          queries: [
            { expr: q.heapUsed, legend: hostLegend(ctx, `used ${labelLegend(TARGET_LABELS.instance)}`) },
            { expr: q.heapTotal, legend: hostLegend(ctx, `total ${labelLegend(TARGET_LABELS.instance)}`) },
          ],
        }),
      ),
  );
}

/** The API Overview dashboard module. */
export const apiOverview: DashboardModule = { name: "api-overview", uid: API_OVERVIEW_UID, build };
