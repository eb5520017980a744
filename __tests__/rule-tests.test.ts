/**
 * rulesUnderTest: the rules of a rule file a promtool case runs against, those that decide its alerts. A kept rule must
 * read in the reduced file exactly what it reads in the whole one, so every rule writing a series it may select stays.
 */
import { rulesUnderTest } from "../constructs/core/rule-tests";
import type { AlertingRule, RecordingRule, RuleTestCase, RulesDocument } from "../constructs/core/rules";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describeWithBinaries, promtoolTestEnv, runBinary } from "./support/prometheus-binaries";
import { newTestStack } from "./support/stack";

const annotations = { summary: "s", description: "d", runbook: "docs/runbooks/X.md" } as const;

function alert(name: string, expr: string, labels: Record<string, string> = {}): AlertingRule {
  return { alert: name, expr, for: "1m", labels: { severity: "warning", ...labels }, annotations };
}

function record(name: string, expr: string, labels?: Record<string, string>): RecordingRule {
  return { record: name, expr, ...(labels !== undefined ? { labels } : {}) };
}

/** The kept rules, as `group: alert or record` in file order. */
function kept(document: RulesDocument): string[] {
  return document.groups.flatMap((group) =>
    group.rules.map((rule) => `${group.name}: ${"alert" in rule ? rule.alert : rule.record}`),
  );
}

describe("rulesUnderTest", () => {
  it("keeps the alert and, transitively, the recordings it reads, in the file's order; drops the rest and empty groups", () => {
    const document: RulesDocument = {
      groups: [
        {
          name: "recordings",
          rules: [
            record("job:errors:rate5m", "sum(rate(errors_total[5m]))"),
            record("job:unused:rate5m", "sum(rate(unused_total[5m]))"),
            record("job:errors:ratio", "job:errors:rate5m / job:requests:rate5m"),
            record("job:requests:rate5m", "sum(rate(requests_total[5m]))"),
          ],
        },
        { name: "other", rules: [alert("Other", "up == 0")] },
        { name: "alerts", rules: [alert("Errors", "job:errors:ratio > 0.1")] },
      ],
    };

    expect(kept(rulesUnderTest(document, ["Errors"]))).toEqual([
      "recordings: job:errors:rate5m",
      "recordings: job:errors:ratio",
      "recordings: job:requests:rate5m",
      "alerts: Errors",
    ]);
    expect(kept(rulesUnderTest(document, ["Errors", "Other"]))).toHaveLength(5);
    // Nothing left out: the document itself, so a caller can tell.
    const alone: RulesDocument = { groups: [document.groups[1]] };
    expect(rulesUnderTest(alone, ["Other"])).toBe(alone);
  });

  it("leaves out a recording whose fixed label an = or != matcher rules out; keeps one whose label comes from the query, and every one a regex matcher may read", () => {
    const document: RulesDocument = {
      groups: [
        {
          name: "slo",
          rules: [
            record("slo:ratio", "sum(rate(a_total[5m]))", { slo: "a" }),
            record("slo:ratio", "sum(rate(b_total[5m]))", { slo: "b" }),
            record("slo:ratio", "sum(rate(c_total[5m]))", { slo: "c" }),
            record("slo:ratio", "sum by (slo) (rate(d_total[5m]))"),
          ],
        },
        {
          name: "alerts",
          rules: [
            alert("A", 'slo:ratio{slo="a"} > 1'),
            alert("NotB", 'slo:ratio{slo!="b"} > 1'),
            alert("AorC", 'slo:ratio{slo=~"a|c"} > 1'),
          ],
        },
      ],
    };
    const recorded = (alerts: string[]) =>
      rulesUnderTest(document, alerts)
        .groups[0].rules.map((rule) => ("record" in rule ? rule.expr : ""))
        .map((expr) => /\w_total/.exec(expr)?.[0]);

    expect(recorded(["A"])).toEqual(["a_total", "d_total"]);
    expect(recorded(["NotB"])).toEqual(["a_total", "c_total", "d_total"]);
    // JavaScript's regexes are not Prometheus' RE2: a regex matcher is never taken to rule a producer out.
    expect(recorded(["AorC"])).toEqual(["a_total", "b_total", "c_total", "d_total"]);
  });

  it("keeps the alert an ALERTS selector names, and treats a templated alert label as unknown", () => {
    const document: RulesDocument = {
      groups: [
        {
          name: "alerts",
          rules: [
            alert("Down", "up == 0", { team: "{{ $labels.team }}" }),
            alert("Slow", "latency > 1", { team: "web" }),
            alert("DownTooLong", 'ALERTS{alertname="Down", alertstate="firing", team="db"} == 1'),
            alert("WebAlerts", 'count(ALERTS{team="web"}) > 0'),
          ],
        },
      ],
    };

    expect(kept(rulesUnderTest(document, ["DownTooLong"]))).toEqual(["alerts: Down", "alerts: DownTooLong"]);
    expect(kept(rulesUnderTest(document, ["WebAlerts"]))).toEqual([
      "alerts: Down",
      "alerts: Slow",
      "alerts: DownTooLong",
      "alerts: WebAlerts",
    ]);
  });

  it("keeps the whole document when a query selects series without a metric name", () => {
    const document: RulesDocument = {
      groups: [
        { name: "recordings", rules: [record("job:x", "sum(x)"), record("job:y", "sum(y)")] },
        { name: "alerts", rules: [alert("Any", 'count({job="api"}) > 0')] },
      ],
    };

    expect(rulesUnderTest(document, ["Any"])).toBe(document);
  });

  it("keeps the whole document when a kept rule's template runs a query of its own", () => {
    const document: RulesDocument = {
      groups: [
        { name: "recordings", rules: [record("job:x", "sum(x)"), record("job:y", "sum(y)")] },
        {
          name: "alerts",
          rules: [
            {
              ...alert("X", "job:x > 1"),
              annotations: { ...annotations, description: '{{ with query "job:y" }}{{ . | first | value }}{{ end }}' },
            },
          ],
        },
      ],
    };

    expect(rulesUnderTest(document, ["X"])).toBe(document);
  });

  it("refuses an alert the file does not define, naming it", () => {
    const document: RulesDocument = { groups: [{ name: "alerts", rules: [alert("Down", "up == 0")] }] };

    expect(() => rulesUnderTest(document, ["Down", "Gone"])).toThrow(
      "promtool case: the rule file has no alert Gone; name an alert it defines",
    );
  });
});

