/**
 * Prometheus' own alert rules as a pure renderer: the deployed jobs, the scrape interval and thresholds in, the rule
 * file document (`rules/alerts.yml`) out. TargetDown covers exactly the jobs prometheus.yml renders; Prometheus
 * watches its own rule evaluations and config reloads; the Watchdog proves the alerting pipeline is alive.
 */
import { promqlString, regexAlternation } from "../../dashboards/promql";
import { SCRAPE_METRICS, TARGET_LABELS } from "../../dashboards/metrics";
import {
  ALERT_TARGET,
  AlertingRule,
  AlertRulesDocument,
  DurationSetting,
  durationProblems,
  minimumForSeconds,
  minimumRateWindowSeconds,
  runbookAnnotations,
} from "../core/rules";
import { ConfigProblem, formatDuration } from "../core/validation";
import { PROMETHEUS_LABELS, PROMETHEUS_METRICS } from "./catalog";

/** The rule file's name: Prometheus bakes it in as `rules/alerts.yml`. */
export const ALERT_RULES_NAME = "alerts";

/** Where prometheus.yml lists the rule file (`rule_files`), relative to prometheus.yml's own directory. */
export const ALERT_RULES_FILE = `rules/${ALERT_RULES_NAME}.yml`;

/** The name of every alert of Prometheus' rule file; runbook anchors and tests derive from these. */
export const PROMETHEUS_ALERT_NAMES = {
  /** A deployed scrape target has been down (`up == 0`); one alert per down target, covering exactly the deployed jobs. */
  targetDown: "TargetDown",
  /** Prometheus fails to evaluate rules. */
  prometheusRuleEvaluationFailures: "PrometheusRuleEvaluationFailures",
  /** Prometheus' last configuration reload failed. */
  prometheusConfigReloadFailed: "PrometheusConfigReloadFailed",
  /** Always fires: proves rules are evaluated and alerts are delivered. */
  watchdog: "Watchdog",
} as const;

/**
 * Durations of Prometheus' alerts, in whole seconds. Omitted ones default to the larger of their fixed default
 * ({@link DEFAULT_PROMETHEUS_ALERT_THRESHOLDS}) and the minimum the scrape interval allows.
 */
export interface PrometheusAlertThresholds {
  /** Window of the rule-failure `increase()`. @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS.rateWindowSeconds, or 4 scrape intervals */
  readonly rateWindowSeconds?: number;
  /** How long a target must stay down before TargetDown fires. @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS.targetDownForSeconds, or 2 scrape intervals */
  readonly targetDownForSeconds?: number;
  /** How long rule evaluations must keep failing. @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS.ruleFailuresForSeconds, or 2 scrape intervals */
  readonly ruleFailuresForSeconds?: number;
  /** How long a failed config reload must persist. @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS.configReloadForSeconds, or 2 scrape intervals */
  readonly configReloadForSeconds?: number;
}

/** The fixed defaults of {@link PrometheusAlertThresholds}, before they are raised to the scrape interval's minimum. */
export const DEFAULT_PROMETHEUS_ALERT_THRESHOLDS: Required<PrometheusAlertThresholds> = {
  rateWindowSeconds: 300,
  targetDownForSeconds: 60,
  ruleFailuresForSeconds: 300,
  configReloadForSeconds: 300,
};

/** Everything the rule file is rendered from. */
export interface PrometheusRulesInput {
  /** Every job prometheus.yml renders; TargetDown covers exactly these. */
  readonly jobNames: readonly string[];
  /** The job under which Prometheus scrapes itself. */
  readonly prometheusJobName: string;
  readonly scrapeIntervalSeconds: number;
  /** @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS, raised to the minimum */
  readonly thresholds?: PrometheusAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation */
  readonly runbookBaseUrl?: string;
}

