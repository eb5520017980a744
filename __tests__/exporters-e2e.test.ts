/**
 * The exporter components end to end on 127.0.0.1, with the real servers and the real exporter binaries from
 * Debian's archive (fetched by the project): PostgreSQL + postgres_exporter, Redis + redis_exporter, NGINX +
 * nginx-prometheus-exporter, and a real Prometheus running the stack's generated prometheus.yml and rule files
 * (only target addresses mapped to loopback). The servers are services of the test stack with a local process, so
 * the harness starts them like any service; each exporter gets its secret from a file, as deployed.
 *
 * Proven per component: every panel of its dashboard returns data; every one of its alerts evaluates without error
 * (rule health ok); its catalog (what the service declares) is all in the real exporter's exposition, and what the
 * exporter exposes beyond it is printed.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  addPostgresExporter,
  POSTGRES_EXPORTER_CATALOG,
  POSTGRES_UID,
  PostgresExporter,
} from "../constructs/postgres-exporter";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { addNginxExporter, NGINX_EXPORTER_CATALOG, NGINX_UID, NginxExporter } from "../constructs/nginx-exporter";
import { addRedisExporter, REDIS_EXPORTER_CATALOG, REDIS_UID, RedisExporter } from "../constructs/redis-exporter";
import { metricNamesInExpr, PROCESS_SERIES } from "../dashboards";
import { freeLoopbackPort, startLocalStack, type LocalStack } from "../scripts/harness/local-stack";
import { pollUntil } from "../scripts/verify/http";
import {
  dashboardQueries,
  describeQuery,
  runPanelQuery,
  type PanelQueryOutcome,
} from "../scripts/verify/panel-queries";
import {
  communityQueries,
  exporterDashboardEntries,
  fillVariables,
  loadDashboard,
} from "./support/community-dashboards";
import { describeWithBinaries } from "./support/prometheus-binaries";
import { nginxConfig, nginxServer, postgresServer, POSTGRES_TEST_USER, redisServer } from "./support/servers";
import { newTestStack } from "./support/stack";

const SCRAPE_INTERVAL_SECONDS = 1;
const WAIT_MS = 20_000;

/** Secrets and config of the servers: files, readable by the server's user (nobody for PostgreSQL). */
const dir = mkdtempSync(join(tmpdir(), "exporters-e2e-"));
chmodSync(dir, 0o755);
const secrets = {
  postgresPasswordFile: join(dir, "postgres-password"),
  postgresPassword: "pg-e2e-secret",
  redisPasswordFile: join(dir, "redis-passwords.json"),
  redisPassword: "redis-e2e-secret",
  nginxConfigFile: join(dir, "nginx.conf"),
};
/** The Redis server's memory limit, so the memory share has a denominator. */
const REDIS_MAX_MEMORY_MB = 64;

/** One exporter component under test: its service, the rule group and dashboard it adds, its catalog. */
interface ExporterCase {
  readonly exporter: string;
  readonly upMetric: string;
  readonly ruleGroup: string;
  readonly dashboardUid: string;
  readonly catalog: readonly string[];
}

const CASES: readonly ExporterCase[] = [
  {
    exporter: PostgresExporter.NAME,
    upMetric: "pg_up",
    ruleGroup: "postgres",
    dashboardUid: POSTGRES_UID,
    catalog: POSTGRES_EXPORTER_CATALOG,
  },
  {
    exporter: RedisExporter.NAME,
    upMetric: "redis_up",
    ruleGroup: "redis",
    dashboardUid: REDIS_UID,
    catalog: REDIS_EXPORTER_CATALOG,
  },
  {
    exporter: NginxExporter.NAME,
    upMetric: "nginx_up",
    ruleGroup: "nginx",
    dashboardUid: NGINX_UID,
    catalog: NGINX_EXPORTER_CATALOG,
  },
];

function buildStack(): MonitoringStack {
  const stack = newTestStack({ scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });
  stack.addService("postgres", postgresServer(secrets.postgresPasswordFile));
  addPostgresExporter(stack, {
    target: "postgres:5432",
    user: POSTGRES_TEST_USER,
    passwordFile: secrets.postgresPasswordFile,
  });
  stack.addService("redis", redisServer(secrets.redisPassword, REDIS_MAX_MEMORY_MB));
  addRedisExporter(stack, { target: "redis:6379", passwordFile: secrets.redisPasswordFile });
  stack.addService("nginx", nginxServer(secrets.nginxConfigFile));
  addNginxExporter(stack, { statusUrl: "http://nginx:8080/stub_status" });
  return stack;
}

const stack = buildStack();
const queries = dashboardQueries(stack.dashboards).filter((item) =>
  CASES.some((c) => c.dashboardUid === item.dashboard.uid),
);
const BINARY_NAMES = [
  ...new Set(
    [...stack.services.values()].flatMap((service) =>
      service.localRun === undefined
        ? []
        : [service.localRun.binary, ...(service.localRun.before?.({} as never) ?? []).map((step) => step.binary)],
    ),
  ),
].filter((name) => name !== "demo-api");

