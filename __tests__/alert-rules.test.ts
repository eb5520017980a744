import { EXPORTER_ALERT_NAMES } from "../constructs/exporter-rules";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS } from "@monitoring-stack/api/contract";
import {
  ALERT_NAMES,
  AlertRulesInput,
  AlertingRule,
  DEFAULT_ALERT_THRESHOLDS,
  alertRulesProblems,
  renderAlertRules,
  resolveAlertThresholds,
} from "../constructs/alert-rules";
import { toGeneratedYaml } from "../constructs/prometheus/config";
import { ConfigError } from "../constructs/core/validation";

const INPUT: AlertRulesInput = {
  jobNames: ["api", "prometheus", "grafana"],
  apiJobName: "api",
  prometheusJobName: "prometheus",
  scrapeIntervalSeconds: 15,
};

function allRules(input: AlertRulesInput): AlertingRule[] {
  return renderAlertRules(input).groups.flatMap((group) => group.rules);
}

function rule(input: AlertRulesInput, alert: string): AlertingRule {
  const found = allRules(input).filter((candidate) => candidate.alert === alert);
  expect(found).toHaveLength(1);
  return found[0];
}

function messages(input: AlertRulesInput, path = ""): string[] {
  return alertRulesProblems(input, path).map((problem) => problem.message);
}

