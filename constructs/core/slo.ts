/**
 * Service level objectives declared on a service or a scrape job (`slo`), turned into Prometheus rules in sloth's
 * naming (https://github.com/slok/sloth: `slo:sli_error:ratio_rate<window>`, `slo:objective:ratio`, ... labelled
 * `sloth_id`, `sloth_service`, `sloth_slo`), so sloth's dashboards and tools read them, and into multi-window,
 * multi-burn-rate alerts (Google SRE Workbook, chapter 5): page at 14.4 × the budget over 1h and 5m or 6 × over 6h and
 * 30m, ticket at 3 × over 1d and 2h or 1 × over 3d and 6h, each only with a minimum request count in the long window.
 *
 * Pure and component-agnostic: the request metrics (a request counter with a status label, a duration histogram and its
 * buckets) come from what the service declares (`requestMetrics`, `metricNames`, `seriesExclusions`), never from a
 * component's own contract.
 */
import { analyzePromql, promqlString, regexAlternation } from "../../dashboards/promql";
import type { SeriesRule } from "../../dashboards/types";
import { AlertingRule, RecordingRule, RuleGroup, RulesDocument, minimumForSeconds, runbookAnnotations } from "./rules";
import { ConfigProblem, formatDuration, joinPath, show } from "./validation";

/**
 * The request metrics a service exposes, as an SLO reads them: a counter of finished requests with the HTTP status in
 * a label, and the request-duration histogram with its bucket boundaries.
 * @example { requestsTotal: "http_requests_total", statusLabel: "status", durationHistogram: { name: "http_request_duration_seconds", bucketsSeconds: [0.1, 0.5, 1] } }
 */
export interface RequestMetrics {
  /** The counter of finished requests (`http_requests_total`); a name in the service's `metricNames`. */
  readonly requestsTotal: string;
  /** The label of that counter holding the numeric HTTP status (`status`, `code`); `5..` counts as an error. */
  readonly statusLabel: string;
  /**
   * The request-duration histogram latency SLOs read: its base name (its `_bucket` and `_count` series in the service's
   * `metricNames`) and its bucket upper bounds in seconds, as the service defines them (`+Inf` implicit).
   * @default none: a latency SLO needs it
   */
  readonly durationHistogram?: { readonly name: string; readonly bucketsSeconds: readonly number[] };
}

/** An availability SLO: the share of requests not answered with a 5xx status, or of custom "good" events. */
export interface AvailabilitySlo {
  /** The target, in percent (`99.9`); at least {@link MIN_OBJECTIVE_PERCENT} so the fast page can fire. */
  readonly objective: number;
  /** The period the budget is spent over, in days (`"30d"`), from 3d (the longest alert window) to 365d. @default SLO_DEFAULTS.window */
  readonly window?: string;
  /**
   * Per-second rate of failed events, with `{{window}}` where the range goes:
   * `sum(rate(orders_failed_total{job="orders"}[{{window}}]))`. Give it with `totalQuery`. @default 5xx responses
   * of the service's `requestMetrics.requestsTotal`
   */
  readonly errorQuery?: string;
  /** Per-second rate of all events, with `{{window}}`. Give it with `errorQuery`. @default every response counted by `requestsTotal` */
  readonly totalQuery?: string;
}

/** A latency SLO: the share of requests served within a threshold, read from the duration histogram. */
export interface LatencySlo {
  /** The target, in percent (`99`); at least {@link MIN_OBJECTIVE_PERCENT} so the fast page can fire. */
  readonly objective: number;
  /**
   * The latency a request must not exceed, in seconds: one of the histogram's bucket boundaries (`0.5`, selected as
   * Prometheus 3 writes it, `le="0.5"`; `1` is `le="1.0"`), since the histogram counts nothing between two.
   */
  readonly thresholdSeconds: number;
  /** The budget period, in days. @default SLO_DEFAULTS.window */
  readonly window?: string;
}

/**
 * The SLOs of a service or scrape job.
 * @example { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } }
 */
export interface SloOptions {
  /** The availability SLO (`sloth_slo="availability"`). @default none */
  readonly availability?: AvailabilitySlo;
  /** The latency SLO (`sloth_slo="latency"`). @default none */
  readonly latency?: LatencySlo;
  /**
   * The low-traffic guard: an alert fires only with at least this many requests in its long window (1h, 6h, 1d, 3d),
   * so one failed request on a quiet service cannot page. @default SLO_DEFAULTS.minRequests
   */
  readonly minRequests?: number;
}

