/**
 * The PromQL shapes of the dashboards, evaluated by the real Prometheus engine (`promtool test rules` with
 * `promql_expr_test`), on synthetic series: the 5xx ratio is 0 (not empty) with traffic and no server error, ignores
 * probes and scrapes, and is empty without traffic; status classes and "targets down" count what they say.
 *
 * The end-to-end suite runs every panel query against a real Prometheus scraping the real API; this suite pins the
 * edge cases that live traffic does not reliably produce.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { apiOverviewQueries } from "../constructs/api";
import { platformOverviewQueries } from "../constructs/platform-overview";
import { grafanaTimeVariables, substituteVariables } from "../dashboards";
import type { DashboardContext } from "../dashboards/types";
import { describeWithBinaries, promtoolTestEnv, runBinary } from "./support/prometheus-binaries";
import { synthMonitoringStack } from "./support/stack";

/** The context the default stack builds its dashboards with (jobs api, prometheus, grafana; 15s scrapes). */
const ctx: DashboardContext = synthMonitoringStack().stack.dashboardContext();

/** The dashboard variables at their defaults ("All"), as Grafana sends them. */
const VALUES = {
  ...grafanaTimeVariables({ scrapeIntervalSeconds: ctx.scrapeIntervalSeconds, rangeSeconds: 3600 }),
  instance: ".*",
  endpoint: ".*",
  job: ".*",
};
const api = apiOverviewQueries(ctx);
const platform = platformOverviewQueries(ctx);

/** One synthetic counter of the API: `perSecond` requests per second for 10 minutes (15s samples). */
function requests(endpoint: string, status: string, perSecond: number): { series: string; values: string } {
  return {
    series: `http_requests_total{job="api", instance="api:8000", method="GET", endpoint="${endpoint}", status="${status}"}`,
    values: `0+${perSecond * 15}x40`,
  };
}

interface ExprTest {
  readonly name: string;
  readonly inputSeries: readonly { series: string; values: string }[];
  readonly expr: string;
  /** Expected samples at 5m; empty means "no data". */
  readonly expected: readonly { labels: string; value: number }[];
}

const CASES: readonly ExprTest[] = [
  {
    name: "5xx ratio is 0 with traffic and no server error; failing probes and scrapes do not count",
    inputSeries: [requests("/api/items", "200", 1), requests("/metrics", "200", 10), requests("/health", "503", 1)],
    expr: api.errorRatio,
    expected: [{ labels: "{}", value: 0 }],
  },
  {
    name: "5xx ratio is errors over traffic, without the non-traffic endpoints in the denominator",
    inputSeries: [
      requests("/api/items", "200", 3),
      requests("/api/items/:id", "500", 1),
      requests("/metrics", "200", 10),
      requests("/ready", "200", 2),
    ],
    expr: api.errorRatio,
    expected: [{ labels: "{}", value: 0.25 }],
  },
  {
    name: "5xx ratio is empty (no data, not 0) when there is no traffic, only probes and scrapes",
    inputSeries: [requests("/metrics", "200", 10), requests("/health", "200", 1)],
    expr: api.errorRatio,
    expected: [],
  },
  {
    name: "5xx ratio is empty, not NaN, when the traffic counters stand still",
    inputSeries: [{ series: requests("/api/items", "500", 0).series, values: "7x40" }],
    expr: api.errorRatio,
    expected: [],
  },
  {
    name: "request rate by status class groups statuses by their first digit",
    inputSeries: [
      requests("/api/items", "200", 3),
      requests("/api/items", "201", 1),
      requests("/api/items/:id", "404", 1),
      requests("/api/items", "500", 2),
      requests("/metrics", "200", 10),
    ],
    // Rates are extrapolated in floating point (3.9999999999999996); rounding keeps the labels and the meaning.
    expr: `round(${api.requestRateByStatusClass}, 0.001)`,
    expected: [
      { labels: '{status_class="2xx"}', value: 4 },
      { labels: '{status_class="4xx"}', value: 1 },
      { labels: '{status_class="5xx"}', value: 2 },
    ],
  },
  {
    name: "targets down is 0 when every target is up",
    inputSeries: [
      { series: 'up{job="api", instance="api:8000"}', values: "1x40" },
      { series: 'up{job="prometheus", instance="localhost:9090"}', values: "1x40" },
    ],
    expr: platform.targetsDown,
    expected: [{ labels: "{}", value: 0 }],
  },
  {
    name: "targets down counts the targets whose last scrape failed",
    inputSeries: [
      { series: 'up{job="api", instance="api:8000"}', values: "1x40" },
      { series: 'up{job="grafana", instance="grafana:3000"}', values: "0x40" },
    ],
    expr: platform.targetsDown,
    expected: [{ labels: "{}", value: 1 }],
  },
];

describeWithBinaries("dashboard PromQL shapes on the real Prometheus engine (promtool)", ["promtool"], (bins) => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "dashboards-promtool-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    // given the dashboard query with its default variable values and synthetic series
    const expr = substituteVariables(c.expr, VALUES);
    const testFile = join(dir, "test.yml");
    writeFileSync(
      testFile,
      stringify({
        rule_files: [],
        evaluation_interval: "15s",
        tests: [
          {
            interval: "15s",
            input_series: c.inputSeries,
            promql_expr_test: [{ expr, eval_time: "5m", exp_samples: c.expected }],
          },
        ],
      }),
    );
    // when promtool evaluates it
    const result = await runBinary(bins.promtool, ["test", "rules", testFile], { cwd: dir, env: promtoolTestEnv() });
    // then the samples are exactly the expected ones
    expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
      exitCode: 0,
      output: expect.stringContaining("SUCCESS") as unknown as string,
    });
  });

  it("fails a wrong expectation, so the cases above can fail", async () => {
    const testFile = join(dir, "wrong.yml");
    writeFileSync(
      testFile,
      stringify({
        rule_files: [],
        tests: [
          {
            interval: "15s",
            input_series: [requests("/api/items", "200", 1)],
            promql_expr_test: [{ expr: substituteVariables(api.errorRatio, VALUES), eval_time: "5m", exp_samples: [] }],
          },
        ],
      }),
    );
    const result = await runBinary(bins.promtool, ["test", "rules", testFile], { cwd: dir, env: promtoolTestEnv() });
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain("FAILED");
  });
});
