/**
 * SLOs declared on a service or a scrape job (constructs/core/slo.ts): the rules in sloth's naming, the page and the
 * ticket with their guard, the problems refused at synth (one `fails when ...` test each), the window scale kept out
 * of the default stack, and the SLO dashboard. The promtool cases generated from the declaration run in
 * rule-cases.test.ts; the end-to-end proof (data, the page firing under injected 5xx) in e2e.test.ts.
 */
import { Testing } from "cdktf";
import { HTTP_DURATION_BUCKETS_SECONDS } from "@monitoring-stack/api/contract";
import { API_REQUEST_METRICS, DEMO_API_DEFAULTS, addDemoApi } from "../constructs/api";
import { rulesUnderTest } from "../constructs/core/rule-tests";
import { isAlertingRule, type AlertingRule, type RecordingRule, type RulesDocument } from "../constructs/core/rules";
import {
  MIN_OBJECTIVE_PERCENT,
  SLO_ALERT_NAMES,
  SLO_RECORDED_SERIES,
  prometheusFloat,
  renderSloRules,
  type SloDeclaration,
} from "../constructs/core/slo";
import { SLO_DASHBOARD_UID, sloDashboardQueries } from "../constructs/core/slo-dashboard";
import { ConfigError } from "../constructs/core/validation";
import { withEnvHint } from "../constructs/env-config";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { dashboardQueries } from "../scripts/verify/panel-queries";
import { newTestStack, synthMonitoringStack } from "./support/stack";

const ORDERS = { image: "ghcr.io/acme/orders:1.4.2", port: 8080 } as const;
const ORDERS_METRICS = {
  metricNames: ["orders_requests_total", "orders_duration_seconds_bucket", "orders_duration_seconds_count"],
  requestMetrics: {
    requestsTotal: "orders_requests_total",
    statusLabel: "code",
    durationHistogram: { name: "orders_duration_seconds", bucketsSeconds: [0.1, 0.25, 1, 2.5] },
  },
} as const;

function synthError(stack: MonitoringStack): ConfigError {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected synth to fail");
}

function messages(stack: MonitoringStack): string[] {
  return synthError(stack).problems.map((problem) => problem.message);
}

function ruleFile(stack: MonitoringStack, name: string): RulesDocument {
  const file = stack.ruleFiles.find((candidate) => candidate.name === name);
  if (file === undefined) throw new Error(`no rule file ${name}`);
  return file.render();
}

function recordings(document: RulesDocument): RecordingRule[] {
  return document.groups.flatMap((group) => group.rules.filter((rule): rule is RecordingRule => !isAlertingRule(rule)));
}

function alerts(document: RulesDocument): AlertingRule[] {
  return document.groups.flatMap((group) => group.rules.filter(isAlertingRule));
}

describe("prometheusFloat: le values as Prometheus 3 writes them", () => {
  it("writes integers with .0, fractions as they are, and Go's exponent form outside [1e-4, 1e6)", () => {
    expect([0.5, 1, 10, 0.005, 2.5, 0, 1e-5, 1e6, 123456].map(prometheusFloat)).toEqual([
      "0.5",
      "1.0",
      "10.0",
      "0.005",
      "2.5",
      "0.0",
      "1e-05",
      "1e+06",
      "123456.0",
    ]);
    expect(prometheusFloat(Infinity)).toBe("+Inf");
  });
});

