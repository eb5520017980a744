/**
 * The rendered prometheus.yml and alert rules, checked by the real promtool (Prometheus 3.5): `check config`,
 * `check rules`, and `test rules` with fixtures for every alert, both when it must fire and when it must not.
 *
 * The promtool unit-test files are generated here from TypeScript objects, with fixtures derived from the same
 * thresholds the rules are rendered from, so changing a default changes both sides.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_LABELS,
  HTTP_METRICS,
  NON_TRAFFIC_ENDPOINTS,
} from "@monitoring-stack/api/contract";
import {
  ALERT_NAMES,
  ALERT_RULES_FILE,
  API_LATENCY_QUANTILE,
  AlertName,
  AlertRulesDocument,
  AlertRulesInput,
  renderAlertRules,
  resolveAlertThresholds,
  runbookLocation,
} from "../constructs/alert-rules";
import { renderPrometheusConfig, toGeneratedYaml } from "../constructs/prometheus/config";
import { ScrapeTarget, targetAddress } from "../constructs/core/scrape-target";
import { formatDuration } from "../constructs/core/validation";
import {
  RunResult,
  RunningBinary,
  binaryVersion,
  DEFAULT_BIN_DIR,
  describeWithBinaries,
  isCi,
  lookupBinary,
  parseBinaryVersion,
  prometheusVersion,
  runBinary,
  startBinary,
} from "./support/prometheus-binaries";
import { PROMETHEUS_LABELS, PROMETHEUS_METRICS, SCRAPE_METRICS, TARGET_LABELS } from "../dashboards/metrics";

// The stack's scrape targets and interval.
const SCRAPE_INTERVAL_SECONDS = 15;
const API: ScrapeTarget = { jobName: "api", host: "api", port: 8000, metricsPath: "/metrics" };
const PROMETHEUS: ScrapeTarget = { jobName: "prometheus", host: "prometheus", port: 9090, metricsPath: "/metrics" };
const GRAFANA: ScrapeTarget = { jobName: "grafana", host: "grafana", port: 3000, metricsPath: "/metrics" };
const TARGETS = [API, PROMETHEUS, GRAFANA];

const RULES_INPUT: AlertRulesInput = {
  jobNames: TARGETS.map((target) => target.jobName),
  apiJobName: API.jobName,
  prometheusJobName: PROMETHEUS.jobName,
  scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
};
const RULES = renderAlertRules(RULES_INPUT);
const T = resolveAlertThresholds(RULES_INPUT.thresholds, SCRAPE_INTERVAL_SECONDS);
const PROMETHEUS_YML = renderPrometheusConfig({
  scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
  scrapeTimeoutSeconds: 10,
  evaluationIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
  targets: TARGETS,
  ruleFiles: [ALERT_RULES_FILE],
  sampleLimit: 20_000,
  labelLimit: 64,
});
const RULE_COUNT = RULES.groups.flatMap((group) => group.rules).length;

const PROMTOOL_TIMEOUT_MS = 20_000;
// Fixture samples are one scrape interval apart, and rules are evaluated at the same interval, as in the stack.
const STEP_SECONDS = SCRAPE_INTERVAL_SECONDS;

// --- promtool's unit-test file format ---------------------------------------------------------------------------

type Labels = Readonly<Record<string, string>>;

interface InputSeries {
  readonly series: string;
  readonly values: string;
}

interface ExpectedAlert {
  readonly exp_labels: Labels;
  readonly exp_annotations: Labels;
}

interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: AlertName;
  /** Empty: the alert must not be firing at `eval_time` (pending does not count). */
  readonly exp_alerts: readonly ExpectedAlert[];
}

interface TestGroup {
  readonly name: string;
  readonly interval: string;
  readonly input_series: readonly InputSeries[];
  readonly alert_rule_test: readonly AlertRuleTest[];
}

interface RuleTestFile {
  readonly rule_files: readonly string[];
  readonly evaluation_interval: string;
  readonly tests: readonly TestGroup[];
}

function ruleTestFile(group: TestGroup): RuleTestFile {
  return {
    rule_files: [ALERT_RULES_FILE],
    evaluation_interval: formatDuration(SCRAPE_INTERVAL_SECONDS),
    tests: [group],
  };
}

function group(name: string, inputSeries: readonly InputSeries[], tests: readonly AlertRuleTest[]): TestGroup {
  return { name, interval: formatDuration(STEP_SECONDS), input_series: inputSeries, alert_rule_test: tests };
}

function series(metric: string, labels: Labels, values: string): InputSeries {
  const matchers = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return { series: `${metric}{${matchers.join(",")}}`, values };
}

/** `samples` samples of the same value, in promtool's expanding notation. */
function flat(value: number, samples: number): string {
  return `${value}+0x${samples - 1}`;
}

/** A counter starting at 0 and growing by `perStep` every step, `samples` samples. */
function counter(perStep: number, samples: number): string {
  return `0+${perStep}x${samples - 1}`;
}

/** A counter growing by 1 every `everySteps` steps: sparse traffic. */
function sparseCounter(everySteps: number, samples: number): string {
  return Array.from({ length: samples }, (_, index) => Math.floor(index / everySteps)).join(" ");
}

