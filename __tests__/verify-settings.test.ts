/**
 * verify's pure parts: the command line, where URLs and the password come from, the query window and the printed
 * lines. The checks against running services are in verify.test.ts (real API and Prometheus) and
 * verify-grafana.test.ts (the Grafana stand-in).
 */
import type { RenderedDashboard } from "../dashboards/types";
import { fail, pass, skip } from "../scripts/verify/checks";
import { inspectMonitoringStack } from "../main";
import { stackExpectations } from "../scripts/verify/expectations";
import {
  dashboardQueries,
  dashboardWindow,
  parseRelativeRange,
  type PanelQueryOutcome,
} from "../scripts/verify/panel-queries";
import { queryResult } from "../scripts/verify/run";
import { parseSampleValue } from "../scripts/verify/prometheus-client";
import { ChecklistPrinter, formatResult, formatSummary } from "../scripts/verify/report";
import { parseVerifyArgs, resolvePassword, resolveUrls, terraformOutputs } from "../scripts/verify/settings";

const STACK_URLS = {
  api: "http://127.0.0.1:8000",
  prometheus: "http://127.0.0.1:9090",
  grafana: "http://127.0.0.1:3000",
};
const TFSTATE = JSON.stringify({
  version: 4,
  outputs: {
    api_url: { value: "http://127.0.0.1:18000", type: "string" },
    prometheus_url: { value: "http://127.0.0.1:19090", type: "string" },
    grafana_url: { value: "http://127.0.0.1:13000", type: "string" },
    dashboard_urls: { value: { a: "b" }, type: ["map", "string"] },
  },
});

describe("parseVerifyArgs", () => {
  it("reads the URL flags, --skip-grafana and --burst-seconds", () => {
    expect(parseVerifyArgs(["--api-url", "http://127.0.0.1:1/", "--skip-grafana", "--burst-seconds", "5"])).toEqual({
      apiUrl: "http://127.0.0.1:1/",
      skipGrafana: true,
      burstSeconds: 5,
      help: false,
    });
    expect(parseVerifyArgs([])).toEqual({ skipGrafana: false, burstSeconds: 3, help: false });
  });

  it("fails when a URL or the burst is invalid, naming each flag, value and rule", () => {
    expect(() => parseVerifyArgs(["--grafana-url", "localhost:3000", "--burst-seconds", "0"])).toThrow(
      '--grafana-url must be an http(s) URL such as http://127.0.0.1:3000 (got "localhost:3000")\n' +
        '--burst-seconds must be a whole number between 1 and 30 (got "0")',
    );
    // Each example is that service's URL with the stack's default host port.
    expect(() => parseVerifyArgs(["--api-url", "notaurl", "--prometheus-url", "ftp://x"])).toThrow(
      '--api-url must be an http(s) URL such as http://127.0.0.1:8000 (got "notaurl")\n' +
        '--prometheus-url must be an http(s) URL such as http://127.0.0.1:9090 (got "ftp://x")',
    );
  });

  it("fails on an unknown flag", () => {
    expect(() => parseVerifyArgs(["--grafana"])).toThrow("Unknown option '--grafana'");
  });
});