/** The defaults of {@link SloOptions}. */
export const SLO_DEFAULTS = {
  window: "30d",
  minRequests: 100,
} as const;

/** The kinds of SLO, which are also their `sloth_slo` names. */
export type SloKind = "availability" | "latency";

/** Names of the SLO alerts: one page, one ticket, whatever the service or SLO (labels tell them apart). */
export const SLO_ALERT_NAMES = {
  /** The budget burns fast: 14.4 × over 1h and 5m, or 6 × over 6h and 30m. */
  page: "SloErrorBudgetBurnPage",
  /** The budget burns slowly but steadily: 3 × over 1d and 2h, or 1 × over 3d and 6h. */
  ticket: "SloErrorBudgetBurnTicket",
} as const;

/** sloth's label names. */
export const SLO_LABELS = {
  id: "sloth_id",
  service: "sloth_service",
  slo: "sloth_slo",
  window: "sloth_window",
  severity: "sloth_severity",
  objective: "sloth_objective",
} as const;

/** The windows of the SLI recording rules, in seconds, by the name in their series (`slo:sli_error:ratio_rate5m`). */
export const SLI_WINDOWS = {
  "5m": 300,
  "30m": 1800,
  "1h": 3600,
  "2h": 7200,
  "6h": 21600,
  "1d": 86400,
  "3d": 259200,
} as const;

/** The shortest of {@link SLI_WINDOWS}, in seconds. */
const SHORTEST_SLI_WINDOW_SECONDS = Math.min(...Object.values(SLI_WINDOWS));

/**
 * The longest scrape interval a stack with SLOs accepts: the shortest SLI window must span 4 scrape intervals so
 * rate() has enough samples.
 */
export const MAX_SLO_SCRAPE_INTERVAL_SECONDS = SHORTEST_SLI_WINDOW_SECONDS / 4;

/** A window name of {@link SLI_WINDOWS}. */
export type SliWindow = keyof typeof SLI_WINDOWS;

/** One condition of a burn-rate alert: the error ratio over both windows above `factor` × the budget. */
export interface BurnCondition {
  readonly long: SliWindow;
  readonly short: SliWindow;
  readonly factor: number;
}

/** The page's and the ticket's conditions (SRE Workbook, table 5-8, for a 30-day budget). */
export const BURN_CONDITIONS: Readonly<Record<"page" | "ticket", readonly BurnCondition[]>> = {
  page: [
    { long: "1h", short: "5m", factor: 14.4 },
    { long: "6h", short: "30m", factor: 6 },
  ],
  ticket: [
    { long: "1d", short: "2h", factor: 3 },
    { long: "3d", short: "6h", factor: 1 },
  ],
};

/** The fastest burn rate alerted on: above it, a budget of 1 - objective would need an error ratio above 100%. */
const FASTEST_BURN = 14.4;

/** The lowest objective, in percent, for which the fast page can fire (14.4 × budget ≤ 1): about 93.06. */
export const MIN_OBJECTIVE_PERCENT = 100 * (1 - 1 / FASTEST_BURN);

/** The series the SLO rules record, which dashboards may read. */
export const SLO_RECORDED_SERIES: readonly string[] = [
  ...Object.keys(SLI_WINDOWS).map(sliErrorSeries),
  "slo:objective:ratio",
  "slo:error_budget:ratio",
  "slo:time_period:days",
  "slo:current_burn_rate:ratio",
  "slo:period_burn_rate:ratio",
  "slo:period_error_budget_remaining:ratio",
  "sloth_slo_info",
];

/** `slo:sli_error:ratio_rate<window>`. */
export function sliErrorSeries(window: string): string {
  return `slo:sli_error:ratio_rate${window}`;
}

/** Where the SLOs of one service or scrape job come from: the declaration and what its owner declares. */
export interface SloDeclaration {
  /** The service or scrape job (`sloth_service`). */
  readonly owner: string;
  /** The setting path problems name (`api.slo`, `scrapeJobs.legacy.slo`). */
  readonly path: string;
  /** The job whose series the SLIs read. */
  readonly jobName: string;
  readonly slo: SloOptions;
  /** The owner's request metrics, as declared. @default none: only custom queries */
  readonly requestMetrics?: RequestMetrics;
  /** Where the request metrics are declared, for messages (`api.requestMetrics`). */
  readonly requestMetricsPath: string;
  /** The series the owner declares (its catalog): every SLI must read only these. */
  readonly catalog: readonly string[];
  /** Label values queries over some of the owner's series leave out (probes, scrapes): the SLIs leave them out too. */
  readonly seriesExclusions: readonly SeriesRule[];
}