/** Number of samples from 0 s up to and including `seconds`. */
function samplesUntil(seconds: number): number {
  return seconds / STEP_SECONDS + 1;
}

/** An evaluation time late enough for a rate-based alert to have been true for longer than its `for:`. */
function lateEvalSeconds(forSeconds: number): number {
  return T.rateWindowSeconds + forSeconds + 4 * STEP_SECONDS;
}

// --- Go template functions, as far as these fixtures need them (Go's %.4g for values in [1e-4, 1e4)) ----------

function go4g(value: number): string {
  expect(Math.abs(value)).toBeGreaterThanOrEqual(1e-4);
  expect(Math.abs(value)).toBeLessThan(1e4);
  return String(Number(value.toPrecision(4)));
}

function humanizePercentage(ratio: number): string {
  return `${go4g(ratio * 100)}%`;
}

function humanizeDuration(seconds: number): string {
  expect(seconds).toBeLessThan(60);
  return seconds >= 1 ? `${go4g(seconds)}s` : `${go4g(seconds * 1000)}ms`;
}

function humanize(value: number): string {
  expect(value).toBeLessThan(1000);
  return go4g(value);
}

// How the renderer writes thresholds into annotations (0.05 -> "5%", 0.5 -> "500ms").
function thresholdPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

function thresholdSeconds(seconds: number): string {
  return seconds < 1 ? `${Number((seconds * 1000).toPrecision(12))}ms` : `${seconds}s`;
}

// --- the stack's series --------------------------------------------------------------------------------------

const { job, instance } = TARGET_LABELS;
const { le, ruleGroup } = PROMETHEUS_LABELS;
const API_TARGET: Labels = { [job]: API.jobName, [instance]: targetAddress(API) };
const PROMETHEUS_TARGET: Labels = { [job]: PROMETHEUS.jobName, [instance]: targetAddress(PROMETHEUS) };
const USER_ENDPOINT = "/api/items";
const EXCLUDED = NON_TRAFFIC_ENDPOINTS.join(", ");

function targetLabels(target: ScrapeTarget): Labels {
  return { [job]: target.jobName, [instance]: targetAddress(target) };
}

interface RequestFlow {
  readonly endpoint: string;
  readonly status: string;
  /** Requests finished per scrape interval. */
  readonly perStep: number;
}

function requestSeries(flows: readonly RequestFlow[], samples: number): InputSeries[] {
  return flows.map((flow) =>
    series(
      HTTP_METRICS.requestsTotal.name,
      {
        ...API_TARGET,
        [HTTP_LABELS.method]: "GET",
        [HTTP_LABELS.endpoint]: flow.endpoint,
        [HTTP_LABELS.status]: flow.status,
      },
      counter(flow.perStep, samples),
    ),
  );
}

interface BucketFlow {
  /** Index in HTTP_DURATION_BUCKETS_SECONDS of the bucket every request of this flow falls into. */
  readonly bucket: number;
  /** Requests finished per scrape interval. */
  readonly perStep: number;
}

/**
 * The duration histogram of one endpoint. `values` turns a per-step request count into a series' values; by default
 * a counter growing by that count every step.
 */
function histogramSeries(
  endpoint: string,
  flows: readonly BucketFlow[],
  samples: number,
  values: (perStep: number) => string = (perStep) => counter(perStep, samples),
): InputSeries[] {
  const name = HTTP_METRICS.requestDurationSeconds.name;
  const labels = { ...API_TARGET, [HTTP_LABELS.method]: "GET", [HTTP_LABELS.endpoint]: endpoint };
  // Buckets are cumulative: each counts every request at or below its bound.
  const upTo = (index: number) =>
    flows.filter((flow) => flow.bucket <= index).reduce((sum, flow) => sum + flow.perStep, 0);
  const total = upTo(HTTP_DURATION_BUCKETS_SECONDS.length);
  return [
    ...HTTP_DURATION_BUCKETS_SECONDS.map((bound, index) =>
      series(`${name}_bucket`, { ...labels, [le]: String(bound) }, values(upTo(index))),
    ),
    series(`${name}_bucket`, { ...labels, [le]: "+Inf" }, values(total)),
    series(`${name}_count`, labels, values(total)),
  ];
}

// --- expected alerts ----------------------------------------------------------------------------------------

function targetDownAlert(target: ScrapeTarget): ExpectedAlert {
  const address = targetAddress(target);
  return {
    exp_labels: { ...targetLabels(target), severity: "critical" },
    exp_annotations: {
      summary: `Target ${address} of job ${target.jobName} is down`,
      description: `Prometheus has failed to scrape ${address} (job ${target.jobName}) for at least ${formatDuration(T.targetDownForSeconds)}: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data.`,
      runbook: runbookLocation(ALERT_NAMES.targetDown),
    },
  };
}

function errorRatioAlert(ratio: number): ExpectedAlert {
  return {
    exp_labels: { [job]: API.jobName, severity: "critical" },
    exp_annotations: {
      summary: `The API answers more than ${thresholdPercent(T.apiErrorRatio)} of requests with a 5xx status`,
      description: `${humanizePercentage(ratio)} of the requests to job ${API.jobName} failed with a 5xx status over the last ${formatDuration(T.rateWindowSeconds)} (threshold ${thresholdPercent(T.apiErrorRatio)}, checked only while traffic is at least ${T.apiMinRequestsPerSecond} req/s; ${EXCLUDED} are not counted).`,
      runbook: runbookLocation(ALERT_NAMES.apiHighErrorRatio),
    },
  };
}

