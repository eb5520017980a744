/**
 * `npm run verify` against the real API and a real Prometheus on 127.0.0.1 (the end-to-end harness): the CLI, run as
 * a child process through tsx exactly as `npm run verify` runs it, passes with the whole checklist, and fails with
 * the API's fix hint once the API is stopped. A second real Prometheus with a drifted config (a kafka job for a
 * service that is not deployed, a rule that fails at evaluation) proves the Prometheus checks fail with their hints.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { DemoApi } from "../constructs/api";
import type { PrometheusConfigFile } from "../constructs/prometheus";
import { checkRules, checkTargets } from "../scripts/verify/checks";
import { stackExpectations } from "../scripts/verify/expectations";
import { pollUntil } from "../scripts/verify/http";
import { dashboardQueries, missingOwners } from "../scripts/verify/panel-queries";
import { PrometheusClient } from "../scripts/verify/prometheus-client";
import { PROGRESS_MARK } from "../scripts/verify/report";
import { ruleEvaluationCheck, waitForScrapes } from "../scripts/verify/run";
import {
  buildDefaultMonitoringStack,
  DEMO_API_BINARY,
  freeLoopbackPort,
  processAlive,
  ProcessGroup,
  startLocalService,
  startLocalStack,
  type LocalStack,
} from "../scripts/harness/local-stack";
import { describeWithBinaries } from "./support/prometheus-binaries";

const PROJECT_ROOT = resolve(__dirname, "..");

/** The stack setting under test; the verify child gets the same one through SCRAPE_INTERVAL_SECONDS. */
const SCRAPE_INTERVAL_SECONDS = 1;
/** Bound of one verify run, in milliseconds. */
const VERIFY_TIMEOUT_MS = 60_000;

const stack = buildDefaultMonitoringStack(SCRAPE_INTERVAL_SECONDS);
const exp = stackExpectations(stack);
const queries = dashboardQueries(stack.dashboards);
const services = [...stack.services.values()];
/** The binaries of the services the harness runs (the API is built from app/ instead). */
const BINARY_NAMES = [
  ...new Set(
    services.flatMap((service) =>
      service.localRun !== undefined && service.localRun.binary !== DEMO_API_BINARY ? [service.localRun.binary] : [],
    ),
  ),
];

/**
 * Starts Prometheus the way the harness runs the stack's (its `localRun`) on `127.0.0.1:<port>`, with `files` instead
 * of the stack's, and waits until /-/ready answers 200.
 */
async function startPrometheusWith(
  prometheusBin: string,
  files: readonly PrometheusConfigFile[],
  dir: string,
  port: number,
  processes: ProcessGroup,
): Promise<PrometheusClient> {
  const started = await startLocalService(stack.prometheus, {
    dir,
    port,
    configFiles: files,
    binaries: { [stack.prometheus.localRun?.binary ?? ""]: prometheusBin },
    processes,
  });
  if (started === undefined) throw new Error("the stack's Prometheus declares no local process");
  const client = new PrometheusClient(started.service.baseUrl, { timeoutMs: 5000 });
  const ready = await client.ready();
  if (ready.status !== 200)
    throw new Error(`Prometheus /-/ready answered ${ready.status}:\n${started.binary.output()}`);
  return client;
}

/** Runs `node --import tsx scripts/verify.ts <args>` with only the given environment (plus PATH and HOME), bounded. */
function runVerifyCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // node itself with tsx as a loader: one process, so a timeout's SIGKILL stops verify, not just a wrapper.
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/verify.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), VERIFY_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolvePromise({ exitCode, stdout, stderr });
    });
  });
}

/** The result lines of one section of the printed checklist (progress lines `  … ` left out). */
function section(stdout: string, name: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.indexOf(name);
  if (start < 0) return [];
  const end = lines.findIndex((line, index) => index > start && /^\S/.test(line));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((line) => line.trim() !== "" && !line.startsWith(`  ${PROGRESS_MARK} `));
}