describe("resolveUrls", () => {
  const args = parseVerifyArgs([]);
  const sources = {
    args,
    env: {},
    tfstateName: "terraform.monitoring.tfstate",
    tfstateText: TFSTATE,
    stackUrls: STACK_URLS,
  };

  it("takes the flag first, then the environment, then the state's outputs, then the stack's settings", () => {
    const { urls, problems } = resolveUrls({
      ...sources,
      args: parseVerifyArgs(["--api-url", "http://127.0.0.1:1"]),
      env: { API_URL: "http://127.0.0.1:2", PROMETHEUS_URL: "http://127.0.0.1:3/" },
    });
    expect(urls).toEqual({
      api: { url: "http://127.0.0.1:1", source: "--api-url" },
      prometheus: { url: "http://127.0.0.1:3", source: "PROMETHEUS_URL" },
      grafana: { url: "http://127.0.0.1:13000", source: "terraform.monitoring.tfstate output grafana_url" },
    });
    expect(problems).toEqual([]);
    expect(resolveUrls({ ...sources, tfstateText: undefined }).urls.grafana).toEqual({
      url: "http://127.0.0.1:3000",
      source: "the stack's settings",
    });
  });

  it("reports an invalid URL in the environment and an unreadable state file instead of using them", () => {
    const { urls, problems } = resolveUrls({ ...sources, env: { GRAFANA_URL: "grafana:3000" }, tfstateText: "{" });
    expect(urls.grafana).toEqual({ url: "http://127.0.0.1:3000", source: "the stack's settings" });
    expect(problems).toEqual([
      "terraform.monitoring.tfstate is not valid JSON; its outputs are ignored",
      'GRAFANA_URL must be an http(s) URL such as http://127.0.0.1:3000 (got "grafana:3000")',
    ]);
  });

  it("reads only the string outputs of the state", () => {
    expect(terraformOutputs(TFSTATE, "x")).toEqual({
      api_url: "http://127.0.0.1:18000",
      prometheus_url: "http://127.0.0.1:19090",
      grafana_url: "http://127.0.0.1:13000",
    });
  });
});

describe("resolvePassword", () => {
  it("takes GRAFANA_ADMIN_PASSWORD, then TF_VAR_grafana_admin_password, then the file; empty counts as unset", () => {
    const file = ".secrets/grafana-admin-password";
    expect(resolvePassword({ GRAFANA_ADMIN_PASSWORD: "a", TF_VAR_grafana_admin_password: "b" }, "c\n", file)).toEqual({
      value: "a",
      description: "GRAFANA_ADMIN_PASSWORD",
    });
    expect(resolvePassword({ GRAFANA_ADMIN_PASSWORD: " ", TF_VAR_grafana_admin_password: "b" }, "c", file)).toEqual({
      value: "b",
      description: "TF_VAR_grafana_admin_password",
    });
    expect(resolvePassword({}, "c\n", file)).toEqual({ value: "c", description: file });
    expect(resolvePassword({}, undefined, file)).toEqual({
      value: undefined,
      description: `GRAFANA_ADMIN_PASSWORD, TF_VAR_grafana_admin_password and ${file} (none set)`,
    });
  });
});

describe("query windows", () => {
  const dashboard = (from: string): RenderedDashboard => ({
    uid: "d",
    title: "D",
    source: "module:d",
    model: { time: { from, to: "now" } },
  });

  it("reads Grafana's relative ranges", () => {
    expect([parseRelativeRange("now-1h"), parseRelativeRange("now-6h"), parseRelativeRange("now-30m")]).toEqual([
      3600, 21_600, 1800,
    ]);
    expect(parseRelativeRange("now/d")).toBeUndefined();
  });

  it("spans the dashboard's range at about Grafana's resolution, never finer than a scrape", () => {
    // 982 steps of 22 s: the range grows by 4 s so Prometheus' last evaluation is the end itself.
    expect(dashboardWindow(dashboard("now-6h"), 100_000, 15)).toEqual({
      startSeconds: 100_000 - 982 * 22,
      endSeconds: 100_000,
      stepSeconds: 22,
      scrapeIntervalSeconds: 15,
    });
    expect(dashboardWindow(dashboard("now-1h"), 100_000, 15).stepSeconds).toBe(15);
  });

  it("ends on a step: a range query's last evaluation is the end, after the scrapes verify waited for", () => {
    // Prometheus started 37 s ago, 15 s scrapes: 3 steps of 15 s, from 8 s before Prometheus' start.
    expect(dashboardWindow(dashboard("now-1h"), 100_000, 15, 100_000 - 37)).toEqual({
      startSeconds: 100_000 - 45,
      endSeconds: 100_000,
      stepSeconds: 15,
      scrapeIntervalSeconds: 15,
    });
  });

  it("starts no more than a step before Prometheus did, and reads one hour when the range is not relative", () => {
    expect(dashboardWindow(dashboard("now-6h"), 100_000, 1, 99_980)).toEqual({
      startSeconds: 99_980,
      endSeconds: 100_000,
      stepSeconds: 1,
      scrapeIntervalSeconds: 1,
    });
    expect(dashboardWindow(dashboard("now/d"), 100_000, 15).startSeconds).toBe(100_000 - 3600);
  });
});