describe("renderAlertRules", () => {
  it("renders the groups and alerts in a fixed order", () => {
    const document = renderAlertRules(INPUT);

    expect(document.groups.map((group) => [group.name, group.rules.map((r) => r.alert)])).toEqual([
      ["targets", ["TargetDown"]],
      ["api", ["ApiHighErrorRatio", "ApiHighLatencyP95"]],
      ["prometheus", ["PrometheusRuleEvaluationFailures", "PrometheusConfigReloadFailed"]],
      ["meta", ["Watchdog"]],
    ]);
  });

  it("renders ApiHighErrorRatio with the default thresholds", () => {
    expect(rule(INPUT, ALERT_NAMES.apiHighErrorRatio)).toEqual({
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
        runbook: 'README.md, section "Runbook: ApiHighErrorRatio"',
      },
    });
  });

  it("gives every alert a for: duration, a severity, a summary, a description and its runbook, no runbook_url by default", () => {
    const rules = allRules(INPUT);

    expect(rules.map((r) => r.alert).sort()).toEqual(Object.values(ALERT_NAMES).sort());
    for (const r of rules) {
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning", "none"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(r.annotations.summary.length);
      expect(r.annotations.runbook).toBe(`README.md, section "Runbook: ${r.alert}"`);
      // A relative link would open from neither Prometheus' nor Alertmanager's UI.
      expect(r.annotations).not.toHaveProperty("runbook_url");
    }
  });

  it("covers exactly the deployed jobs in TargetDown, sorted, whatever their input order", () => {
    const targetDown = rule({ ...INPUT, jobNames: ["prometheus", "grafana", "api"] }, ALERT_NAMES.targetDown);

    expect(targetDown.expr).toBe('up{job=~"api|grafana|prometheus"} == 0');
    expect(rule({ ...INPUT, jobNames: ["api", "prometheus"] }, ALERT_NAMES.targetDown).expr).toBe(
      'up{job=~"api|prometheus"} == 0',
    );
  });

  it("escapes job names for the regex and the PromQL string", () => {
    const input = { ...INPUT, jobNames: ["api", "prometheus", "node.exporter"] };

    // RE2 needs `\.` for a literal dot; inside a PromQL string the backslash itself is escaped.
    expect(rule(input, ALERT_NAMES.targetDown).expr).toBe('up{job=~"api|node\\\\.exporter|prometheus"} == 0');
  });

  it("selects the API and Prometheus jobs it is given", () => {
    const input = { ...INPUT, jobNames: ["web", "self"], apiJobName: "web", prometheusJobName: "self" };

    expect(rule(input, ALERT_NAMES.apiHighErrorRatio).expr).toContain('http_requests_total{job="web",');
    expect(rule(input, ALERT_NAMES.apiHighLatencyP95).expr).toContain(
      'http_request_duration_seconds_bucket{job="web",',
    );
    expect(rule(input, ALERT_NAMES.prometheusRuleEvaluationFailures).expr).toContain('{job="self"}');
    expect(rule(input, ALERT_NAMES.prometheusConfigReloadFailed).expr).toBe(
      'prometheus_config_last_reload_successful{job="self"} == 0',
    );
  });

  it("leaves the non-traffic endpoints out of every API query and uses the metrics contract's names", () => {
    const excluded = `${HTTP_LABELS.endpoint}!~"${NON_TRAFFIC_ENDPOINTS.join("|")}"`;

    for (const alert of [ALERT_NAMES.apiHighErrorRatio, ALERT_NAMES.apiHighLatencyP95]) {
      const expr = rule(INPUT, alert).expr;
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
    expect(rule(INPUT, ALERT_NAMES.apiHighLatencyP95).expr).toBe(
      [
        'histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api",endpoint!~"/metrics|/health|/ready"}[5m])))',
        "> 0.5",
        "and",
        'sum by (job) (rate(http_request_duration_seconds_count{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) >= 0.1',
      ].join("\n"),
    );
  });

  it("uses the thresholds it is given", () => {
    const input: AlertRulesInput = {
      ...INPUT,
      thresholds: {
        apiErrorRatio: 0.07,
        apiMinRequestsPerSecond: 2,
        apiLatencyP95Seconds: 1.5,
        rateWindowSeconds: 600,
        targetDownForSeconds: 45,
        apiErrorRatioForSeconds: 180,
        apiLatencyForSeconds: 900,
        prometheusRuleFailuresForSeconds: 3600,
        prometheusConfigReloadForSeconds: 30,
      },
    };

    const ratio = rule(input, ALERT_NAMES.apiHighErrorRatio);
    expect(ratio.expr).toContain("[10m]");
    expect(ratio.expr).toContain("> 0.07\nand\n");
    expect(ratio.expr).toMatch(/ >= 2$/);
    expect(ratio.for).toBe("3m");
    expect(ratio.annotations.summary).toBe("The API answers more than 7% of requests with a 5xx status");
    const latency = rule(input, ALERT_NAMES.apiHighLatencyP95);
    expect(latency.expr).toContain("> 1.5\nand\n");
    expect(latency.for).toBe("15m");
    expect(latency.annotations.summary).toBe("The API's p95 latency is above 1.5s");
    expect(rule(input, ALERT_NAMES.targetDown).for).toBe("45s");
    expect(rule(input, ALERT_NAMES.prometheusRuleEvaluationFailures).for).toBe("1h");
    expect(rule(input, ALERT_NAMES.prometheusRuleEvaluationFailures).expr).toContain("[10m]");
    expect(rule(input, ALERT_NAMES.prometheusConfigReloadFailed).for).toBe("30s");
  });

  it("raises default durations to what a long scrape interval allows", () => {
    // given a 2-minute scrape interval: for: >= 2 scrapes (4m), rate windows >= 4 scrapes (8m)
    const input = { ...INPUT, scrapeIntervalSeconds: 120 };

    expect(resolveAlertThresholds(undefined, 120)).toEqual({
      ...DEFAULT_ALERT_THRESHOLDS,
      rateWindowSeconds: 480,
      targetDownForSeconds: 240,
      apiErrorRatioForSeconds: 240,
      apiLatencyForSeconds: 300,
      prometheusRuleFailuresForSeconds: 300,
      prometheusConfigReloadForSeconds: 300,
    });
    expect(rule(input, ALERT_NAMES.targetDown).for).toBe("4m");
    expect(rule(input, ALERT_NAMES.apiHighErrorRatio).expr).toContain("[8m]");
    expect(rule(input, ALERT_NAMES.watchdog).for).toBe("0s");
  });

  it("keeps the fixed defaults when the scrape interval is short", () => {
    expect(resolveAlertThresholds(undefined, 15)).toEqual(DEFAULT_ALERT_THRESHOLDS);
    expect(resolveAlertThresholds({}, 15)).toEqual(DEFAULT_ALERT_THRESHOLDS);
  });

  it("links every alert's runbook_url under an absolute runbook base URL, keeping the runbook text", () => {
    const input = { ...INPUT, runbookBaseUrl: "https://example.test/monitoring#runbook-" };

    expect(allRules(input).map((r) => r.annotations.runbook_url)).toContain(
      "https://example.test/monitoring#runbook-targetdown",
    );
    expect(rule(input, ALERT_NAMES.watchdog).annotations).toMatchObject({
      runbook: 'README.md, section "Runbook: Watchdog"',
      runbook_url: "https://example.test/monitoring#runbook-watchdog",
    });
  });

  it("renders byte-identical YAML for the same input", () => {
    const shuffled = { ...INPUT, jobNames: [...INPUT.jobNames].reverse() };

    expect(toGeneratedYaml(renderAlertRules(shuffled))).toBe(toGeneratedYaml(renderAlertRules(INPUT)));
  });

  it("renders this rule file for the stack's defaults", () => {
    expect(toGeneratedYaml(renderAlertRules(INPUT))).toMatchInlineSnapshot(`
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
               summary: Target {{ $labels.instance }} of job {{ $labels.job }} is down
               description: "Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for at least 1m: the service is down, unreachable on the network, or its metrics endpoint fails. Its dashboards and alerts see no new data."
               runbook: 'README.md, section "Runbook: TargetDown"'
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
               runbook: 'README.md, section "Runbook: ApiHighErrorRatio"'
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
               runbook: 'README.md, section "Runbook: ApiHighLatencyP95"'
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
               runbook: 'README.md, section "Runbook: PrometheusRuleEvaluationFailures"'
           - alert: PrometheusConfigReloadFailed
             expr: prometheus_config_last_reload_successful{job="prometheus"} == 0
             for: 5m
             labels:
               severity: warning
             annotations:
               summary: Prometheus {{ $labels.instance }} failed to reload its configuration
               description: The last configuration reload of {{ $labels.instance }} failed, so Prometheus still runs its previous prometheus.yml and rule files; changes deployed since then are not in effect.
               runbook: 'README.md, section "Runbook: PrometheusConfigReloadFailed"'
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
               runbook: 'README.md, section "Runbook: Watchdog"'
     "
    `);
  });
});