describe("the default stack's SLOs: the demo API declares availability 99.9% and latency 99% under 0.5 s", () => {
  const { stack } = synthMonitoringStack();
  const document = ruleFile(stack, "slo-api");

  it("declares them from the API's defaults, over its contract's request metrics and buckets", () => {
    expect(DEMO_API_DEFAULTS.slo).toEqual({
      availability: { objective: 99.9 },
      latency: { objective: 99, thresholdSeconds: 0.5 },
    });
    expect(API_REQUEST_METRICS.durationHistogram?.bucketsSeconds).toEqual(HTTP_DURATION_BUCKETS_SECONDS);
    expect(stack.slos.map((slo) => [slo.id, slo.objective, slo.budget, slo.window])).toEqual([
      ["api-availability", 0.999, 0.001, "30d"],
      ["api-latency", 0.99, 0.01, "30d"],
    ]);
  });

  it("lists rules/slo-api.yml in prometheus.yml", () => {
    const yml = stack.prometheus.configFiles().find((file) => file.path === "prometheus.yml")?.content ?? "";
    expect(yml).toContain("- rules/slo-api.yml");
  });

  it("records sloth's SLI series for every window, labelled with sloth_id, sloth_service, sloth_slo and sloth_window", () => {
    const sli = recordings(document).filter((rule) => rule.record.startsWith("slo:sli_error:"));
    expect(sli.map((rule) => [rule.labels?.sloth_id, rule.record, rule.labels?.sloth_window])).toEqual(
      ["api-availability", "api-latency"].flatMap((id) =>
        ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"].map((w) => [id, `slo:sli_error:ratio_rate${w}`, w]),
      ),
    );
    const fiveMinutes = sli.filter((rule) => rule.record === "slo:sli_error:ratio_rate5m");
    expect(fiveMinutes.map((rule) => rule.expr)).toEqual([
      [
        '(sum(rate(http_requests_total{job="api",status=~"5..",endpoint!~"/metrics|/health|/ready"}[5m])) or vector(0))',
        "/",
        '(sum(rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) > 0)',
      ].join("\n"),
      [
        '(sum(rate(http_request_duration_seconds_count{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) - sum(rate(http_request_duration_seconds_bucket{job="api",le="0.5",endpoint!~"/metrics|/health|/ready"}[5m])))',
        "/",
        '(sum(rate(http_request_duration_seconds_count{job="api",endpoint!~"/metrics|/health|/ready"}[5m])) > 0)',
      ].join("\n"),
    ]);
    expect(fiveMinutes.map((rule) => rule.labels)).toEqual([
      { sloth_id: "api-availability", sloth_service: "api", sloth_slo: "availability", sloth_window: "5m" },
      { sloth_id: "api-latency", sloth_service: "api", sloth_slo: "latency", sloth_window: "5m" },
    ]);
  });

  it("records the meta series: objective, budget, period, burn rates, budget remaining, info", () => {
    const meta = recordings(document).filter(
      (rule) => rule.labels?.sloth_id === "api-availability" && !rule.record.startsWith("slo:sli_error:"),
    );
    expect(Object.fromEntries(meta.map((rule) => [rule.record, rule.expr]))).toEqual({
      "slo:objective:ratio": "vector(0.999)",
      "slo:error_budget:ratio": "vector(0.001)",
      "slo:time_period:days": "vector(30)",
      "slo:current_burn_rate:ratio": [
        'slo:sli_error:ratio_rate5m{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}',
        "/ on(sloth_id, sloth_slo, sloth_service) group_left",
        'slo:error_budget:ratio{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}',
      ].join("\n"),
      "slo:period_burn_rate:ratio": [
        'slo:sli_error:ratio_rate30d{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}',
        "/ on(sloth_id, sloth_slo, sloth_service) group_left",
        'slo:error_budget:ratio{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}',
      ].join("\n"),
      "slo:period_error_budget_remaining:ratio":
        '1 - slo:period_burn_rate:ratio{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}',
      sloth_slo_info: "vector(1)",
    });
    expect([...new Set(recordings(document).map((rule) => rule.record))].sort()).toEqual(
      [...SLO_RECORDED_SERIES, "slo:sli_error:ratio_rate30d"].sort(),
    );
  });

  it("pages at 14.4 × over 1h and 5m or 6 × over 6h and 30m, tickets at 3 × over 1d and 2h or 1 × over 3d and 6h, each with the guard", () => {
    const [page, ticket] = alerts(document).filter((rule) => rule.labels.sloth_id === "api-availability");
    expect([page.alert, page.labels, ticket.alert, ticket.labels]).toEqual([
      SLO_ALERT_NAMES.page,
      {
        severity: "critical",
        sloth_severity: "page",
        sloth_id: "api-availability",
        sloth_service: "api",
        sloth_slo: "availability",
      },
      SLO_ALERT_NAMES.ticket,
      {
        severity: "warning",
        sloth_severity: "ticket",
        sloth_id: "api-availability",
        sloth_service: "api",
        sloth_slo: "availability",
      },
    ]);
    const sel = '{sloth_id="api-availability", sloth_service="api", sloth_slo="availability"}';
    const total = (range: string) =>
      `sum(rate(http_requests_total{job="api",endpoint!~"/metrics|/health|/ready"}[${range}]))`;
    const clause = (long: string, short: string, factor: number, seconds: number) =>
      [
        "  (",
        `    slo:sli_error:ratio_rate${long}${sel} > (${factor} * 0.001)`,
        "    and ignoring (sloth_window)",
        `    slo:sli_error:ratio_rate${short}${sel} > (${factor} * 0.001)`,
        "    and on ()",
        `    ${total(long)} * ${seconds} >= 100`,
        "  )",
      ].join("\n");
    const expr = (a: string, b: string) => `max without (sloth_window) (\n${a}\n  or ignoring (sloth_window)\n${b}\n)`;
    expect(page.expr).toBe(expr(clause("1h", "5m", 14.4, 3600), clause("6h", "30m", 6, 21600)));
    expect(ticket.expr).toBe(expr(clause("1d", "2h", 3, 86400), clause("3d", "6h", 1, 259200)));
    expect(page.for).toBe("30s");
    expect(page.annotations.runbook).toBe("docs/runbooks/SloErrorBudgetBurnPage.md");
    expect(ticket.annotations.runbook).toBe("docs/runbooks/SloErrorBudgetBurnTicket.md");
  });

  it("has no scaled window: every range is a real one (5m ... 30d)", () => {
    const ranges = new Set(
      [...recordings(document), ...alerts(document)].flatMap((rule) =>
        [...rule.expr.matchAll(/\[([^\]]+)\]/g)].map((match) => match[1]),
      ),
    );
    expect([...ranges].sort()).toEqual(["1d", "1h", "2h", "30d", "30m", "3d", "5m", "6h"]);
    expect(stack.sloWindowScale).toBe(1);
  });

  it("runs each promtool case on the rules its alert reads: for the page (ticket) of both SLOs, their 1h, 5m, 6h, 30m (1d, 2h, 3d, 6h) series", () => {
    // A case asserts on every alert of its name, and both SLOs have a page and a ticket, so both SLOs' rules stay.
    const kept = (alert: string) =>
      rulesUnderTest(document, [alert]).groups.flatMap((group) =>
        group.rules.map((rule) => `${rule.labels?.sloth_id}: ${isAlertingRule(rule) ? rule.alert : rule.record}`),
      );
    const windows = (alert: string, ...ws: string[]) =>
      ["api-availability", "api-latency"].flatMap((id) => [
        ...ws.map((w) => `${id}: slo:sli_error:ratio_rate${w}`),
        `${id}: ${alert}`,
      ]);

    expect(kept(SLO_ALERT_NAMES.page)).toEqual(windows(SLO_ALERT_NAMES.page, "5m", "30m", "1h", "6h"));
    expect(kept(SLO_ALERT_NAMES.ticket)).toEqual(windows(SLO_ALERT_NAMES.ticket, "2h", "6h", "1d", "3d"));
  });

  it("deploys the SLO dashboard: per SLO its objective, budget remaining, current burn rate and burn rate per window", () => {
    const dashboard = stack.dashboards.find((d) => d.uid === SLO_DASHBOARD_UID);
    expect(dashboard?.title).toBe("Service level objectives");
    const queries = dashboard === undefined ? [] : dashboardQueries([dashboard]).map((item) => item.query);
    const [availability] = stack.slos;
    const q = sloDashboardQueries(availability);
    const of = (title: string) => queries.filter((query) => query.panelTitle === title).map((query) => query.expr);
    expect(of("Objective")).toContain(q.objective);
    expect(of("Error budget remaining")).toContain(q.budgetRemaining);
    expect(of("Current burn rate (5m)")).toContain(q.currentBurnRate);
    expect(of("Burn rate per window").slice(0, 7)).toEqual(
      ["5m", "30m", "1h", "2h", "6h", "1d", "3d"].map((w) => q.burnRate(w)),
    );
    expect(queries.filter((query) => query.panelTitle === "Objective")).toHaveLength(2);
  });
});

