/**
 * The core alert rules as pure renderers: Prometheus' own (`rules/alerts.yml`: TargetDown over the deployed jobs,
 * rule evaluation failures, config reloads, the Watchdog) and the demo API's (`rules/api.yml`), their thresholds'
 * validation, how the stack reports a bad setting, and the README's runbook for every alert.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS } from "@monitoring-stack/api/contract";
import {
  API_ALERT_NAMES,
  ApiRulesInput,
  DEFAULT_API_ALERT_THRESHOLDS,
  addDemoApi,
  apiAlertThresholdProblems,
  renderApiAlertRules,
  resolveApiAlertThresholds,
} from "../constructs/api";
import { AlertingRule, AlertRulesDocument, isAlertingRule, ruleDocumentProblems } from "../constructs/core/rules";
import { ConfigError } from "../constructs/core/validation";
import {
  DEFAULT_PROMETHEUS_ALERT_THRESHOLDS,
  PROMETHEUS_ALERT_NAMES,
  PrometheusRulesInput,
  prometheusAlertThresholdProblems,
  renderPrometheusAlertRules,
  resolvePrometheusAlertThresholds,
  toGeneratedYaml,
} from "../constructs/prometheus";
import { EVERY_ALERT_ENV } from "../scripts/docs/alerts";
import { TEST_API, newTestStack, synthJson, synthMonitoringStack } from "./support/stack";

const SCRAPE_INTERVAL_SECONDS = 15;
const PROMETHEUS_INPUT: PrometheusRulesInput = {
  jobNames: ["api", "prometheus", "grafana"],
  prometheusJobName: "prometheus",
  scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
};
const API_INPUT: ApiRulesInput = { jobName: "api", scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS };

/** Both files' inputs, changed together where a test changes a shared setting. */
interface Inputs {
  readonly prometheus: PrometheusRulesInput;
  readonly api: ApiRulesInput;
}
const INPUTS: Inputs = { prometheus: PROMETHEUS_INPUT, api: API_INPUT };

function documents(inputs: Inputs): AlertRulesDocument[] {
  return [renderPrometheusAlertRules(inputs.prometheus), renderApiAlertRules(inputs.api)];
}

function allRules(inputs: Inputs): AlertingRule[] {
  return documents(inputs).flatMap((document) => document.groups.flatMap((group) => group.rules));
}

function rule(inputs: Inputs, alert: string): AlertingRule {
  const found = allRules(inputs).filter((candidate) => candidate.alert === alert);
  expect(found).toHaveLength(1);
  return found[0];
}

function withPrometheus(input: Partial<PrometheusRulesInput>): Inputs {
  return { ...INPUTS, prometheus: { ...PROMETHEUS_INPUT, ...input } };
}

function messages(problems: readonly { readonly message: string }[]): string[] {
  return problems.map((problem) => problem.message);
}

const A = { ...PROMETHEUS_ALERT_NAMES, ...API_ALERT_NAMES };

