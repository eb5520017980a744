/**
 * The promtool cases of Prometheus' own rules (`rules/alerts.yml`), rendered from the same input as the rules: the
 * deployed jobs, the scrape interval and the thresholds, so changing any of them changes both sides. Every alert fires
 * in one case and must not in another (the Watchdog, which always fires, excepted).
 */
import { SCRAPE_METRICS, TARGET_LABELS } from "../../dashboards/metrics";
import {
  ExpectedAlert,
  Labels,
  counter,
  evaluation,
  flat,
  humanize,
  requireThat,
  samplesUntil,
  series,
  testGroup,
} from "../core/rule-tests";
import { RuleTestCase, runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { PROMETHEUS_LABELS, PROMETHEUS_METRICS } from "./catalog";
import {
  ALERT_RULES_FILE,
  PROMETHEUS_ALERT_NAMES,
  PrometheusRulesInput,
  resolvePrometheusAlertThresholds,
} from "./rules";

/** The promtool cases of `rules/alerts.yml`. */
export function prometheusRuleTests(input: PrometheusRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolvePrometheusAlertThresholds(input.thresholds, step);
  const a = PROMETHEUS_ALERT_NAMES;
  const { job, instance } = TARGET_LABELS;
  const runbook = (alert: string) => runbookAnnotations(alert, input.runbookBaseUrl);
  const target = (jobName: string): Labels => ({ [job]: jobName, [instance]: `${jobName}:80` });
  const prometheusTarget = target(input.prometheusJobName);
  const jobs = [...input.jobNames].sort();
  // A job nobody deploys: even down, it is nobody's alert (the original stack's kafka, DOWN forever).
  const undeployed = jobs.includes("kafka") ? "never-deployed" : "kafka";
  // An evaluation late enough for a rate-based alert to have been true for longer than its `for:`.
  const lateEval = (forSeconds: number) => t.rateWindowSeconds + forSeconds + 4 * step;

  const targetDownAlert = (jobName: string): ExpectedAlert => ({
    exp_labels: { ...target(jobName), severity: "critical" },
    exp_annotations: {
      summary: `Target ${jobName}:80 of job ${jobName} is down`,
      description: `Prometheus has failed to scrape ${jobName}:80 (job ${jobName}) for at least ${formatDuration(t.targetDownForSeconds)}: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data.`,
      ...runbook(a.targetDown),
    },
  });
  const targetDownCase = (title: string, fires: boolean, down: readonly string[]): RuleTestCase => {
    requireThat(t.targetDownForSeconds % step === 0, "TargetDown's for: is a whole number of scrape intervals");
    const startSeconds = 20 * step;
    const firesAt = startSeconds + t.targetDownForSeconds;
    const samples = samplesUntil(firesAt + 4 * step, step);
    const downFrom = startSeconds / step;
    const downValues = `${flat(1, downFrom)} ${flat(0, samples - downFrom)}`;
    return {
      alert: a.targetDown,
      fires,
      title,
      group: testGroup(
        title,
        step,
        [
          ...jobs.map((name) =>
            series(SCRAPE_METRICS.up.name, target(name), down.includes(name) ? downValues : flat(1, samples)),
          ),
          series(SCRAPE_METRICS.up.name, target(undeployed), flat(0, samples)),
        ],
        [
          // Down, but not yet for the whole for: duration: pending, not firing.
          evaluation(firesAt - step, a.targetDown, []),
          evaluation(firesAt + step, a.targetDown, down.map(targetDownAlert)),
        ],
      ),
    };
  };

  const ruleFailuresCase = (title: string, fires: boolean, failuresPerStep: number): RuleTestCase => {
    const evalSeconds = lateEval(t.ruleFailuresForSeconds);
    const samples = samplesUntil(evalSeconds, step);
    const failing = `${ALERT_RULES_FILE};failing`;
    const healthy = `${ALERT_RULES_FILE};targets`;
    const metric = PROMETHEUS_METRICS.ruleEvaluationFailuresTotal.name;
    const { ruleGroup } = PROMETHEUS_LABELS;
    // increase() over the window: failuresPerStep for each step the window spans.
    const failures = (failuresPerStep * t.rateWindowSeconds) / step;
    const alert: ExpectedAlert = {
      exp_labels: { ...prometheusTarget, [ruleGroup]: failing, severity: "warning" },
      exp_annotations: {
        summary: `Prometheus fails to evaluate rule group ${failing}`,
        description: `${prometheusTarget[instance]} failed ${fires ? humanize(failures) : "0"} rule evaluations in group ${failing} over the last ${formatDuration(t.rateWindowSeconds)}; alerts of that group may not fire. The Prometheus log names the rule and the error.`,
        ...runbook(a.prometheusRuleEvaluationFailures),
      },
    };
    return {
      alert: a.prometheusRuleEvaluationFailures,
      fires,
      title,
      group: testGroup(
        title,
        step,
        [
          series(metric, { ...prometheusTarget, [ruleGroup]: failing }, counter(failuresPerStep, samples)),
          series(metric, { ...prometheusTarget, [ruleGroup]: healthy }, flat(0, samples)),
        ],
        [evaluation(evalSeconds, a.prometheusRuleEvaluationFailures, fires ? [alert] : [])],
      ),
    };
  };

  const configReloadCase = (title: string, fires: boolean): RuleTestCase => {
    const failedFrom = 10;
    const firesAt = failedFrom * step + t.configReloadForSeconds;
    const samples = samplesUntil(firesAt + 4 * step, step);
    const values = fires ? `${flat(1, failedFrom)} ${flat(0, samples - failedFrom)}` : flat(1, samples);
    const address = prometheusTarget[instance];
    const alert: ExpectedAlert = {
      exp_labels: { ...prometheusTarget, severity: "warning" },
      exp_annotations: {
        summary: `Prometheus ${address} failed to reload its configuration`,
        description: `The last configuration reload of ${address} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.`,
        ...runbook(a.prometheusConfigReloadFailed),
      },
    };
    return {
      alert: a.prometheusConfigReloadFailed,
      fires,
      title,
      group: testGroup(
        title,
        step,
        [series(PROMETHEUS_METRICS.configLastReloadSuccessful.name, prometheusTarget, values)],
        [
          evaluation(firesAt - step, a.prometheusConfigReloadFailed, []),
          evaluation(firesAt + step, a.prometheusConfigReloadFailed, fires ? [alert] : []),
        ],
      ),
    };
  };

  const watchdogAlert: ExpectedAlert = {
    exp_labels: { severity: "none" },
    exp_annotations: {
      summary: "Alerting pipeline heartbeat: this alert always fires",
      description:
        "Watchdog fires all the time to prove that Prometheus evaluates the alert rules and delivers alerts. If it is missing from Prometheus' Alerts page (or from Alertmanager), alerting is broken and no other alert can be trusted.",
      ...runbook(a.watchdog),
    },
  };
  const watchdogTitle = "Watchdog always fires, from the first evaluation on";

  return [
    targetDownCase("TargetDown fires for every deployed job whose target is down", true, jobs),
    targetDownCase("TargetDown fires only for the target that is down", true, [jobs[jobs.length - 1]]),
    targetDownCase(
      "TargetDown does not fire while every deployed target is up (an undeployed job is ignored)",
      false,
      [],
    ),
    ruleFailuresCase("PrometheusRuleEvaluationFailures fires for the group whose evaluations fail", true, 1),
    ruleFailuresCase("PrometheusRuleEvaluationFailures does not fire while no evaluation fails", false, 0),
    configReloadCase("PrometheusConfigReloadFailed fires after a failed reload", true),
    configReloadCase("PrometheusConfigReloadFailed does not fire while reloads succeed", false),
    {
      alert: a.watchdog,
      fires: true,
      title: watchdogTitle,
      group: testGroup(
        watchdogTitle,
        step,
        [series(SCRAPE_METRICS.up.name, prometheusTarget, flat(1, samplesUntil(600, step)))],
        [evaluation(0, a.watchdog, [watchdogAlert]), evaluation(600, a.watchdog, [watchdogAlert])],
      ),
    },
  ];
}