/** What SLO rules are rendered with, besides the declaration. */
export interface SloRenderContext {
  readonly scrapeIntervalSeconds: number;
  /**
   * Every window (SLI windows and the budget period) is multiplied by this: 1 in a real stack; a test at a 1 s scrape
   * interval uses 1/60, so an hour lasts a minute. @default 1
   */
  readonly windowScale?: number;
  readonly runbookBaseUrl?: string;
}

/** One SLO, resolved: everything its rules, cases and dashboard need. */
export interface ResolvedSlo {
  readonly kind: SloKind;
  /** `sloth_id`: `<owner>-<kind>`. */
  readonly id: string;
  readonly service: string;
  /** The objective as a ratio (`0.999`). */
  readonly objective: number;
  /** The objective as written, in percent. */
  readonly objectivePercent: number;
  /** 1 - objective, rounded to 12 significant digits (0.001, not 0.0009999999999999432). */
  readonly budget: number;
  /** The budget period as written (`30d`) and in days. */
  readonly window: string;
  readonly windowDays: number;
  readonly minRequests: number;
  /** The error and total rates over a range (`5m`, or a scaled `5s`). */
  readonly errorQuery: (range: string) => string;
  readonly totalQuery: (range: string) => string;
  /** Whether the SLI reads the declared request metrics (the promtool cases can then build their input). */
  readonly fromRequestMetrics: boolean;
  /** For a latency SLO, the threshold and its `le` value. */
  readonly thresholdSeconds?: number;
  readonly thresholdLe?: string;
}

/** The placeholder of a custom query's range. */
export const WINDOW_PLACEHOLDER = "{{window}}";

/**
 * A float as Prometheus 3 writes `le` and `quantile` label values (Go's `strconv.FormatFloat(f, 'g', -1, 64)`, with
 * ".0" added to an integer): `0.5` -> "0.5", `1` -> "1.0", `10` -> "10.0", `1e-5` -> "1e-05".
 */
