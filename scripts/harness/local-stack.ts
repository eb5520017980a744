/**
 * The local stack, one implementation for `npm run dev` and the end-to-end suites: the real API (built from app/) and
 * a real Prometheus running the stack's generated prometheus.yml and rule files, both on 127.0.0.1, in a temporary
 * directory.
 *
 * The stack is built in-process from the same props `npm run deploy` uses (main.ts's `inspectMonitoringStack`); the
 * suites use the default stack with a short scrape interval as a stack setting, `npm run dev` the user's environment. The only change made to the generated files is the address of each target:
 * container alias and port (`api:8000`) become a loopback address. Grafana cannot run here (no binary, no images),
 * so its target points at a loopback port where nothing listens: present, and down.
 *
 * Every process is started by this harness, listens on 127.0.0.1, and is stopped by its PID in `stop()`, also when
 * the start fails half-way; every wait is bounded.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { MonitoringStack } from "../../constructs/monitoring-stack";
import type { PrometheusConfigFile } from "../../constructs/prometheus";
import { targetAddress } from "../../constructs/scrape-target";
import { inspectMonitoringStack } from "../../main";
import { PrometheusClient } from "../verify/prometheus-client";
import { blackboxExporterFlags, BlackboxExporter } from "../../constructs/blackbox-exporter";
import { nodeExporterFlags, NodeExporter } from "../../constructs/node-exporter";
import { requireBinary, startBinary, type RunningBinary } from "./binaries";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const APP_DIR = join(PROJECT_ROOT, "app");
/** Compiled API builds, one per source digest; under node_modules so the build resolves the workspace's packages. */
const API_BUILD_CACHE = join(PROJECT_ROOT, "node_modules", ".cache", "monitoring-stack-e2e");

/** The loopback address every process listens on. */
export const LOOPBACK = "127.0.0.1";

/** Bounds of the harness' waits, in milliseconds. */
export const HARNESS_TIMEOUTS_MS = {
  /** Compiling the API with tsc. */
  build: 120_000,
  /** The API printing its "api listening" line. */
  apiStart: 15_000,
  /** Prometheus answering 200 on /-/ready. */
  prometheusReady: 30_000,
  /** An exporter logging "Listening on". */
  exporterStart: 15_000,
  /** Stopping one process (SIGTERM, then SIGKILL). */
  stop: 10_000,
} as const;

/**
 * Builds the monitoring stack as `npm run deploy` does (main.ts's `inspectMonitoringStack`, so imported dashboards
 * are included), with `scrapeIntervalSeconds` as the stack setting. Synchronous: suites can list the dashboards'
 * queries while jest collects tests.
 */
export function buildDefaultMonitoringStack(scrapeIntervalSeconds: number): MonitoringStack {
  // An empty environment: the suite checks the default stack, whatever the shell that runs it has set.
  return inspectMonitoringStack({}, { scrapeIntervalSeconds }).stack;
}

/**
 * Compiles the API with its own tsconfig (what `npm run build -w app` does) into a cache directory keyed by the digest
 * of app/'s sources, so a run builds at most once and never uses a stale build. Returns the path of `main.js`.
 * Concurrent suites may both build; the first rename wins and the other build is discarded.
 */