describeWithBinaries(
  "npm run verify against the real API, the exporters and a real Prometheus",
  BINARY_NAMES,
  (bins) => {
    let e2e: LocalStack | undefined;
    const running = (): LocalStack => {
      if (e2e === undefined) throw new Error("the end-to-end stack did not start (see the beforeAll error)");
      return e2e;
    };
    /** The API's base URL on loopback. */
    const apiBaseUrl = (): string => {
      const api = running().services[DemoApi.NAME];
      if (api === undefined) throw new Error(`the harness did not run ${DemoApi.NAME}`);
      return api.baseUrl;
    };

    beforeAll(async () => {
      e2e = await startLocalStack({ stack, binaries: bins });
      // Every target scraped and every rule evaluated at least once, as on a stack that has been up for a while.
      await waitForScrapes(e2e.prometheus.client, exp.jobs.api, 2, 15_000);
    }, 150_000);

    afterAll(async () => {
      await e2e?.stop();
    }, 30_000);

    it("waits for every rule group to run after a scrape, and names the groups that did not run in time", async () => {
      const client = running().prometheus.client;
      const lastScrape = await waitForScrapes(client, exp.jobs.api, 1, 15_000);

      const evaluated = await ruleEvaluationCheck(client, lastScrape);
      const groups = await client.ruleGroups();
      // A time no evaluation reaches within the bound (the longest group interval plus 10 s).
      const never = await ruleEvaluationCheck(client, lastScrape + 3600);

      expect(evaluated).toMatchObject({ status: "pass" });
      expect(groups.every((group) => (group.lastEvaluationSeconds ?? 0) > lastScrape)).toBe(true);
      const bound = Math.max(...groups.map((group) => group.intervalSeconds)) + 10;
      expect(groups.map((group) => group.intervalSeconds)).toEqual(groups.map(() => SCRAPE_INTERVAL_SECONDS));
      expect(never).toMatchObject({
        status: "fail",
        detail: expect.stringContaining(`not evaluated within ${bound} s: `),
      });
      for (const group of groups)
        expect("detail" in never ? never.detail : "").toContain(`${group.name} (${group.file})`);
    }, 30_000);

    it(
      "prints the checklist and exits 0 with URLs from flags and --skip-grafana",
      async () => {
        const result = await runVerifyCli(
          [
            "--api-url",
            apiBaseUrl(),
            "--prometheus-url",
            running().prometheus.url,
            "--skip-grafana",
            "--burst-seconds",
            "2",
          ],
          { SCRAPE_INTERVAL_SECONDS: String(SCRAPE_INTERVAL_SECONDS) },
        );
        console.log(`verify against the local API + Prometheus (exit ${result.exitCode}):\n${result.stdout}`);

        expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: "" });
        expect(result.stdout).toContain(`API         ${apiBaseUrl()}  (from --api-url)`);
        expect(result.stdout).toContain(`Prometheus  ${running().prometheus.url}  (from --prometheus-url)`);
        expect(section(result.stdout, "API")).toEqual([
          "  ✓ GET /health answers 200",
          `  ✓ GET /metrics answers 200 with the expected metric names: ${exp.apiMetricFamilies.length} metric families, e.g. http_requests_total`,
        ]);
        const prometheusLines = section(result.stdout, "Prometheus");
        expect(prometheusLines).toEqual([
          "  ✓ ready (GET /-/ready answers 200)",
          expect.stringMatching(/^ {2}✓ version matches the deployed image prom\/prometheus:v3\.5\.3: running 3\.5\.3/),
          // Jobs in prometheus.yml's order (by name); the API's rule group comes from its own file, rules/api.yml.
          '  ✓ job "api": every target up: 1/1 up',
          '  ✓ job "blackbox-exporter": every target up: 1/1 up',
          `  - job "grafana": every target up: SKIPPED (1 target present (${running().addresses[exp.jobs.grafana]} down); health not judged: --skip-grafana: no Grafana to check)`,
          '  ✓ job "node-exporter": every target up: 1/1 up',
          `  ✓ job "probes": every target up: ${stack.healthEndpoints.length}/${stack.healthEndpoints.length} up`,
          '  ✓ job "prometheus": every target up: 1/1 up',
          "  ✓ no unexpected target: only the jobs api, blackbox-exporter, grafana, node-exporter, probes, prometheus",
          "  ✓ rule groups loaded: targets, prometheus, meta, sloth-slo-recordings-api-availability, sloth-slo-alerts-api-availability, sloth-slo-recordings-api-latency, sloth-slo-alerts-api-latency, api, host, probes",
          "  ✓ no rule group reports an evaluation error",
          "  ✓ Watchdog alert is firing (rules are evaluated)",
        ]);
        expect(section(result.stdout, "Grafana")).toEqual([
          "  - health, datasource and dashboards: SKIPPED (--skip-grafana: no Grafana to check)",
        ]);
        // While it waits for data, verify says what it waits for.
        expect(result.stdout).toContain(
          `\nData\n  ${PROGRESS_MARK} sending traffic to the API for at least 2 s, until Prometheus scraped it 3 times (scrape interval 1 s; up to 14 s) ...\n`,
        );
        expect(result.stdout).toContain(`  ${PROGRESS_MARK} scrape 3 of 3 seen\n`);
        const data = section(result.stdout, "Data");
        // At least the burst's 2 s at 20 req/s, and as long as three scrapes take.
        expect(data[0]).toMatch(
          /^ {2}✓ traffic burst: 20 req\/s for at least 2 s and 3 scrapes of the API, .*: (\d+) answered in \d+ s: .*\b4\d\d=\d+.*\b5\d\d=\d+/,
        );
        expect(Number(/: (\d+) answered/.exec(data[0])?.[1])).toBeGreaterThanOrEqual(40);
        expect(data[1]).toBe("  ✓ Prometheus scraped the API 3 times during the traffic (scrape interval 1 s)");
        expect(data[2]).toBe(
          `  ✓ Prometheus evaluated its ${exp.ruleGroups.length} rule groups after the traffic's last scrape`,
        );
        const panelLines = data.slice(3);
        // Skipped: the queries over metrics only services that do not run here expose (Grafana's own).
        const needsMissing = (item: (typeof queries)[number]) =>
          missingOwners(item.query, exp.metricOwners, (name) => name in running().services).length > 0;
        expect(panelLines).toHaveLength(queries.length);
        expect(panelLines.filter((line) => line.startsWith("  ✓ ")).length).toBe(
          queries.filter((item) => !needsMissing(item)).length,
        );
        expect(panelLines.filter((line) => line.startsWith("  - ")).length).toBe(queries.filter(needsMissing).length);
        expect(queries.filter(needsMissing).length).toBeGreaterThan(0);
        expect(result.stdout).not.toContain("✗");
        expect(result.stdout).toMatch(/verify: \d+ passed, 0 failed, \d+ skipped: every check passed/);
      },
      VERIFY_TIMEOUT_MS + 5000,
    );

    it(
      "exits 1 with the API's fix hint once the API is stopped (URLs from the environment)",
      async () => {
        // given the API stopped by its PID, and Prometheus has noticed
        const apiUrl = apiBaseUrl();
        const apiPid = running().services[DemoApi.NAME].pid;
        await running().stopService(DemoApi.NAME);
        expect(processAlive(apiPid)).toBe(false);
        await pollUntil(
          async () => {
            const { active } = await running().prometheus.client.targets();
            return active.find((target) => target.job === exp.jobs.api)?.health === "down" ? true : undefined;
          },
          { timeoutMs: 15_000, what: "Prometheus to see the API down" },
        );

        // when
        const result = await runVerifyCli(["--skip-grafana"], {
          API_URL: apiUrl,
          PROMETHEUS_URL: running().prometheus.url,
          SCRAPE_INTERVAL_SECONDS: String(SCRAPE_INTERVAL_SECONDS),
        });
        console.log(`verify with the API stopped (exit ${result.exitCode}):\n${result.stdout}`);

        // then
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toContain(`API         ${apiUrl}  (from API_URL)`);
        const port = new URL(apiUrl).port;
        expect(section(result.stdout, "API").slice(0, 2)).toEqual([
          `  ✗ GET /health answers 200: cannot reach ${apiUrl}/health: connect ECONNREFUSED 127.0.0.1:${port}`,
          `      fix: the API is not running or not reachable at ${apiUrl}: docker ps -a --filter name=monitoring-api; docker logs --tail 50 monitoring-api; npm run deploy starts it (without Docker: npm run start:api)`,
        ]);
        expect(result.stdout).toMatch(
          new RegExp(`✗ job "api": every target up: 0/1 up; 127\\.0\\.0\\.1:${port} down: .*connection refused`),
        );
        expect(result.stdout).toContain(
          "fix: Prometheus cannot scrape api:8000/metrics: docker logs --tail 50 monitoring-api",
        );
        expect(section(result.stdout, "Data")).toEqual([
          "  - traffic burst and dashboard queries: SKIPPED (the API or Prometheus is not up, see above)",
        ]);
        expect(result.stdout).toMatch(
          /verify: \d+ passed, [1-9]\d* failed, \d+ skipped: \d+ checks failed: see the fix hints above/,
        );
      },
      VERIFY_TIMEOUT_MS + 20_000,
    );
  },
);

