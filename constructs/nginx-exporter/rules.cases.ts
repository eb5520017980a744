/**
 * The promtool cases of the NGINX rules (`rules/nginx.yml`), rendered from the same input as the rules: each alert
 * fires after its `for:` for the failing server only, and stays quiet when all is well.
 */
import { counter, evaluation, series, testGroup, upCases } from "../core/rule-tests";
import type { RuleTestCase } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { NGINX_METRICS } from "./catalog";
import { NGINX_ALERT_NAMES, NginxAlertRulesInput, resolveNginxThresholds } from "./rules";

/** The promtool cases of `rules/nginx.yml`. */
export function nginxRuleTests(input: NginxAlertRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolveNginxThresholds(input.thresholds, step);
  const a = NGINX_ALERT_NAMES;
  const m = NGINX_METRICS;
  const failing = { job: input.jobName, instance: "nginx-exporter:9113" };
  const other = { job: input.jobName, instance: "nginx-exporter-2:9113" };
  // Long enough for a full rate window, then the for: duration, then some.
  const firesAt = t.rateWindowSeconds + t.forSeconds + step;
  const samples = firesAt / step + 4;
  const downSamples = t.downForSeconds / step + 4;
  const connections = (instance: typeof failing, acceptedPerStep: number, handledPerStep: number) => [
    series(m.connectionsAccepted.name, instance, counter(acceptedPerStep, samples)),
    series(m.connectionsHandled.name, instance, counter(handledPerStep, samples)),
  ];
  const titles = {
    downFires:
      "NginxDown fires for an NGINX whose status the exporter cannot read, after its for: duration, and only for it",
    downQuiet: "NginxDown stays quiet while every status is read",
    dropFires: "NginxDroppingConnections fires while accepted connections outgrow handled ones",
    dropQuiet: "NginxDroppingConnections stays quiet while every accepted connection is handled",
  };
  return [
    ...upCases({
      alert: a.nginxDown,
      metric: m.up.name,
      stepSeconds: step,
      samples: downSamples,
      forSeconds: t.downForSeconds,
      failing: failing,
      other,
      expected: {
        exp_labels: { ...failing, severity: "critical" },
        exp_annotations: {
          summary: "NGINX's status cannot be read",
          description: `${failing.instance}: nginx-prometheus-exporter cannot read NGINX's stub_status (NGINX down, unreachable, or no stub_status at that URL).`,
          ...runbookAnnotations(a.nginxDown, input.runbookBaseUrl),
        },
      },
      titles: { fires: titles.downFires, quiet: titles.downQuiet },
    }),
    {
      alert: a.nginxDroppingConnections,
      fires: true,
      title: titles.dropFires,
      group: testGroup(
        titles.dropFires,
        step,
        [...connections(failing, 10, 8), ...connections(other, 10, 10)],
        [
          evaluation(firesAt, a.nginxDroppingConnections, [
            {
              exp_labels: { ...failing, severity: "warning" },
              exp_annotations: {
                summary: "NGINX drops connections",
                description: `${failing.instance}: NGINX accepts connections it does not handle (worker_connections or a resource limit reached).`,
                ...runbookAnnotations(a.nginxDroppingConnections, input.runbookBaseUrl),
              },
            },
          ]),
        ],
      ),
    },
    {
      alert: a.nginxDroppingConnections,
      fires: false,
      title: titles.dropQuiet,
      group: testGroup(
        titles.dropQuiet,
        step,
        [...connections(failing, 10, 10), ...connections(other, 3, 3)],
        [evaluation(firesAt, a.nginxDroppingConnections, [])],
      ),
    },
  ];
}