function latencyAlert(p95Seconds: number): ExpectedAlert {
  return {
    exp_labels: { [job]: API.jobName, severity: "warning" },
    exp_annotations: {
      summary: `The API's p95 latency is above ${thresholdSeconds(T.apiLatencyP95Seconds)}`,
      description: `The p95 latency of job ${API.jobName} is ${humanizeDuration(p95Seconds)} over the last ${formatDuration(T.rateWindowSeconds)} (threshold ${thresholdSeconds(T.apiLatencyP95Seconds)}, checked only while traffic is at least ${T.apiMinRequestsPerSecond} req/s; ${EXCLUDED} are not counted).`,
      runbook: runbookLocation(ALERT_NAMES.apiHighLatencyP95),
    },
  };
}

function ruleFailuresAlert(group: string, failures: number): ExpectedAlert {
  return {
    exp_labels: { ...PROMETHEUS_TARGET, [ruleGroup]: group, severity: "warning" },
    exp_annotations: {
      summary: `Prometheus fails to evaluate rule group ${group}`,
      description: `${targetAddress(PROMETHEUS)} failed ${humanize(failures)} rule evaluations in group ${group} over the last ${formatDuration(T.rateWindowSeconds)}; alerts of that group may not fire. The Prometheus log names the rule and the error.`,
      runbook: runbookLocation(ALERT_NAMES.prometheusRuleEvaluationFailures),
    },
  };
}

function configReloadAlert(): ExpectedAlert {
  return {
    exp_labels: { ...PROMETHEUS_TARGET, severity: "warning" },
    exp_annotations: {
      summary: `Prometheus ${targetAddress(PROMETHEUS)} failed to reload its configuration`,
      description: `The last configuration reload of ${targetAddress(PROMETHEUS)} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.`,
      runbook: runbookLocation(ALERT_NAMES.prometheusConfigReloadFailed),
    },
  };
}

function watchdogAlert(): ExpectedAlert {
  return {
    exp_labels: { severity: "none" },
    exp_annotations: {
      summary: "Alerting pipeline heartbeat: this alert always fires",
      description:
        "Watchdog fires all the time to prove that Prometheus evaluates the alert rules and delivers alerts. If it is missing from Prometheus' Alerts page (or from Alertmanager), alerting is broken and no other alert can be trusted.",
      runbook: runbookLocation(ALERT_NAMES.watchdog),
    },
  };
}

// --- the cases ----------------------------------------------------------------------------------------------

interface AlertCase {
  readonly alert: AlertName;
  /** Whether the case expects the alert to fire (at its last evaluation). */
  readonly fires: boolean;
  readonly title: string;
  /** Builds the promtool test group; may assert the fixture's preconditions first. */
  readonly build: () => TestGroup;
}

// Requests per scrape interval of "busy" user traffic: well above the minimum-traffic guard.
const BUSY_PER_STEP = 1000;
// Non-traffic endpoints (scrapes, probes) get far more requests than users, so counting them would change every result.
const PROBE_PER_STEP = 100 * BUSY_PER_STEP;

// "Just above the minimum request rate": 20% above, enough for rate()'s extrapolation at the window's edges.
const GUARD_MARGIN = 1.2;

function expectBusyTraffic(): void {
  expect(BUSY_PER_STEP / STEP_SECONDS).toBeGreaterThanOrEqual(10 * T.apiMinRequestsPerSecond);
}

const TARGET_DOWN_START_SECONDS = 20 * STEP_SECONDS;

function targetDownCase(title: string, fires: boolean, downTargets: readonly ScrapeTarget[]): AlertCase {
  return {
    alert: ALERT_NAMES.targetDown,
    fires,
    title,
    build: () => {
      expect(T.targetDownForSeconds % STEP_SECONDS).toBe(0);
      const firesAt = TARGET_DOWN_START_SECONDS + T.targetDownForSeconds;
      const samples = samplesUntil(firesAt + 4 * STEP_SECONDS);
      const downFrom = TARGET_DOWN_START_SECONDS / STEP_SECONDS;
      const down = `${flat(1, downFrom)} ${flat(0, samples - downFrom)}`;
      // A service the stack does not deploy: even down, it is nobody's alert.
      const kafka: ScrapeTarget = { jobName: "kafka", host: "kafka", port: 9092, metricsPath: "/metrics" };
      return group(
        title,
        [
          ...TARGETS.map((target) =>
            series(
              SCRAPE_METRICS.up.name,
              targetLabels(target),
              downTargets.includes(target) ? down : flat(1, samples),
            ),
          ),
          series(SCRAPE_METRICS.up.name, targetLabels(kafka), flat(0, samples)),
        ],
        [
          // Down, but not yet for the whole for: duration: pending, not firing.
          { eval_time: formatDuration(firesAt - STEP_SECONDS), alertname: ALERT_NAMES.targetDown, exp_alerts: [] },
          {
            eval_time: formatDuration(firesAt + STEP_SECONDS),
            alertname: ALERT_NAMES.targetDown,
            exp_alerts: downTargets.map(targetDownAlert),
          },
        ],
      );
    },
  };
}