describe("renderPrometheusAlertRules and renderApiAlertRules", () => {
  it("render the groups and alerts in a fixed order", () => {
    const [prometheus, api] = documents(INPUTS);

    expect(prometheus.groups.map((group) => [group.name, group.rules.map((r) => r.alert)])).toEqual([
      ["targets", ["TargetDown"]],
      ["prometheus", ["PrometheusRuleEvaluationFailures", "PrometheusConfigReloadFailed"]],
      ["meta", ["Watchdog"]],
    ]);
    expect(api.groups.map((group) => [group.name, group.rules.map((r) => r.alert)])).toEqual([
      ["api", ["ApiHighErrorRatio", "ApiHighLatencyP95"]],
    ]);
  });

  it("renders ApiHighErrorRatio with the default thresholds", () => {
    expect(rule(INPUTS, A.apiHighErrorRatio)).toEqual({
      alert: "ApiHighErrorRatio",
      expr: [
        'sum by (job) (rate(http_requests_total{job="api",status=~"5..",endpoint!~"/metrics|/health|/ready"}[5m]))',
        "/",
        'sum by (job) (rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[5m]))',
        "> 0.05",
        "and",
        'sum by (job) (rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) >= 0.1',
      ].join("\n"),
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "The API answers more than 5% of requests with a 5xx status",
        description:
          "{{ $value | humanizePercentage }} of the requests to job {{ $labels.job }} failed with a 5xx status over the last 5m (threshold 5%, checked only while traffic is at least 0.1 req/s; /metrics, /health, /ready are not counted).",
        runbook: "docs/runbooks/ApiHighErrorRatio.md",
      },
    });
  });

  it("gives every alert a for: duration, a severity, a summary, a description and its runbook, no runbook_url by default", () => {
    const rules = allRules(INPUTS);

    expect(rules.map((r) => r.alert).sort()).toEqual(Object.values(A).sort());
    for (const r of rules) {
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning", "none"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(r.annotations.summary.length);
      expect(r.annotations.runbook).toBe(`docs/runbooks/${r.alert}.md`);
      // A relative link would open from neither Prometheus' nor Alertmanager's UI.
      expect(r.annotations).not.toHaveProperty("runbook_url");
    }
  });

  it("covers exactly the deployed jobs in TargetDown, sorted, whatever their input order", () => {
    const targetDown = rule(withPrometheus({ jobNames: ["prometheus", "grafana", "api"] }), A.targetDown);

    expect(targetDown.expr).toBe('up{job=~"api|grafana|prometheus"} == 0');
    expect(rule(withPrometheus({ jobNames: ["api", "prometheus"] }), A.targetDown).expr).toBe(
      'up{job=~"api|prometheus"} == 0',
    );
  });

  it("covers in TargetDown exactly the jobs the stack's prometheus.yml scrapes, each once", () => {
    const { stack } = synthMonitoringStack();
    const files = stack.prometheus.configFiles();
    const scraped = (
      parse(files.find((file) => file.path === "prometheus.yml")?.content ?? "") as {
        scrape_configs: { job_name: string }[];
      }
    ).scrape_configs.map((config) => config.job_name);
    const alerts = parse(files.find((file) => file.path === "rules/alerts.yml")?.content ?? "") as AlertRulesDocument;
    const targetDown = alerts.groups.flatMap((group) => group.rules).find((r) => r.alert === A.targetDown);

    const jobs = /^up\{job=~"([^"]*)"\} == 0$/.exec(targetDown?.expr ?? "")?.[1].split("|");
    expect(jobs).toEqual([...new Set(scraped)].sort());
    expect(jobs).toEqual([...stack.deployedJobs]);
  });

  it("escapes job names for the regex and the PromQL string", () => {
    const inputs = withPrometheus({ jobNames: ["api", "prometheus", "node.exporter"] });

    // RE2 needs `\.` for a literal dot; inside a PromQL string the backslash itself is escaped.
    expect(rule(inputs, A.targetDown).expr).toBe('up{job=~"api|node\\\\.exporter|prometheus"} == 0');
  });

  it("selects the API and Prometheus jobs it is given", () => {
    const inputs: Inputs = {
      prometheus: { ...PROMETHEUS_INPUT, jobNames: ["web", "self"], prometheusJobName: "self" },
      api: { ...API_INPUT, jobName: "web" },
    };

    expect(rule(inputs, A.apiHighErrorRatio).expr).toContain('http_requests_total{job="web",');
    expect(rule(inputs, A.apiHighLatencyP95).expr).toContain('http_request_duration_seconds_bucket{job="web",');
    expect(rule(inputs, A.prometheusRuleEvaluationFailures).expr).toContain('{job="self"}');
    expect(rule(inputs, A.prometheusConfigReloadFailed).expr).toBe(
      'prometheus_config_last_reload_successful{job="self"} == 0',
    );
  });

  it("leaves the non-traffic endpoints out of every API query and uses the metrics contract's names", () => {
    const excluded = `${HTTP_LABELS.endpoint}!~"${NON_TRAFFIC_ENDPOINTS.join("|")}"`;

    for (const alert of [A.apiHighErrorRatio, A.apiHighLatencyP95]) {
      const expr = rule(INPUTS, alert).expr;
      const selectors = expr.match(/\w+\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThanOrEqual(2);
      for (const selector of selectors) {
        expect(selector).toContain(excluded);
        expect(selector).toMatch(
          new RegExp(
            `^(${HTTP_METRICS.requestsTotal.name}|${HTTP_METRICS.requestDurationSeconds.name}_(bucket|count))\\{`,
          ),
        );
      }
    }
  });

  it("renders the p95 latency rule with the minimum-traffic guard", () => {
    expect(rule(INPUTS, A.apiHighLatencyP95).expr).toBe(
      [
        'histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api",endpoint!~"/metrics|/health|/ready"}[5m])))',
        "> 0.5",
        "and",
        'sum by (job) (rate(http_request_duration_seconds_count{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) >= 0.1',
      ].join("\n"),
    );
  });

  it("uses the thresholds it is given", () => {
    const inputs: Inputs = {
      prometheus: {
        ...PROMETHEUS_INPUT,
        thresholds: {
          rateWindowSeconds: 600,
          targetDownForSeconds: 45,
          ruleFailuresForSeconds: 3600,
          configReloadForSeconds: 30,
        },
      },
      api: {
        ...API_INPUT,
        thresholds: {
          errorRatio: 0.07,
          minRequestsPerSecond: 2,
          latencyP95Seconds: 1.5,
          rateWindowSeconds: 600,
          errorRatioForSeconds: 180,
          latencyForSeconds: 900,
        },
      },
    };

    const ratio = rule(inputs, A.apiHighErrorRatio);
    expect(ratio.expr).toContain("[10m]");
    expect(ratio.expr).toContain("> 0.07\nand\n");
    expect(ratio.expr).toMatch(/ >= 2$/);
    expect(ratio.for).toBe("3m");
    expect(ratio.annotations.summary).toBe("The API answers more than 7% of requests with a 5xx status");
    const latency = rule(inputs, A.apiHighLatencyP95);
    expect(latency.expr).toContain("> 1.5\nand\n");
    expect(latency.for).toBe("15m");
    expect(latency.annotations.summary).toBe("The API's p95 latency is above 1.5s");
    expect(rule(inputs, A.targetDown).for).toBe("45s");
    expect(rule(inputs, A.prometheusRuleEvaluationFailures).for).toBe("1h");
    expect(rule(inputs, A.prometheusRuleEvaluationFailures).expr).toContain("[10m]");
    expect(rule(inputs, A.prometheusConfigReloadFailed).for).toBe("30s");
  });

  it("raises default durations to what a long scrape interval allows", () => {
    // given a 2-minute scrape interval: for: >= 2 scrapes (4m), rate windows >= 4 scrapes (8m)
    const inputs = {
      prometheus: { ...PROMETHEUS_INPUT, scrapeIntervalSeconds: 120 },
      api: { ...API_INPUT, scrapeIntervalSeconds: 120 },
    };

    expect(resolvePrometheusAlertThresholds(undefined, 120)).toEqual({
      ...DEFAULT_PROMETHEUS_ALERT_THRESHOLDS,
      rateWindowSeconds: 480,
      targetDownForSeconds: 240,
      ruleFailuresForSeconds: 300,
      configReloadForSeconds: 300,
    });
    expect(resolveApiAlertThresholds(undefined, 120)).toEqual({
      ...DEFAULT_API_ALERT_THRESHOLDS,
      rateWindowSeconds: 480,
      errorRatioForSeconds: 240,
      latencyForSeconds: 300,
    });
    expect(rule(inputs, A.targetDown).for).toBe("4m");
    expect(rule(inputs, A.apiHighErrorRatio).expr).toContain("[8m]");
    expect(rule(inputs, A.prometheusRuleEvaluationFailures).expr).toContain("[8m]");
    expect(rule(inputs, A.watchdog).for).toBe("0s");
  });

  it("keeps the fixed defaults when the scrape interval is short", () => {
    expect(resolvePrometheusAlertThresholds(undefined, 15)).toEqual(DEFAULT_PROMETHEUS_ALERT_THRESHOLDS);
    expect(resolvePrometheusAlertThresholds({}, 15)).toEqual(DEFAULT_PROMETHEUS_ALERT_THRESHOLDS);
    expect(resolveApiAlertThresholds(undefined, 15)).toEqual(DEFAULT_API_ALERT_THRESHOLDS);
    expect(resolveApiAlertThresholds({}, 15)).toEqual(DEFAULT_API_ALERT_THRESHOLDS);
  });

  it("links every alert's runbook_url under an absolute runbook base URL, keeping the runbook text", () => {
    const runbookBaseUrl = "https://example.test/monitoring/docs/runbooks/";
    const inputs = {
      prometheus: { ...PROMETHEUS_INPUT, runbookBaseUrl },
      api: { ...API_INPUT, runbookBaseUrl },
    };

    expect(allRules(inputs).map((r) => r.annotations.runbook_url)).toEqual(
      expect.arrayContaining([
        "https://example.test/monitoring/docs/runbooks/TargetDown.md",
        "https://example.test/monitoring/docs/runbooks/ApiHighErrorRatio.md",
      ]),
    );
    expect(rule(inputs, A.watchdog).annotations).toMatchObject({
      runbook: "docs/runbooks/Watchdog.md",
      runbook_url: "https://example.test/monitoring/docs/runbooks/Watchdog.md",
    });
  });

  it("renders byte-identical YAML for the same input", () => {
    const shuffled = { ...PROMETHEUS_INPUT, jobNames: [...PROMETHEUS_INPUT.jobNames].reverse() };

    expect(toGeneratedYaml(renderPrometheusAlertRules(shuffled))).toBe(
      toGeneratedYaml(renderPrometheusAlertRules(PROMETHEUS_INPUT)),
    );
    expect(toGeneratedYaml(renderApiAlertRules({ ...API_INPUT }))).toBe(
      toGeneratedYaml(renderApiAlertRules(API_INPUT)),
    );
  });

  it("renders rules/alerts.yml for the stack's defaults", () => {
    expect(toGeneratedYaml(renderPrometheusAlertRules(PROMETHEUS_INPUT))).toMatchInlineSnapshot(`
     "# Generated by the monitoring stack (cdktf synth). Do not edit: change the stack and deploy.
     groups:
       - name: targets
         rules:
           - alert: TargetDown
             expr: up{job=~"api|grafana|prometheus"} == 0
             for: 1m
             labels:
               severity: critical
             annotations:
               summary: Target {{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }} of job {{ $labels.job }} is down
               description: "Prometheus has failed to scrape {{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }} (job {{ $labels.job }}) for at least 1m: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data."
               runbook: docs/runbooks/TargetDown.md
       - name: prometheus
         rules:
           - alert: PrometheusRuleEvaluationFailures
             expr: sum by (job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[5m])) > 0
             for: 5m
             labels:
               severity: warning
             annotations:
               summary: Prometheus fails to evaluate rule group {{ $labels.rule_group }}
               description: "{{ $labels.instance }} failed {{ $value | humanize }} rule evaluations in group {{ $labels.rule_group }} over the last 5m; alerts of that group may not fire. The Prometheus log names the rule and the error."
               runbook: docs/runbooks/PrometheusRuleEvaluationFailures.md
           - alert: PrometheusConfigReloadFailed
             expr: prometheus_config_last_reload_successful{job="prometheus"} == 0
             for: 5m
             labels:
               severity: warning
             annotations:
               summary: Prometheus {{ $labels.instance }} failed to reload its configuration
               description: The last configuration reload of {{ $labels.instance }} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.
               runbook: docs/runbooks/PrometheusConfigReloadFailed.md
       - name: meta
         rules:
           - alert: Watchdog
             expr: vector(1)
             for: 0s
             labels:
               severity: none
             annotations:
               summary: "Alerting pipeline heartbeat: this alert always fires"
               description: Watchdog fires all the time to prove that Prometheus evaluates the alert rules and delivers alerts. If it is missing from Prometheus' Alerts page (or from Alertmanager), alerting is broken and no other alert can be trusted.
               runbook: docs/runbooks/Watchdog.md
     "
    `);
  });

  it("renders rules/api.yml for the stack's defaults", () => {
    expect(toGeneratedYaml(renderApiAlertRules(API_INPUT))).toMatchInlineSnapshot(`
     "# Generated by the monitoring stack (cdktf synth). Do not edit: change the stack and deploy.
     groups:
       - name: api
         rules:
           - alert: ApiHighErrorRatio
             expr: |-
               sum by (job) (rate(http_requests_total{job="api",status=~"5..",endpoint!~"/metrics|/health|/ready"}[5m]))
               /
               sum by (job) (rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[5m]))
               > 0.05
               and
               sum by (job) (rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) >= 0.1
             for: 2m
             labels:
               severity: critical
             annotations:
               summary: The API answers more than 5% of requests with a 5xx status
               description: "{{ $value | humanizePercentage }} of the requests to job {{ $labels.job }} failed with a 5xx status over the last 5m (threshold 5%, checked only while traffic is at least 0.1 req/s; /metrics, /health, /ready are not counted)."
               runbook: docs/runbooks/ApiHighErrorRatio.md
           - alert: ApiHighLatencyP95
             expr: |-
               histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api",endpoint!~"/metrics|/health|/ready"}[5m])))
               > 0.5
               and
               sum by (job) (rate(http_request_duration_seconds_count{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) >= 0.1
             for: 5m
             labels:
               severity: warning
             annotations:
               summary: The API's p95 latency is above 500ms
               description: The p95 latency of job {{ $labels.job }} is {{ $value | humanizeDuration }} over the last 5m (threshold 500ms, checked only while traffic is at least 0.1 req/s; /metrics, /health, /ready are not counted).
               runbook: docs/runbooks/ApiHighLatencyP95.md
     "
    `);
  });
});

