/**
 * The demo API's alert rules as a pure renderer: its job, the scrape interval and thresholds in, the rule file document
 * (`rules/api.yml`) out. Both alerts count user traffic only (the endpoints serving probes and scrapes are left out)
 * and stay quiet below a minimum traffic, where a ratio or a quantile is computed from too few requests.
 */
import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS } from "@monitoring-stack/api/contract";
import { HISTOGRAM_LABELS, TARGET_LABELS } from "../../dashboards/metrics";
import { promqlString, regexAlternation } from "../../dashboards/promql";
import {
  AlertingRule,
  AlertRulesDocument,
  durationProblems,
  minimumForSeconds,
  minimumRateWindowSeconds,
  runbookAnnotations,
} from "../core/rules";
import { ConfigProblem, checkNumberBetween, checkPositive, formatDuration, joinPath } from "../core/validation";

/** The name of every API alert; runbook anchors and tests derive from these. */
export const API_ALERT_NAMES = {
  /** The API answers too many user requests with a 5xx status. */
  apiHighErrorRatio: "ApiHighErrorRatio",
  /** The API's p95 request latency is above the threshold. */
  apiHighLatencyP95: "ApiHighLatencyP95",
} as const;

/** The quantile the latency alert watches. */
export const API_LATENCY_QUANTILE = 0.95;

/**
 * Thresholds of the API alerts, all optional. Durations are whole seconds; omitted ones default to the larger of
 * their fixed default ({@link DEFAULT_API_ALERT_THRESHOLDS}) and the minimum the scrape interval allows.
 */
export interface ApiAlertThresholds {
  /** Share of user requests answered with a 5xx status above which ApiHighErrorRatio fires; in (0, 1). @default DEFAULT_API_ALERT_THRESHOLDS.errorRatio */
  readonly errorRatio?: number;
  /**
   * Minimum user traffic, in requests per second over the rate window, for either alert to fire: below it a ratio or a
   * quantile is computed from too few requests (1 failed request out of 2 is 50%). @default DEFAULT_API_ALERT_THRESHOLDS.minRequestsPerSecond
   */
  readonly minRequestsPerSecond?: number;
  /** p95 request latency, in seconds, above which ApiHighLatencyP95 fires. @default DEFAULT_API_ALERT_THRESHOLDS.latencyP95Seconds */
  readonly latencyP95Seconds?: number;
  /** Window of `rate()` in both alerts. @default DEFAULT_API_ALERT_THRESHOLDS.rateWindowSeconds, or 4 scrape intervals */
  readonly rateWindowSeconds?: number;
  /** How long the 5xx ratio must stay above the threshold. @default DEFAULT_API_ALERT_THRESHOLDS.errorRatioForSeconds, or 2 scrape intervals */
  readonly errorRatioForSeconds?: number;
  /** How long p95 latency must stay above the threshold. @default DEFAULT_API_ALERT_THRESHOLDS.latencyForSeconds, or 2 scrape intervals */
  readonly latencyForSeconds?: number;
}

/** The fixed defaults of {@link ApiAlertThresholds}, before durations are raised to the scrape interval's minimum. */
export const DEFAULT_API_ALERT_THRESHOLDS: Required<ApiAlertThresholds> = {
  errorRatio: 0.05,
  minRequestsPerSecond: 0.1,
  latencyP95Seconds: 0.5,
  rateWindowSeconds: 300,
  errorRatioForSeconds: 120,
  latencyForSeconds: 300,
};

/** What the API rules are rendered from. */
export interface ApiRulesInput {
  /** The API's job. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  /** @default DEFAULT_API_ALERT_THRESHOLDS, durations raised to the minimum */
  readonly thresholds?: ApiAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation */
  readonly runbookBaseUrl?: string;
}