export function prometheusFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  let text: string;
  if (value !== 0 && (exponent < -4 || exponent >= 6)) {
    const sign = exponent < 0 ? "-" : "+";
    text = `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else {
    text = String(value);
  }
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** A number without float noise (0.1 * 3 -> 0.3): 12 significant digits. */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/** A duration in Prometheus' notation, days included (`86400` -> "1d"). */
export function formatSloDuration(seconds: number): string {
  return seconds > 0 && seconds % 86400 === 0 ? `${seconds / 86400}d` : formatDuration(seconds);
}

/** The days of a budget window (`"30d"` -> 30), or undefined when it is not `<days>d`. */
function windowDays(window: string): number | undefined {
  const match = /^([1-9]\d*)d$/.exec(window);
  return match === null ? undefined : Number(match[1]);
}

/** The shortest budget window: the longest alert window (3d). */
const MIN_WINDOW_DAYS = 3;
const MAX_WINDOW_DAYS = 365;

/** A selector of `metric` over the owner's job, leaving out what the owner's series rules exclude. */
function ownerSelector(decl: SloDeclaration, metric: string, extra: readonly string[] = []): string {
  const matchers = [`job=${promqlString(decl.jobName)}`, ...extra];
  for (const rule of decl.seriesExclusions) {
    if (rule.series.includes(metric) && rule.values.length > 0) {
      matchers.push(`${rule.label}!~${promqlString(regexAlternation(rule.values))}`);
    }
  }
  return `${metric}{${matchers.join(",")}}`;
}

/** The SLOs of a declaration, resolved (call only when {@link sloProblems} found none). */
export function resolveSlos(decl: SloDeclaration): ResolvedSlo[] {
  const slos: ResolvedSlo[] = [];
  const minRequests = decl.slo.minRequests ?? SLO_DEFAULTS.minRequests;
  const base = (kind: SloKind, objectivePercent: number, window: string | undefined) => {
    const w = window ?? SLO_DEFAULTS.window;
    const objective = clean(objectivePercent / 100);
    return {
      kind,
      id: `${decl.owner}-${kind}`,
      service: decl.owner,
      objective,
      objectivePercent,
      budget: clean(1 - objective),
      window: w,
      windowDays: windowDays(w) ?? 30,
      minRequests,
    };
  };
  const availability = decl.slo.availability;
  if (availability !== undefined) {
    const custom = availability.errorQuery !== undefined && availability.totalQuery !== undefined;
    const metrics = decl.requestMetrics;
    const fill = (query: string) => (range: string) => query.split(WINDOW_PLACEHOLDER).join(range);
    const requests = metrics?.requestsTotal ?? "";
    const status = metrics?.statusLabel ?? "";
    slos.push({
      ...base("availability", availability.objective, availability.window),
      errorQuery: custom
        ? fill(availability.errorQuery ?? "")
        : // No 5xx series yet is no error, not no data.
          (range) => `sum(rate(${ownerSelector(decl, requests, [`${status}=~"5.."`])}[${range}])) or vector(0)`,
      totalQuery: custom
        ? fill(availability.totalQuery ?? "")
        : (range) => `sum(rate(${ownerSelector(decl, requests)}[${range}]))`,
      fromRequestMetrics: !custom,
    });
  }
  const latency = decl.slo.latency;
  const histogram = decl.requestMetrics?.durationHistogram;
  if (latency !== undefined && histogram !== undefined) {
    const le = prometheusFloat(latency.thresholdSeconds);
    const count = ownerSelector(decl, `${histogram.name}_count`);
    const fast = ownerSelector(decl, `${histogram.name}_bucket`, [`le=${promqlString(le)}`]);
    slos.push({
      ...base("latency", latency.objective, latency.window),
      // Requests slower than the threshold: all of them minus those in the threshold's bucket.
      errorQuery: (range) => `sum(rate(${count}[${range}])) - sum(rate(${fast}[${range}]))`,
      totalQuery: (range) => `sum(rate(${count}[${range}]))`,
      fromRequestMetrics: true,
      thresholdSeconds: latency.thresholdSeconds,
      thresholdLe: le,
    });
  }
  return slos;
}

/** Every problem with a declaration: objectives, windows, the SLIs' metrics and the histogram's buckets. */
export function sloProblems(decl: SloDeclaration, scrapeIntervalSeconds: number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const path = decl.path;
  const add = (at: string, message: string) => problems.push({ path: at, message: `${at} ${message}` });
  const slo = decl.slo;
  if (slo.availability === undefined && slo.latency === undefined) {
    add(
      path,
      `must declare an availability or a latency SLO, such as { availability: { objective: 99.9 } } (got ${show(slo)})`,
    );
  }
  const objectiveProblems = (at: string, objective: number) => {
    if (typeof objective !== "number" || !Number.isFinite(objective) || objective <= 0 || objective >= 100) {
      add(at, `must be a percentage above 0 and below 100, such as 99.9 (got ${show(objective)})`);
    } else if (objective < MIN_OBJECTIVE_PERCENT) {
      const budget = clean(100 - objective);
      add(
        at,
        `leaves an error budget of ${budget}%: the fast page fires at 14.4 × the budget, an error ratio of ${clean(FASTEST_BURN * budget)}%, which can never happen; set an objective of at least ${Math.ceil(MIN_OBJECTIVE_PERCENT * 100) / 100} (got ${show(objective)})`,
      );
    }
  };
  const windowProblems = (at: string, window: string | undefined) => {
    if (window === undefined) return;
    const days = windowDays(window);
    if (days === undefined || days < MIN_WINDOW_DAYS || days > MAX_WINDOW_DAYS) {
      add(
        at,
        `must be a number of days between ${MIN_WINDOW_DAYS}d (the longest alert window) and ${MAX_WINDOW_DAYS}d, such as "30d" (got ${show(window)})`,
      );
    }
  };
  const notInCatalog = (at: string, metric: string, what: string) => {
    if (!decl.catalog.includes(metric)) {
      add(
        at,
        `reads ${show(metric)} (${what}), which ${decl.owner} does not declare in its metricNames (${decl.catalog.length === 0 ? "none" : decl.catalog.join(", ")}); declare the series, or fix the name`,
      );
    }
  };
  const metrics = decl.requestMetrics;
  const availability = slo.availability;
  if (availability !== undefined) {
    const at = joinPath(path, "availability");
    objectiveProblems(joinPath(at, "objective"), availability.objective);
    windowProblems(joinPath(at, "window"), availability.window);
    const { errorQuery, totalQuery } = availability;
    if ((errorQuery === undefined) !== (totalQuery === undefined)) {
      add(
        at,
        `needs both errorQuery and totalQuery, or neither (to use ${decl.requestMetricsPath}) (got only ${errorQuery !== undefined ? "errorQuery" : "totalQuery"})`,
      );
    } else if (errorQuery !== undefined && totalQuery !== undefined) {
      for (const [key, query] of [
        ["errorQuery", errorQuery],
        ["totalQuery", totalQuery],
      ] as const) {
        const queryPath = joinPath(at, key);
        if (!query.includes(WINDOW_PLACEHOLDER)) {
          add(
            queryPath,
            `must contain ${WINDOW_PLACEHOLDER} where the range goes, such as sum(rate(x[${WINDOW_PLACEHOLDER}])) (got ${show(query)})`,
          );
          continue;
        }
        const analysis = analyzePromql(query.split(WINDOW_PLACEHOLDER).join("5m"));
        for (const error of analysis.errors) add(queryPath, `is not valid PromQL: ${error} (got ${show(query)})`);
        for (const metric of analysis.metricNames) notInCatalog(queryPath, metric, "a series of the query");
      }
    } else if (metrics === undefined) {
      add(
        at,
        `needs the request metrics of ${decl.owner}: declare ${decl.requestMetricsPath} ({ requestsTotal, statusLabel }), or give errorQuery and totalQuery`,
      );
    } else {
      notInCatalog(joinPath(decl.requestMetricsPath, "requestsTotal"), metrics.requestsTotal, "the request counter");
    }
  }
  const latency = slo.latency;
  if (latency !== undefined) {
    const at = joinPath(path, "latency");
    objectiveProblems(joinPath(at, "objective"), latency.objective);
    windowProblems(joinPath(at, "window"), latency.window);
    const histogram = metrics?.durationHistogram;
    if (histogram === undefined) {
      add(
        at,
        `needs the request-duration histogram of ${decl.owner}: declare ${joinPath(decl.requestMetricsPath, "durationHistogram")} ({ name, bucketsSeconds })`,
      );
    } else {
      const histogramPath = joinPath(decl.requestMetricsPath, "durationHistogram");
      notInCatalog(joinPath(histogramPath, "name"), `${histogram.name}_bucket`, "the histogram's buckets");
      notInCatalog(joinPath(histogramPath, "name"), `${histogram.name}_count`, "the histogram's count");
      const threshold = latency.thresholdSeconds;
      if (!histogram.bucketsSeconds.includes(threshold)) {
        const bounds = histogram.bucketsSeconds.map((bound) => `${bound} (le="${prometheusFloat(bound)}")`).join(", ");
        add(
          joinPath(at, "thresholdSeconds"),
          `must be one of the bucket boundaries of ${histogram.name}, since the histogram counts nothing between two: ${bounds} (got ${show(threshold)})`,
        );
      }
    }
  }
  const minRequests = slo.minRequests;
  if (minRequests !== undefined && (!Number.isInteger(minRequests) || minRequests < 1)) {
    add(
      joinPath(path, "minRequests"),
      `must be a whole number of requests of at least 1: the alerts fire only with that many requests in their long window (got ${show(minRequests)})`,
    );
  }
  if (scrapeIntervalSeconds > MAX_SLO_SCRAPE_INTERVAL_SECONDS) {
    // Reported on the scrape interval, the setting out of range for this SLO (so the app names its variable).
    add(
      "scrapeIntervalSeconds",
      `must be at most ${MAX_SLO_SCRAPE_INTERVAL_SECONDS} s while ${decl.owner} declares SLOs (${path}): their shortest window (${formatSloDuration(SHORTEST_SLI_WINDOW_SECONDS)}) must span 4 scrape intervals so rate() has enough samples; lower the interval, or declare ${decl.owner} without slo (got ${scrapeIntervalSeconds})`,
    );
  }
  return problems;
}

/** Problems with a window scale: in (0, 1], every scaled window whole seconds and at least 4 scrape intervals. */
export function windowScaleProblems(path: string, scale: number, scrapeIntervalSeconds: number): ConfigProblem[] {
  const shortest = SHORTEST_SLI_WINDOW_SECONDS;
  const scaled = Object.values(SLI_WINDOWS).map((seconds) => seconds * scale);
  if (
    typeof scale !== "number" ||
    !(scale > 0 && scale <= 1) ||
    scaled.some((seconds) => Math.abs(seconds - Math.round(seconds)) > 1e-9) ||
    shortest * scale < 4 * scrapeIntervalSeconds
  ) {
    return [
      {
        path,
        message: `${path} must be in (0, 1], turn every SLO window into whole seconds and keep the shortest (${formatSloDuration(shortest)}) at least 4 scrape intervals (${4 * scrapeIntervalSeconds} s); it is meant for tests at a short scrape interval, such as 1/60 at 1 s (got ${show(scale)})`,
      },
    ];
  }
  return [];
}

/** A scaled window in Prometheus' notation. */
function scaledRange(seconds: number, scale: number): string {
  return formatSloDuration(Math.round(seconds * scale));
}

/** The labels every rule of an SLO carries. */
export function sloLabels(slo: ResolvedSlo): Record<string, string> {
  return { [SLO_LABELS.id]: slo.id, [SLO_LABELS.service]: slo.service, [SLO_LABELS.slo]: slo.kind };
}

/** The selector of one of an SLO's recorded series. */
export function sloSeries(series: string, slo: ResolvedSlo): string {
  const labels = sloLabels(slo);
  return `${series}{${Object.entries(labels)
    .map(([name, value]) => `${name}=${promqlString(value)}`)
    .join(", ")}}`;
}

/**
 * The group names of an SLO's rules, after sloth's. Unlike sloth, the SLI and meta recordings share one group: rules of
 * a group run in order on one evaluation, so the burn rates and the budget remaining are recorded with the SLI they
 * read (in two groups they lag it by an evaluation, and a dashboard opened right after the first traffic shows the
 * SLI without them).
 */
export function sloGroupNames(slo: ResolvedSlo): { recordings: string; alerts: string } {
  return {
    recordings: `sloth-slo-recordings-${slo.id}`,
    alerts: `sloth-slo-alerts-${slo.id}`,
  };
}

const SLO_MATCHING = `on(${SLO_LABELS.id}, ${SLO_LABELS.slo}, ${SLO_LABELS.service}) group_left`;

/** What the rules of one SLO read about its budget period. */
function periodSeconds(slo: ResolvedSlo): number {
  return slo.windowDays * 86400;
}

/** 14.4 × 0.001, as written in the alert expressions. */
function threshold(condition: BurnCondition, slo: ResolvedSlo): string {
  return `(${condition.factor} * ${slo.budget})`;
}

/** The rule groups of one SLO: the SLI and meta recordings, then the page and the ticket. */
export function renderSloGroups(slo: ResolvedSlo, ctx: SloRenderContext): RuleGroup[] {
  const scale = ctx.windowScale ?? 1;
  const labels = sloLabels(slo);
  const names = sloGroupNames(slo);
  const period = scaledRange(periodSeconds(slo), scale);
  const sli: RecordingRule[] = Object.entries(SLI_WINDOWS).map(([name, seconds]) => {
    const range = scaledRange(seconds, scale);
    return {
      record: sliErrorSeries(name),
      // No traffic in the window is no data, not NaN, so the period average below is not poisoned by 0/0.
      expr: `(${slo.errorQuery(range)})\n/\n(${slo.totalQuery(range)} > 0)`,
      labels: { ...labels, [SLO_LABELS.window]: range },
    };
  });
  const five = sloSeries(sliErrorSeries("5m"), slo);
  sli.push({
    record: sliErrorSeries(slo.window),
    // sloth's period SLI: the mean of the 5m error ratios over the period (cheap; not weighted by traffic).
    expr: `sum_over_time(${five}[${period}])\n/ ignoring (${SLO_LABELS.window})\ncount_over_time(${five}[${period}])`,
    // The SLO's labels too (sloth sets only the window): two SLOs in one file must not record the same labels.
    labels: { ...labels, [SLO_LABELS.window]: period },
  });
  const meta: RecordingRule[] = [
    { record: "slo:objective:ratio", expr: `vector(${slo.objective})`, labels: { ...labels } },
    { record: "slo:error_budget:ratio", expr: `vector(${slo.budget})`, labels: { ...labels } },
    { record: "slo:time_period:days", expr: `vector(${clean(slo.windowDays * scale)})`, labels: { ...labels } },
    {
      record: "slo:current_burn_rate:ratio",
      expr: `${five}\n/ ${SLO_MATCHING}\n${sloSeries("slo:error_budget:ratio", slo)}`,
      labels: { ...labels },
    },
    {
      record: "slo:period_burn_rate:ratio",
      expr: `${sloSeries(sliErrorSeries(slo.window), slo)}\n/ ${SLO_MATCHING}\n${sloSeries("slo:error_budget:ratio", slo)}`,
      labels: { ...labels },
    },
    {
      record: "slo:period_error_budget_remaining:ratio",
      expr: `1 - ${sloSeries("slo:period_burn_rate:ratio", slo)}`,
      labels: { ...labels },
    },
    {
      record: "sloth_slo_info",
      expr: "vector(1)",
      labels: { ...labels, [SLO_LABELS.objective]: String(slo.objectivePercent) },
    },
  ];
  const alert = (severity: "page" | "ticket"): AlertingRule => {
    const conditions = BURN_CONDITIONS[severity];
    const clauses = conditions.map((c) => {
      const longRange = scaledRange(SLI_WINDOWS[c.long], scale);
      const longSeconds = Math.round(SLI_WINDOWS[c.long] * scale);
      return [
        `  (`,
        `    ${sloSeries(sliErrorSeries(c.long), slo)} > ${threshold(c, slo)}`,
        `    and ignoring (${SLO_LABELS.window})`,
        `    ${sloSeries(sliErrorSeries(c.short), slo)} > ${threshold(c, slo)}`,
        // The low-traffic guard: enough requests in the long window for a ratio to mean something.
        `    and on ()`,
        `    ${slo.totalQuery(longRange)} * ${longSeconds} >= ${slo.minRequests}`,
        `  )`,
      ].join("\n");
    });
    const name = severity === "page" ? SLO_ALERT_NAMES.page : SLO_ALERT_NAMES.ticket;
    const spoken = conditions
      .map(
        (c) =>
          `${c.factor} × the budget over ${scaledRange(SLI_WINDOWS[c.long], scale)} and ${scaledRange(SLI_WINDOWS[c.short], scale)}`,
      )
      .join(", or above ");
    return {
      alert: name,
      expr: `max without (${SLO_LABELS.window}) (\n${clauses.join(`\n  or ignoring (${SLO_LABELS.window})\n`)}\n)`,
      for: formatDuration(minimumForSeconds(ctx.scrapeIntervalSeconds)),
      // The SLO's labels as well as those of its series, so the page of each SLO is its own rule (promtool's lint).
      labels: { severity: severity === "page" ? "critical" : "warning", [SLO_LABELS.severity]: severity, ...labels },
      annotations: {
        summary: `${slo.service} is burning its ${slo.kind} error budget ${severity === "page" ? "fast" : "steadily"} (objective ${slo.objectivePercent}% over ${slo.window})`,
        description: `The ${slo.kind} SLO of ${slo.service} (${describeSli(slo)}) has an error ratio of {{ $value | humanizePercentage }} over its long window, against a budget of ${clean(slo.budget * 100)}%: it is above ${spoken} (alerting only with at least ${slo.minRequests} requests in the long window).`,
        ...runbookAnnotations(name, ctx.runbookBaseUrl),
      },
    };
  };
  return [
    { name: names.recordings, rules: [...sli, ...meta] },
    { name: names.alerts, rules: [alert("page"), alert("ticket")] },
  ];
}

/** One line on what counts as an error. */
function describeSli(slo: ResolvedSlo): string {
  if (slo.kind === "latency") return `requests slower than ${slo.thresholdSeconds} s, le="${slo.thresholdLe}"`;
  return slo.fromRequestMetrics ? "requests answered with a 5xx status" : "the events of its error query";
}

/** The rule file of a declaration: the groups of every SLO it declares. */
export function renderSloRules(decl: SloDeclaration, ctx: SloRenderContext): RulesDocument {
  return { groups: resolveSlos(decl).flatMap((slo) => renderSloGroups(slo, ctx)) };
}

/** The rule file name of an owner's SLOs: `rules/slo-<owner>.yml`. */
export function sloRuleFileName(owner: string): string {
  return `slo-${owner}`;
}