describe("the alert thresholds' and rule files' problems", () => {
  const at = "prometheus.alertThresholds";
  const api = "api.thresholds";

  it("accepts the defaults", () => {
    expect(prometheusAlertThresholdProblems(at, undefined, SCRAPE_INTERVAL_SECONDS)).toEqual([]);
    expect(apiAlertThresholdProblems(api, undefined, SCRAPE_INTERVAL_SECONDS)).toEqual([]);
    expect(apiAlertThresholdProblems(api, {}, SCRAPE_INTERVAL_SECONDS)).toEqual([]);
    for (const document of documents(INPUTS)) {
      expect(ruleDocumentProblems("alertRules.x", document, PROMETHEUS_INPUT.jobNames)).toEqual([]);
    }
  });

  it("fails when the scrape interval is not a whole number of seconds between 1 and 3600, reported once by the stack", () => {
    expect(messages(newTestStack({ scrapeIntervalSeconds: 0 }).configProblems())).toEqual([
      "scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
    ]);
    expect(messages(newTestStack({ scrapeIntervalSeconds: 7.5 }).configProblems())).toEqual([
      "scrapeIntervalSeconds must be an integer between 1 and 3600 (got 7.5)",
    ]);
  });

  it("fails when errorRatio is not between 0 and 1", () => {
    for (const errorRatio of [0, 1, 1.5, -0.1]) {
      expect(messages(apiAlertThresholdProblems(api, { errorRatio }, SCRAPE_INTERVAL_SECONDS))).toEqual([
        `api.thresholds.errorRatio must be a number greater than 0 and less than 1 (got ${errorRatio}); it is a threshold of ApiHighErrorRatio`,
      ]);
    }
  });

  it("fails when minRequestsPerSecond is not positive", () => {
    expect(messages(apiAlertThresholdProblems(api, { minRequestsPerSecond: 0 }, SCRAPE_INTERVAL_SECONDS))).toEqual([
      "api.thresholds.minRequestsPerSecond must be a number greater than 0 (got 0); it is a threshold of ApiHighErrorRatio and ApiHighLatencyP95",
    ]);
  });

  it("fails when latencyP95Seconds is not positive", () => {
    expect(messages(apiAlertThresholdProblems(api, { latencyP95Seconds: 0 }, SCRAPE_INTERVAL_SECONDS))).toEqual([
      "api.thresholds.latencyP95Seconds must be a number greater than 0 (got 0); it is a threshold of ApiHighLatencyP95",
    ]);
    expect(apiAlertThresholdProblems(api, { latencyP95Seconds: Number.NaN }, SCRAPE_INTERVAL_SECONDS)).toHaveLength(1);
  });

  it("fails when a for: duration is shorter than two scrape intervals", () => {
    expect(
      messages(prometheusAlertThresholdProblems(at, { targetDownForSeconds: 15 }, SCRAPE_INTERVAL_SECONDS)),
    ).toEqual([
      "prometheus.alertThresholds.targetDownForSeconds must be a whole number of seconds between 30 and 86400; the for: duration of TargetDown must span at least 2 scrape intervals (2 × 15s) so one missed scrape cannot fire it (got 15)",
    ]);
  });

  it("fails when a rate window is shorter than four scrape intervals, naming the alerts of its file", () => {
    expect(messages(prometheusAlertThresholdProblems(at, { rateWindowSeconds: 180 }, 60))).toEqual([
      "prometheus.alertThresholds.rateWindowSeconds must be a whole number of seconds between 240 and 86400; the rate window of PrometheusRuleEvaluationFailures must span at least 4 scrape intervals (4 × 60s) so rate() always has enough samples (got 180)",
    ]);
    expect(messages(apiAlertThresholdProblems(api, { rateWindowSeconds: 180 }, 60))).toEqual([
      "api.thresholds.rateWindowSeconds must be a whole number of seconds between 240 and 86400; the rate window of ApiHighErrorRatio and ApiHighLatencyP95 must span at least 4 scrape intervals (4 × 60s) so rate() always has enough samples (got 180)",
    ]);
  });

  it("fails when a duration is fractional or longer than a day", () => {
    expect(
      apiAlertThresholdProblems(
        api,
        { errorRatioForSeconds: 90.5, latencyForSeconds: 86_401 },
        SCRAPE_INTERVAL_SECONDS,
      ),
    ).toEqual([
      {
        path: "api.thresholds.errorRatioForSeconds",
        message:
          "api.thresholds.errorRatioForSeconds must be a whole number of seconds between 30 and 86400; the for: duration of ApiHighErrorRatio must span at least 2 scrape intervals (2 × 15s) so one missed scrape cannot fire it (got 90.5)",
      },
      {
        path: "api.thresholds.latencyForSeconds",
        message:
          "api.thresholds.latencyForSeconds must be a whole number of seconds between 30 and 86400; the for: duration of ApiHighLatencyP95 must span at least 2 scrape intervals (2 × 15s) so one missed scrape cannot fire it (got 86401)",
      },
    ]);
    expect(
      messages(prometheusAlertThresholdProblems(at, { configReloadForSeconds: 0.5 }, SCRAPE_INTERVAL_SECONDS)),
    ).toEqual([
      "prometheus.alertThresholds.configReloadForSeconds must be a whole number of seconds between 30 and 86400; the for: duration of PrometheusConfigReloadFailed must span at least 2 scrape intervals (2 × 15s) so one missed scrape cannot fire it (got 0.5)",
    ]);
  });

  it("fails when the API's rules select a job that is not scraped, once per rule", () => {
    const document = renderApiAlertRules({ ...API_INPUT, jobName: "web" });

    expect(messages(ruleDocumentProblems("alertRules.api", document, ["api", "grafana", "prometheus"]))).toEqual([
      'alertRules.api.groups[0].rules[0].expr selects job "web", which is not scraped (jobs: api, grafana, prometheus); add the service or scrape job, or fix the selector',
      'alertRules.api.groups[0].rules[1].expr selects job "web", which is not scraped (jobs: api, grafana, prometheus); add the service or scrape job, or fix the selector',
    ]);
  });

  it("fails when Prometheus' rules select a job that is not scraped", () => {
    const document = renderPrometheusAlertRules({ ...PROMETHEUS_INPUT, prometheusJobName: "self" });

    expect(messages(ruleDocumentProblems("alertRules.alerts", document, ["api", "grafana", "prometheus"]))).toEqual([
      'alertRules.alerts.groups[1].rules[0].expr selects job "self", which is not scraped (jobs: api, grafana, prometheus); add the service or scrape job, or fix the selector',
      'alertRules.alerts.groups[1].rules[1].expr selects job "self", which is not scraped (jobs: api, grafana, prometheus); add the service or scrape job, or fix the selector',
    ]);
  });

  it("fails when the runbook base URL is not an absolute http(s) URL (a relative link opens from no UI)", () => {
    expect(messages(newTestStack({ runbookBaseUrl: "README.md#runbook-" }).configProblems())).toEqual([
      'runbookBaseUrl must be an absolute http(s) URL prefix without spaces, such as "https://git.example.com/acme/monitoring/blob/main/docs/runbooks/", so Prometheus and Alertmanager can open every alert\'s runbook_url (this prefix plus "<AlertName>.md"); leave it unset for no link (got "README.md#runbook-")',
    ]);
    for (const bad of ["", "my runbooks#", "ftp://example.test/#", "https://exa mple.test/#", "file:///README.md#"]) {
      expect(newTestStack({ runbookBaseUrl: bad }).configProblems()).toHaveLength(1);
    }
  });

  it("fails when the runbook base URL would give broken links (no closing /) or carries a credential", () => {
    expect(
      messages(
        newTestStack({
          runbookBaseUrl: "https://git.example.com/acme/monitoring/blob/main/docs/runbooks",
        }).configProblems(),
      ),
    ).toEqual([
      'runbookBaseUrl must end with "/" (the folder the pages are in), "=" or "#": each alert\'s runbook_url is this prefix plus "<AlertName>.md", so "https://git.example.com/acme/monitoring/blob/main/docs/runbooks" would give "https://git.example.com/acme/monitoring/blob/main/docs/runbooksTargetDown.md"; add the "/"',
    ]);
    expect(
      messages(newTestStack({ runbookBaseUrl: "https://u:s3cret@wiki.example/runbooks/" }).configProblems()),
    ).toEqual([
      "runbookBaseUrl must not carry a credential (got \"https://u:***@wiki.example/runbooks/\"): it is in every alert's runbook_url, so in prometheus.yml's image and every notification; link a page readers open with their own login",
    ]);
    expect(
      newTestStack({ runbookBaseUrl: "https://wiki.example/runbooks/?token=t0k3n&page=" }).configProblems(),
    ).toHaveLength(1);
    for (const good of [
      "https://wiki.example/runbooks/",
      "https://wiki.example/view?page=",
      "https://example.org/runbooks#",
    ]) {
      expect(newTestStack({ runbookBaseUrl: good }).configProblems()).toEqual([]);
    }
  });

  it("names settings under the given path", () => {
    expect(apiAlertThresholdProblems("api.alerts", { errorRatio: 2 }, SCRAPE_INTERVAL_SECONDS)).toEqual([
      {
        path: "api.alerts.errorRatio",
        message:
          "api.alerts.errorRatio must be a number greater than 0 and less than 1 (got 2); it is a threshold of ApiHighErrorRatio",
      },
    ]);
  });

  it("makes synth throw every problem at once, named where the stack's settings live", () => {
    // given a Prometheus threshold and an API threshold that are both invalid
    const stack = newTestStack({ prometheus: { alertThresholds: { targetDownForSeconds: 15 } } });
    addDemoApi(stack, { ...TEST_API, thresholds: { errorRatio: 5 } });

    // then nothing throws before synth, which throws one ConfigError naming both
    expect(stack.configProblems().map((problem) => problem.path)).toEqual([
      "api.thresholds.errorRatio",
      "prometheus.alertThresholds.targetDownForSeconds",
    ]);
    const synth = () => synthJson(stack);
    expect(synth).toThrow(ConfigError);
    expect(synth).toThrow(
      /^MonitoringStack "monitoring": 2 invalid settings:\n {2}- api\.thresholds\.errorRatio .*\n {2}- prometheus\.alertThresholds\.targetDownForSeconds /,
    );
  });
});