export function buildApi(): string {
  const digest = createHash("sha256");
  for (const file of [
    ...listFiles(join(APP_DIR, "src")),
    join(APP_DIR, "tsconfig.json"),
    join(APP_DIR, "package.json"),
  ]) {
    digest.update(file.slice(APP_DIR.length)).update("\0").update(readFileSync(file)).update("\0");
  }
  const outDir = join(API_BUILD_CACHE, `api-${digest.digest("hex").slice(0, 16)}`);
  const mainJs = join(outDir, "main.js");
  if (existsSync(mainJs)) return mainJs;

  mkdirSync(API_BUILD_CACHE, { recursive: true });
  const building = mkdtempSync(join(API_BUILD_CACHE, "building-"));
  const tsc = require.resolve("typescript/bin/tsc", { paths: [PROJECT_ROOT] });
  const result = spawnSync(process.execPath, [tsc, "-p", join(APP_DIR, "tsconfig.json"), "--outDir", building], {
    encoding: "utf8",
    timeout: HARNESS_TIMEOUTS_MS.build,
  });
  if (result.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(
      `building the API (tsc -p app/tsconfig.json) failed with exit ${String(result.status)}:\n${result.stdout}${result.stderr}`,
    );
  }
  try {
    renameSync(building, outDir);
  } catch {
    // Another suite finished the same build first; its output is identical.
    rmSync(building, { recursive: true, force: true });
  }
  return mainJs;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

/** A free TCP port on 127.0.0.1, found by binding port 0 and closing the socket again. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error("could not get a free port"))));
    });
  });
}

/**
 * The generated Prometheus files with each job's target address replaced by `addresses[job]`; everything else
 * (comments, order, intervals, limits, rule files) is left exactly as generated.
 * @throws when a job has no loopback address, or a target is not the address the stack rendered for its job.
 */
export function mapTargetsToLoopback(
  files: readonly PrometheusConfigFile[],
  renderedAddresses: Readonly<Record<string, string>>,
  loopbackAddresses: Readonly<Record<string, string>>,
): PrometheusConfigFile[] {
  return files.map((file) => {
    if (file.path !== "prometheus.yml") return file;
    const document = parseDocument(file.content);
    if (document.has("alerting")) {
      throw new Error(
        "prometheus.yml has an alerting section: map the Alertmanager addresses in scripts/harness/local-stack.ts too",
      );
    }
    const scrapeConfigs = document.get("scrape_configs");
    if (!isSeq(scrapeConfigs)) throw new Error("prometheus.yml has no scrape_configs list");
    for (const scrapeConfig of scrapeConfigs.items) {
      if (!isMap(scrapeConfig)) throw new Error("a scrape_configs entry is not a map");
      const job = String(scrapeConfig.get("job_name"));
      const loopback = loopbackAddresses[job];
      if (loopback === undefined) {
        throw new Error(
          `no loopback address for job "${job}": give scripts/harness/local-stack.ts one for every rendered job`,
        );
      }
      const staticConfigs = scrapeConfig.get("static_configs");
      for (const staticConfig of isSeq(staticConfigs) ? staticConfigs.items : []) {
        const labels = isMap(staticConfig) ? staticConfig.get("labels") : undefined;
        for (const label of isMap(labels) ? labels.items : []) {
          // A probe's URL (`__param_target`, `instance`) names a service by its network address: map it too.
          if (isScalar(label.value) && typeof label.value.value === "string") {
            label.value.value = mapUrlToLoopback(label.value.value, renderedAddresses, loopbackAddresses);
          }
        }
        const targets = isMap(staticConfig) ? staticConfig.get("targets") : undefined;
        for (const target of isSeq(targets) ? targets.items : []) {
          if (!isScalar(target) || target.value !== renderedAddresses[job]) {
            throw new Error(`job "${job}" has target ${String(target)}, expected ${renderedAddresses[job]}`);
          }
          target.value = loopback;
        }
      }
    }
    return { path: file.path, content: document.toString() };
  });
}

/**
 * `http://api:8000/health` with the loopback address of the job rendered at `api:8000`; any other text unchanged.
 * @throws when the URL's address is no job's rendered address (the harness could not reach it)
 */
export function mapUrlToLoopback(
  value: string,
  renderedAddresses: Readonly<Record<string, string>>,
  loopbackAddresses: Readonly<Record<string, string>>,
): string {
  const match = /^(https?:\/\/)([^/]+)(\/.*)?$/.exec(value);
  if (match === null) return value;
  const job = Object.keys(renderedAddresses).find((name) => renderedAddresses[name] === match[2]);
  const loopback = job !== undefined ? loopbackAddresses[job] : undefined;
  if (loopback === undefined) {
    throw new Error(
      `the URL ${value} names ${match[2]}, which is no rendered job's address: the harness cannot map it to loopback`,
    );
  }
  return `${match[1]}${loopback}${match[3] ?? ""}`;
}

/** A process the harness started. */
export interface HarnessProcess {
  readonly pid: number;
  /** Everything it printed so far. */
  output(): string;
}

/** The running end-to-end stack. */
export interface LocalStack {
  /** The stack the files were generated from. */
  readonly stack: MonitoringStack;
  /** The temporary directory: Prometheus' config (`config/`) and TSDB (`data/`). */
  readonly dir: string;
  /** The files Prometheus runs, as written (targets mapped to loopback). */
  readonly files: readonly PrometheusConfigFile[];
  /** The loopback address of each job's target. */
  readonly addresses: Readonly<Record<string, string>>;
  readonly api: HarnessProcess & { readonly baseUrl: string };
  /** The exporters the stack deploys, run as binaries on 127.0.0.1, by service name (`node-exporter`). */
  readonly exporters: Readonly<Record<string, HarnessProcess & { readonly address: string }>>;
  readonly prometheus: HarnessProcess & { readonly url: string; readonly client: PrometheusClient };
  /** When the harness started, in Unix seconds (the start of every query window). */
  readonly startedAtSeconds: number;
  /** Stops the API (by PID); the rest keeps running. Idempotent. */
  stopApi(): Promise<void>;
  /** Stops every process (by PID) and removes the temporary directory. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Absolute path of the `prometheus` binary. */
  readonly prometheusBin: string;
  /** The stack to run. @default buildDefaultMonitoringStack(scrapeIntervalSeconds) */
  readonly stack?: MonitoringStack;
  /** The stack's scrape interval when no `stack` is given, in seconds. @default 1 */
  readonly scrapeIntervalSeconds?: number;
  /** Port of the API on 127.0.0.1. @default a free port the OS picks */
  readonly apiPort?: number;
  /** Port of Prometheus on 127.0.0.1. @default a free port */
  readonly prometheusPort?: number;
  /** Absolute path of the node-exporter binary, run when the stack deploys node-exporter. @default requireBinary */
  readonly nodeExporterBin?: string;
  /** Absolute path of the blackbox-exporter binary, run when the stack deploys it. @default requireBinary */
  readonly blackboxExporterBin?: string;
}

/**
 * The processes a harness started: each stopped by its PID (SIGTERM, then SIGKILL), in reverse start order; as a last
 * resort, SIGKILL by PID when the test process exits without stopping them (a crash).
 */
export class ProcessGroup {
  private readonly running: RunningBinary[] = [];
  private readonly killOnExit = (): void => {
    for (const child of this.running) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };

  constructor() {
    process.once("exit", this.killOnExit);
  }

  /** Adds a started process; returns it. */
  public add(child: RunningBinary): RunningBinary {
    this.running.push(child);
    return child;
  }

  /** Stops one process by its PID and forgets it. */
  public async stop(child: RunningBinary): Promise<void> {
    const index = this.running.indexOf(child);
    if (index >= 0) this.running.splice(index, 1);
    await child.stop(HARNESS_TIMEOUTS_MS.stop);
  }

  /** Stops every process, the last started first; never rejects. */
  public async stopAll(): Promise<void> {
    for (const child of [...this.running].reverse()) {
      await this.stop(child).catch(() => undefined);
    }
    process.removeListener("exit", this.killOnExit);
  }
}

/** A Prometheus started by {@link startPrometheus}. */
export interface RunningPrometheus {
  readonly binary: RunningBinary;
  readonly url: string;
  readonly client: PrometheusClient;
}

/**
 * Writes `files` under `<dir>/config` (relative paths kept: `rule_files` are resolved relative to prometheus.yml),
 * starts Prometheus on `127.0.0.1:<port>` with its TSDB in `<dir>/data`, and waits until `/-/ready` answers 200.
 * Rejects at once, with Prometheus' output, when it exits instead (a config it refuses, a port taken).
 */
export async function startPrometheus(
  prometheusBin: string,
  files: readonly PrometheusConfigFile[],
  dir: string,
  port: number,
  processes: ProcessGroup,
): Promise<RunningPrometheus> {
  const configDir = join(dir, "config");
  for (const file of files) {
    mkdirSync(dirname(join(configDir, file.path)), { recursive: true });
    writeFileSync(join(configDir, file.path), file.content);
  }
  const url = `http://${LOOPBACK}:${port}`;
  const binary = processes.add(
    startBinary(
      prometheusBin,
      [
        `--config.file=${join(configDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${LOOPBACK}:${port}`,
      ],
      { cwd: dir, env: { PATH: process.env.PATH } },
    ),
  );
  await binary.waitForOutput(/Server is ready to receive web requests/, HARNESS_TIMEOUTS_MS.prometheusReady);
  const client = new PrometheusClient(url, { timeoutMs: 5000 });
  const ready = await client.ready();
  if (ready.status !== 200) {
    throw new Error(`Prometheus logged ready, but /-/ready answered ${ready.status}:\n${binary.output()}`);
  }
  return { binary, url, client };
}

/**
 * Starts the API built from app/ on 127.0.0.1 with `port` (0: a port the OS picks), and reads the port it listens on
 * from its "api listening" log line.
 */
export async function startApi(
  processes: ProcessGroup,
  cwd: string,
  requestedPort = 0,
): Promise<{ binary: RunningBinary; port: number }> {
  const binary = processes.add(
    startBinary(process.execPath, [buildApi()], {
      cwd,
      env: {
        PATH: process.env.PATH,
        PORT: String(requestedPort),
        HOST: LOOPBACK,
        LOG_LEVEL: "info",
        NODE_ENV: "production",
      },
    }),
  );
  await binary.waitForOutput(/"msg":"api listening"/, HARNESS_TIMEOUTS_MS.apiStart);
  const port = Number(/"port":(\d+)[^\n]*"msg":"api listening"/.exec(binary.output())?.[1]);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error(`cannot read the API's port from its log:\n${binary.output()}`);
  }
  return { binary, port };
}