/** Every threshold with a value: given ones as they are, omitted ones from the defaults raised to the minimum. */
export function resolvePrometheusAlertThresholds(
  thresholds: PrometheusAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<PrometheusAlertThresholds> {
  const given = thresholds ?? {};
  const d = DEFAULT_PROMETHEUS_ALERT_THRESHOLDS;
  const minFor = minimumForSeconds(scrapeIntervalSeconds);
  return {
    rateWindowSeconds:
      given.rateWindowSeconds ?? Math.max(d.rateWindowSeconds, minimumRateWindowSeconds(scrapeIntervalSeconds)),
    targetDownForSeconds: given.targetDownForSeconds ?? Math.max(d.targetDownForSeconds, minFor),
    ruleFailuresForSeconds: given.ruleFailuresForSeconds ?? Math.max(d.ruleFailuresForSeconds, minFor),
    configReloadForSeconds: given.configReloadForSeconds ?? Math.max(d.configReloadForSeconds, minFor),
  };
}

/** Every problem with the thresholds, named under `path` (`prometheus.alertThresholds`). */
export function prometheusAlertThresholdProblems(
  path: string,
  thresholds: PrometheusAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const given = thresholds ?? {};
  const a = PROMETHEUS_ALERT_NAMES;
  const durations: DurationSetting[] = [
    {
      key: "rateWindowSeconds",
      value: given.rateWindowSeconds,
      alerts: a.prometheusRuleEvaluationFailures,
      kind: "window",
    },
    { key: "targetDownForSeconds", value: given.targetDownForSeconds, alerts: a.targetDown, kind: "for" },
    {
      key: "ruleFailuresForSeconds",
      value: given.ruleFailuresForSeconds,
      alerts: a.prometheusRuleEvaluationFailures,
      kind: "for",
    },
    {
      key: "configReloadForSeconds",
      value: given.configReloadForSeconds,
      alerts: a.prometheusConfigReloadFailed,
      kind: "for",
    },
  ];
  return durationProblems(path, scrapeIntervalSeconds, durations);
}

/**
 * Renders `rules/alerts.yml`: groups `targets` (TargetDown over the deployed jobs, sorted), `prometheus` and `meta`
 * (Watchdog), always in that order, so the same input gives a byte-identical file.
 */
export function renderPrometheusAlertRules(input: PrometheusRulesInput): AlertRulesDocument {
  const t = resolvePrometheusAlertThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const runbook = (alert: string) => runbookAnnotations(alert, input.runbookBaseUrl);
  const window = formatDuration(t.rateWindowSeconds);
  const { job, instance } = TARGET_LABELS;
  const { ruleGroup } = PROMETHEUS_LABELS;
  const prometheusJob = `${job}=${promqlString(input.prometheusJobName)}`;
  const a = PROMETHEUS_ALERT_NAMES;

  // One rule for exactly the deployed jobs (promtool's duplicate-rules lint rejects one rule per job with equal
  // labels); it still fires one alert per down target, labelled with its job and instance.
  const deployedJobs = `${job}=~${promqlString(regexAlternation([...input.jobNames].sort()))}`;
  const targetDown: AlertingRule = {
    alert: a.targetDown,
    expr: `${SCRAPE_METRICS.up.name}{${deployedJobs}} == 0`,
    for: formatDuration(t.targetDownForSeconds),
    labels: { severity: "critical" },
    annotations: {
      summary: `Target ${ALERT_TARGET} of job {{ $labels.job }} is down`,
      description: `Prometheus has failed to scrape ${ALERT_TARGET} (job {{ $labels.job }}) for at least ${formatDuration(t.targetDownForSeconds)}: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data.`,
      ...runbook(a.targetDown),
    },
  };

  const prometheusRuleEvaluationFailures: AlertingRule = {
    alert: a.prometheusRuleEvaluationFailures,
    expr: `sum by (${job}, ${instance}, ${ruleGroup}) (increase(${PROMETHEUS_METRICS.ruleEvaluationFailuresTotal.name}{${prometheusJob}}[${window}])) > 0`,
    for: formatDuration(t.ruleFailuresForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `Prometheus fails to evaluate rule group {{ $labels.rule_group }}`,
      description: `{{ $labels.instance }} failed {{ $value | humanize }} rule evaluations in group {{ $labels.rule_group }} over the last ${window}; alerts of that group may not fire. The Prometheus log names the rule and the error.`,
      ...runbook(a.prometheusRuleEvaluationFailures),
    },
  };

  const prometheusConfigReloadFailed: AlertingRule = {
    alert: a.prometheusConfigReloadFailed,
    expr: `${PROMETHEUS_METRICS.configLastReloadSuccessful.name}{${prometheusJob}} == 0`,
    for: formatDuration(t.configReloadForSeconds),
    labels: { severity: "warning" },
    annotations: {
      summary: `Prometheus {{ $labels.instance }} failed to reload its configuration`,
      description: `The last configuration reload of {{ $labels.instance }} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.`,
      ...runbook(a.prometheusConfigReloadFailed),
    },
  };

  const watchdog: AlertingRule = {
    alert: a.watchdog,
    expr: "vector(1)",
    // Fires at the first evaluation: its absence, not its presence, is the signal.
    for: formatDuration(0),
    labels: { severity: "none" },
    annotations: {
      summary: "Alerting pipeline heartbeat: this alert always fires",
      description:
        "Watchdog fires all the time to prove that Prometheus evaluates the alert rules and delivers alerts. If it is missing from Prometheus' Alerts page (or from Alertmanager), alerting is broken and no other alert can be trusted.",
      ...runbook(a.watchdog),
    },
  };

  return {
    groups: [
      { name: "targets", rules: [targetDown] },
      { name: "prometheus", rules: [prometheusRuleEvaluationFailures, prometheusConfigReloadFailed] },
      { name: "meta", rules: [watchdog] },
    ],
  };
}
