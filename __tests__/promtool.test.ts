/**
 * The Prometheus binaries harness (versions, lookup, running with a timeout), and the real Prometheus 3.5 server
 * loading the default stack's rule files: every group and rule is loaded, and the Watchdog fires.
 *
 * promtool's `check config`, `check rules` and `test rules` on the stack's files and every component's promtool
 * cases are in rule-cases.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { isAlertingRule, type RulesDocument } from "../constructs/core/rules";
import {
  PROMETHEUS_ALERT_NAMES,
  PROMETHEUS_CATALOG,
  PROMETHEUS_EXPOSITION,
  Prometheus,
  renderPrometheusConfig,
  toGeneratedYaml,
} from "../constructs/prometheus";
import {
  RunningBinary,
  binaryVersion,
  DEFAULT_BIN_DIR,
  describeWithBinaries,
  isCi,
  lookupBinary,
  parseBinaryVersion,
  prometheusVersion,
  runBinary,
  startBinary,
} from "./support/prometheus-binaries";
import { synthMonitoringStack } from "./support/stack";

type Labels = Readonly<Record<string, string>>;

/** The default stack's rule files, as Prometheus gets them (paths relative to prometheus.yml). */
const RULE_FILES = synthMonitoringStack()
  .stack.prometheus.configFiles()
  .filter((file) => file.path !== "prometheus.yml");
const RULE_GROUPS = RULE_FILES.flatMap((file) => (parse(file.content) as RulesDocument).groups);

// --- the harness itself, and the real server loading the rendered files ---------------------------------------

