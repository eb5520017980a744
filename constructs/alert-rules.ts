import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS } from "@monitoring-stack/api/contract";
import { promqlString, regexAlternation } from "../dashboards/promql";
import { PROMETHEUS_LABELS, PROMETHEUS_METRICS, SCRAPE_METRICS, TARGET_LABELS } from "../dashboards/self-metrics";
import {
  ConfigProblem,
  checkNumberBetween,
  checkPositive,
  formatDuration,
  joinPath,
  show,
  throwIfProblems,
} from "./validation";

/**
 * The stack's alert rules as a pure renderer: deployed jobs, scrape interval and thresholds in, the Prometheus rule
 * file document (`{ groups: [...] }`) out. No cdktf import; the Prometheus construct serializes the result with
 * `toGeneratedYaml` and bakes it into its image as {@link ALERT_RULES_FILE} next to prometheus.yml.
 *
 * Durations are configured in seconds. A `for:` duration is never shorter than {@link FOR_SCRAPE_INTERVALS} scrape
 * intervals (one missed scrape must not fire an alert) and a rate window never shorter than
 * {@link RATE_WINDOW_SCRAPE_INTERVALS} scrape intervals (`rate()` needs several samples, and survives a missed one).
 * Omitted durations default to the larger of their fixed default and that minimum; durations set explicitly below the
 * minimum are reported by {@link alertRulesProblems}.
 */

/** The rule file's name for `Prometheus.addRuleFile(name, document)`, which bakes it in as `rules/<name>.yml`. */
export const ALERT_RULES_NAME = "alerts";

/** Where prometheus.yml lists the rule file (`rule_files`), relative to prometheus.yml's own directory. */
export const ALERT_RULES_FILE = `rules/${ALERT_RULES_NAME}.yml`;

/** The name of every alert the stack defines; runbook anchors and tests derive from these. */
export const ALERT_NAMES = {
  /** A deployed scrape target has been down (`up == 0`); one alert per down target, covering exactly the deployed jobs. */
  targetDown: "TargetDown",
  /** The API answers too many user requests with a 5xx status. */
  apiHighErrorRatio: "ApiHighErrorRatio",
  /** The API's p95 request latency is above the threshold. */
  apiHighLatencyP95: "ApiHighLatencyP95",
  /** Prometheus fails to evaluate rules. */
  prometheusRuleEvaluationFailures: "PrometheusRuleEvaluationFailures",
  /** Prometheus' last configuration reload failed. */
  prometheusConfigReloadFailed: "PrometheusConfigReloadFailed",
  /** Always fires: proves rules are evaluated and alerts are delivered. */
  watchdog: "Watchdog",
} as const;

/** One of the alert names in {@link ALERT_NAMES}. */
export type AlertName = (typeof ALERT_NAMES)[keyof typeof ALERT_NAMES];

/** How urgent an alert is; Alertmanager routes on it. `none` is for the Watchdog, which is not a problem. */
export type AlertSeverity = "critical" | "warning" | "none";

/** A `for:` duration must span at least this many scrape intervals, so a single missed scrape never fires. */
export const FOR_SCRAPE_INTERVALS = 2;

/** A rate window must span at least this many scrape intervals (the same rule as Grafana's `$__rate_interval`). */
export const RATE_WINDOW_SCRAPE_INTERVALS = 4;

/** The longest `for:` duration or rate window accepted, in seconds (one day). */
export const MAX_ALERT_DURATION_SECONDS = 86_400;

/** The quantile the latency alert watches. */
export const API_LATENCY_QUANTILE = 0.95;

/**
 * Thresholds of the alert rules, all optional; the stack config passes them through.
 *
 * Durations are whole seconds. Omitted durations default to the larger of their fixed default and the minimum the
 * scrape interval allows ({@link FOR_SCRAPE_INTERVALS} or {@link RATE_WINDOW_SCRAPE_INTERVALS} scrape intervals).
 */
