/**
 * The promtool cases of the demo API's rules (`rules/api.yml`), rendered from the same input as the rules (the job,
 * the scrape interval, the thresholds): each alert fires just above its threshold and stays quiet just below it, on
 * low traffic, and when only the endpoints serving probes and scrapes misbehave.
 */
import {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_LABELS,
  HTTP_METRICS,
  NON_TRAFFIC_ENDPOINTS,
} from "@monitoring-stack/api/contract";
import { HISTOGRAM_LABELS, TARGET_LABELS } from "../../dashboards/metrics";
import {
  ExpectedAlert,
  Labels,
  counter,
  evaluation,
  flat,
  humanizeDuration,
  humanizePercentage,
  requireThat,
  samplesUntil,
  series,
  sparseCounter,
  testGroup,
} from "../core/rule-tests";
import type { RuleTestCase, RuleTestSeries } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { API_ALERT_NAMES, API_LATENCY_QUANTILE, ApiRulesInput, resolveApiAlertThresholds } from "./rules";

// Requests per scrape interval of "busy" user traffic: well above the minimum-traffic guard.
const BUSY_PER_STEP = 1000;
// Non-traffic endpoints (scrapes, probes) get far more requests than users, so counting them would change every result.
const PROBE_PER_STEP = 100 * BUSY_PER_STEP;
// "Just above the minimum request rate": 20% above, enough for rate()'s extrapolation at the window's edges.
const GUARD_MARGIN = 1.2;
const USER_ENDPOINT = "/api/items";
// The first bucket holds requests far faster than the threshold.
const FAST_BUCKET = 0;

/** A flow of requests of one endpoint and status. */
interface RequestFlow {
  readonly endpoint: string;
  readonly status: string;
  /** Requests finished per scrape interval. */
  readonly perStep: number;
}

/** Requests of one histogram bucket. */
interface BucketFlow {
  /** Index in HTTP_DURATION_BUCKETS_SECONDS of the bucket every request of this flow falls into. */
  readonly bucket: number;
  readonly perStep: number;
}

