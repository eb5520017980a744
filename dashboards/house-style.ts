/**
 * House style of the stack's dashboards: the ONE place for dashboard and panel defaults and PromQL query helpers.
 *
 * Dashboard modules describe only what differs per panel (title, unit, queries, width); everything else (datasource
 * on every panel and target, legends, tooltips, reducers, refresh, time range, panel ids) is decided here, with the
 * real grafana-foundation-sdk builders.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type DataTransformerConfig,
  type ValueMapping,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { allPanels, type JsonObject } from "./model";
import { promqlString, regexAlternation, type PromqlMatcher } from "./promql";
import { HISTOGRAM_LABELS } from "./metrics";
import type { DashboardContext } from "./types";

/** The range every `rate`, `irate` and `increase` uses: Grafana's `$__rate_interval` (needs the datasource's `timeInterval`). */
export const RATE_INTERVAL = "$__rate_interval";

/** Tag on every dashboard the stack deploys, built or imported; dashboards add their own tags after it. */
export const STACK_TAG = "monitoring-stack";

/** Dashboards never refresh more often than this, nor more often than Prometheus scrapes. */
export const MIN_REFRESH_SECONDS = 30;

/** Time range a dashboard opens with. */
export const DEFAULT_TIME_RANGE = { from: "now-1h", to: "now" } as const;

// ---------------------------------------------------------------------------------------------------------------
// PromQL helpers: they only assemble text; names come from the metrics contract and the dashboard context.
// ---------------------------------------------------------------------------------------------------------------

/**
 * A label matcher.
 * @example matcher("job", "=", ctx.jobs.api)
 */
export function matcher(label: string, op: PromqlMatcher["op"], value: string): PromqlMatcher {
  return { label, op, value };
}

/**
 * A matcher that leaves out every given label value.
 * @example excludeValues(HTTP_LABELS.endpoint, NON_TRAFFIC_ENDPOINTS) // endpoint!~"/metrics|/health|/ready"
 */
export function excludeValues(label: string, values: readonly string[]): PromqlMatcher {
  return matcher(label, "!~", regexAlternation(values));
}

/**
 * A reference to a dashboard template variable, for a matcher value.
 * @example matcher("instance", "=~", variableRef("instance")) // instance=~"$instance"
 */
export function variableRef(name: string): string {
  return `$${name}`;
}

/**
 * A legend template showing a label's value.
 * @example labelLegend("endpoint") // "{{endpoint}}"
 */
export function labelLegend(label: string): string {
  return `{{${label}}}`;
}

/**
 * A vector selector.
 * @example selector("up", [matcher("job", "=", "api")]) // up{job="api"}
 */
export function selector(metric: string, matchers: readonly PromqlMatcher[]): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map((m) => `${m.label}${m.op}${promqlString(m.value)}`).join(", ")}}`;
}

/**
 * Per-second rate of a counter selector over `$__rate_interval`.
 * @example rate('http_requests_total{job="api"}') // rate(http_requests_total{job="api"}[$__rate_interval])
 */
export function rate(counterSelector: string): string {
  return `rate(${counterSelector}[${RATE_INTERVAL}])`;
}

/**
 * `sum` of an expression, grouped by the given labels (none: a single label-free series).
 * @example sumBy(["endpoint"], rate(sel)) // sum by (endpoint) (rate(...))
 */
export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(", ")}) (${expr})`;
}

/**
 * A quantile of a classic histogram over `$__rate_interval`, per group.
 * @example histogramQuantile(0.95, ["endpoint"], 'x_bucket{job="api"}')
 *   // histogram_quantile(0.95, sum by (le, endpoint) (rate(x_bucket{job="api"}[$__rate_interval])))
 */
export function histogramQuantile(quantile: number, by: readonly string[], bucketSelector: string): string {
  return `histogram_quantile(${quantile}, ${sumBy([HISTOGRAM_LABELS.le, ...by], rate(bucketSelector))})`;
}