describe("SLOs of a user's service and scrape job", () => {
  it("declares an SLO on a service from its own request metrics (its code label, its buckets)", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      ...ORDERS,
      ...ORDERS_METRICS,
      slo: { availability: { objective: 99.5, window: "28d" }, latency: { objective: 99, thresholdSeconds: 1 } },
    });
    Testing.synth(stack);
    const document = ruleFile(stack, "slo-orders");
    const five = recordings(document).filter((rule) => rule.record === "slo:sli_error:ratio_rate5m");
    expect(five[0].expr).toContain('orders_requests_total{job="orders",code=~"5.."}[5m]');
    expect(five[1].expr).toContain('orders_duration_seconds_bucket{job="orders",le="1.0"}[5m]');
    expect(recordings(document).find((rule) => rule.record === "slo:time_period:days")?.expr).toBe("vector(28)");
    expect(recordings(document).map((rule) => rule.record)).toContain("slo:sli_error:ratio_rate28d");
    expect(stack.dashboards.map((d) => d.uid)).toContain(SLO_DASHBOARD_UID);
  });

  it("declares an SLO on a scrape job with custom error and total queries, {{window}} filled in", () => {
    const stack = newTestStack();
    stack.addScrapeJob("legacy", {
      targets: ["10.0.0.5:9187"],
      outsideNetwork: true,
      metricNames: ["legacy_jobs_failed_total", "legacy_jobs_total"],
      slo: {
        availability: {
          objective: 99,
          errorQuery: 'sum(rate(legacy_jobs_failed_total{job="legacy"}[{{window}}]))',
          totalQuery: 'sum(rate(legacy_jobs_total{job="legacy"}[{{window}}]))',
        },
        minRequests: 20,
      },
    });
    Testing.synth(stack);
    const document = ruleFile(stack, "slo-legacy");
    expect(recordings(document)[2]).toEqual({
      record: "slo:sli_error:ratio_rate1h",
      expr: '(sum(rate(legacy_jobs_failed_total{job="legacy"}[1h])))\n/\n(sum(rate(legacy_jobs_total{job="legacy"}[1h])) > 0)',
      labels: {
        sloth_id: "legacy-availability",
        sloth_service: "legacy",
        sloth_slo: "availability",
        sloth_window: "1h",
      },
    });
    expect(alerts(document)[0].expr).toContain('sum(rate(legacy_jobs_total{job="legacy"}[1h])) * 3600 >= 20');
    // A custom query's input series cannot be derived: no generated promtool cases.
    const file = stack.ruleFiles.find((candidate) => candidate.name === "slo-legacy");
    expect(file?.tests?.({ scrapeIntervalSeconds: 15, jobs: {}, deployedJobs: [] })).toEqual([]);
  });

  it("scales every window with sloWindowScale (tests only): 5m -> 5s, 30d -> 12h at 1/60", () => {
    const { stack } = synthMonitoringStack({ scrapeIntervalSeconds: 1, sloWindowScale: 1 / 60 });
    const document = ruleFile(stack, "slo-api");
    const ranges = new Set(
      [...recordings(document), ...alerts(document)].flatMap((rule) =>
        [...rule.expr.matchAll(/\[([^\]]+)\]/g)].map((match) => match[1]),
      ),
    );
    expect([...ranges].sort()).toEqual(["12h", "1m", "24m", "2m", "30s", "5s", "6m", "72m"]);
    // The series keep their names, so dashboards and alerts read the same ones; the label says the real window.
    const five = recordings(document).find((rule) => rule.record === "slo:sli_error:ratio_rate5m");
    expect(five?.labels?.sloth_window).toBe("5s");
    expect(alerts(document)[0].expr).toContain("* 60 >= 100");
    expect(recordings(document).find((rule) => rule.record === "slo:time_period:days")?.expr).toBe("vector(0.5)");
  });
});