describe("runbooks", () => {
  const dir = join(__dirname, "..", "docs", "runbooks");
  const pages = readdirSync(dir).filter((name) => name !== "README.md" && name.endsWith(".md"));

  it("names its page in docs/runbooks/ for every alert of the stack, which runbook_url links to", () => {
    const { stack } = synthMonitoringStack(
      { runbookBaseUrl: "https://example.test/monitoring/docs/runbooks/" },
      EVERY_ALERT_ENV,
    );
    const rules = stack.ruleFiles.flatMap((file) =>
      file.render().groups.flatMap((group) => group.rules.filter(isAlertingRule)),
    );
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.annotations.runbook).toBe(`docs/runbooks/${r.alert}.md`);
      expect(r.annotations.runbook_url).toBe(`https://example.test/monitoring/docs/runbooks/${r.alert}.md`);
      const page = readFileSync(join(dir, `${r.alert}.md`), "utf8");
      expect(page.split("\n")[0]).toBe(`# Runbook: ${r.alert}`);
    }
  });

  it("has a page only for an alert some rule file defines, each listed in the index", () => {
    const { stack } = synthMonitoringStack({}, EVERY_ALERT_ENV);
    const alerts = stack.ruleFiles.flatMap((file) =>
      file.render().groups.flatMap((group) => group.rules.filter(isAlertingRule).map((rule) => rule.alert)),
    );
    expect(pages.map((page) => page.replace(/\.md$/, "")).sort()).toEqual([...new Set(alerts)].sort());
    const index = readFileSync(join(dir, "README.md"), "utf8");
    for (const page of pages) expect(index).toContain(`](${page})`);
  });
});