describeWithBinaries("verify's Prometheus checks on a real Prometheus whose config drifted", ["prometheus"], (bins) => {
  const processes = new ProcessGroup();
  let dir = "";
  let prometheus: PrometheusClient | undefined;

  beforeAll(async () => {
    // given a Prometheus that is not the stack's: a kafka job for a service that is not deployed (the original
    // DOWN kafka target), no api or grafana job, and a rule group whose rule fails at every evaluation
    dir = mkdtempSync(join(tmpdir(), "monitoring-verify-drift-"));
    const port = await freeLoopbackPort();
    const kafkaPort = await freeLoopbackPort();
    const files = [
      {
        path: "prometheus.yml",
        content: stringify({
          global: { scrape_interval: "1s", evaluation_interval: "1s" },
          rule_files: ["rules/broken.yml"],
          scrape_configs: [
            { job_name: "prometheus", static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
            { job_name: "kafka", static_configs: [{ targets: [`127.0.0.1:${kafkaPort}`] }] },
          ],
        }),
      },
      {
        path: "rules/broken.yml",
        content: stringify({
          groups: [
            {
              name: "broken",
              rules: [
                {
                  alert: "ManyToMany",
                  // Two series per job on the "one" side: evaluation fails with many-to-many matching.
                  expr: '{__name__=~"up|scrape_duration_seconds"} * on (job) group_left () {__name__=~"up|scrape_duration_seconds"}',
                },
              ],
            },
          ],
        }),
      },
    ];
    prometheus = await startPrometheusWith(bins.prometheus, files, dir, port, processes);
    const client = prometheus;
    await pollUntil(
      async () => {
        const groups = await client.ruleGroups();
        const targets = (await client.targets()).active;
        const evaluated = groups.some((group) => group.rules.some((rule) => rule.lastError !== ""));
        return evaluated && targets.every((target) => target.health !== "unknown") ? true : undefined;
      },
      { timeoutMs: 15_000, what: "the broken rule to be evaluated and the targets scraped" },
    );
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("reports the kafka target as unexpected and the missing jobs, each with a fix hint", async () => {
    if (prometheus === undefined) throw new Error("Prometheus did not start");
    const results = await checkTargets(prometheus, exp);
    expect(results.map((result) => [result.title, result.status])).toEqual([
      ['job "api": every target up', "fail"],
      ['job "blackbox-exporter": every target up', "fail"],
      ['job "grafana": every target up', "fail"],
      ['job "node-exporter": every target up', "fail"],
      ['job "probes": every target up', "fail"],
      ['job "prometheus": every target up', "pass"],
      ["no unexpected target", "fail"],
    ]);
    expect(results[0]).toMatchObject({
      detail: "no target of this job",
      hint: expect.stringContaining(
        'the running prometheus.yml is not the one this stack renders (job "api" is missing)',
      ),
    });
    expect(results[6]).toMatchObject({
      detail: expect.stringMatching(/^127\.0\.0\.1:\d+ \(job "kafka", down\)$/),
      hint: expect.stringContaining("a job for a service that is not deployed: kafka."),
    });
  });

  it("reports the rule evaluation error, the groups that differ and the silent Watchdog", async () => {
    if (prometheus === undefined) throw new Error("Prometheus did not start");
    const results = await checkRules(prometheus, exp);
    expect(results.map((result) => [result.title, result.status])).toEqual([
      [
        "rule groups loaded: targets, prometheus, meta, sloth-slo-recordings-api-availability, sloth-slo-alerts-api-availability, sloth-slo-recordings-api-latency, sloth-slo-alerts-api-latency, api, host, probes",
        "fail",
      ],
      ["no rule group reports an evaluation error", "fail"],
      ["Watchdog alert is firing (rules are evaluated)", "fail"],
    ]);
    expect(results[0]).toMatchObject({
      detail:
        "missing: targets, prometheus, meta, sloth-slo-recordings-api-availability, sloth-slo-alerts-api-availability, sloth-slo-recordings-api-latency, sloth-slo-alerts-api-latency, api, host, probes; not rendered by this stack: broken",
    });
    expect(results[1]).toMatchObject({
      detail: expect.stringMatching(/^group broken, rule ManyToMany: .*many-to-many matching not allowed/),
      hint: expect.stringMatching(
        /^a rule fails at evaluation time: see http:\/\/127\.0\.0\.1:\d+\/rules and docker logs monitoring-prometheus; fix the rule in the rules\.ts of its component \(constructs\/<component>\/\) \(runbook: docs\/runbooks\/PrometheusRuleEvaluationFailures\.md\)$/,
      ),
    });
  });
});
