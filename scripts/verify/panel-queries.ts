/**
 * Runs dashboard queries the way Grafana does: Grafana's variables substituted with the dashboard's defaults for the
 * time window, then `/api/v1/query` for instant targets and `/api/v1/query_range` for the others.
 */
import { defaultVariableValues, panelQueries, substituteVariables, type PanelQuery } from "../../dashboards";
import type { RenderedDashboard } from "../../dashboards/types";
import type { PrometheusClient, QueryResult } from "./prometheus-client";

/** The time window and resolution queries run over, as a dashboard would ask for it. */
export interface QueryWindow {
  /** Start of the range, in Unix seconds. */
  readonly startSeconds: number;
  /** End of the range (and the time of instant queries), in Unix seconds. */
  readonly endSeconds: number;
  /** Resolution of range queries and Grafana's `$__interval`, in seconds. */
  readonly stepSeconds: number;
  /** Prometheus' scrape interval (the datasource's `timeInterval`), in seconds. */
  readonly scrapeIntervalSeconds: number;
}

/** One query of one panel of one dashboard. */
export interface DashboardQuery {
  readonly dashboard: RenderedDashboard;
  readonly query: PanelQuery;
}

/** What running one panel query returned. */
export interface PanelQueryOutcome extends DashboardQuery {
  /** The PromQL sent to Prometheus, variables substituted. */
  readonly promql: string;
  /** `data`: at least one sample that is a number (not NaN); `no-data`: nothing, or only NaN; `error`: rejected. */
  readonly status: "data" | "no-data" | "error";
  readonly seriesCount: number;
  /** Every sample value returned, all series together. */
  readonly values: readonly number[];
  /** Prometheus' error, when `status` is `error`. */
  readonly error?: string;
}

/** Every query of every panel of `dashboards`, in dashboard, panel and target order. */
export function dashboardQueries(dashboards: readonly RenderedDashboard[]): DashboardQuery[] {
  return dashboards.flatMap((dashboard) => panelQueries(dashboard.model).map((query) => ({ dashboard, query })));
}

/**
 * The services whose catalogs declare each metric (`metricNames`): a service's own series, a scrape job's series (the
 * services its targets are: the blackbox exporter for the probes), and Prometheus for the scrape series it records for
 * every target. Who must run for a query over the metric to show data.
 */
export function metricOwners(
  services: Iterable<{ readonly name: string; readonly metricNames: readonly string[] }>,
  prometheus: string,
  scrapeSeries: readonly string[],
  scrapeJobs: readonly { readonly metricNames: readonly string[]; readonly services: readonly string[] }[] = [],
): Readonly<Record<string, readonly string[]>> {
  const owners: Record<string, string[]> = {};
  const add = (metric: string, owner: string): void => {
    const list = (owners[metric] ??= []);
    if (!list.includes(owner)) list.push(owner);
  };
  for (const service of services) for (const metric of service.metricNames) add(metric, service.name);
  for (const job of scrapeJobs)
    for (const metric of job.metricNames) for (const owner of job.services) add(metric, owner);
  for (const metric of scrapeSeries) add(metric, prometheus);
  return owners;
}

/** What {@link missingOwners} returns for a metric no service declares: nothing here can answer it. */
export const UNOWNED = "(no deployed service declares it)";

/**
 * The services a query needs but that do not run (`runs` says which do): for each metric it reads, when no owner
 * runs, its owners ({@link UNOWNED} for a metric nobody declares). Empty: the query can show data here.
 */
export function missingOwners(
  query: PanelQuery,
  owners: Readonly<Record<string, readonly string[]>>,
  runs: (service: string) => boolean,
): string[] {
  const missing = query.metricNames.flatMap((metric) => {
    const of = owners[metric] ?? [];
    if (of.length === 0) return [UNOWNED];
    return of.some(runs) ? [] : of;
  });
  return [...new Set(missing)].sort();
}