describe("the printed checklist", () => {
  it("prints passes, failures with their fix hint, and skips with the reason", () => {
    expect(formatResult(pass("API", "GET /health answers 200"))).toBe("  ✓ GET /health answers 200");
    expect(formatResult(fail("API", "GET /metrics", "answered 404", "rebuild"))).toBe(
      "  ✗ GET /metrics: answered 404\n      fix: rebuild",
    );
    expect(formatResult(skip("Grafana", "health", "--skip-grafana"))).toBe("  - health: SKIPPED (--skip-grafana)");
  });

  it("sums up, failing when one check failed", () => {
    expect(formatSummary([pass("API", "a"), skip("API", "b", "c")])).toBe(
      "\nverify: 1 passed, 0 failed, 1 skipped: every check passed",
    );
    expect(formatSummary([pass("API", "a"), fail("API", "b", "c", "d")])).toBe(
      "\nverify: 1 passed, 1 failed, 0 skipped: 1 check failed: see the fix hints above",
    );
  });

  it("reads Prometheus' sample values, special values included", () => {
    expect(["0.25", "NaN", "+Inf", "-Inf", 3].map(parseSampleValue)).toEqual([
      0.25,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]);
  });
});

describe("ChecklistPrinter", () => {
  it("prints a fix hint once: later failures with the same hint say (fix: as above)", () => {
    let printed = "";
    const printer = new ChecklistPrinter((text) => (printed += text));
    const hint = "the password does not match: reset it";

    printer.print(fail("Grafana", "health", "401 unauthorized", hint));
    printer.print(fail("Grafana", "dashboard a", "401 unauthorized", hint));
    printer.print(fail("Grafana", "dashboard b", "401 unauthorized", "another fix"));

    expect(printed).toBe(
      [
        "",
        "Grafana",
        "  ✗ health: 401 unauthorized",
        `      fix: ${hint}`,
        "  ✗ dashboard a: 401 unauthorized (fix: as above)",
        "  ✗ dashboard b: 401 unauthorized",
        "      fix: another fix",
        "",
      ].join("\n"),
    );
  });

  it("prints progress lines under their section", () => {
    let printed = "";
    const printer = new ChecklistPrinter((text) => (printed += text));

    printer.progress("Data", "waiting for Prometheus");
    printer.print(pass("Data", "scraped"));

    expect(printed).toBe("\nData\n  … waiting for Prometheus\n  ✓ scraped\n");
  });
});

describe("the fix hint of a panel query without data names the cause", () => {
  const { stack } = inspectMonitoringStack({});
  const exp = stackExpectations(stack);
  const [item] = dashboardQueries(exp.dashboards).filter((query) =>
    query.query.metricNames.includes("http_requests_total"),
  );
  const outcome: PanelQueryOutcome = {
    ...item,
    promql: item.query.expr,
    status: "no-data",
    seriesCount: 0,
    values: [],
  };
  const known = new Set(item.query.metricNames);
  const hint = (result: ReturnType<typeof queryResult>): string | undefined =>
    result.status === "fail" ? result.hint : undefined;

  it("says the data is not there yet when no series has the two samples rate() needs in the rate window", () => {
    const result = hint(queryResult("q", outcome, known, exp, { windowSeconds: 60, mostSamples: 1 }));
    expect(result).toBe(
      `the data is not there yet: no series of ${item.query.metricNames.join(", ")} has 2 samples in the last 60 s (the rate window; 1 at most), which rate() needs: wait one or two scrape intervals (15 s) and run verify again, or send traffic (npm run traffic)`,
    );
  });

  it("points at the dashboard's selectors only when the series have the samples", () => {
    const result = hint(queryResult("q", outcome, known, exp, { windowSeconds: 60, mostSamples: 4 }));
    expect(result).toMatch(/^the metrics have samples, but no series matches the panel's selectors/);
  });

  it("names the missing metric when Prometheus has no series of it", () => {
    const result = hint(queryResult("q", outcome, new Set(["up"]), exp, {}));
    expect(result).toMatch(/^Prometheus has no series named http_requests_total/);
  });
});