/** Every threshold with a value: given ones as they are, omitted ones from the defaults raised to the minimum. */
export function resolveApiAlertThresholds(
  thresholds: ApiAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<ApiAlertThresholds> {
  const given = thresholds ?? {};
  const d = DEFAULT_API_ALERT_THRESHOLDS;
  const minFor = minimumForSeconds(scrapeIntervalSeconds);
  return {
    errorRatio: given.errorRatio ?? d.errorRatio,
    minRequestsPerSecond: given.minRequestsPerSecond ?? d.minRequestsPerSecond,
    latencyP95Seconds: given.latencyP95Seconds ?? d.latencyP95Seconds,
    rateWindowSeconds:
      given.rateWindowSeconds ?? Math.max(d.rateWindowSeconds, minimumRateWindowSeconds(scrapeIntervalSeconds)),
    errorRatioForSeconds: given.errorRatioForSeconds ?? Math.max(d.errorRatioForSeconds, minFor),
    latencyForSeconds: given.latencyForSeconds ?? Math.max(d.latencyForSeconds, minFor),
  };
}

/** Every problem with the thresholds, named under `path` (`api.thresholds`), with the alert each one affects. */
export function apiAlertThresholdProblems(
  path: string,
  thresholds: ApiAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const given = thresholds ?? {};
  const a = API_ALERT_NAMES;
  const withAlert = (alerts: string) => (problem: ConfigProblem) => ({
    path: problem.path,
    message: `${problem.message}; it is a threshold of ${alerts}`,
  });
  return [
    ...(given.errorRatio !== undefined
      ? checkNumberBetween(joinPath(path, "errorRatio"), given.errorRatio, 0, 1).map(withAlert(a.apiHighErrorRatio))
      : []),
    ...(given.minRequestsPerSecond !== undefined
      ? checkPositive(joinPath(path, "minRequestsPerSecond"), given.minRequestsPerSecond).map(
          withAlert(`${a.apiHighErrorRatio} and ${a.apiHighLatencyP95}`),
        )
      : []),
    ...(given.latencyP95Seconds !== undefined
      ? checkPositive(joinPath(path, "latencyP95Seconds"), given.latencyP95Seconds).map(withAlert(a.apiHighLatencyP95))
      : []),
    ...durationProblems(path, scrapeIntervalSeconds, [
      {
        key: "rateWindowSeconds",
        value: given.rateWindowSeconds,
        alerts: `${a.apiHighErrorRatio} and ${a.apiHighLatencyP95}`,
        kind: "window",
      },
      { key: "errorRatioForSeconds", value: given.errorRatioForSeconds, alerts: a.apiHighErrorRatio, kind: "for" },
      { key: "latencyForSeconds", value: given.latencyForSeconds, alerts: a.apiHighLatencyP95, kind: "for" },
    ]),
  ];
}

// 0.05 -> "5%"; toPrecision drops float noise such as 0.07 * 100 = 7.000000000000001.
function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

// 0.5 -> "500ms", 2 -> "2s".
function seconds(value: number): string {
  return value < 1 ? `${Number((value * 1000).toPrecision(12))}ms` : `${Number(value.toPrecision(12))}s`;
}

/** Renders `rules/api.yml`: group `api` with ApiHighErrorRatio and ApiHighLatencyP95. */
export function renderApiAlertRules(input: ApiRulesInput): AlertRulesDocument {
  const t = resolveApiAlertThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const runbook = (alert: string) => runbookAnnotations(alert, input.runbookBaseUrl);
  const window = formatDuration(t.rateWindowSeconds);
  const minRate = t.minRequestsPerSecond;
  const { job } = TARGET_LABELS;
  const { le } = HISTOGRAM_LABELS;
  const excluded = NON_TRAFFIC_ENDPOINTS.join(", ");
  const traffic = `${HTTP_LABELS.endpoint}!~${promqlString(regexAlternation(NON_TRAFFIC_ENDPOINTS))}`;
  const apiJob = `${job}=${promqlString(input.jobName)}`;
  const requests = HTTP_METRICS.requestsTotal.name;
  const duration = HTTP_METRICS.requestDurationSeconds.name;
  const allRequestsRate = `sum by (${job}) (rate(${requests}{${apiJob},${traffic}}[${window}]))`;
  const a = API_ALERT_NAMES;

  const apiHighErrorRatio: AlertingRule = {
    alert: a.apiHighErrorRatio,
    expr: [
      `sum by (${job}) (rate(${requests}{${apiJob},${HTTP_LABELS.status}=~"5..",${traffic}}[${window}]))`,
      `/`,
      allRequestsRate,
      `> ${t.errorRatio}`,
      // The guard: a ratio over a handful of requests is noise (1 failed request out of 2 is 50%).
      `and`,
      `${allRequestsRate} >= ${minRate}`,
    ].join("\n"),
    for: formatDuration(t.errorRatioForSeconds),
    labels: { severity: "critical" },
    annotations: {
      summary: `The API answers more than ${percent(t.errorRatio)} of requests with a 5xx status`,
      description: `{{ $value | humanizePercentage }} of the requests to job {{ $labels.job }} failed with a 5xx status over the last ${window} (threshold ${percent(t.errorRatio)}, checked only while traffic is at least ${minRate} req/s; ${excluded} are not counted).`,
      ...runbook(a.apiHighErrorRatio),
    },
  };

  const apiHighLatencyP95: AlertingRule = {
    alert: a.apiHighLatencyP95,
    expr: [
      `histogram_quantile(${API_LATENCY_QUANTILE}, sum by (${job}, ${le}) (rate(${duration}_bucket{${apiJob},${traffic}}[${window}])))`,
      `> ${t.latencyP95Seconds}`,
      // Same guard as the error ratio: one slow request in a quiet window is not a latency problem.
      `and`,
      `sum by (${job}) (rate(${duration}_count{${apiJob},${traffic}}[${window}])) >= ${minRate}`,
    ].join("\n"),
    for: formatDuration(t.latencyForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `The API's p95 latency is above ${seconds(t.latencyP95Seconds)}`,
      description: `The p95 latency of job {{ $labels.job }} is {{ $value | humanizeDuration }} over the last ${window} (threshold ${seconds(t.latencyP95Seconds)}, checked only while traffic is at least ${minRate} req/s; ${excluded} are not counted).`,
      ...runbook(a.apiHighLatencyP95),
    },
  };

  return { groups: [{ name: "api", rules: [apiHighErrorRatio, apiHighLatencyP95] }] };
}
