/**
 * Platform Overview: is every scrape target up, how do the processes of every job behave, and how healthy are
 * Prometheus and Grafana themselves. The stack's own dashboard (`MonitoringStack` adds it): it shows whatever is
 * deployed, and knows only the two components every `MonitoringStack` has.
 */
import {
  finishDashboard,
  histogramQuantile,
  labelLegend,
  labelValues,
  matcher,
  newDashboard,
  queryVariable,
  rate,
  row,
  selector,
  statPanel,
  sumBy,
  tablePanel,
  timeseriesPanel,
  variableRef,
} from "../dashboards/house-style";
import { histogramSeries, PROCESS_METRICS, SCRAPE_METRICS, TARGET_LABELS } from "../dashboards/metrics";
import { GRAFANA_METRICS } from "./grafana/catalog";
import { GRAFANA_NAME } from "./grafana/defaults";
import { PROMETHEUS_METRICS } from "./prometheus/catalog";
import { PROMETHEUS_NAME } from "./prometheus/defaults";
import { jobOf, type DashboardContext, type DashboardModule } from "../dashboards/types";

/** Stable uid of the Platform Overview dashboard. */
export const PLATFORM_OVERVIEW_UID = "monitoring-platform-overview";

/** Template variable: pick jobs; defaults to All. */
const JOB_VARIABLE = TARGET_LABELS.job;

/** With extra hosts: the template variable over the `host` label every series carries; defaults to All. */
const HOST_VARIABLE = "host";

/** The PromQL of the Platform Overview by panel, exported so tests can assert the exact queries. */
export function platformOverviewQueries(ctx: DashboardContext) {
  const multiHost = ctx.hosts !== undefined;
  // With extra hosts, one job runs on several hosts (node-exporter on each): per host and job.
  const job = multiHost ? `${HOST_VARIABLE}, ${TARGET_LABELS.job}` : TARGET_LABELS.job;
  const jobs = [
    matcher(TARGET_LABELS.job, "=~", variableRef(JOB_VARIABLE)),
    ...(multiHost ? [matcher(HOST_VARIABLE, "=~", variableRef(HOST_VARIABLE))] : []),
  ];
  const prometheus = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, PROMETHEUS_NAME))];
  const grafana = [matcher(TARGET_LABELS.job, "=", jobOf(ctx, GRAFANA_NAME))];
  const grafanaRequests = GRAFANA_METRICS.httpRequestDurationSeconds;
  const datasourceRequests = GRAFANA_METRICS.datasourceRequestTotal;
  const up = selector(SCRAPE_METRICS.up.name, jobs);
  return {
    targetsUp: up,
    targetsDown: `count(${up} == 0) or vector(0)`,
    scrapeDuration: `max by (${job}) (${selector(SCRAPE_METRICS.scrapeDurationSeconds.name, jobs)})`,
    samplesScraped: sumBy([job], selector(SCRAPE_METRICS.scrapeSamplesScraped.name, jobs)),
    cpu: sumBy([job], rate(selector(PROCESS_METRICS.cpuSecondsTotal.name, jobs))),
    residentMemory: sumBy([job], selector(PROCESS_METRICS.residentMemoryBytes.name, jobs)),
    headSeries: selector(PROMETHEUS_METRICS.headSeries.name, prometheus),
    ingestionRate: sumBy([], rate(selector(PROMETHEUS_METRICS.headSamplesAppendedTotal.name, prometheus))),
    configReloaded: selector(PROMETHEUS_METRICS.configLastReloadSuccessful.name, prometheus),
    grafanaRequestsByStatus: sumBy(
      [grafanaRequests.labels.statusCode],
      rate(selector(histogramSeries(grafanaRequests.name).count, grafana)),
    ),
    grafanaLatencyP95: histogramQuantile(0.95, [], selector(histogramSeries(grafanaRequests.name).bucket, grafana)),
    grafanaInFlight: sumBy([], selector(GRAFANA_METRICS.httpRequestInFlight.name, grafana)),
    grafanaDatasourceRequests: sumBy(
      [datasourceRequests.labels.datasource, datasourceRequests.labels.code],
      rate(selector(datasourceRequests.name, grafana)),
    ),
  };
}