export interface AlertThresholds {
  /**
   * Share of the API's user requests answered with a 5xx status above which ApiHighErrorRatio fires; in (0, 1).
   * @default 0.05 (5%)
   */
  readonly apiErrorRatio?: number;
  /**
   * Minimum user traffic, in requests per second over the rate window, for ApiHighErrorRatio and ApiHighLatencyP95
   * to fire: below it a ratio or a quantile is computed from too few requests (1 failed request out of 2 is 50%).
   * @default 0.1 (30 requests in a 5-minute window)
   */
  readonly apiMinRequestsPerSecond?: number;
  /**
   * p95 request latency of the API, in seconds, above which ApiHighLatencyP95 fires.
   * @default 0.5
   */
  readonly apiLatencyP95Seconds?: number;
  /**
   * Window of `rate()`/`increase()` in the API and rule-failure alerts, in seconds.
   * @default 300 (5m), or 4 scrape intervals when that is longer
   */
  readonly rateWindowSeconds?: number;
  /**
   * How long a target must stay down before TargetDown fires, in seconds.
   * @default 60 (1m), or 2 scrape intervals when that is longer
   */
  readonly targetDownForSeconds?: number;
  /**
   * How long the 5xx ratio must stay above the threshold before ApiHighErrorRatio fires, in seconds.
   * @default 120 (2m), or 2 scrape intervals when that is longer
   */
  readonly apiErrorRatioForSeconds?: number;
  /**
   * How long p95 latency must stay above the threshold before ApiHighLatencyP95 fires, in seconds.
   * @default 300 (5m), or 2 scrape intervals when that is longer
   */
  readonly apiLatencyForSeconds?: number;
  /**
   * How long rule evaluations must keep failing before PrometheusRuleEvaluationFailures fires, in seconds.
   * @default 300 (5m), or 2 scrape intervals when that is longer
   */
  readonly prometheusRuleFailuresForSeconds?: number;
  /**
   * How long a failed configuration reload must persist before PrometheusConfigReloadFailed fires, in seconds.
   * @default 300 (5m), or 2 scrape intervals when that is longer
   */
  readonly prometheusConfigReloadForSeconds?: number;
}

/** Every threshold with a value: what {@link resolveAlertThresholds} returns and the rules are rendered from. */
export type ResolvedAlertThresholds = Required<AlertThresholds>;

/** The fixed defaults of {@link AlertThresholds}, before durations are raised to the scrape interval's minimum. */
export const DEFAULT_ALERT_THRESHOLDS: ResolvedAlertThresholds = {
  apiErrorRatio: 0.05,
  apiMinRequestsPerSecond: 0.1,
  apiLatencyP95Seconds: 0.5,
  rateWindowSeconds: 300,
  targetDownForSeconds: 60,
  apiErrorRatioForSeconds: 120,
  apiLatencyForSeconds: 300,
  prometheusRuleFailuresForSeconds: 300,
  prometheusConfigReloadForSeconds: 300,
};

/**
 * Where an alert's runbook is, as text every alert carries in its `runbook` annotation: the README section, which
 * Prometheus' and Alertmanager's UIs show as it is. A relative link (`README.md#...`) would not open from either UI,
 * so `runbook_url` is only set from an absolute {@link AlertRulesInput.runbookBaseUrl}.
 */
export function runbookLocation(alertName: AlertName): string {
  return `README.md, section "Runbook: ${alertName}"`;
}