/**
 * Builds and starts the API, writes the stack's Prometheus files with loopback targets, starts Prometheus and waits
 * until it is ready. When any step fails, whatever was started is stopped before the error is rethrown.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const startedAtSeconds = Date.now() / 1000;
  const stack = options.stack ?? buildDefaultMonitoringStack(options.scrapeIntervalSeconds ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "monitoring-local-"));
  const processes = new ProcessGroup();
  try {
    const api = await startApi(processes, dir, options.apiPort ?? 0);
    const prometheusPort = options.prometheusPort ?? (await freeLoopbackPort());
    // Nothing listens here: Grafana cannot run on this machine, so its target must be down.
    const grafanaPort = await freeLoopbackPort();
    // Ports are picked free and used later: make sure the picks did not collide with each other.
    if (new Set([api.port, prometheusPort, grafanaPort]).size !== 3) {
      throw new Error(`loopback ports collided: api ${api.port}, prometheus ${prometheusPort}, grafana ${grafanaPort}`);
    }
    const addresses: Record<string, string> = {
      [stack.jobs.api]: `${LOOPBACK}:${api.port}`,
      [stack.prometheus.scrapeTarget.jobName]: `${LOOPBACK}:${prometheusPort}`,
      [stack.grafana.scrapeTarget.jobName]: `${LOOPBACK}:${grafanaPort}`,
    };
    const exporters = await startExporters(stack, dir, processes, options);
    for (const [name, exporter] of Object.entries(exporters)) {
      addresses[stack.jobs[name]] = exporter.address;
    }
    // The probe job scrapes the blackbox exporter's /probe.
    const blackbox = exporters[BlackboxExporter.NAME];
    if (
      blackbox !== undefined &&
      stack.prometheus.scrapeTargets.some((t) => t.jobName === BlackboxExporter.PROBE_JOB)
    ) {
      addresses[BlackboxExporter.PROBE_JOB] = blackbox.address;
    }
    // Every job but the probe job (which scrapes the blackbox exporter) has its own port.
    const taken = Object.entries(addresses)
      .filter(([job]) => job !== BlackboxExporter.PROBE_JOB)
      .map(([, address]) => address);
    if (new Set(taken).size !== taken.length) {
      throw new Error(`loopback ports collided: ${JSON.stringify(addresses)}`);
    }
    const rendered = Object.fromEntries(stack.prometheus.scrapeTargets.map((t) => [t.jobName, targetAddress(t)]));
    const files = mapTargetsToLoopback(stack.prometheus.configFiles(), rendered, addresses);
    const prometheus = await startPrometheus(options.prometheusBin, files, dir, prometheusPort, processes);

    let stopped = false;
    return {
      stack,
      dir,
      files,
      addresses,
      api: { pid: api.binary.pid, output: api.binary.output, baseUrl: `http://${LOOPBACK}:${api.port}` },
      exporters,
      prometheus: {
        pid: prometheus.binary.pid,
        output: prometheus.binary.output,
        url: prometheus.url,
        client: prometheus.client,
      },
      startedAtSeconds,
      stopApi: () => processes.stop(api.binary),
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await processes.stopAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await processes.stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts the exporters `stack` deploys as the real binaries on free loopback ports: node-exporter with the flags its
 * container gets, minus the host mounts (it reads this machine's own /proc, /sys and /, unprivileged); the blackbox
 * exporter with the config the stack renders and bakes into its image. Waits until each logs "Listening on".
 */