describe("alertRulesProblems", () => {
  it("accepts the stack's input", () => {
    expect(alertRulesProblems(INPUT)).toEqual([]);
  });

  it("fails when the scrape interval is not a whole number of seconds between 1 and 3600", () => {
    expect(messages({ ...INPUT, scrapeIntervalSeconds: 0 })).toEqual([
      "scrapeIntervalSeconds must be an integer between 1 and 3600; the alerts' for: durations and rate windows are derived from it (got 0)",
    ]);
    expect(messages({ ...INPUT, scrapeIntervalSeconds: 7.5 })).toHaveLength(1);
  });

  it("fails when apiErrorRatio is not between 0 and 1", () => {
    for (const apiErrorRatio of [0, 1, 1.5, -0.1]) {
      expect(messages({ ...INPUT, thresholds: { apiErrorRatio } })).toEqual([
        `thresholds.apiErrorRatio must be a number greater than 0 and less than 1 (got ${apiErrorRatio}); it is a threshold of ApiHighErrorRatio`,
      ]);
    }
  });

  it("fails when apiMinRequestsPerSecond is not positive", () => {
    expect(messages({ ...INPUT, thresholds: { apiMinRequestsPerSecond: 0 } })).toEqual([
      "thresholds.apiMinRequestsPerSecond must be a number greater than 0 (got 0); it is a threshold of ApiHighErrorRatio and ApiHighLatencyP95",
    ]);
  });

  it("fails when apiLatencyP95Seconds is not positive", () => {
    expect(messages({ ...INPUT, thresholds: { apiLatencyP95Seconds: 0 } })).toEqual([
      "thresholds.apiLatencyP95Seconds must be a number greater than 0 (got 0); it is a threshold of ApiHighLatencyP95",
    ]);
    expect(messages({ ...INPUT, thresholds: { apiLatencyP95Seconds: Number.NaN } })).toHaveLength(1);
  });

  it("fails when a for: duration is shorter than two scrape intervals", () => {
    expect(messages({ ...INPUT, thresholds: { targetDownForSeconds: 15 } })).toEqual([
      "thresholds.targetDownForSeconds must be a whole number of seconds between 30 and 86400; the for: duration of TargetDown must span at least 2 scrape intervals (2 × 15s) so one missed scrape cannot fire it (got 15)",
    ]);
  });

  it("fails when the rate window is shorter than four scrape intervals", () => {
    expect(messages({ ...INPUT, scrapeIntervalSeconds: 60, thresholds: { rateWindowSeconds: 180 } })).toEqual([
      "thresholds.rateWindowSeconds must be a whole number of seconds between 240 and 86400; the rate window of ApiHighErrorRatio, ApiHighLatencyP95 and PrometheusRuleEvaluationFailures must span at least 4 scrape intervals (4 × 60s) so rate() always has enough samples (got 180)",
    ]);
  });

  it("fails when a duration is fractional or longer than a day", () => {
    expect(
      alertRulesProblems({ ...INPUT, thresholds: { apiErrorRatioForSeconds: 90.5, apiLatencyForSeconds: 86_401 } }),
    ).toEqual([
      expect.objectContaining({
        path: "thresholds.apiErrorRatioForSeconds",
        message: expect.stringMatching(/ApiHighErrorRatio .*\(got 90\.5\)$/),
      }),
      expect.objectContaining({
        path: "thresholds.apiLatencyForSeconds",
        message: expect.stringMatching(/between 30 and 86400; .*ApiHighLatencyP95 .*\(got 86401\)$/),
      }),
    ]);
  });

  it("fails when no job is deployed", () => {
    expect(messages({ ...INPUT, jobNames: [] })).toEqual([
      "jobNames must list at least one deployed scrape job; TargetDown watches exactly these jobs (got [])",
      'apiJobName must be one of the deployed jobs [], or ApiHighErrorRatio and ApiHighLatencyP95 would query a job that is never scraped and never fire (got "api")',
      'prometheusJobName must be one of the deployed jobs [], or PrometheusRuleEvaluationFailures and PrometheusConfigReloadFailed would query a job that is never scraped and never fire (got "prometheus")',
    ]);
  });

  it("fails when a job is listed twice or is empty", () => {
    expect(messages({ ...INPUT, jobNames: ["api", "prometheus", "api", ""] })).toEqual([
      'jobNames lists "api" twice; TargetDown needs each deployed job once (got ["api","prometheus","api",""])',
      'jobNames must not contain an empty job name (got ["api","prometheus","api",""])',
    ]);
  });

  it("fails when the API job is not among the deployed jobs", () => {
    expect(messages({ ...INPUT, apiJobName: "web" })).toEqual([
      'apiJobName must be one of the deployed jobs ["api","prometheus","grafana"], or ApiHighErrorRatio and ApiHighLatencyP95 would query a job that is never scraped and never fire (got "web")',
    ]);
  });

  it("fails when the Prometheus job is not among the deployed jobs", () => {
    expect(messages({ ...INPUT, prometheusJobName: "self" })).toEqual([
      'prometheusJobName must be one of the deployed jobs ["api","prometheus","grafana"], or PrometheusRuleEvaluationFailures and PrometheusConfigReloadFailed would query a job that is never scraped and never fire (got "self")',
    ]);
  });

  it("fails when the runbook base URL is not an absolute http(s) URL (a relative link opens from no UI)", () => {
    expect(messages({ ...INPUT, runbookBaseUrl: "README.md#runbook-" })).toEqual([
      'runbookBaseUrl must be an absolute http(s) URL prefix without spaces, such as "https://git.example.com/acme/monitoring/blob/main/README.md#runbook-", so Prometheus and Alertmanager can open every alert\'s runbook_url (this prefix plus the lowercase alert name); leave it unset for no link (got "README.md#runbook-")',
    ]);
    for (const bad of ["", "my runbooks#", "ftp://example.test/#", "https://exa mple.test/#", "file:///README.md#"]) {
      expect(messages({ ...INPUT, runbookBaseUrl: bad })).toHaveLength(1);
    }
  });

  it("names settings under the given path", () => {
    expect(alertRulesProblems({ ...INPUT, thresholds: { apiErrorRatio: 2 } }, "prometheus.alerts")).toEqual([
      {
        path: "prometheus.alerts.thresholds.apiErrorRatio",
        message:
          "prometheus.alerts.thresholds.apiErrorRatio must be a number greater than 0 and less than 1 (got 2); it is a threshold of ApiHighErrorRatio",
      },
    ]);
  });

  it("makes renderAlertRules throw every problem at once", () => {
    const render = () => renderAlertRules({ ...INPUT, apiJobName: "web", thresholds: { apiErrorRatio: 5 } });

    expect(render).toThrow(ConfigError);
    expect(render).toThrow(/Alert rules: 2 invalid settings:\n {2}- apiJobName .*\n {2}- thresholds\.apiErrorRatio /);
  });
});