/** Everything the rule file is rendered from; built by the Prometheus construct from what the stack deploys. */
export interface AlertRulesInput {
  /** Job names of the deployed scrape targets; TargetDown covers exactly these. */
  readonly jobNames: readonly string[];
  /**
   * Job name of the API's scrape target; the API alerts (group `api`) select it. Must be one of `jobNames`.
   * @default no API alerts (the stack renders them in their own file through `apiAlertRules`)
   */
  readonly apiJobName?: string;
  /** Job name under which Prometheus scrapes itself; its self-monitoring alerts select it. Must be one of `jobNames`. */
  readonly prometheusJobName: string;
  /** Prometheus' scrape interval in seconds; sets the minimum `for:` durations and rate windows. */
  readonly scrapeIntervalSeconds: number;
  /** Alert thresholds and durations. @default {@link DEFAULT_ALERT_THRESHOLDS}, durations raised to the minimum */
  readonly thresholds?: AlertThresholds;
  /**
   * Absolute http(s) prefix of every rule's `runbook_url`; the lowercase alert name is appended, which matches the
   * README's `### Runbook: <AlertName>` anchors, so the README's URL in your repository host plus `#runbook-` gives
   * clickable links (`https://git.example.com/acme/monitoring/blob/main/README.md#runbook-`).
   * @default none: no `runbook_url`; every alert's `runbook` annotation names its README section
   */
  readonly runbookBaseUrl?: string;
}

/** The annotations every alert carries. */
export interface AlertAnnotations {
  /** One line: what is wrong. */
  readonly summary: string;
  /** What is wrong, with the measured value and the threshold. */
  readonly description: string;
  /**
   * Where the alert's runbook is, as text: the stack's own rules name their README section ({@link runbookLocation}).
   * @default none (a user's rule may link its runbook with `runbook_url` instead)
   */
  readonly runbook?: string;
  /** Link to the alert's runbook section; only with an absolute `runbookBaseUrl`. */
  readonly runbook_url?: string;
}

/** One alerting rule, with keys in the order Prometheus documents them. */
export interface AlertingRule {
  /** The alert's name; {@link ALERT_NAMES} for the stack's own, any name for a user's. */
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: AlertSeverity };
  readonly annotations: AlertAnnotations;
}

/** One rule group. */
export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}

/** The rule file document as Prometheus reads it. */
export interface AlertRulesDocument {
  readonly groups: readonly AlertRuleGroup[];
}