/** How reports and test titles name a query: `API Overview › "Request rate" (panel 2) [A]`. */
export function describeQuery(query: PanelQuery): string {
  const panelId = query.panelId === undefined ? "" : ` (panel ${query.panelId})`;
  return `${query.dashboardTitle} › "${query.panelTitle}"${panelId} [${query.refId}]`;
}

/** The query text Grafana would send for `window`: every variable replaced by the dashboard's default. */
export function promqlFor(item: DashboardQuery, window: QueryWindow): string {
  const values = defaultVariableValues(item.dashboard.model, {
    scrapeIntervalSeconds: window.scrapeIntervalSeconds,
    rangeSeconds: Math.max(1, Math.round(window.endSeconds - window.startSeconds)),
    intervalSeconds: window.stepSeconds,
  });
  return substituteVariables(item.query.expr, values);
}

/** Grafana's `$__rate_interval` for `item` over `window`, in seconds (the range its `rate` calls look back). */
export function rateIntervalSeconds(item: DashboardQuery, window: QueryWindow): number {
  const value = Number(promqlFor({ ...item, query: { ...item.query, expr: "$__rate_interval_ms" } }, window));
  return Number.isFinite(value) ? value / 1000 : 4 * window.scrapeIntervalSeconds;
}

/** Runs one panel query over `window`; never rejects (a Prometheus error becomes `status: "error"`). */
export async function runPanelQuery(
  client: PrometheusClient,
  item: DashboardQuery,
  window: QueryWindow,
): Promise<PanelQueryOutcome> {
  const promql = promqlFor(item, window);
  let result: QueryResult;
  try {
    result = item.query.instant
      ? await client.query(promql, window.endSeconds)
      : await client.queryRange(promql, window.startSeconds, window.endSeconds, window.stepSeconds);
  } catch (error) {
    return {
      ...item,
      promql,
      status: "error",
      seriesCount: 0,
      values: [],
      error: error instanceof Error ? error.message : String(error),
    };
  }
  const values = result.series.flatMap((series) => series.values);
  return {
    ...item,
    promql,
    status: values.some((value) => !Number.isNaN(value)) ? "data" : "no-data",
    seriesCount: result.series.length,
    values,
  };
}

/**
 * The window a dashboard opens with, ending at `endSeconds`: its default time range (`time.from` such as `now-1h`;
 * one hour when it cannot be read), but not before `earliestSeconds` (when Prometheus started: a range reaching
 * further back only adds empty time and coarsens the resolution), at about the resolution Grafana picks
 * (range / 1000, never finer than a scrape). The start is moved back (by less than one step) so the range is a whole
 * number of steps: Prometheus evaluates a range query at start + k × step, and the last evaluation is then `endSeconds`
 * itself. Otherwise it can fall up to one step before the end, before the scrapes verify waited for, and a series
 * created by verify's own burst (two samples needed by `rate`) shows no data right after a start.
 */
export function dashboardWindow(
  dashboard: RenderedDashboard,
  endSeconds: number,
  scrapeIntervalSeconds: number,
  earliestSeconds = Number.NEGATIVE_INFINITY,
): QueryWindow {
  const time = dashboard.model.time;
  const from =
    typeof time === "object" && time !== null && "from" in time && typeof time.from === "string" ? time.from : "";
  const earliest = Math.max(endSeconds - (parseRelativeRange(from) ?? 3600), earliestSeconds);
  const rangeSeconds = Math.max(1, endSeconds - earliest);
  const stepSeconds = Math.max(scrapeIntervalSeconds, Math.ceil(rangeSeconds / 1000));
  return {
    startSeconds: endSeconds - Math.ceil(rangeSeconds / stepSeconds) * stepSeconds,
    endSeconds,
    stepSeconds,
    scrapeIntervalSeconds,
  };
}

/** `now-1h` → 3600; `undefined` for anything else. */
export function parseRelativeRange(from: string): number | undefined {
  const match = /^now-(\d+)([smhdw])$/.exec(from);
  if (match === null) return undefined;
  const unitSeconds: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  return Number(match[1]) * (unitSeconds[match[2]] ?? 1);
}