/** The promtool cases of `rules/api.yml`. */
export function apiRuleTests(input: ApiRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolveApiAlertThresholds(input.thresholds, step);
  const a = API_ALERT_NAMES;
  const { job, instance } = TARGET_LABELS;
  const { le } = HISTOGRAM_LABELS;
  const target: Labels = { [job]: input.jobName, [instance]: `${input.jobName}:8000` };
  const excluded = NON_TRAFFIC_ENDPOINTS.join(", ");
  const runbook = (alert: string) => runbookAnnotations(alert, input.runbookBaseUrl);
  const lateEval = (forSeconds: number) => t.rateWindowSeconds + forSeconds + 4 * step;
  const percent = (ratio: number) => `${Number((ratio * 100).toPrecision(12))}%`;
  const seconds = (value: number) => (value < 1 ? `${Number((value * 1000).toPrecision(12))}ms` : `${value}s`);
  const busyTraffic = () =>
    requireThat(BUSY_PER_STEP / step >= 10 * t.minRequestsPerSecond, "busy traffic is 10 times the minimum rate");

  const requestSeries = (flows: readonly RequestFlow[], samples: number): RuleTestSeries[] =>
    flows.map((flow) =>
      series(
        HTTP_METRICS.requestsTotal.name,
        {
          ...target,
          [HTTP_LABELS.method]: "GET",
          [HTTP_LABELS.endpoint]: flow.endpoint,
          [HTTP_LABELS.status]: flow.status,
        },
        counter(flow.perStep, samples),
      ),
    );
  // The duration histogram of one endpoint; `values` turns a per-step count into a series' values.
  const histogram = (
    endpoint: string,
    flows: readonly BucketFlow[],
    samples: number,
    values: (perStep: number) => string = (perStep) => counter(perStep, samples),
  ): RuleTestSeries[] => {
    const name = HTTP_METRICS.requestDurationSeconds.name;
    const labels = { ...target, [HTTP_LABELS.method]: "GET", [HTTP_LABELS.endpoint]: endpoint };
    // Buckets are cumulative: each counts every request at or below its bound.
    const upTo = (index: number) => flows.filter((f) => f.bucket <= index).reduce((sum, f) => sum + f.perStep, 0);
    const total = upTo(HTTP_DURATION_BUCKETS_SECONDS.length);
    return [
      ...HTTP_DURATION_BUCKETS_SECONDS.map((bound, index) =>
        series(`${name}_bucket`, { ...labels, [le]: String(bound) }, values(upTo(index))),
      ),
      series(`${name}_bucket`, { ...labels, [le]: "+Inf" }, values(total)),
      series(`${name}_count`, labels, values(total)),
    ];
  };
  const probes = (status: string): RequestFlow[] =>
    NON_TRAFFIC_ENDPOINTS.map((endpoint) => ({ endpoint, status, perStep: PROBE_PER_STEP }));
  // The first bucket whose lower bound is at or above the threshold: every request in it is slower than the threshold.
  const slowBucket = (): number => {
    const index = HTTP_DURATION_BUCKETS_SECONDS.findIndex(
      (_, i) => i > 0 && HTTP_DURATION_BUCKETS_SECONDS[i - 1] >= t.latencyP95Seconds,
    );
    requireThat(index > 0, "a bucket lies wholly above the latency threshold");
    return index;
  };
  const fastBucketUnderThreshold = () =>
    requireThat(
      HTTP_DURATION_BUCKETS_SECONDS[FAST_BUCKET] < t.latencyP95Seconds,
      "the first bucket is under the threshold",
    );

  const errorRatioAlert = (ratio: number): ExpectedAlert => ({
    exp_labels: { [job]: input.jobName, severity: "critical" },
    exp_annotations: {
      summary: `The API answers more than ${percent(t.errorRatio)} of requests with a 5xx status`,
      description: `${humanizePercentage(ratio)} of the requests to job ${input.jobName} failed with a 5xx status over the last ${formatDuration(t.rateWindowSeconds)} (threshold ${percent(t.errorRatio)}, checked only while traffic is at least ${t.minRequestsPerSecond} req/s; ${excluded} are not counted).`,
      ...runbook(a.apiHighErrorRatio),
    },
  });
  const latencyAlert = (p95Seconds: number): ExpectedAlert => ({
    exp_labels: { [job]: input.jobName, severity: "warning" },
    exp_annotations: {
      summary: `The API's p95 latency is above ${seconds(t.latencyP95Seconds)}`,
      description: `The p95 latency of job ${input.jobName} is ${humanizeDuration(p95Seconds)} over the last ${formatDuration(t.rateWindowSeconds)} (threshold ${seconds(t.latencyP95Seconds)}, checked only while traffic is at least ${t.minRequestsPerSecond} req/s; ${excluded} are not counted).`,
      ...runbook(a.apiHighLatencyP95),
    },
  });

  const errorRatioCase = (
    title: string,
    fires: boolean,
    build: (samples: number) => { inputSeries: RuleTestSeries[]; expected: ExpectedAlert[] },
  ): RuleTestCase => {
    const evalSeconds = lateEval(t.errorRatioForSeconds);
    const { inputSeries, expected } = build(samplesUntil(evalSeconds, step));
    return {
      alert: a.apiHighErrorRatio,
      fires,
      title,
      group: testGroup(title, step, inputSeries, [evaluation(evalSeconds, a.apiHighErrorRatio, expected)]),
    };
  };
  const latencyCase = (
    title: string,
    fires: boolean,
    build: (samples: number) => { inputSeries: RuleTestSeries[]; expected: ExpectedAlert[] },
  ): RuleTestCase => {
    const evalSeconds = lateEval(t.latencyForSeconds);
    const { inputSeries, expected } = build(samplesUntil(evalSeconds, step));
    return {
      alert: a.apiHighLatencyP95,
      fires,
      title,
      group: testGroup(title, step, inputSeries, [evaluation(evalSeconds, a.apiHighLatencyP95, expected)]),
    };
  };

  return [
    errorRatioCase(
      "ApiHighErrorRatio fires just above the threshold, ignoring busy healthy probes",
      true,
      (samples) => {
        busyTraffic();
        // One failed request per step more than the threshold allows.
        const failingPerStep = Math.floor(BUSY_PER_STEP * t.errorRatio) + 1;
        const ratio = failingPerStep / BUSY_PER_STEP;
        requireThat(ratio > t.errorRatio && ratio < 1, "the failed share is just above the threshold");
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
      },
    ),
    errorRatioCase("ApiHighErrorRatio fires with traffic just above the minimum request rate", true, (samples) => {
      // Linear counters with fractional steps give an exact rate just above the guard; half the requests fail.
      const perStep = GUARD_MARGIN * t.minRequestsPerSecond * step;
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
      busyTraffic();
      // One failed request per step fewer than the threshold allows.
      const failingPerStep = Math.ceil(BUSY_PER_STEP * t.errorRatio) - 1;
      requireThat(
        failingPerStep > 0 && failingPerStep / BUSY_PER_STEP < t.errorRatio,
        "the failed share is just below",
      );
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
      const windowSteps = t.rateWindowSeconds / step;
      const forSteps = t.errorRatioForSeconds / step;
      const agoSteps = Math.round((windowSteps + forSteps) / 2);
      requireThat(agoSteps > forSteps && agoSteps < windowSteps, "the requests are inside the window, past for:");
      requireThat(2 / t.rateWindowSeconds < t.minRequestsPerSecond, "two requests are below the minimum rate");
      const before = samples - agoSteps;
      const oneRequest = `${flat(0, before)} ${flat(1, agoSteps)}`;
      const labels = { ...target, [HTTP_LABELS.method]: "GET", [HTTP_LABELS.endpoint]: USER_ENDPOINT };
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
      busyTraffic();
      return {
        inputSeries: requestSeries(
          [{ endpoint: USER_ENDPOINT, status: "200", perStep: BUSY_PER_STEP }, ...probes("503")],
          samples,
        ),
        expected: [],
      };
    }),
    latencyCase("ApiHighLatencyP95 fires just above the threshold, ignoring fast busy probes", true, (samples) => {
      busyTraffic();
      fastBucketUnderThreshold();
      // Slightly more than 5% of requests are slow, so the 95th percentile lands just inside the slow bucket.
      const bucket = slowBucket();
      const slowPerStep = Math.round(BUSY_PER_STEP * (1 - API_LATENCY_QUANTILE)) + BUSY_PER_STEP / 100;
      const fastPerStep = BUSY_PER_STEP - slowPerStep;
      const lower = HTTP_DURATION_BUCKETS_SECONDS[bucket - 1];
      const upper = HTTP_DURATION_BUCKETS_SECONDS[bucket];
      // histogram_quantile interpolates linearly inside the bucket holding the requested rank.
      const rank = API_LATENCY_QUANTILE * BUSY_PER_STEP;
      requireThat(rank > fastPerStep, "the p95 rank falls in the slow bucket");
      const p95Seconds = lower + ((upper - lower) * (rank - fastPerStep)) / slowPerStep;
      requireThat(p95Seconds > t.latencyP95Seconds, "the p95 is above the threshold");
      return {
        inputSeries: [
          ...histogram(
            USER_ENDPOINT,
            [
              { bucket: FAST_BUCKET, perStep: fastPerStep },
              { bucket, perStep: slowPerStep },
            ],
            samples,
          ),
          // Counted, these would pull the p95 far below the threshold.
          ...NON_TRAFFIC_ENDPOINTS.flatMap((endpoint) =>
            histogram(endpoint, [{ bucket: FAST_BUCKET, perStep: PROBE_PER_STEP }], samples),
          ),
        ],
        expected: [latencyAlert(p95Seconds)],
      };
    }),
    latencyCase("ApiHighLatencyP95 fires with traffic just above the minimum request rate", true, (samples) => {
      const bucket = slowBucket();
      const lower = HTTP_DURATION_BUCKETS_SECONDS[bucket - 1];
      const upper = HTTP_DURATION_BUCKETS_SECONDS[bucket];
      const perStep = GUARD_MARGIN * t.minRequestsPerSecond * step;
      return {
        inputSeries: histogram(USER_ENDPOINT, [{ bucket, perStep }], samples),
        // Every request in one bucket: the quantile is interpolated at 95% of its width.
        expected: [latencyAlert(lower + (upper - lower) * API_LATENCY_QUANTILE)],
      };
    }),
    latencyCase("ApiHighLatencyP95 does not fire while latency is just under the threshold", false, (samples) => {
      busyTraffic();
      // The slowest bucket that still ends at or below the threshold: a lower threshold would fire.
      const bucket = HTTP_DURATION_BUCKETS_SECONDS.filter((bound) => bound <= t.latencyP95Seconds).length - 1;
      requireThat(bucket > 0, "a bucket ends at or below the threshold");
      return { inputSeries: histogram(USER_ENDPOINT, [{ bucket, perStep: BUSY_PER_STEP }], samples), expected: [] };
    }),
    latencyCase("ApiHighLatencyP95 does not fire for occasional slow requests (low traffic)", false, (samples) => {
      // One slow request every two minutes: the window always holds one (without the guard the alert would fire),
      // but the request rate stays below the minimum.
      const everySteps = 120 / step;
      const windowRequests = Math.ceil(t.rateWindowSeconds / (everySteps * step)) + 1;
      requireThat(everySteps * step < t.rateWindowSeconds, "a slow request is always inside the window");
      requireThat(
        windowRequests / t.rateWindowSeconds < t.minRequestsPerSecond,
        "the slow requests are below the minimum rate",
      );
      return {
        inputSeries: histogram(USER_ENDPOINT, [{ bucket: slowBucket(), perStep: 1 }], samples, (perStep) =>
          perStep === 0 ? flat(0, samples) : sparseCounter(everySteps, samples),
        ),
        expected: [],
      };
    }),
    latencyCase("ApiHighLatencyP95 does not fire when only probes are slow", false, (samples) => {
      busyTraffic();
      fastBucketUnderThreshold();
      return {
        inputSeries: [
          ...histogram(USER_ENDPOINT, [{ bucket: FAST_BUCKET, perStep: BUSY_PER_STEP }], samples),
          ...NON_TRAFFIC_ENDPOINTS.flatMap((endpoint) =>
            histogram(endpoint, [{ bucket: slowBucket(), perStep: PROBE_PER_STEP }], samples),
          ),
        ],
        expected: [],
      };
    }),
  ];
}
