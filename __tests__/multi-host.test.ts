/**
 * Beyond one host, on real Docker engines: three engines (central, edge-1, edge-2), each in its own network namespace
 * on one bridge, get the stand-in images (docker save | docker load), and the test applier applies the synthesized
 * multi-host stack to them per provider alias (`docker.edge-1` to edge-1's socket, ...). Then: every host's node_*
 * series arrive at the central Prometheus under their `host` label; edge-1's link is cut for 30 s and restored and at
 * least 90% of the outage's samples arrive (replayed from the agent's WAL); edge-2's engine is stopped for good and
 * HostSilent fires for it; teardown leaves no engine, namespace, cgroup or mount.
 *
 * Safety: traffic only between the suite's namespaces (and 127.0.0.0/8 for the shared engine's socket); every request
 * to a namespace address is sent from the suite's probe namespace after `ip route get` there proved it goes through
 * the test bridge. Every wait is bounded. The shared engine (stand-ins, docker save) is used only under the shared
 * lock: run this file with `flock /work/locks/docker.lock npx jest __tests__/multi-host.test.ts` while others use it.
 *
 * It runs when an engine answers and this process may create namespaces (root); otherwise it is registered skipped
 * with reason `no-docker-engine` (support/skips.ts), which under CI=true fails the run.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { App } from "cdktf";
import Docker from "dockerode";
import { APPLIER_LABEL, DockerApplier, TerraformJson } from "./support/docker/applier";
import { probeEngine } from "./support/docker/engine";
import { NetnsEngines, checkRouteViaBridge, startNetnsEngines } from "./support/docker/netns-engines";
import { PROJECT_ROOT } from "./support/docker/project-copy";
import { ensureStandIns } from "./support/docker/stand-ins";
import { describeUnless } from "./support/skips";
import { IMAGES } from "../constructs/components";
import { MonitoringStack, STACK_NAME } from "../constructs/monitoring-stack";
import { addNodeExporter } from "../constructs/node-exporter";
import { HOST_SILENT_ALERT, REMOTE_WRITE_USER } from "../constructs/prometheus";

const execFileAsync = promisify(execFile);
const engine = probeEngine();
const isRoot = process.getuid?.() === 0;
const SCRAPE_INTERVAL_SECONDS = 2;
const CUT_SECONDS = 30;
const CENTRAL_PORT = 9090;
const SUBNET = "10.218.18";
const CACHE_DIR = join(PROJECT_ROOT, ".cache", "docker-stand-ins");
const HOSTS = ["central", "edge-1", "edge-2"] as const;
const EDGES = ["edge-1", "edge-2"] as const;
const STAND_INS = [IMAGES.prometheus, IMAGES["node-exporter"]];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${timeoutMs} ms${last !== undefined ? `: ${String(last)}` : ""}`);
    }
    await sleep(500);
  }
}

interface Vector {
  readonly status: string;
  readonly data: {
    readonly result: { metric: Record<string, string>; value: [number, string]; values?: [number, string][] }[];
  };
}

describeUnless(
  "several hosts: agents on three Docker engines in network namespaces remote-write to the central Prometheus",
  engine.available && isRoot
    ? undefined
    : {
        reason: "no-docker-engine",
        detail: engine.available
          ? "network namespaces and extra engines need root; run the suite as root (CI=true bash .ci/run does)"
          : `${engine.reason}. Start one (apt-get install docker.io busybox-static; dockerd &) or run CI=true bash .ci/run`,
      },
  () => {
    const shared = new Docker();
    const runId = randomBytes(3).toString("hex");
    const prefix = `ms18${runId}`;
    const baseDir = `/tmp/${prefix}`;
    const log = (line: string): void => {
      process.stdout.write(`[multi-host] ${line}\n`);
    };
    const figures: Record<string, string | number> = {};
    const suiteStarted = Date.now();
    let engines: NetnsEngines | undefined;
    let project: string;
    let curlConfig: string;
    let json: TerraformJson;
    let applied: number;
    let tornDown = false;

    /** A PromQL instant query against the central Prometheus, sent from the probe namespace. */
    const query = async (promql: string): Promise<Vector> => {
      const set = engines as NetnsEngines;
      const central = set.engine("central");
      await checkRouteViaBridge(set.probe.netns, central.address, "eth0");
      const { stdout } = await execFileAsync(
        "nsenter",
        [
          `--net=/run/netns/${set.probe.netns}`,
          "curl",
          "-sS",
          "--fail",
          "--max-time",
          "5",
          "-K",
          curlConfig,
          "--get",
          "--data-urlencode",
          `query=${promql}`,
          `http://${central.address}:${CENTRAL_PORT}/api/v1/query`,
        ],
        { timeout: 10_000 },
      );
      return JSON.parse(stdout) as Vector;
    };

    beforeAll(async () => {
      // Stand-ins on the shared engine and the three engines, at the same time.
      const [, set] = await Promise.all([
        ensureStandIns(shared, CACHE_DIR, log, STAND_INS),
        startNetnsEngines({ prefix, hosts: HOSTS, subnet: SUBNET, baseDir: join(baseDir, "engines"), log }),
      ]);
      engines = set;
      figures.enginesUpSeconds = Math.round((Date.now() - suiteStarted) / 100) / 10;
      // No registry: the images go from the shared engine to each one by docker save | docker load.
      const archive = join(baseDir, "stand-ins.tar");
      await execFileAsync("docker", ["save", "-o", archive, ...STAND_INS], { timeout: 120_000 });
      await Promise.all(
        set.engines.map((e) =>
          execFileAsync("docker", ["-H", e.dockerHost, "load", "-i", archive], { timeout: 120_000 }),
        ),
      );
      rmSync(archive);
      figures.imagesLoadedSeconds = Math.round((Date.now() - suiteStarted) / 100) / 10;

      // The multi-host stack, synthesized as cdktf does, into a scratch project folder.
      project = mkdtempSync(join(tmpdir(), "ms18-project-"));
      mkdirSync(join(project, ".secrets"));
      const app = new App({ outdir: join(project, "cdktf.out") });
      const stack = new MonitoringStack(app, STACK_NAME, {
        projectDir: project,
        networkName: `ms18-${runId}`,
        scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
        prometheus: { bindAddress: set.engine("central").address, hostPort: CENTRAL_PORT },
        grafana: { adminPasswordFile: join(project, ".secrets", "grafana-admin-password") },
      });
      addNodeExporter(stack);
      for (const edge of EDGES) stack.addHost(edge, { dockerHost: set.engine(edge).dockerHost });
      app.synth();
      const stackDir = join(project, "cdktf.out", "stacks", STACK_NAME);
      json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as TerraformJson;
      const password = readFileSync(join(project, ".secrets", "prometheus-remote-write-password"), "utf8").trim();
      curlConfig = join(baseDir, "curl.conf");
      writeFileSync(curlConfig, `user = "${REMOTE_WRITE_USER}:${password}"\n`, { mode: 0o600 });

      const applier = new DockerApplier(set.engine("central").docker, runId, log);
      const report = await applier.apply(stackDir);
      applied = Date.now();
      figures.appliedSeconds = Math.round((applied - suiteStarted) / 100) / 10;
      log(
        `applied: ${report.created.length} created; not run: ${report.notRun.map((item) => item.address).join(", ")}`,
      );
    }, 300_000);

    afterAll(async () => {
      if (!tornDown && engines !== undefined) {
        const left = await engines.teardown();
        if (left.length > 0) log(`LEFT BEHIND: ${left.join("; ")}`);
      }
      if (project !== undefined) rmSync(project, { recursive: true, force: true });
      rmSync(baseDir, { recursive: true, force: true });
      log(`figures: ${JSON.stringify(figures)}`);
    }, 120_000);

    it("gives every host its own provider alias, and puts each host's resources on it", () => {
      const providers = (json.provider?.docker ?? []) as { alias?: string; host?: string }[];
      const set = engines as NetnsEngines;
      expect(providers.filter((p) => p.alias !== undefined)).toEqual(
        EDGES.map((edge) => ({ alias: edge, host: set.engine(edge).dockerHost })),
      );
      for (const edge of EDGES) {
        const onHost = Object.entries(json.resource?.docker_container ?? {}).filter(
          ([, container]) => container.provider === `docker.${edge}`,
        );
        expect(onHost.map(([, container]) => container.name).sort()).toEqual([
          `ms18-${runId}-node-exporter`,
          `ms18-${runId}-prometheus-agent`,
        ]);
      }
    });

    it("each host's node_* series arrive at the central Prometheus under its host label", async () => {
      const firsts: Record<string, number> = {};
      await eventually("node_load1 of every host at the central Prometheus", 60_000, async () => {
        const result = await query("node_load1");
        for (const series of result.data.result) {
          const host = series.metric.host;
          if (host !== undefined && firsts[host] === undefined) firsts[host] = Date.now();
        }
        return HOSTS.every((host) => firsts[host] !== undefined) ? true : undefined;
      });
      for (const edge of EDGES) {
        // From the agent's start (its container's StartedAt) to the first node_* sample the centre stored from it.
        const docker = (engines as NetnsEngines).engine(edge).docker;
        const [agent] = await docker.listContainers({ filters: { name: [`ms18-${runId}-prometheus-agent`] } });
        const startedAt = Date.parse((await docker.getContainer(agent?.Id ?? "").inspect()).State.StartedAt);
        const samples = await query(`node_load1{host="${edge}"}[10m]`);
        const first = samples.data.result[0]?.values?.[0]?.[0];
        expect(first).toEqual(expect.any(Number));
        figures[`firstSampleAfterAgentStart_${edge}_seconds`] =
          Math.round(((first as number) * 1000 - startedAt) / 100) / 10;
        figures[`visibleAfterApply_${edge}_seconds`] = Math.round((firsts[edge] - applied) / 100) / 10;
      }
      // Each host's own node-exporter: exactly one node_load1 per host, and the agents' own series with theirs. Over the
      // last minute, not at this instant: one scrape that timed out with the CPU saturated marks a series stale, and an
      // instant query then missed central's (seen once under load).
      const byHost = await query("count by (host) (last_over_time(node_load1[1m]))");
      expect(Object.fromEntries(byHost.data.result.map((s) => [s.metric.host, s.value[1]]))).toEqual({
        central: "1",
        "edge-1": "1",
        "edge-2": "1",
      });
      const agents = await query('up{job="prometheus-agent"}');
      expect(agents.data.result.map((s) => s.metric.host).sort()).toEqual([...EDGES]);
    }, 90_000);

    it(`after edge-1's link is cut for ${CUT_SECONDS} s and restored, at least 90% of the outage's samples arrive`, async () => {
      const set = engines as NetnsEngines;
      const cutStart = Math.floor(Date.now() / 1000);
      await set.setLink("edge-1", false);
      await sleep(CUT_SECONDS * 1000);
      await set.setLink("edge-1", true);
      const restored = Date.now();
      const cutEnd = cutStart + CUT_SECONDS;
      const expected = CUT_SECONDS / SCRAPE_INTERVAL_SECONDS;
      const samples = `count_over_time(up{host="edge-1",job="node-exporter"}[${CUT_SECONDS}s] @ ${cutEnd})`;
      let arrived = 0;
      await eventually(`90% of edge-1's ${expected} samples of the cut`, 45_000, async () => {
        const result = await query(samples);
        arrived = Number(result.data.result[0]?.value[1] ?? 0);
        return arrived >= 0.9 * expected ? true : undefined;
      }).catch((error: unknown) => {
        figures.cutSamples = `${arrived}/${expected}`;
        throw error;
      });
      figures.cutSamples = `${arrived}/${expected}`;
      figures.cutReplayedAfterSeconds = Math.round((Date.now() - restored) / 100) / 10;
      expect(arrived).toBeGreaterThanOrEqual(0.9 * expected);
    }, 120_000);

    it(`${HOST_SILENT_ALERT} fires for a host stopped for good, and for no other`, async () => {
      const set = engines as NetnsEngines;
      await set.stopEngine("edge-2");
      const stopped = Date.now();
      await eventually(`${HOST_SILENT_ALERT} firing for edge-2`, 60_000, async () => {
        const alerts = await query(`ALERTS{alertname="${HOST_SILENT_ALERT}",alertstate="firing"}`);
        return alerts.data.result.some((s) => s.metric.host === "edge-2") ? true : undefined;
      });
      figures.hostSilentAfterSeconds = Math.round((Date.now() - stopped) / 100) / 10;
      const alerts = await query(`ALERTS{alertname="${HOST_SILENT_ALERT}"}`);
      expect(alerts.data.result.map((s) => s.metric.host)).toEqual(["edge-2"]);
    }, 90_000);

    it("tears down without leaving an engine, a namespace, a cgroup or a mount", async () => {
      const set = engines as NetnsEngines;
      const started = Date.now();
      // The agents first, while the centre still answers (an agent whose remote is gone waits for its flush deadline).
      for (const e of set.engines) {
        const mine = await e.docker
          .listContainers({ all: true, filters: { label: [`${APPLIER_LABEL}=${runId}`] } })
          .catch(() => []);
        const ordered = [...mine].sort(
          (a, b) => Number(b.Names[0]?.includes("agent")) - Number(a.Names[0]?.includes("agent")),
        );
        for (const info of ordered) await e.docker.getContainer(info.Id).remove({ force: true, v: true });
      }
      const left = await set.teardown();
      tornDown = true;
      figures.teardownSeconds = Math.round((Date.now() - started) / 100) / 10;
      figures.suiteSeconds = Math.round((Date.now() - suiteStarted) / 100) / 10;
      expect(left).toEqual([]);
    }, 90_000);
  },
);