function errorRatioCase(
  title: string,
  fires: boolean,
  build: (samples: number) => { inputSeries: InputSeries[]; expected: ExpectedAlert[] },
): AlertCase {
  return {
    alert: ALERT_NAMES.apiHighErrorRatio,
    fires,
    title,
    build: () => {
      const evalSeconds = lateEvalSeconds(T.apiErrorRatioForSeconds);
      const { inputSeries, expected } = build(samplesUntil(evalSeconds));
      return group(title, inputSeries, [
        { eval_time: formatDuration(evalSeconds), alertname: ALERT_NAMES.apiHighErrorRatio, exp_alerts: expected },
      ]);
    },
  };
}

function probes(status: string): RequestFlow[] {
  return NON_TRAFFIC_ENDPOINTS.map((endpoint) => ({ endpoint, status, perStep: PROBE_PER_STEP }));
}

function latencyCase(
  title: string,
  fires: boolean,
  build: (samples: number) => { inputSeries: InputSeries[]; expected: ExpectedAlert[] },
): AlertCase {
  return {
    alert: ALERT_NAMES.apiHighLatencyP95,
    fires,
    title,
    build: () => {
      const evalSeconds = lateEvalSeconds(T.apiLatencyForSeconds);
      const { inputSeries, expected } = build(samplesUntil(evalSeconds));
      return group(title, inputSeries, [
        { eval_time: formatDuration(evalSeconds), alertname: ALERT_NAMES.apiHighLatencyP95, exp_alerts: expected },
      ]);
    },
  };
}

// The first bucket whose lower bound is at or above the threshold: every request in it is slower than the threshold.
function slowBucket(): number {
  const index = HTTP_DURATION_BUCKETS_SECONDS.findIndex(
    (_, i) => i > 0 && HTTP_DURATION_BUCKETS_SECONDS[i - 1] >= T.apiLatencyP95Seconds,
  );
  expect(index).toBeGreaterThan(0);
  return index;
}

// The first bucket holds requests far faster than the threshold.
const FAST_BUCKET = 0;

function expectFastBucketUnderThreshold(): void {
  expect(HTTP_DURATION_BUCKETS_SECONDS[FAST_BUCKET]).toBeLessThan(T.apiLatencyP95Seconds);
}

function ruleFailuresCase(title: string, fires: boolean, failuresPerStep: number): AlertCase {
  return {
    alert: ALERT_NAMES.prometheusRuleEvaluationFailures,
    fires,
    title,
    build: () => {
      const evalSeconds = lateEvalSeconds(T.prometheusRuleFailuresForSeconds);
      const samples = samplesUntil(evalSeconds);
      const failing = `${ALERT_RULES_FILE};api`;
      const healthy = `${ALERT_RULES_FILE};targets`;
      const metric = PROMETHEUS_METRICS.ruleEvaluationFailuresTotal.name;
      return group(
        title,
        [
          series(metric, { ...PROMETHEUS_TARGET, [ruleGroup]: failing }, counter(failuresPerStep, samples)),
          series(metric, { ...PROMETHEUS_TARGET, [ruleGroup]: healthy }, flat(0, samples)),
        ],
        [
          {
            eval_time: formatDuration(evalSeconds),
            alertname: ALERT_NAMES.prometheusRuleEvaluationFailures,
            // increase() over the window: failuresPerStep for each step the window spans.
            exp_alerts: fires
              ? [ruleFailuresAlert(failing, (failuresPerStep * T.rateWindowSeconds) / STEP_SECONDS)]
              : [],
          },
        ],
      );
    },
  };
}

function configReloadCase(title: string, fires: boolean): AlertCase {
  return {
    alert: ALERT_NAMES.prometheusConfigReloadFailed,
    fires,
    title,
    build: () => {
      const failedFrom = 10;
      const firesAt = failedFrom * STEP_SECONDS + T.prometheusConfigReloadForSeconds;
      const samples = samplesUntil(firesAt + 4 * STEP_SECONDS);
      const values = fires ? `${flat(1, failedFrom)} ${flat(0, samples - failedFrom)}` : flat(1, samples);
      return group(
        title,
        [series(PROMETHEUS_METRICS.configLastReloadSuccessful.name, PROMETHEUS_TARGET, values)],
        [
          {
            eval_time: formatDuration(firesAt - STEP_SECONDS),
            alertname: ALERT_NAMES.prometheusConfigReloadFailed,
            exp_alerts: [],
          },
          {
            eval_time: formatDuration(firesAt + STEP_SECONDS),
            alertname: ALERT_NAMES.prometheusConfigReloadFailed,
            exp_alerts: fires ? [configReloadAlert()] : [],
          },
        ],
      );
    },
  };
}

