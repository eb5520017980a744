/**
 * The promtool cases of the probe rule (`rules/probes.yml`), rendered from the same input as the rule: a failing probe
 * fires after its `for:` and only for itself; one failed probe is only pending.
 */
import { evaluation, flat, series, testGroup } from "../core/rule-tests";
import type { RuleTestCase } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { PROBE_METRICS, PROBE_SERVICE_LABEL } from "./catalog";
import { PROBE_ALERT_NAMES, ProbeAlertRulesInput, probeFailedForSeconds } from "./rules";

/** The promtool cases of `rules/probes.yml`. */
export function probeRuleTests(input: ProbeAlertRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const forSeconds = probeFailedForSeconds(input);
  const alert = PROBE_ALERT_NAMES.probeFailed;
  const samples = forSeconds / step + 4;
  const failing = { job: input.jobName, instance: "http://grafana:3000/api/health", [PROBE_SERVICE_LABEL]: "grafana" };
  const healthy = { job: input.jobName, instance: "http://api:8000/health", [PROBE_SERVICE_LABEL]: "api" };
  const firingTitle = "ProbeFailed fires for a failing probe after its for: duration, and only for that one";
  const quietTitle = "ProbeFailed stays quiet while every probe succeeds";
  return [
    {
      alert,
      fires: true,
      title: firingTitle,
      group: testGroup(
        firingTitle,
        step,
        [
          series(PROBE_METRICS.success.name, failing, flat(0, samples)),
          series(PROBE_METRICS.success.name, healthy, flat(1, samples)),
        ],
        [
          evaluation(forSeconds + 2 * step, alert, [
            {
              exp_labels: { ...failing, severity: "critical" },
              exp_annotations: {
                summary: "A probed URL (a health endpoint or an external URL) fails its probe",
                description:
                  "http://grafana:3000/api/health (grafana) fails its probe from inside the network: no answer, or not 2xx.",
                ...runbookAnnotations(alert, input.runbookBaseUrl),
              },
            },
          ]),
          // One failed probe is not an outage: pending only, until the for: duration has passed.
          evaluation(forSeconds - step, alert, []),
        ],
      ),
    },
    {
      alert,
      fires: false,
      title: quietTitle,
      group: testGroup(
        quietTitle,
        step,
        [
          series(PROBE_METRICS.success.name, failing, flat(1, samples)),
          series(PROBE_METRICS.success.name, healthy, flat(1, samples)),
        ],
        [evaluation(forSeconds + 2 * step, alert, [])],
      ),
    },
  ];
}