async function startExporters(
  stack: MonitoringStack,
  dir: string,
  processes: ProcessGroup,
  options: LocalStackOptions,
): Promise<Record<string, HarnessProcess & { readonly address: string }>> {
  const started: Record<string, HarnessProcess & { readonly address: string }> = {};
  const start = async (name: string, bin: string, args: (address: string) => string[]): Promise<void> => {
    const address = `${LOOPBACK}:${await freeLoopbackPort()}`;
    const binary = processes.add(startBinary(bin, args(address), { cwd: dir, env: { PATH: process.env.PATH } }));
    await binary.waitForOutput(/Listening on/, HARNESS_TIMEOUTS_MS.exporterStart);
    started[name] = { pid: binary.pid, output: binary.output, address };
  };
  if (stack.services.has(NodeExporter.NAME)) {
    await start(NodeExporter.NAME, options.nodeExporterBin ?? requireBinary("node-exporter"), (address) =>
      nodeExporterFlags(address),
    );
  }
  const blackbox = stack.services.get(BlackboxExporter.NAME);
  if (blackbox !== undefined) {
    const configDir = join(dir, "blackbox");
    for (const file of blackbox.configFiles()) {
      mkdirSync(dirname(join(configDir, file.path)), { recursive: true });
      writeFileSync(join(configDir, file.path), file.content);
    }
    await start(BlackboxExporter.NAME, options.blackboxExporterBin ?? requireBinary("blackbox-exporter"), (address) =>
      blackboxExporterFlags(join(configDir, BlackboxExporter.CONFIG_FILE), address),
    );
  }
  return started;
}