describe("stack.ruleTestFiles: the promtool cases of a user's rules, as files promtool runs", () => {
  const backlogRules = {
    groups: [
      {
        name: "orders",
        rules: [
          {
            alert: "OrdersBacklogHigh",
            expr: 'sum(orders_backlog{job="orders"}) > 100',
            for: "1m",
            labels: { severity: "warning" as const },
            annotations: { summary: "Orders pile up", description: "{{ $value }} queued" },
          },
        ],
      },
    ],
  };
  /** A case: the backlog at `value` for 5 minutes, the alert expected (`fires`) or not at 4 minutes. */
  const backlogCase = (value: number, fires: boolean, alertname = "OrdersBacklogHigh"): RuleTestCase => ({
    alert: alertname,
    fires,
    title: `${alertname} ${fires ? "fires" : "stays quiet"} at a backlog of ${value}`,
    group: {
      name: `backlog ${value}`,
      interval: "15s",
      input_series: [{ series: 'orders_backlog{job="orders"}', values: `${value}x20` }],
      alert_rule_test: [
        {
          eval_time: "4m",
          alertname,
          exp_alerts: fires
            ? [
                {
                  exp_labels: { severity: "warning" },
                  exp_annotations: { summary: "Orders pile up", description: `${value} queued` },
                },
              ]
            : [],
        },
      ],
    },
  });
  const stackWith = (cases: readonly RuleTestCase[]) => {
    const stack = newTestStack();
    stack.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, metricNames: ["orders_backlog"] });
    stack.addAlertRules("orders", backlogRules, { tests: () => cases });
    return stack;
  };

  it("refuses a case about an alert its file does not define", () => {
    const stack = stackWith([backlogCase(500, true, "NoSuchAlert")]);
    expect(() => stack.ruleTestFiles()).toThrow(
      'alertRules.orders.tests: the case "NoSuchAlert fires at a backlog of 500" is about the alert "NoSuchAlert", which rules/orders.yml does not define (alerts: OrdersBacklogHigh); rename the alert in the case, or remove the case',
    );
  });

  describeWithBinaries("run by the real promtool", ["promtool"], (bins) => {
    const run = async (cases: readonly RuleTestCase[]) => {
      const dir = mkdtempSync(join(tmpdir(), "rule-test-files-"));
      try {
        const files = stackWith(cases).ruleTestFiles();
        for (const file of files) {
          mkdirSync(dirname(join(dir, file.path)), { recursive: true });
          writeFileSync(join(dir, file.path), file.content);
        }
        const tests = files.map((file) => file.path).filter((path) => path.endsWith(".test.yml"));
        const result = await runBinary(bins.promtool, ["test", "rules", ...tests], {
          cwd: dir,
          env: promtoolTestEnv(),
        });
        return { tests, exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it("passes the user's cases, with the stack's own (alerts.yml), in one folder", async () => {
      const result = await run([backlogCase(500, true), backlogCase(50, false)]);
      expect(result.tests).toEqual(expect.arrayContaining(["orders.test.yml", "alerts.test.yml"]));
      expect(result).toMatchObject({ exitCode: 0, output: expect.stringContaining("SUCCESS") });
    });

    it("fails when a case expects what the rule does not do, so these files can fail", async () => {
      const result = await run([backlogCase(50, true)]);
      expect(result).toMatchObject({ exitCode: 1, output: expect.stringMatching(/FAILED[\s\S]*OrdersBacklogHigh/) });
    });
  });
});