/** Resolves every threshold: given values as they are, omitted ones from the defaults raised to the minimum. */
export function resolveAlertThresholds(
  thresholds: AlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ResolvedAlertThresholds {
  const given = thresholds ?? {};
  const defaults = DEFAULT_ALERT_THRESHOLDS;
  const minFor = minimumForSeconds(scrapeIntervalSeconds);
  return {
    apiErrorRatio: given.apiErrorRatio ?? defaults.apiErrorRatio,
    apiMinRequestsPerSecond: given.apiMinRequestsPerSecond ?? defaults.apiMinRequestsPerSecond,
    apiLatencyP95Seconds: given.apiLatencyP95Seconds ?? defaults.apiLatencyP95Seconds,
    rateWindowSeconds:
      given.rateWindowSeconds ?? Math.max(defaults.rateWindowSeconds, minimumRateWindowSeconds(scrapeIntervalSeconds)),
    targetDownForSeconds: given.targetDownForSeconds ?? Math.max(defaults.targetDownForSeconds, minFor),
    apiErrorRatioForSeconds: given.apiErrorRatioForSeconds ?? Math.max(defaults.apiErrorRatioForSeconds, minFor),
    apiLatencyForSeconds: given.apiLatencyForSeconds ?? Math.max(defaults.apiLatencyForSeconds, minFor),
    prometheusRuleFailuresForSeconds:
      given.prometheusRuleFailuresForSeconds ?? Math.max(defaults.prometheusRuleFailuresForSeconds, minFor),
    prometheusConfigReloadForSeconds:
      given.prometheusConfigReloadForSeconds ?? Math.max(defaults.prometheusConfigReloadForSeconds, minFor),
  };
}

/** The shortest `for:` duration the scrape interval allows, in seconds. */
export function minimumForSeconds(scrapeIntervalSeconds: number): number {
  return FOR_SCRAPE_INTERVALS * scrapeIntervalSeconds;
}

/** The shortest rate window the scrape interval allows, in seconds. */
export function minimumRateWindowSeconds(scrapeIntervalSeconds: number): number {
  return RATE_WINDOW_SCRAPE_INTERVALS * scrapeIntervalSeconds;
}

/** The `runbook_url` of an alert: the base URL plus the lowercase alert name. */
export function runbookUrl(alertName: AlertName, runbookBaseUrl: string): string {
  return `${runbookBaseUrl}${alertName.toLowerCase()}`;
}

// Which alert each duration belongs to, so a message can say what a bad value would break.
const DURATIONS: readonly {
  readonly key: keyof AlertThresholds;
  readonly alerts: string;
  readonly kind: "for" | "window";
}[] = [
  {
    key: "rateWindowSeconds",
    alerts: `${ALERT_NAMES.apiHighErrorRatio}, ${ALERT_NAMES.apiHighLatencyP95} and ${ALERT_NAMES.prometheusRuleEvaluationFailures}`,
    kind: "window",
  },
  { key: "targetDownForSeconds", alerts: ALERT_NAMES.targetDown, kind: "for" },
  { key: "apiErrorRatioForSeconds", alerts: ALERT_NAMES.apiHighErrorRatio, kind: "for" },
  { key: "apiLatencyForSeconds", alerts: ALERT_NAMES.apiHighLatencyP95, kind: "for" },
  { key: "prometheusRuleFailuresForSeconds", alerts: ALERT_NAMES.prometheusRuleEvaluationFailures, kind: "for" },
  { key: "prometheusConfigReloadForSeconds", alerts: ALERT_NAMES.prometheusConfigReloadFailed, kind: "for" },
];

/**
 * Every problem with the input; an empty list means {@link renderAlertRules} renders a valid rule file.
 *
 * `path` is where the input sits in the stack config (`prometheus.alerts`), so messages name the setting as the user
 * wrote it, its value, the rule and the alert it affects.
 */
export function alertRulesProblems(input: AlertRulesInput, path = ""): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const scrapePath = joinPath(path, "scrapeIntervalSeconds");
  const scrapeIsValid =
    Number.isInteger(input.scrapeIntervalSeconds) &&
    input.scrapeIntervalSeconds >= 1 &&
    input.scrapeIntervalSeconds <= 3600;
  if (!scrapeIsValid) {
    problems.push({
      path: scrapePath,
      message: `${scrapePath} must be an integer between 1 and 3600; the alerts' for: durations and rate windows are derived from it (got ${show(input.scrapeIntervalSeconds)})`,
    });
  }

  problems.push(...jobProblems(input, path));

  const thresholdsPath = joinPath(path, "thresholds");
  const given = input.thresholds ?? {};
  const withAlert = (alerts: string) => (problem: ConfigProblem) => ({
    path: problem.path,
    message: `${problem.message}; it is a threshold of ${alerts}`,
  });
  if (given.apiErrorRatio !== undefined) {
    problems.push(
      ...checkNumberBetween(joinPath(thresholdsPath, "apiErrorRatio"), given.apiErrorRatio, 0, 1).map(
        withAlert(ALERT_NAMES.apiHighErrorRatio),
      ),
    );
  }
  if (given.apiMinRequestsPerSecond !== undefined) {
    problems.push(
      ...checkPositive(joinPath(thresholdsPath, "apiMinRequestsPerSecond"), given.apiMinRequestsPerSecond).map(
        withAlert(`${ALERT_NAMES.apiHighErrorRatio} and ${ALERT_NAMES.apiHighLatencyP95}`),
      ),
    );
  }
  if (given.apiLatencyP95Seconds !== undefined) {
    problems.push(
      ...checkPositive(joinPath(thresholdsPath, "apiLatencyP95Seconds"), given.apiLatencyP95Seconds).map(
        withAlert(ALERT_NAMES.apiHighLatencyP95),
      ),
    );
  }

  for (const duration of DURATIONS) {
    const value = given[duration.key];
    if (value === undefined) continue;
    const settingPath = joinPath(thresholdsPath, duration.key);
    const multiple = duration.kind === "for" ? FOR_SCRAPE_INTERVALS : RATE_WINDOW_SCRAPE_INTERVALS;
    // Without a valid scrape interval the minimum is unknown; the scrape interval's own problem is reported above.
    const minimum = scrapeIsValid ? multiple * input.scrapeIntervalSeconds : 1;
    if (!Number.isInteger(value) || value < minimum || value > MAX_ALERT_DURATION_SECONDS) {
      const why =
        duration.kind === "for"
          ? `the for: duration of ${duration.alerts} must span at least ${multiple} scrape intervals (${multiple} × ${input.scrapeIntervalSeconds}s) so one missed scrape cannot fire it`
          : `the rate window of ${duration.alerts} must span at least ${multiple} scrape intervals (${multiple} × ${input.scrapeIntervalSeconds}s) so rate() always has enough samples`;
      problems.push({
        path: settingPath,
        message: `${settingPath} must be a whole number of seconds between ${minimum} and ${MAX_ALERT_DURATION_SECONDS}; ${why} (got ${show(value)})`,
      });
    }
  }

  const runbookBaseUrl = input.runbookBaseUrl;
  if (runbookBaseUrl !== undefined && !isAbsoluteHttpUrl(runbookBaseUrl)) {
    const runbookPath = joinPath(path, "runbookBaseUrl");
    problems.push({
      path: runbookPath,
      message: `${runbookPath} must be an absolute http(s) URL prefix without spaces, such as "https://git.example.com/acme/monitoring/blob/main/README.md#runbook-", so Prometheus and Alertmanager can open every alert's runbook_url (this prefix plus the lowercase alert name); leave it unset for no link (got ${show(runbookBaseUrl)})`,
    });
  }
  return problems;
}

function isAbsoluteHttpUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function jobProblems(input: AlertRulesInput, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const jobsPath = joinPath(path, "jobNames");
  if (input.jobNames.length === 0) {
    problems.push({
      path: jobsPath,
      message: `${jobsPath} must list at least one deployed scrape job; ${ALERT_NAMES.targetDown} watches exactly these jobs (got [])`,
    });
  }
  const seen = new Set<string>();
  for (const job of input.jobNames) {
    if (job.trim() === "") {
      problems.push({
        path: jobsPath,
        message: `${jobsPath} must not contain an empty job name (got ${show(input.jobNames)})`,
      });
    } else if (seen.has(job)) {
      problems.push({
        path: jobsPath,
        message: `${jobsPath} lists ${show(job)} twice; ${ALERT_NAMES.targetDown} needs each deployed job once (got ${show(input.jobNames)})`,
      });
    }
    seen.add(job);
  }
  const roles: readonly { readonly key: "apiJobName" | "prometheusJobName"; readonly alerts: string }[] = [
    { key: "apiJobName", alerts: `${ALERT_NAMES.apiHighErrorRatio} and ${ALERT_NAMES.apiHighLatencyP95}` },
    {
      key: "prometheusJobName",
      alerts: `${ALERT_NAMES.prometheusRuleEvaluationFailures} and ${ALERT_NAMES.prometheusConfigReloadFailed}`,
    },
  ];
  for (const role of roles) {
    const job = input[role.key];
    if (job !== undefined && !input.jobNames.includes(job)) {
      const rolePath = joinPath(path, role.key);
      problems.push({
        path: rolePath,
        message: `${rolePath} must be one of the deployed jobs ${show(input.jobNames)}, or ${role.alerts} would query a job that is never scraped and never fire (got ${show(job)})`,
      });
    }
  }
  return problems;
}

/**
 * Renders the rule file: groups `targets` (TargetDown over the deployed jobs, sorted by name), `api`, `prometheus`
 * and `meta` (Watchdog), always in that order, so the same input gives a byte-identical file.
 *
 * @throws ConfigError listing every problem {@link alertRulesProblems} finds, rather than rendering rules that
 *   would never fire.
 */