/**
 * `numerator / denominator` that is 0 (not "No data") when the numerator has no series but the denominator is
 * positive, and empty when the denominator is empty or 0 (no traffic: no ratio, rather than NaN).
 *
 * Both sides must be label-free aggregations (`sum(...)` without `by`): `vector(0)` has no labels and only matches
 * label-free series.
 * @example ratioOrZero(sumBy([], rate(errors)), sumBy([], rate(all)))
 *   // (sum(rate(errors[...])) or vector(0)) / (sum(rate(all[...])) > 0)
 */
export function ratioOrZero(numerator: string, denominator: string): string {
  return `(${numerator} or vector(0)) / (${denominator} > 0)`;
}

/**
 * A `label_values` query for a query variable (Grafana's Prometheus variable syntax, not PromQL).
 * @example labelValues('up{job="api"}', "instance") // label_values(up{job="api"}, instance)
 */
export function labelValues(seriesSelector: string, label: string): string {
  return `label_values(${seriesSelector}, ${label})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Dashboards, variables and panels.
// ---------------------------------------------------------------------------------------------------------------

/** What identifies a dashboard; everything else is house style. */
export interface DashboardMeta {
  /** Stable, at most 40 characters of `[A-Za-z0-9_-]`; changing it creates a new dashboard in Grafana. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** Tags after `STACK_TAG`. */
  readonly tags: readonly string[];
}

/**
 * A dashboard builder with the house defaults: uid, title, tags, refresh (the scrape interval, at least
 * `MIN_REFRESH_SECONDS`), time range, shared crosshair, browser timezone, read-only (Terraform owns it).
 */
export function newDashboard(ctx: DashboardContext, meta: DashboardMeta): DashboardBuilder {
  return new DashboardBuilder(meta.title)
    .uid(meta.uid)
    .description(meta.description)
    .tags([STACK_TAG, ...meta.tags])
    .refresh(`${Math.max(MIN_REFRESH_SECONDS, ctx.scrapeIntervalSeconds)}s`)
    .time({ ...DEFAULT_TIME_RANGE })
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly();
}

/**
 * Builds the dashboard into the plain JSON model Grafana's API takes, numbering panels 1, 2, ... in layout order
 * (rows and the panels of collapsed rows included), so panel ids are stable as long as the layout is.
 */
export function finishDashboard(builder: DashboardBuilder): JsonObject {
  const model = JSON.parse(JSON.stringify(builder.build())) as JsonObject;
  allPanels(model).forEach(({ panel }, i) => {
    panel.id = i + 1;
  });
  return model;
}

/**
 * A query variable over a label's values with a multi-select and an "All" default that means every value (`.*`), so
 * a dashboard opened without choosing anything shows everything.
 */
export function queryVariable(
  ctx: DashboardContext,
  spec: { readonly name: string; readonly label: string; readonly query: string },
): QueryVariableBuilder {
  return new QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource({ type: ctx.datasource.type, uid: ctx.datasource.uid })
    .query(spec.query)
    .definition(spec.query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

/** A row header; the panels added after it (until the next row) belong to it. */
export function row(title: string): RowBuilder {
  return new RowBuilder(title);
}

/** One query of a panel. */
export interface QuerySpec {
  readonly expr: string;
  /** Legend template, e.g. `{{endpoint}}`. @default Grafana's (the series labels) */
  readonly legend?: string;
}

/** What a panel says; the rest is house style. */
export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  /** Grafana unit id (`reqps`, `s`, `bytes`, `percentunit`, ...). @default none */
  readonly unit?: string;
  /** Width in grid columns (of 24). @default 12 */
  readonly span?: number;
  /** Height in grid rows. @default 8 (stats: 4) */
  readonly height?: number;
  /** Queries in order; refIds are A, B, C, ... */
  readonly queries: readonly QuerySpec[];
}

/** A threshold step: from `value` on (null: from minus infinity), use `color`. */
export interface ThresholdStep {
  readonly value: number | null;
  readonly color: string;
}

/** Value-to-text mapping with colors, e.g. `{ "1": { text: "UP", color: "green" } }`. */
export type ValueTexts = Readonly<Record<string, { readonly text: string; readonly color: string }>>;

function prometheusTarget(
  ctx: DashboardContext,
  query: QuerySpec,
  index: number,
  format: "range" | "instant-table",
): DataqueryBuilder {
  const target = new DataqueryBuilder()
    .refId(String.fromCharCode("A".charCodeAt(0) + index))
    .datasource({ type: ctx.datasource.type, uid: ctx.datasource.uid })
    .expr(query.expr);
  if (query.legend !== undefined) target.legendFormat(query.legend);
  if (format === "instant-table") target.instant().format(PromQueryFormat.Table);
  return target;
}

function thresholds(steps: readonly ThresholdStep[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map((s) => ({ ...s })));
}

function valueMappings(texts: ValueTexts): ValueMapping[] {
  const options = Object.fromEntries(
    Object.entries(texts).map(([value, result], index) => [value, { ...result, index }]),
  );
  return [{ type: MappingType.ValueToText, options }];
}

/** A time series panel: one line per series, legend below, shared tooltip. */
export function timeseriesPanel(
  ctx: DashboardContext,
  spec: PanelSpec & { readonly min?: number },
): TimeseriesPanelBuilder {
  const panel = new TimeseriesPanelBuilder()
    .title(spec.title)
    .datasource({ type: ctx.datasource.type, uid: ctx.datasource.uid })
    .span(spec.span ?? 12)
    .height(spec.height ?? 8)
    .targets(spec.queries.map((q, i) => prometheusTarget(ctx, q, i, "range")))
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    )
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never);
  if (spec.description !== undefined) panel.description(spec.description);
  if (spec.unit !== undefined) panel.unit(spec.unit);
  if (spec.min !== undefined) panel.min(spec.min);
  return panel;
}

/** A single-value panel showing the last value of its query, with a sparkline. */
export function statPanel(
  ctx: DashboardContext,
  spec: PanelSpec & { readonly thresholds?: readonly ThresholdStep[]; readonly valueTexts?: ValueTexts },
): StatPanelBuilder {
  const panel = new StatPanelBuilder()
    .title(spec.title)
    .datasource({ type: ctx.datasource.type, uid: ctx.datasource.uid })
    .span(spec.span ?? 6)
    .height(spec.height ?? 4)
    .targets(spec.queries.map((q, i) => prometheusTarget(ctx, q, i, "range")))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.Auto)
    .thresholds(thresholds(spec.thresholds ?? [{ value: null, color: "green" }]));
  if (spec.description !== undefined) panel.description(spec.description);
  if (spec.unit !== undefined) panel.unit(spec.unit);
  if (spec.valueTexts !== undefined) panel.mappings(valueMappings(spec.valueTexts));
  return panel;
}

/** A table of instant query results, one row per series, with optional column transformations and cell colors. */
export function tablePanel(
  ctx: DashboardContext,
  spec: PanelSpec & {
    readonly transformations?: readonly DataTransformerConfig[];
    readonly valueTexts?: ValueTexts;
  },
): TablePanelBuilder {
  const panel = new TablePanelBuilder()
    .title(spec.title)
    .datasource({ type: ctx.datasource.type, uid: ctx.datasource.uid })
    .span(spec.span ?? 12)
    .height(spec.height ?? 8)
    .targets(spec.queries.map((q, i) => prometheusTarget(ctx, q, i, "instant-table")))
    .cellHeight(common.TableCellHeight.Sm)
    .transformations([...(spec.transformations ?? [])]);
  if (spec.description !== undefined) panel.description(spec.description);
  if (spec.unit !== undefined) panel.unit(spec.unit);
  if (spec.valueTexts !== undefined) {
    panel.mappings(valueMappings(spec.valueTexts)).cellOptions({ type: common.TableCellDisplayMode.ColorBackground });
  }
  return panel;
}