const CASES: readonly AlertCase[] = [
  targetDownCase("TargetDown fires for every deployed job whose target is down", true, TARGETS),
  targetDownCase("TargetDown fires only for the target that is down", true, [GRAFANA]),
  targetDownCase(
    "TargetDown does not fire while every deployed target is up (an undeployed job is ignored)",
    false,
    [],
  ),

  errorRatioCase("ApiHighErrorRatio fires just above the threshold, ignoring busy healthy probes", true, (samples) => {
    expectBusyTraffic();
    // One failed request per step more than the threshold allows.
    const failingPerStep = Math.floor(BUSY_PER_STEP * T.apiErrorRatio) + 1;
    const ratio = failingPerStep / BUSY_PER_STEP;
    expect(ratio).toBeGreaterThan(T.apiErrorRatio);
    expect(ratio).toBeLessThan(1);
    return {
      inputSeries: requestSeries(
        [
          { endpoint: USER_ENDPOINT, status: "200", perStep: BUSY_PER_STEP - failingPerStep },
          { endpoint: USER_ENDPOINT, status: "500", perStep: failingPerStep },
          // Counted, these would dilute the ratio far below the threshold.
          ...probes("200"),
        ],
        samples,
      ),
      expected: [errorRatioAlert(ratio)],
    };
  }),
  errorRatioCase("ApiHighErrorRatio fires with traffic just above the minimum request rate", true, (samples) => {
    // Linear counters with fractional steps give an exact rate just above the guard; half the requests fail.
    const perStep = GUARD_MARGIN * T.apiMinRequestsPerSecond * STEP_SECONDS;
    return {
      inputSeries: requestSeries(
        [
          { endpoint: USER_ENDPOINT, status: "200", perStep: perStep / 2 },
          { endpoint: USER_ENDPOINT, status: "500", perStep: perStep / 2 },
        ],
        samples,
      ),
      expected: [errorRatioAlert(0.5)],
    };
  }),
  errorRatioCase("ApiHighErrorRatio does not fire just below the threshold", false, (samples) => {
    expectBusyTraffic();
    // One failed request per step fewer than the threshold allows.
    const failingPerStep = Math.ceil(BUSY_PER_STEP * T.apiErrorRatio) - 1;
    expect(failingPerStep).toBeGreaterThan(0);
    expect(failingPerStep / BUSY_PER_STEP).toBeLessThan(T.apiErrorRatio);
    return {
      inputSeries: requestSeries(
        [
          { endpoint: USER_ENDPOINT, status: "200", perStep: BUSY_PER_STEP - failingPerStep },
          { endpoint: USER_ENDPOINT, status: "503", perStep: failingPerStep },
        ],
        samples,
      ),
      expected: [],
    };
  }),
  errorRatioCase("ApiHighErrorRatio does not fire for 1 failed request out of 2 (low traffic)", false, (samples) => {
    // Both requests land inside the rate window, long enough ago that the 50% ratio would have outlasted for:.
    const windowSteps = T.rateWindowSeconds / STEP_SECONDS;
    const forSteps = T.apiErrorRatioForSeconds / STEP_SECONDS;
    const agoSteps = Math.round((windowSteps + forSteps) / 2);
    expect(agoSteps).toBeGreaterThan(forSteps);
    expect(agoSteps).toBeLessThan(windowSteps);
    expect(2 / T.rateWindowSeconds).toBeLessThan(T.apiMinRequestsPerSecond);
    const before = samples - agoSteps;
    const oneRequest = `${flat(0, before)} ${flat(1, agoSteps)}`;
    const labels = { ...API_TARGET, [HTTP_LABELS.method]: "GET", [HTTP_LABELS.endpoint]: USER_ENDPOINT };
    return {
      inputSeries: [
        series(HTTP_METRICS.requestsTotal.name, { ...labels, [HTTP_LABELS.status]: "200" }, oneRequest),
        series(HTTP_METRICS.requestsTotal.name, { ...labels, [HTTP_LABELS.status]: "500" }, oneRequest),
        // Busy probes: if they counted toward the traffic guard, the 50% ratio would fire.
        ...requestSeries(probes("200"), samples),
      ],
      expected: [],
    };
  }),
  errorRatioCase("ApiHighErrorRatio does not fire when only probes fail (/health, /ready 503)", false, (samples) => {
    expectBusyTraffic();
    return {
      inputSeries: requestSeries(
        [{ endpoint: USER_ENDPOINT, status: "200", perStep: BUSY_PER_STEP }, ...probes("503")],
        samples,
      ),
      expected: [],
    };
  }),

  latencyCase("ApiHighLatencyP95 fires just above the threshold, ignoring fast busy probes", true, (samples) => {
    expectBusyTraffic();
    expectFastBucketUnderThreshold();
    // Slightly more than 5% of requests are slow, so the 95th percentile lands just inside the slow bucket.
    const bucket = slowBucket();
    const slowPerStep = Math.round(BUSY_PER_STEP * (1 - API_LATENCY_QUANTILE)) + BUSY_PER_STEP / 100;
    const fastPerStep = BUSY_PER_STEP - slowPerStep;
    const lower = HTTP_DURATION_BUCKETS_SECONDS[bucket - 1];
    const upper = HTTP_DURATION_BUCKETS_SECONDS[bucket];
    // histogram_quantile interpolates linearly inside the bucket holding the requested rank.
    const rank = API_LATENCY_QUANTILE * BUSY_PER_STEP;
    expect(rank).toBeGreaterThan(fastPerStep);
    const p95Seconds = lower + ((upper - lower) * (rank - fastPerStep)) / slowPerStep;
    expect(p95Seconds).toBeGreaterThan(T.apiLatencyP95Seconds);
    return {
      inputSeries: [
        ...histogramSeries(
          USER_ENDPOINT,
          [
            { bucket: FAST_BUCKET, perStep: fastPerStep },
            { bucket, perStep: slowPerStep },
          ],
          samples,
        ),
        // Counted, these would pull the p95 far below the threshold.
        ...NON_TRAFFIC_ENDPOINTS.flatMap((endpoint) =>
          histogramSeries(endpoint, [{ bucket: FAST_BUCKET, perStep: PROBE_PER_STEP }], samples),
        ),
      ],
      expected: [latencyAlert(p95Seconds)],
    };
  }),
  latencyCase("ApiHighLatencyP95 fires with traffic just above the minimum request rate", true, (samples) => {
    const bucket = slowBucket();
    const lower = HTTP_DURATION_BUCKETS_SECONDS[bucket - 1];
    const upper = HTTP_DURATION_BUCKETS_SECONDS[bucket];
    const perStep = GUARD_MARGIN * T.apiMinRequestsPerSecond * STEP_SECONDS;
    return {
      inputSeries: histogramSeries(USER_ENDPOINT, [{ bucket, perStep }], samples),
      // Every request in one bucket: the quantile is interpolated at 95% of its width.
      expected: [latencyAlert(lower + (upper - lower) * API_LATENCY_QUANTILE)],
    };
  }),
  latencyCase("ApiHighLatencyP95 does not fire while latency is just under the threshold", false, (samples) => {
    expectBusyTraffic();
    // The slowest bucket that still ends at or below the threshold: a lower threshold would fire.
    const bucket = HTTP_DURATION_BUCKETS_SECONDS.filter((bound) => bound <= T.apiLatencyP95Seconds).length - 1;
    expect(bucket).toBeGreaterThan(0);
    return {
      inputSeries: histogramSeries(USER_ENDPOINT, [{ bucket, perStep: BUSY_PER_STEP }], samples),
      expected: [],
    };
  }),
  latencyCase("ApiHighLatencyP95 does not fire for occasional slow requests (low traffic)", false, (samples) => {
    // One slow request every two minutes: the window always holds one (without the guard the alert would fire),
    // but the request rate stays below the minimum.
    const everySteps = 120 / STEP_SECONDS;
    const windowRequests = Math.ceil(T.rateWindowSeconds / (everySteps * STEP_SECONDS)) + 1;
    expect(everySteps * STEP_SECONDS).toBeLessThan(T.rateWindowSeconds);
    expect(windowRequests / T.rateWindowSeconds).toBeLessThan(T.apiMinRequestsPerSecond);
    return {
      inputSeries: histogramSeries(USER_ENDPOINT, [{ bucket: slowBucket(), perStep: 1 }], samples, (perStep) =>
        perStep === 0 ? flat(0, samples) : sparseCounter(everySteps, samples),
      ),
      expected: [],
    };
  }),
  latencyCase("ApiHighLatencyP95 does not fire when only probes are slow", false, (samples) => {
    expectBusyTraffic();
    expectFastBucketUnderThreshold();
    return {
      inputSeries: [
        ...histogramSeries(USER_ENDPOINT, [{ bucket: FAST_BUCKET, perStep: BUSY_PER_STEP }], samples),
        ...NON_TRAFFIC_ENDPOINTS.flatMap((endpoint) =>
          histogramSeries(endpoint, [{ bucket: slowBucket(), perStep: PROBE_PER_STEP }], samples),
        ),
      ],
      expected: [],
    };
  }),

  ruleFailuresCase("PrometheusRuleEvaluationFailures fires for the group whose evaluations fail", true, 1),
  ruleFailuresCase("PrometheusRuleEvaluationFailures does not fire while no evaluation fails", false, 0),

  configReloadCase("PrometheusConfigReloadFailed fires after a failed reload", true),
  configReloadCase("PrometheusConfigReloadFailed does not fire while reloads succeed", false),

  {
    alert: ALERT_NAMES.watchdog,
    fires: true,
    title: "Watchdog always fires, from the first evaluation on",
    build: () =>
      group(
        "Watchdog always fires, from the first evaluation on",
        [series(SCRAPE_METRICS.up.name, API_TARGET, flat(1, samplesUntil(600)))],
        [
          { eval_time: "0s", alertname: ALERT_NAMES.watchdog, exp_alerts: [watchdogAlert()] },
          { eval_time: formatDuration(600), alertname: ALERT_NAMES.watchdog, exp_alerts: [watchdogAlert()] },
        ],
      ),
  },
];