// GitHub's heading anchors: lowercase, punctuation dropped (letters, digits, spaces, "-" and "_" kept), spaces to "-".
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function readmeHeadings(markdown: string): string[] {
  const headings: string[] = [];
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const match = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!inFence && match !== null) headings.push(match[1]);
  }
  return headings;
}

describe("runbooks", () => {
  const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
  const anchors = readmeHeadings(readme).map(githubAnchor);

  it("computes anchors the way GitHub does", () => {
    expect(githubAnchor("Runbook: ApiHighLatencyP95")).toBe("runbook-apihighlatencyp95");
    expect(githubAnchor("What gets deployed (and where)")).toBe("what-gets-deployed-and-where");
  });

  it("names a runbook heading in README.md for every alert, whose anchor runbook_url links to", () => {
    const input = { ...INPUT, runbookBaseUrl: "https://example.test/README.md#runbook-" };
    for (const r of allRules(input)) {
      const heading = /^README\.md, section "(.+)"$/.exec(r.annotations.runbook ?? "")?.[1] ?? "";
      expect(readmeHeadings(readme)).toContain(heading);
      expect(r.annotations.runbook_url).toBe(`https://example.test/README.md#${githubAnchor(heading)}`);
    }
  });

  it("has no runbook for an alert that does not exist", () => {
    const alertAnchors = [...Object.values(ALERT_NAMES), ...Object.values(EXPORTER_ALERT_NAMES)].map((name) =>
      githubAnchor(`Runbook: ${name}`),
    );
    const runbookAnchors = anchors.filter((anchor) => anchor.startsWith("runbook-"));

    expect(runbookAnchors.sort()).toEqual(alertAnchors.sort());
  });
});