/** What {@link startSuccessfulTraffic} sent. */
export interface SuccessfulTrafficSummary {
  readonly sent: number;
  /** Responses by status code; only 2xx when the API behaves. */
  readonly byStatus: Readonly<Record<string, number>>;
}

/** Background traffic started by {@link startSuccessfulTraffic}. */
export interface BackgroundTraffic {
  /** Stops sending, waits for the requests in flight, and resolves with what was sent. */
  stop(): Promise<SuccessfulTrafficSummary>;
}

/** Requests the API answers with 2xx (reads, writes, a short simulated latency); never a 4xx or 5xx. */
const SUCCESSFUL_REQUESTS: readonly { readonly path: string; readonly init?: RequestInit }[] = [
  { path: "/api/items?limit=10" },
  { path: "/api/items/1" },
  {
    path: "/api/items",
    init: {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e", price: 1.5 }),
    },
  },
  { path: "/api/simulate?latency_ms=20" },
  { path: "/" },
];

/**
 * Sends only requests the API answers with 2xx, `ratePerSecond` per second, until `stop()`; at most 20 in flight and
 * each abandoned after 5 s, so the load stays bounded.
 */
export function startSuccessfulTraffic(baseUrl: string, ratePerSecond: number): BackgroundTraffic {
  const byStatus: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const timer = setInterval(() => {
    if (inFlight.size >= 20) return;
    const request = SUCCESSFUL_REQUESTS[sent % SUCCESSFUL_REQUESTS.length];
    sent++;
    const done: Promise<void> = fetch(`${baseUrl}${request.path}`, {
      ...request.init,
      signal: AbortSignal.timeout(5000),
    })
      .then(async (response) => {
        await response.text();
        byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      })
      .catch(() => {
        byStatus.failed = (byStatus.failed ?? 0) + 1;
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  }, 1000 / ratePerSecond);
  return {
    async stop(): Promise<SuccessfulTrafficSummary> {
      clearInterval(timer);
      await Promise.all(inFlight);
      return { sent, byStatus: { ...byStatus } };
    },
  };
}

/** Whether a process with this PID still exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