// --- the suite ----------------------------------------------------------------------------------------------

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** The parts of a promtool run a failed assertion should show. */
function outcome(result: RunResult): { exitCode: number | null; timedOut: boolean; output: string } {
  return { exitCode: result.exitCode, timedOut: result.timedOut, output: `${result.stdout}${result.stderr}` };
}

describeWithBinaries("promtool on the rendered prometheus.yml and alert rules", ["promtool"], (bins) => {
  let dir = "";

  function write(relativePath: string, content: string): string {
    const path = join(dir, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  function promtool(args: readonly string[]): Promise<RunResult> {
    return runBinary(bins.promtool, args, { cwd: dir, timeoutMs: PROMTOOL_TIMEOUT_MS });
  }

  function runRuleTests(testGroup: TestGroup, fileName = `${slug(testGroup.name)}.test.yml`): Promise<RunResult> {
    write(fileName, stringify(ruleTestFile(testGroup), { lineWidth: 0 }));
    return promtool(["test", "rules", fileName]);
  }

  // A copy of the rules with one expression broken, the way a typo in the renderer would break it.
  function withBrokenExpr(document: AlertRulesDocument): AlertRulesDocument {
    return {
      groups: document.groups.map((g) => ({
        ...g,
        rules: g.rules.map((r) => (r.alert === ALERT_NAMES.apiHighErrorRatio ? { ...r, expr: `${r.expr})` } : r)),
      })),
    };
  }

  // broken/prometheus.yml listing broken/rules/alerts.yml, which has one broken expression.
  function writeBrokenCopy(): void {
    write(join("broken", "prometheus.yml"), toGeneratedYaml(PROMETHEUS_YML));
    write(join("broken", ALERT_RULES_FILE), toGeneratedYaml(withBrokenExpr(RULES)));
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "promtool-"));
    write("prometheus.yml", toGeneratedYaml(PROMETHEUS_YML));
    write(ALERT_RULES_FILE, toGeneratedYaml(RULES));
  });

  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("check config accepts the rendered prometheus.yml and loads its rule file", async () => {
    const result = await promtool(["check", "config", "--lint=all", "--lint-fatal", "prometheus.yml"]);

    expect(outcome(result)).toEqual({
      exitCode: 0,
      timedOut: false,
      output: expect.stringContaining("SUCCESS: 1 rule files found"),
    });
    expect(result.stdout).toContain(`SUCCESS: ${RULE_COUNT} rules found`);
  });

  it("check rules accepts the rendered rule file with every lint enabled", async () => {
    const result = await promtool(["check", "rules", "--lint=all", "--lint-fatal", ALERT_RULES_FILE]);

    expect(outcome(result)).toEqual({
      exitCode: 0,
      timedOut: false,
      output: expect.stringContaining(`SUCCESS: ${RULE_COUNT} rules found`),
    });
  });

  it("check rules fails on a rule file with a broken expression", async () => {
    writeBrokenCopy();

    const result = await promtool(["check", "rules", join("broken", ALERT_RULES_FILE)]);

    expect(outcome(result)).toEqual({
      exitCode: 1,
      timedOut: false,
      output: expect.stringMatching(/FAILED[\s\S]*parse error/),
    });
  });

  it("check config fails when prometheus.yml lists a broken rule file", async () => {
    writeBrokenCopy();

    const result = await promtool(["check", "config", "broken/prometheus.yml"]);

    expect(outcome(result)).toEqual({
      exitCode: 1,
      timedOut: false,
      output: expect.stringMatching(/FAILED[\s\S]*parse error/),
    });
  });

  it("has a firing case and a non-firing case for every alert", () => {
    const covered = (fires: boolean) => [...new Set(CASES.filter((c) => c.fires === fires).map((c) => c.alert))].sort();

    expect(covered(true)).toEqual(Object.values(ALERT_NAMES).sort());
    expect(covered(false)).toEqual(
      Object.values(ALERT_NAMES)
        .filter((name) => name !== ALERT_NAMES.watchdog)
        .sort(),
    );
  });

  describe("test rules", () => {
    for (const alertCase of CASES) {
      it(alertCase.title, async () => {
        const result = await runRuleTests(alertCase.build());

        expect(outcome(result)).toEqual({ exitCode: 0, timedOut: false, output: expect.stringContaining("SUCCESS") });
      });
    }

    it("fails when an expectation is wrong, so these cases can fail", async () => {
      // given the case where every target is down, but expecting no alert
      const firing = CASES[0].build();
      const wrong: TestGroup = {
        ...firing,
        name: "wrong expectation",
        alert_rule_test: firing.alert_rule_test.map((test) => ({ ...test, exp_alerts: [] })),
      };

      const result = await runRuleTests(wrong);

      expect(outcome(result)).toEqual({
        exitCode: 1,
        timedOut: false,
        output: expect.stringMatching(/FAILED[\s\S]*alertname: TargetDown/),
      });
    });
  });
});