export function renderAlertRules(input: AlertRulesInput): AlertRulesDocument {
  throwIfProblems("Alert rules", alertRulesProblems(input));
  const t = resolveAlertThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const runbookBaseUrl = input.runbookBaseUrl;
  // Spread last into each rule's annotations: the runbook's README section always, a link only from an absolute base.
  const runbook = (alert: AlertName): Pick<AlertAnnotations, "runbook" | "runbook_url"> =>
    runbookBaseUrl === undefined
      ? { runbook: runbookLocation(alert) }
      : { runbook: runbookLocation(alert), runbook_url: runbookUrl(alert, runbookBaseUrl) };
  const window = formatDuration(t.rateWindowSeconds);
  const minRate = t.apiMinRequestsPerSecond;
  const { job, instance } = TARGET_LABELS;
  const { le, ruleGroup } = PROMETHEUS_LABELS;
  const excluded = NON_TRAFFIC_ENDPOINTS.join(", ");
  const traffic = `${HTTP_LABELS.endpoint}!~${promqlString(regexAlternation(NON_TRAFFIC_ENDPOINTS))}`;
  const apiJob = `${job}=${promqlString(input.apiJobName ?? "")}`;
  const prometheusJob = `${job}=${promqlString(input.prometheusJobName)}`;
  const requests = HTTP_METRICS.requestsTotal.name;
  const duration = HTTP_METRICS.requestDurationSeconds.name;
  const allRequestsRate = `sum by (${job}) (rate(${requests}{${apiJob},${traffic}}[${window}]))`;

  // One rule for exactly the deployed jobs (promtool's duplicate-rules lint rejects one rule per job with equal
  // labels); it still fires one alert per down target, labelled with its job and instance.
  const deployedJobs = `${job}=~${promqlString(regexAlternation([...input.jobNames].sort()))}`;
  const targetDown: AlertingRule = {
    alert: ALERT_NAMES.targetDown,
    expr: `${SCRAPE_METRICS.up.name}{${deployedJobs}} == 0`,
    for: formatDuration(t.targetDownForSeconds),
    labels: { severity: "critical" },
    annotations: {
      summary: `Target {{ $labels.instance }} of job {{ $labels.job }} is down`,
      description: `Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for at least ${formatDuration(t.targetDownForSeconds)}: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data.`,
      ...runbook(ALERT_NAMES.targetDown),
    },
  };

  const apiHighErrorRatio: AlertingRule = {
    alert: ALERT_NAMES.apiHighErrorRatio,
    expr: [
      `sum by (${job}) (rate(${requests}{${apiJob},${HTTP_LABELS.status}=~"5..",${traffic}}[${window}]))`,
      `/`,
      allRequestsRate,
      `> ${t.apiErrorRatio}`,
      // The guard: a ratio over a handful of requests is noise (1 failed request out of 2 is 50%).
      `and`,
      `${allRequestsRate} >= ${minRate}`,
    ].join("\n"),
    for: formatDuration(t.apiErrorRatioForSeconds),
    labels: { severity: "critical" },
    annotations: {
      summary: `The API answers more than ${percent(t.apiErrorRatio)} of requests with a 5xx status`,
      description: `{{ $value | humanizePercentage }} of the requests to job {{ $labels.job }} failed with a 5xx status over the last ${window} (threshold ${percent(t.apiErrorRatio)}, checked only while traffic is at least ${minRate} req/s; ${excluded} are not counted).`,
      ...runbook(ALERT_NAMES.apiHighErrorRatio),
    },
  };

  const apiHighLatencyP95: AlertingRule = {
    alert: ALERT_NAMES.apiHighLatencyP95,
    expr: [
      `histogram_quantile(${API_LATENCY_QUANTILE}, sum by (${job}, ${le}) (rate(${duration}_bucket{${apiJob},${traffic}}[${window}])))`,
      `> ${t.apiLatencyP95Seconds}`,
      // Same guard as the error ratio: one slow request in a quiet window is not a latency problem.
      `and`,
      `sum by (${job}) (rate(${duration}_count{${apiJob},${traffic}}[${window}])) >= ${minRate}`,
    ].join("\n"),
    for: formatDuration(t.apiLatencyForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `The API's p95 latency is above ${seconds(t.apiLatencyP95Seconds)}`,
      description: `The p95 latency of job {{ $labels.job }} is {{ $value | humanizeDuration }} over the last ${window} (threshold ${seconds(t.apiLatencyP95Seconds)}, checked only while traffic is at least ${minRate} req/s; ${excluded} are not counted).`,
      ...runbook(ALERT_NAMES.apiHighLatencyP95),
    },
  };

  const prometheusRuleEvaluationFailures: AlertingRule = {
    alert: ALERT_NAMES.prometheusRuleEvaluationFailures,
    expr: `sum by (${job}, ${instance}, ${ruleGroup}) (increase(${PROMETHEUS_METRICS.ruleEvaluationFailuresTotal.name}{${prometheusJob}}[${window}])) > 0`,
    for: formatDuration(t.prometheusRuleFailuresForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `Prometheus fails to evaluate rule group {{ $labels.rule_group }}`,
      description: `{{ $labels.instance }} failed {{ $value | humanize }} rule evaluations in group {{ $labels.rule_group }} over the last ${window}; alerts of that group may not fire. The Prometheus log names the rule and the error.`,
      ...runbook(ALERT_NAMES.prometheusRuleEvaluationFailures),
    },
  };

  const prometheusConfigReloadFailed: AlertingRule = {
    alert: ALERT_NAMES.prometheusConfigReloadFailed,
    expr: `${PROMETHEUS_METRICS.configLastReloadSuccessful.name}{${prometheusJob}} == 0`,
    for: formatDuration(t.prometheusConfigReloadForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `Prometheus {{ $labels.instance }} failed to reload its configuration`,
      description: `The last configuration reload of {{ $labels.instance }} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.`,
      ...runbook(ALERT_NAMES.prometheusConfigReloadFailed),
    },
  };

  const watchdog: AlertingRule = {
    alert: ALERT_NAMES.watchdog,
    expr: "vector(1)",
    // Fires at the first evaluation: its absence, not its presence, is the signal.
    for: formatDuration(0),
    labels: { severity: "none" },
    annotations: {
      summary: "Alerting pipeline heartbeat: this alert always fires",
      description:
        "Watchdog fires all the time to prove that Prometheus evaluates the alert rules and delivers alerts. If it is missing from Prometheus' Alerts page (or from Alertmanager), alerting is broken and no other alert can be trusted.",
      ...runbook(ALERT_NAMES.watchdog),
    },
  };

  return {
    groups: [
      { name: "targets", rules: [targetDown] },
      ...(input.apiJobName !== undefined ? [{ name: "api", rules: [apiHighErrorRatio, apiHighLatencyP95] }] : []),
      { name: "prometheus", rules: [prometheusRuleEvaluationFailures, prometheusConfigReloadFailed] },
      { name: "meta", rules: [watchdog] },
    ],
  };
}

// 0.05 -> "5%"; toPrecision drops float noise such as 0.07 * 100 = 7.000000000000001.
function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

// 0.5 -> "500ms", 2 -> "2s".
function seconds(value: number): string {
  return value < 1 ? `${Number((value * 1000).toPrecision(12))}ms` : `${Number(value.toPrecision(12))}s`;
}

/**
 * The API alerts alone (group `api`: ApiHighErrorRatio, ApiHighLatencyP95) for the API scraped as `input.apiJobName`:
 * what `main.ts` adds with `addAlertRules` next to the demo API.
 */
export function renderApiAlertRules(input: AlertRulesInput & { readonly apiJobName: string }): AlertRulesDocument {
  return { groups: renderAlertRules(input).groups.filter((group) => group.name === "api") };
}