function build(ctx: DashboardContext): Record<string, unknown> {
  const q = platformOverviewQueries(ctx);
  const jobLegend =
    ctx.hosts === undefined
      ? labelLegend(TARGET_LABELS.job)
      : `${labelLegend(HOST_VARIABLE)} ${labelLegend(TARGET_LABELS.job)}`;
  const dashboard = newDashboard(ctx, {
    uid: PLATFORM_OVERVIEW_UID,
    title: "Platform Overview",
    description: "Scrape targets, processes, Prometheus and Grafana.",
    tags: ["platform"],
  }).withVariable(
    queryVariable(ctx, {
      name: JOB_VARIABLE,
      label: "Job",
      query: labelValues(SCRAPE_METRICS.up.name, TARGET_LABELS.job),
    }),
  );
  if (ctx.hosts !== undefined) {
    dashboard.withVariable(
      queryVariable(ctx, {
        name: HOST_VARIABLE,
        label: "Host",
        query: labelValues(SCRAPE_METRICS.up.name, HOST_VARIABLE),
      }),
    );
  }
  return finishDashboard(
    dashboard
      .withRow(row("Scrape targets"))
      .withPanel(
        statPanel(ctx, {
          title: "Targets down",
          height: 8,
          thresholds: [
            { value: null, color: "green" },
            { value: 1, color: "red" },
          ],
          queries: [{ expr: q.targetsDown, legend: "down" }],
        }),
      )
      .withPanel(
        tablePanel(ctx, {
          title: "Scrape targets",
          description: "Every target Prometheus scrapes and whether its last scrape succeeded.",
          span: 18,
          queries: [{ expr: q.targetsUp }],
          valueTexts: { "0": { text: "DOWN", color: "red" }, "1": { text: "UP", color: "green" } },
          transformations: [
            {
              id: "organize",
              options: {
                excludeByName: { Time: true, __name__: true },
                indexByName: { [TARGET_LABELS.job]: 0, [TARGET_LABELS.instance]: 1, Value: 2 },
                renameByName: { Value: "state" },
              },
            },
          ],
        }),
      )
      .withRow(row("Scrapes"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Scrape duration by job",
          unit: "s",
          queries: [{ expr: q.scrapeDuration, legend: jobLegend }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Samples scraped by job",
          queries: [{ expr: q.samplesScraped, legend: jobLegend }],
        }),
      )
      .withRow(row("Processes"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "CPU by job (cores)",
          description: "CPU seconds used per second: 1 is one fully busy core.",
          min: 0,
          queries: [{ expr: q.cpu, legend: jobLegend }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Resident memory by job",
          unit: "bytes",
          min: 0,
          queries: [{ expr: q.residentMemory, legend: jobLegend }],
        }),
      )
      .withRow(row("Prometheus"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Head series",
          span: 8,
          queries: [{ expr: q.headSeries, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Ingestion rate",
          unit: "cps",
          span: 8,
          queries: [{ expr: q.ingestionRate, legend: "samples/s" }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Last config reload",
          span: 8,
          height: 8,
          valueTexts: { "0": { text: "FAILED", color: "red" }, "1": { text: "OK", color: "green" } },
          queries: [{ expr: q.configReloaded, legend: labelLegend(TARGET_LABELS.instance) }],
        }),
      )
      .withRow(row("Grafana"))
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Grafana HTTP requests by status",
          unit: "reqps",
          span: 6,
          queries: [
            {
              expr: q.grafanaRequestsByStatus,
              legend: labelLegend(GRAFANA_METRICS.httpRequestDurationSeconds.labels.statusCode),
            },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Grafana HTTP latency p95",
          unit: "s",
          span: 6,
          queries: [{ expr: q.grafanaLatencyP95, legend: "p95" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Grafana in-flight requests",
          span: 6,
          min: 0,
          queries: [{ expr: q.grafanaInFlight, legend: "in flight" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Grafana datasource requests",
          unit: "reqps",
          span: 6,
          queries: [
            {
              expr: q.grafanaDatasourceRequests,
              legend: `${labelLegend(GRAFANA_METRICS.datasourceRequestTotal.labels.datasource)} ${labelLegend(GRAFANA_METRICS.datasourceRequestTotal.labels.code)}`,
            },
          ],
        }),
      ),
  );
}

/** The Platform Overview dashboard module. */
export const platformOverview: DashboardModule = { name: "platform-overview", uid: PLATFORM_OVERVIEW_UID, build };