// --- the harness itself, and the real server loading the rendered files ---------------------------------------

describe("the Prometheus binaries harness", () => {
  it("parses X.Y.Z from Debian and upstream version banners", () => {
    expect(parseBinaryVersion("prometheus, version 3.5.3+ds1 (branch: debian/sid, revision: 3.5.3+ds1-6)\n")).toBe(
      "3.5.3",
    );
    expect(
      parseBinaryVersion("promtool, version 3.5.0 (branch: HEAD, revision: 8be3a9560fbdd18a94dedec4b747c35178177202)"),
    ).toBe("3.5.0");
    expect(() => parseBinaryVersion("command not found")).toThrow('cannot find "<name>, version X.Y.Z"');
  });

  it("treats CI=true and CI=1 as CI, anything else as local", () => {
    expect([isCi({ CI: "true" }), isCi({ CI: "1" }), isCi({ CI: "TRUE" })]).toEqual([true, true, true]);
    expect([isCi({}), isCi({ CI: "" }), isCi({ CI: "false" })]).toEqual([false, false, false]);
  });

  it("looks only in PROMETHEUS_BIN_DIR when it is set, and says where it looked", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-binaries-"));
    try {
      expect(lookupBinary("promtool", { PROMETHEUS_BIN_DIR: empty, PATH: process.env.PATH })).toEqual({
        name: "promtool",
        path: undefined,
        searched: `PROMETHEUS_BIN_DIR=${empty}`,
      });
      expect(lookupBinary("amtool", { PATH: empty }).searched).toBe(
        `${DEFAULT_BIN_DIR} (the project's cache; PROMETHEUS_BIN_DIR is not set)`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("kills a process that outlives its timeout, by its PID", async () => {
    const result = await runBinary(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 300 });

    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGKILL" });
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it("returns exit code, stdout and stderr, and feeds stdin", async () => {
    const script =
      "process.stdin.on('data', (d) => { process.stdout.write(String(d).toUpperCase()); console.error('err'); process.exitCode = 3; })";

    const result = await runBinary(process.execPath, ["-e", script], { stdin: "promql" });

    expect(result).toMatchObject({ exitCode: 3, stdout: "PROMQL", stderr: "err\n", timedOut: false });
  });

  it("rejects when the binary cannot be started", async () => {
    await expect(runBinary(join(tmpdir(), "no-such-binary"), [])).rejects.toThrow(/could not start .*no-such-binary/);
  });
});

function freeLocalPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return response.json();
}

interface RulesResponse {
  readonly data: {
    readonly groups: readonly {
      readonly name: string;
      readonly rules: readonly { readonly name: string; readonly health: string }[];
    }[];
  };
}

interface AlertsResponse {
  readonly data: { readonly alerts: readonly { readonly labels: Labels; readonly state: string }[] };
}

describeWithBinaries("Prometheus loads the rendered files", ["prometheus", "promtool"], (bins) => {
  let dir = "";
  let server: RunningBinary | undefined;
  let baseUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "prometheus-"));
    const port = await freeLocalPort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Scrapes only itself on 127.0.0.1 (the stack's service names do not resolve here); rules every second, so the
    // Watchdog fires within moments.
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: 1,
      scrapeTimeoutSeconds: 1,
      evaluationIntervalSeconds: 1,
      targets: [{ jobName: PROMETHEUS.jobName, host: "127.0.0.1", port, metricsPath: "/metrics" }],
      ruleFiles: [ALERT_RULES_FILE],
      sampleLimit: 20_000,
      labelLimit: 64,
    });
    mkdirSync(join(dir, dirname(ALERT_RULES_FILE)), { recursive: true });
    writeFileSync(join(dir, "prometheus.yml"), toGeneratedYaml(config));
    writeFileSync(join(dir, ALERT_RULES_FILE), toGeneratedYaml(RULES));
    server = startBinary(bins.prometheus, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await server.waitForOutput(/Server is ready to receive web requests/, 20_000);
  }, 30_000);

  afterAll(async () => {
    const stopped = await server?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    // SIGTERM is a clean shutdown: exit code 0, not killed after the grace period.
    expect(stopped).toMatchObject({ exitCode: 0, timedOut: false });
  }, 20_000);

  it("looks in the project's .cache/bin when PROMETHEUS_BIN_DIR is not set, never on PATH", () => {
    const env = { PATH: dirname(bins.promtool) };

    expect(lookupBinary("promtool", env).path).toBe(join(DEFAULT_BIN_DIR, "promtool"));
    expect(lookupBinary("prometheus", env).path).toBe(join(DEFAULT_BIN_DIR, "prometheus"));
  });

  it("runs the same version as promtool", () => {
    expect(prometheusVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(prometheusVersion()).toBe(binaryVersion("promtool"));
  });

  it("loads every rendered rule", async () => {
    const rules = (await getJson(`${baseUrl}/api/v1/rules`)) as RulesResponse;

    // The API lists groups by name, not in file order.
    const byName = (a: readonly unknown[], b: readonly unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(rules.data.groups.map((g) => [g.name, g.rules.map((r) => r.name)]).sort(byName)).toEqual(
      RULES.groups.map((g) => [g.name, g.rules.map((r) => r.alert)]).sort(byName),
    );
  });

  it("fires the Watchdog, so the alerting pipeline is alive", async () => {
    const deadline = Date.now() + 15_000;
    let alerts: AlertsResponse["data"]["alerts"] = [];
    while (Date.now() < deadline) {
      alerts = ((await getJson(`${baseUrl}/api/v1/alerts`)) as AlertsResponse).data.alerts;
      if (alerts.some((alert) => alert.labels.alertname === ALERT_NAMES.watchdog)) break;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 250));
    }

    expect(alerts).toContainEqual(
      expect.objectContaining({ labels: { alertname: ALERT_NAMES.watchdog, severity: "none" }, state: "firing" }),
    );
  }, 20_000);
});