describe("the Prometheus binaries harness", () => {
  it("parses X.Y.Z from Debian and upstream version banners", () => {
    expect(parseBinaryVersion("prometheus, version 3.5.3+ds1 (branch: debian/sid, revision: 3.5.3+ds1-6)\n")).toBe(
      "3.5.3",
    );
    expect(
      parseBinaryVersion("promtool, version 3.5.0 (branch: HEAD, revision: 8be3a9560fbdd18a94dedec4b747c35178177202)"),
    ).toBe("3.5.0");
    expect(() => parseBinaryVersion("command not found")).toThrow('cannot find "<name>, version X.Y.Z"');
  });

  it("treats CI=true and CI=1 as CI, anything else as local", () => {
    expect([isCi({ CI: "true" }), isCi({ CI: "1" }), isCi({ CI: "TRUE" })]).toEqual([true, true, true]);
    expect([isCi({}), isCi({ CI: "" }), isCi({ CI: "false" })]).toEqual([false, false, false]);
  });

  it("looks only in PROMETHEUS_BIN_DIR when it is set, and says where it looked", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-binaries-"));
    try {
      expect(lookupBinary("promtool", { PROMETHEUS_BIN_DIR: empty, PATH: process.env.PATH })).toEqual({
        name: "promtool",
        path: undefined,
        searched: `PROMETHEUS_BIN_DIR=${empty}`,
      });
      expect(lookupBinary("amtool", { PATH: empty }).searched).toBe(
        `${DEFAULT_BIN_DIR} (the project's cache; PROMETHEUS_BIN_DIR is not set)`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("kills a process that outlives its timeout, by its PID", async () => {
    const result = await runBinary(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 300 });

    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGKILL" });
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it("returns exit code, stdout and stderr, and feeds stdin", async () => {
    const script =
      "process.stdin.on('data', (d) => { process.stdout.write(String(d).toUpperCase()); console.error('err'); process.exitCode = 3; })";

    const result = await runBinary(process.execPath, ["-e", script], { stdin: "promql" });

    expect(result).toMatchObject({ exitCode: 3, stdout: "PROMQL", stderr: "err\n", timedOut: false });
  });

  it("rejects when the binary cannot be started", async () => {
    await expect(runBinary(join(tmpdir(), "no-such-binary"), [])).rejects.toThrow(/could not start .*no-such-binary/);
  });
});

function freeLocalPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return response.json();
}

interface RulesResponse {
  readonly data: {
    readonly groups: readonly {
      readonly name: string;
      readonly rules: readonly { readonly name: string; readonly health: string }[];
    }[];
  };
}

interface AlertsResponse {
  readonly data: { readonly alerts: readonly { readonly labels: Labels; readonly state: string }[] };
}

describeWithBinaries("Prometheus loads the rendered files", ["prometheus", "promtool"], (bins) => {
  let dir = "";
  let server: RunningBinary | undefined;
  let baseUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "prometheus-"));
    const port = await freeLocalPort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Scrapes only itself on 127.0.0.1 (the stack's service names do not resolve here); rules every second, so the
    // Watchdog fires within moments. The rule files are the stack's, as generated.
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: 1,
      scrapeTimeoutSeconds: 1,
      evaluationIntervalSeconds: 1,
      targets: [{ jobName: Prometheus.NAME, host: "127.0.0.1", port, metricsPath: "/metrics" }],
      ruleFiles: RULE_FILES.map((file) => file.path),
      sampleLimit: 20_000,
      labelLimit: 64,
    });
    writeFileSync(join(dir, "prometheus.yml"), toGeneratedYaml(config));
    for (const file of RULE_FILES) {
      mkdirSync(join(dir, dirname(file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
    }
    server = startBinary(bins.prometheus, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await server.waitForOutput(/Server is ready to receive web requests/, 20_000);
  }, 30_000);

  afterAll(async () => {
    const stopped = await server?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    // SIGTERM is a clean shutdown: exit code 0, not killed after the grace period.
    expect(stopped).toMatchObject({ exitCode: 0, timedOut: false });
  }, 20_000);

  it("a second Prometheus on its port fails its start at once on the bind error, not after the ready timeout", async () => {
    const port = new URL(baseUrl).port;
    const second = startBinary(bins.prometheus, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data-second")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    try {
      await expect(
        second.waitForOutput(/Server is ready to receive web requests/, 20_000, /address already in use/),
      ).rejects.toThrow(/printed \/address already in use\/ before[\s\S]*bind: address already in use/);
    } finally {
      await second.stop(5000);
    }
  }, 30_000);

  it("exposes on its /metrics exactly the series of its catalog's measured exposition, each one in the catalog", async () => {
    // Its exposition grows as it works: once it has scraped itself and answered a query, every series is there.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = (await getJson(`${baseUrl}/api/v1/query?query=up`)) as { data: { result: unknown[] } };
      if (up.data.result.length > 0 || Date.now() > deadline) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
    await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    await new Promise((resolveWait) => setTimeout(resolveWait, 2500));
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const exposed = [
      ...new Set(text.split("\n").flatMap((line) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1] ?? [])),
    ].sort();
    expect(exposed.filter((name) => !PROMETHEUS_CATALOG.includes(name))).toEqual([]);
    expect(PROMETHEUS_EXPOSITION.filter((name) => !exposed.includes(name))).toEqual([]);
  });

  it("looks in the project's .cache/bin when PROMETHEUS_BIN_DIR is not set, never on PATH", () => {
    const env = { PATH: dirname(bins.promtool) };

    expect(lookupBinary("promtool", env).path).toBe(join(DEFAULT_BIN_DIR, "promtool"));
    expect(lookupBinary("prometheus", env).path).toBe(join(DEFAULT_BIN_DIR, "prometheus"));
  });

  it("runs the same version as promtool", () => {
    expect(prometheusVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(prometheusVersion()).toBe(binaryVersion("promtool"));
  });

  it("loads every rule of every rule file the stack renders", async () => {
    const rules = (await getJson(`${baseUrl}/api/v1/rules`)) as RulesResponse;

    // The API lists groups by name, not in file order.
    const byName = (a: readonly unknown[], b: readonly unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(rules.data.groups.map((g) => [g.name, g.rules.map((r) => r.name)]).sort(byName)).toEqual(
      RULE_GROUPS.map((g) => [g.name, g.rules.map((r) => (isAlertingRule(r) ? r.alert : r.record))]).sort(byName),
    );
  });

  it("fires the Watchdog, so the alerting pipeline is alive", async () => {
    const deadline = Date.now() + 15_000;
    let alerts: AlertsResponse["data"]["alerts"] = [];
    while (Date.now() < deadline) {
      alerts = ((await getJson(`${baseUrl}/api/v1/alerts`)) as AlertsResponse).data.alerts;
      if (alerts.some((alert) => alert.labels.alertname === PROMETHEUS_ALERT_NAMES.watchdog)) break;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 250));
    }

    expect(alerts).toContainEqual(
      expect.objectContaining({
        labels: { alertname: PROMETHEUS_ALERT_NAMES.watchdog, severity: "none" },
        state: "firing",
      }),
    );
  }, 20_000);
});