/** The series names of a Prometheus text exposition. */
function exposedSeries(text: string): string[] {
  return [
    ...new Set(
      text
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => /^[^{\s]+/.exec(line)?.[0] ?? ""),
    ),
  ].sort();
}

describeWithBinaries(
  "exporter components end to end: real PostgreSQL, Redis, NGINX, their exporters and Prometheus",
  BINARY_NAMES,
  (bins) => {
    let e2e: LocalStack | undefined;
    const outcomes = new Map<string, PanelQueryOutcome>();
    const running = (): LocalStack => {
      if (e2e === undefined) throw new Error("the stack did not start (see the beforeAll error)");
      return e2e;
    };

    beforeAll(async () => {
      const startedAt = Date.now();
      writeFileSync(secrets.postgresPasswordFile, `${secrets.postgresPassword}\n`, { mode: 0o644 });
      // redis_exporter's password file keys the password by the server's address: the deployed one, and the
      // loopback one the harness runs the server on (chosen here, so the same file serves both).
      const redisPort = await freeLoopbackPort();
      const redisPasswords = {
        "redis://redis:6379": secrets.redisPassword,
        [`redis://127.0.0.1:${redisPort}`]: secrets.redisPassword,
      };
      writeFileSync(secrets.redisPasswordFile, JSON.stringify(redisPasswords), { mode: 0o644 });
      // NGINX's config names its port: chosen here too.
      const nginxPort = await freeLoopbackPort();
      writeFileSync(secrets.nginxConfigFile, nginxConfig(nginxPort), { mode: 0o644 });
      e2e = await startLocalStack({ stack, binaries: bins, ports: { redis: redisPort, nginx: nginxPort } });

      // Every exporter up and reaching its server, then long enough for a rate window ($__rate_interval: 4 scrapes).
      await pollUntil(
        async () => {
          const results = await Promise.all(CASES.map((c) => running().prometheus.client.query(`${c.upMetric} == 1`)));
          return results.every((result) => result.series.length > 0) ? true : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every exporter to reach its server" },
      );
      // Once scraped: a key, a lookup that finds it and one that does not, so the keys and hit-ratio panels have
      // something to show (counters must grow between two scrapes for a rate).
      const reply = await redisCommands(`127.0.0.1:${redisPort}`, [
        `AUTH ${secrets.redisPassword}`,
        "SET e2e:key 1",
        "GET e2e:key",
        "GET e2e:missing",
      ]);
      expect(reply.startsWith("+OK\r\n+OK\r\n")).toBe(true);
      await new Promise((resolveWait) => setTimeout(resolveWait, 6 * SCRAPE_INTERVAL_SECONDS * 1000));
      const window = {
        startSeconds: running().startedAtSeconds,
        endSeconds: Date.now() / 1000,
        stepSeconds: SCRAPE_INTERVAL_SECONDS,
        scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      };
      for (const item of queries) {
        outcomes.set(describeQuery(item.query), await runPanelQuery(running().prometheus.client, item, window));
      }
      console.log(`exporters e2e: started and queried in ${Date.now() - startedAt} ms`);
    }, 90_000);

    afterAll(async () => {
      await e2e?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("runs every server and exporter here (nothing the components need is left out)", () => {
      for (const c of CASES) expect(Object.keys(running().services)).toContain(c.exporter);
      expect(Object.keys(running().services)).toEqual(expect.arrayContaining(["postgres", "redis", "nginx"]));
    });

    it("covers every dashboard the exporter components add", () => {
      expect([...new Set(queries.map((item) => item.dashboard.uid))].sort()).toEqual(
        CASES.map((c) => c.dashboardUid).sort(),
      );
    });

    describe("every panel query of the exporters' dashboards returns data", () => {
      it.each(queries.map((item) => [describeQuery(item.query)] as const))("%s", (title) => {
        const outcome = outcomes.get(title);
        expect({ panel: title, status: outcome?.status, error: outcome?.error }).toEqual({
          panel: title,
          status: "data",
          error: undefined,
        });
      });
    });

    it("reports, for each exporter's community dashboard, its panels with data out of those whose metrics are present", async () => {
      const outcomes = await communityOutcomes(running());
      for (const outcome of outcomes) {
        console.log(
          `community dashboard ${outcome.file}: ${outcome.withData} of ${outcome.metricsPresent} panels whose metrics are present show data (${outcome.panels} panels)${outcome.empty.length > 0 ? `; empty: ${outcome.empty.join(" | ")}` : ""}`,
        );
      }
      expect(outcomes.map((o) => o.file).sort()).toEqual(
        exporterDashboardEntries()
          .map((e) => e.name)
          .sort(),
      );
      // Every metric these dashboards query is exposed by the tested exporters, and every panel shows data.
      for (const outcome of outcomes) {
        expect({ ...outcome, empty: outcome.empty }).toEqual({
          ...outcome,
          metricsPresent: outcome.panels,
          withData: outcome.panels,
          empty: [],
        });
      }
    });

    it.each(CASES.map((c) => [c.ruleGroup, c] as const))(
      "every alert of rule group %s evaluates without error",
      async (_group, c) => {
        const group = await pollUntil(
          async () => {
            const found = (await running().prometheus.client.ruleGroups()).find((g) => g.name === c.ruleGroup);
            return found !== undefined && found.rules.every((rule) => rule.health !== "unknown") ? found : undefined;
          },
          { timeoutMs: WAIT_MS, what: `rule group ${c.ruleGroup} evaluated` },
        );
        expect(group.rules.length).toBeGreaterThan(0);
        expect(group.rules.map((rule) => ({ rule: rule.name, health: rule.health, error: rule.lastError }))).toEqual(
          group.rules.map((rule) => ({ rule: rule.name, health: "ok", error: "" })),
        );
        // All is well with the real servers: none of the component's alerts fires or is pending.
        expect(group.rules.filter((rule) => rule.state !== "inactive").map((rule) => rule.name)).toEqual([]);
      },
    );

    it.each(CASES.map((c) => [c.exporter, c] as const))(
      "%s: every series its catalog declares is in the real exporter's exposition",
      async (name, c) => {
        const service = stack.services.get(name);
        expect(service?.metricNames).toEqual(c.catalog);
        expect(c.catalog).toEqual(expect.arrayContaining([...PROCESS_SERIES]));
        const response = await fetch(`${running().services[name].baseUrl}/metrics`);
        const exposed = exposedSeries(await response.text());
        expect(c.catalog.filter((series) => !exposed.includes(series))).toEqual([]);
        const extras = exposed.filter((series) => !c.catalog.includes(series));
        console.log(
          `${name}: catalog ${c.catalog.length} series, all exposed; exposed beyond it (Go client, conditional): ${extras.length}: ${extras.join(" ")}`,
        );
      },
    );
  },
);

/** What one community dashboard showed against the real exporters. */
interface CommunityOutcome {
  readonly file: string;
  readonly panels: number;
  /** Panels all of whose metrics Prometheus has. */
  readonly metricsPresent: number;
  /** Of those, the panels where a query returned data. */
  readonly withData: number;
  /** Panels whose metrics are present but that showed nothing, with why. */
  readonly empty: readonly string[];
}

/** Runs every panel query of the exporters' community dashboards over the run, as Grafana would on "All". */
async function communityOutcomes(e2e: LocalStack): Promise<CommunityOutcome[]> {
  const present = new Set(await e2e.prometheus.client.metricNames());
  const endSeconds = Date.now() / 1000;
  const timing = {
    scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
    rangeSeconds: Math.max(1, Math.round(endSeconds - e2e.startedAtSeconds)),
  };
  const outcomes: CommunityOutcome[] = [];
  for (const entry of exporterDashboardEntries()) {
    const model = loadDashboard(entry);
    const byPanel = new Map<string, { metricsPresent: boolean; data: boolean; errors: string[] }>();
    for (const query of communityQueries(model)) {
      const promql = fillVariables(model, query.expr, timing);
      const panel = byPanel.get(query.panel) ?? { metricsPresent: true, data: false, errors: [] };
      byPanel.set(query.panel, panel);
      const names = metricNamesInExpr(promql);
      if (!names.every((name) => present.has(name))) {
        panel.metricsPresent = false;
        continue;
      }
      try {
        const result = await e2e.prometheus.client.queryRange(
          promql,
          e2e.startedAtSeconds,
          endSeconds,
          SCRAPE_INTERVAL_SECONDS,
        );
        if (result.series.some((series) => series.values.some((value) => !Number.isNaN(value)))) panel.data = true;
      } catch (error) {
        panel.errors.push(`${query.ref}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const panels = [...byPanel];
    outcomes.push({
      file: entry.name,
      panels: panels.length,
      metricsPresent: panels.filter(([, p]) => p.metricsPresent).length,
      withData: panels.filter(([, p]) => p.metricsPresent && p.data).length,
      empty: panels
        .filter(([, p]) => p.metricsPresent && !p.data)
        .map(([title, p]) => `${title}${p.errors.length > 0 ? `: ${p.errors.join("; ")}` : ": no data"}`),
    });
  }
  return outcomes;
}

/** Sends Redis commands (RESP inline) and resolves with the raw reply. */
export function redisCommands(address: string, commands: readonly string[]): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise((resolveReply, reject) => {
    const socket = connect(Number(port), host);
    let reply = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("redis did not answer")));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.split("\r\n").length > commands.length) socket.end();
    });
    socket.on("end", () => resolveReply(reply));
    socket.on("error", reject);
    socket.write(commands.map((command) => `${command}\r\n`).join(""));
  });
}