describe("SLO declarations refused at synth, with the fix", () => {
  const declaration = (slo: SloDeclaration["slo"]): SloDeclaration => ({
    owner: "orders",
    path: "orders.slo",
    jobName: "orders",
    slo,
    requestMetrics: ORDERS_METRICS.requestMetrics,
    requestMetricsPath: "orders.requestMetrics",
    catalog: ORDERS_METRICS.metricNames,
    seriesExclusions: [],
  });

  it("fails when the objective is so low the fast page can never fire (below about 93.06%)", () => {
    expect(MIN_OBJECTIVE_PERCENT).toBeCloseTo(93.0556, 3);
    const stack = newTestStack();
    stack.addService("orders", { ...ORDERS, ...ORDERS_METRICS, slo: { availability: { objective: 90 } } });
    expect(messages(stack)).toEqual([
      "orders.slo.availability.objective leaves an error budget of 10%: the fast page fires at 14.4 × the budget, an error ratio of 144%, which can never happen; set an objective of at least 93.06 (got 90)",
    ]);
    // 93.06 is accepted: 14.4 × 6.94% is 99.9%.
    const ok = newTestStack();
    ok.addService("orders", { ...ORDERS, ...ORDERS_METRICS, slo: { availability: { objective: 93.06 } } });
    expect(() => Testing.synth(ok)).not.toThrow();
  });

  it("fails on an objective of 100 (no error budget at all) or 0, saying it must be below 100", () => {
    for (const objective of [100, 0]) {
      const stack = newTestStack();
      stack.addService("orders", { ...ORDERS, ...ORDERS_METRICS, slo: { availability: { objective } } });
      expect(messages(stack)).toEqual([
        `orders.slo.availability.objective must be a percentage above 0 and below 100, such as 99.9 (got ${objective})`,
      ]);
    }
  });

  it("fails when the latency threshold is not a bucket boundary, listing the boundaries as le values", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      ...ORDERS,
      ...ORDERS_METRICS,
      slo: { latency: { objective: 99, thresholdSeconds: 0.5 } },
    });
    expect(messages(stack)).toEqual([
      'orders.slo.latency.thresholdSeconds must be one of the bucket boundaries of orders_duration_seconds, since the histogram counts nothing between two: 0.1 (le="0.1"), 0.25 (le="0.25"), 1 (le="1.0"), 2.5 (le="2.5") (got 0.5)',
    ]);
  });

  it("fails when an SLI reads a metric the service does not declare in its catalog", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      ...ORDERS,
      metricNames: ["orders_requests_total"],
      requestMetrics: ORDERS_METRICS.requestMetrics,
      slo: {
        availability: {
          objective: 99.9,
          errorQuery: "sum(rate(orders_failures_total[{{window}}]))",
          totalQuery: "sum(rate(orders_requests_total[{{window}}]))",
        },
        latency: { objective: 99, thresholdSeconds: 1 },
      },
    });
    expect(messages(stack)).toEqual([
      'orders.slo.availability.errorQuery reads "orders_failures_total" (a series of the query), which orders does not declare in its metricNames (orders_requests_total); declare the series, or fix the name',
      'orders.requestMetrics.durationHistogram.name reads "orders_duration_seconds_bucket" (the histogram\'s buckets), which orders does not declare in its metricNames (orders_requests_total); declare the series, or fix the name',
      'orders.requestMetrics.durationHistogram.name reads "orders_duration_seconds_count" (the histogram\'s count), which orders does not declare in its metricNames (orders_requests_total); declare the series, or fix the name',
    ]);
  });

  it("fails when the request counter is not in the catalog, or no request metrics are declared", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      ...ORDERS,
      metricNames: [],
      requestMetrics: { requestsTotal: "orders_requests_total", statusLabel: "code" },
      slo: { availability: { objective: 99.9 } },
    });
    stack.addService("billing", { ...ORDERS, slo: { latency: { objective: 99, thresholdSeconds: 1 } } });
    expect(messages(stack)).toEqual([
      'orders.requestMetrics.requestsTotal reads "orders_requests_total" (the request counter), which orders does not declare in its metricNames (none); declare the series, or fix the name',
      "billing.slo.latency needs the request-duration histogram of billing: declare billing.requestMetrics.durationHistogram ({ name, bucketsSeconds })",
    ]);
  });

  it("fails when a custom query lacks {{window}} or its partner, or a window or guard is invalid", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      ...ORDERS,
      ...ORDERS_METRICS,
      slo: {
        availability: {
          objective: 99.9,
          window: "2w",
          errorQuery: "sum(rate(orders_requests_total[5m]))",
          totalQuery: "sum(rate(orders_requests_total[{{window}}]))",
        },
        minRequests: 0,
      },
    });
    stack.addService("billing", {
      ...ORDERS,
      ...ORDERS_METRICS,
      slo: { availability: { objective: 99.9, errorQuery: "sum(rate(orders_requests_total[{{window}}]))" } },
    });
    stack.addService("empty", { ...ORDERS, slo: {} });
    expect(messages(stack)).toEqual([
      'orders.slo.availability.window must be a number of days between 3d (the longest alert window) and 365d, such as "30d" (got "2w")',
      'orders.slo.availability.errorQuery must contain {{window}} where the range goes, such as sum(rate(x[{{window}}])) (got "sum(rate(orders_requests_total[5m]))")',
      "orders.slo.minRequests must be a whole number of requests of at least 1: the alerts fire only with that many requests in their long window (got 0)",
      "billing.slo.availability needs both errorQuery and totalQuery, or neither (to use billing.requestMetrics) (got only errorQuery)",
      "empty.slo must declare an availability or a latency SLO, such as { availability: { objective: 99.9 } } (got {})",
    ]);
  });

  it("fails when the window scale is out of range or would leave the 5m window under 4 scrape intervals", () => {
    const stack = newTestStack({ sloWindowScale: 1 / 120 });
    expect(messages(stack)).toEqual([
      "sloWindowScale must be in (0, 1], turn every SLO window into whole seconds and keep the shortest (5m) at least 4 scrape intervals (60 s); it is meant for tests at a short scrape interval, such as 1/60 at 1 s (got 0.008333333333333333)",
    ]);
  });

  it("fails when the scrape interval is too long for the 5m window (the demo API's default SLOs included)", () => {
    let error: unknown;
    try {
      synthMonitoringStack({ scrapeIntervalSeconds: 120 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.message)).toEqual([
      "scrapeIntervalSeconds must be at most 75 s while api declares SLOs (api.slo): their shortest window (5m) must span 4 scrape intervals so rate() has enough samples; lower the interval, or declare api without slo (got 120)",
    ]);
    // On the scrape interval's path, so the app names the variable that set it.
    expect((error as ConfigError).problems.map((problem) => problem.path)).toEqual(["scrapeIntervalSeconds"]);
    expect(
      withEnvHint((error as ConfigError).problems[0] ?? { path: "", message: "" }, { SCRAPE_INTERVAL_SECONDS: "120" }),
    ).toMatch(/ \(got 120\) \[set by SCRAPE_INTERVAL_SECONDS\]$/);
    expect(() => synthMonitoringStack({ scrapeIntervalSeconds: 75 })).not.toThrow();
    // The fix the message names: the API without SLOs synthesizes at 120 s, with no SLO rule file or dashboard.
    const stack = newTestStack({ scrapeIntervalSeconds: 120 });
    addDemoApi(stack, { buildContext: "../../../app", slo: false });
    Testing.synth(stack);
    expect(stack.ruleFiles.map((file) => file.name)).not.toContain("slo-api");
    expect(stack.dashboards.map((d) => d.uid)).not.toContain(SLO_DASHBOARD_UID);
  });

  it("renders nothing from a declaration without SLOs (and reports it instead)", () => {
    expect(renderSloRules(declaration({}), { scrapeIntervalSeconds: 15 })).toEqual({ groups: [] });
  });
});
