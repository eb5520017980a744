/**
 * The local stack, one implementation for `npm run dev` and the end-to-end suites: every service of the stack that
 * declares how it runs as a local process (`localRun`: the API built from app/, the exporters' and Prometheus' Debian
 * binaries) runs on 127.0.0.1 in a temporary directory, with the config files the stack renders; Prometheus last,
 * with the stack's generated prometheus.yml and rule files.
 *
 * The services are learned from the stack (main.ts's `inspectMonitoringStack`, the same props `npm run deploy` uses;
 * the suites use the default stack with a short scrape interval): nothing here names a service. The only change made
 * to the generated files is the address of each target: container alias and port (`api:8000`) become a loopback
 * address. A service without `localRun` (Grafana: no binary, no images here; a user's own image) is reported "not
 * run", and its target points at a loopback port where nothing listens: present, and down.
 *
 * Every process is started by this harness, listens on 127.0.0.1, and is stopped by its PID in `stop()`, also when
 * the start fails half-way; every wait is bounded.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { DEMO_API_BINARY } from "../../constructs/api/defaults";
import { EXTERNAL_PROBE_SCOPE, PROBE_SCOPE_LABEL } from "../../constructs/blackbox-exporter/catalog";
import { LOOPBACK } from "../../constructs/core/container-defaults";
import type { PrometheusBasicAuth } from "../../constructs/core/backends";
import type { LocalRunContext, Service } from "../../constructs/core/service";
import type { MonitoringStack, MonitoringStackProps } from "../../constructs/monitoring-stack";
import type { PrometheusConfigFile } from "../../constructs/prometheus";
import { inspectMonitoringStack } from "../../main";
import { PrometheusClient } from "../verify/prometheus-client";
import { BINARIES, requireBinary, runBinary, startBinary, type RunningBinary } from "./binaries";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const APP_DIR = join(PROJECT_ROOT, "app");
/** Compiled API builds, one per source digest; under node_modules so the build resolves the workspace's packages. */
const API_BUILD_CACHE = join(PROJECT_ROOT, "node_modules", ".cache", "monitoring-stack-e2e");

/** The loopback address every process listens on. */
export { LOOPBACK };

/** Bounds of the harness' waits, in milliseconds. */
export const HARNESS_TIMEOUTS_MS = {
  /** Compiling the API with tsc. */
  build: 120_000,
  /** A service printing the line that says it serves (Prometheus: "Server is ready"). */
  serviceStart: 30_000,
  /** Stopping one process (SIGTERM, then SIGKILL). */
  stop: 10_000,
} as const;

/**
 * Builds the monitoring stack as `npm run deploy` does (main.ts's `inspectMonitoringStack`, so imported dashboards
 * are included), with `scrapeIntervalSeconds` as the stack setting (and `sloWindowScale`, when a suite scales the SLO
 * windows to its short interval). Synchronous: suites can list the dashboards'
 * queries while jest collects tests.
 */
export function buildDefaultMonitoringStack(
  scrapeIntervalSeconds: number,
  overrides: Pick<MonitoringStackProps, "sloWindowScale"> = {},
): MonitoringStack {
  // An empty environment: the suite checks the default stack, whatever the shell that runs it has set. A suite at a
  // 1 s scrape interval may scale the SLO windows (an hour lasting a minute); nothing else differs.
  return inspectMonitoringStack({}, { scrapeIntervalSeconds, ...overrides }).stack;
}

/** How often a caller waiting on another process' build of the API looks again, in milliseconds. */
const BUILD_POLL_MS = 100;

/** Blocks this thread for `ms` without using CPU (buildApi is synchronous, as the spawnSync of its build is). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes `lock` for this process: the file appears at once with this process' PID in it (a hard link to a file
 * written first), or not at all when another process holds it ("held"). "unsupported" where the folder's filesystem
 * has no hard links.
 */
function tryLock(lock: string): "taken" | "held" | "unsupported" {
  const mine = `${lock}.${process.pid}`;
  try {
    writeFileSync(mine, String(process.pid));
    linkSync(mine, lock);
    return "taken";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EEXIST" ? "held" : "unsupported";
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The PID `lock` names; undefined when it is gone or names none. */
function lockPid(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `lock` is held: the file is there, younger than `staleMs`, and the process it names is alive. */
function lockHeld(lock: string, staleMs: number): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs > staleMs) return false;
  } catch {
    return false; // gone meanwhile
  }
  const pid = lockPid(lock);
  return pid !== undefined && processAlive(pid);
}

/**
 * Runs `work` unless `done()`, so that processes sharing `lock` run it once: the first caller takes the lock file
 * (holding its PID) and runs `work`; the others wait, without using CPU, until `done()` (they return) or the lock is
 * released (they take it). A lock whose process is gone, or older than twice `boundMs` (a run killed mid-work, a PID
 * reused since), is taken over; a caller that waited `boundMs` runs `work` itself, as does every caller where the
 * filesystem has no hard links. That, or a lock taken over just as it was released, can let two callers run `work`:
 * it must tolerate that. A caller removes the lock only while it names its own PID. Synchronous, as its one caller is.
 */
export function onceUnderLock(lock: string, done: () => boolean, work: () => void, boundMs: number): void {
  const waitUntil = Date.now() + boundMs;
  let attempt = tryLock(lock);
  while (attempt === "held" && Date.now() < waitUntil) {
    if (done()) return;
    if (lockHeld(lock, 2 * boundMs)) {
      sleepSync(BUILD_POLL_MS);
      continue;
    }
    // Released, or its process gone: take it.
    rmSync(lock, { force: true });
    attempt = tryLock(lock);
  }
  try {
    if (!done()) work();
  } finally {
    if (attempt === "taken" && lockPid(lock) === process.pid) rmSync(lock, { force: true });
  }
}

/**
 * Compiles the API with its own tsconfig (what `npm run build -w app` does) into a cache directory keyed by the digest
 * of app/'s sources, so a run builds at most once and never uses a stale build. Returns the path of `main.js`.
 *
 * Suites starting together (dev, verify and e2e start within 3 s of each other) compile it once: the first takes the
 * lock next to the build (`api-<digest>.lock`, onceUnderLock), the others wait for its build. Should two builds of the
 * same sources still finish (a waiter that gave up), the first rename wins and the other is discarded.
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
  onceUnderLock(
    `${outDir}.lock`,
    () => existsSync(mainJs),
    () => compileApi(outDir),
    HARNESS_TIMEOUTS_MS.build,
  );
  return mainJs;
}

/** Compiles app/ into `outDir`, through a temporary folder renamed into place. */
function compileApi(outDir: string): void {
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

/** The `localRun.binary` of the API built from app/ (compiled by {@link buildApi}, run with this Node.js). */
export { DEMO_API_BINARY };

/**
 * The generated Prometheus files with every scrape target's address (and every probed URL's, and every
 * Alertmanager's) replaced by its loopback address; everything else (comments, order, intervals, limits, rule files)
 * is left exactly as generated.
 * @param loopback the loopback `host:port` of every rendered `host:port` (`api:8000` -> `127.0.0.1:40001`)
 * @throws when an address has no loopback address (the harness would scrape something unexpected)
 */
export function mapTargetsToLoopback(
  files: readonly PrometheusConfigFile[],
  loopback: Readonly<Record<string, string>>,
): PrometheusConfigFile[] {
  const map = (address: string, what: string): string => {
    const mapped = loopback[address];
    if (mapped === undefined) {
      throw new Error(`no loopback address for ${what} ${address}: it is no service of the stack the harness runs`);
    }
    return mapped;
  };
  return files.map((file) => {
    if (file.path !== "prometheus.yml") return file;
    const document = parseDocument(file.content);
    const scrapeConfigs = document.get("scrape_configs");
    if (!isSeq(scrapeConfigs)) throw new Error("prometheus.yml has no scrape_configs list");
    const staticConfigsOf = (node: unknown) => {
      const staticConfigs = isMap(node) ? node.get("static_configs") : undefined;
      return isSeq(staticConfigs) ? staticConfigs.items : [];
    };
    for (const scrapeConfig of scrapeConfigs.items) {
      if (!isMap(scrapeConfig)) throw new Error("a scrape_configs entry is not a map");
      const job = String(scrapeConfig.get("job_name"));
      for (const staticConfig of staticConfigsOf(scrapeConfig)) {
        const labels = isMap(staticConfig) ? staticConfig.get("labels") : undefined;
        // An external URL's probe (scope="external") is about a URL outside the stack: it is probed as it is.
        const external = isMap(labels) && labels.get(PROBE_SCOPE_LABEL) === EXTERNAL_PROBE_SCOPE;
        for (const label of isMap(labels) && !external ? labels.items : []) {
          // A probe's URL (`__param_target`, `instance`) names a service by its network address: map it too.
          if (isScalar(label.value) && typeof label.value.value === "string") {
            label.value.value = mapUrlToLoopback(label.value.value, loopback);
          }
        }
        const targets = isMap(staticConfig) ? staticConfig.get("targets") : undefined;
        for (const target of isSeq(targets) ? targets.items : []) {
          if (!isScalar(target)) throw new Error(`job "${job}" has a target that is not a string`);
          target.value = map(String(target.value), `the target of job "${job}"`);
        }
      }
    }
    const alerting = document.get("alerting");
    const alertmanagers = isMap(alerting) ? alerting.get("alertmanagers") : undefined;
    for (const alertmanager of isSeq(alertmanagers) ? alertmanagers.items : []) {
      for (const staticConfig of staticConfigsOf(alertmanager)) {
        const targets = isMap(staticConfig) ? staticConfig.get("targets") : undefined;
        for (const target of isSeq(targets) ? targets.items : []) {
          if (isScalar(target)) target.value = map(String(target.value), "the Alertmanager");
        }
      }
    }
    return { path: file.path, content: document.toString() };
  });
}

/**
 * `http://api:8000/health` with the loopback address of `api:8000`; any other text unchanged.
 * @throws when the URL's address has no loopback address (the harness could not reach it)
 */
export function mapUrlToLoopback(value: string, loopback: Readonly<Record<string, string>>): string {
  const match = /^(https?:\/\/)([^/]+)(\/.*)?$/.exec(value);
  if (match === null) return value;
  const mapped = loopback[match[2]];
  if (mapped === undefined) {
    throw new Error(
      `the URL ${value} names ${match[2]}, which is no address of a service the harness runs: it cannot map it to loopback`,
    );
  }
  return `${match[1]}${mapped}${match[3] ?? ""}`;
}

/** A process the harness started. */
export interface HarnessProcess {
  readonly pid: number;
  /** Everything it printed so far. */
  output(): string;
}

/** A service the harness runs: its process and where it listens. */
export interface LocalService extends HarnessProcess {
  /** The service's name in the stack. */
  readonly name: string;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
}

/** The running local stack. */
export interface LocalStack {
  /** The stack the files were generated from. */
  readonly stack: MonitoringStack;
  /** The temporary directory: each service's `config/` and `data/` under its name. */
  readonly dir: string;
  /** The files Prometheus runs, as written (targets mapped to loopback). */
  readonly files: readonly PrometheusConfigFile[];
  /** The loopback address of every rendered `host:port`. */
  readonly loopback: Readonly<Record<string, string>>;
  /** The loopback address of each service's job (of its first replica), by job. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Every service running as a process, by name (Prometheus included). */
  readonly services: Readonly<Record<string, LocalService>>;
  /** Every service that is not run here, by name, with why. */
  readonly notRun: Readonly<Record<string, string>>;
  /** Prometheus, with a client. */
  readonly prometheus: LocalService & { readonly url: string; readonly client: PrometheusClient };
  /** When the harness started, in Unix seconds (the start of every query window). */
  readonly startedAtSeconds: number;
  /** Stops one service (by PID); the rest keeps running. Idempotent. */
  stopService(name: string): Promise<void>;
  /** Stops every process (by PID) and removes the temporary directory. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** The stack to run. @default buildDefaultMonitoringStack(scrapeIntervalSeconds) */
  readonly stack?: MonitoringStack;
  /** The stack's scrape interval when no `stack` is given, in seconds. @default 1 */
  readonly scrapeIntervalSeconds?: number;
  /** The 127.0.0.1 port of a service, by name (`{ api: 8000, prometheus: 9090 }`). @default a free port the OS picks */
  readonly ports?: Readonly<Record<string, number>>;
  /** The path of a binary, by its name (`node-exporter`). @default the project's cache (requireBinary) */
  readonly binaries?: Readonly<Record<string, string>>;
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

/** How a service's local process is started: the program and its leading arguments. */
function program(service: Service, binaries: Readonly<Record<string, string>>): { path: string; args: string[] } {
  const binary = service.localRun?.binary ?? "";
  if (binary === DEMO_API_BINARY) return { path: process.execPath, args: [buildApi()] };
  return { path: binaries[binary] ?? requireBinary(binary), args: [] };
}

/**
 * Why a service cannot run here, or undefined when it can: it declares no local process, or its binary is neither
 * given nor one the components declare (the project fetches only those).
 */
export function whyNotRun(service: Service, binaries: Readonly<Record<string, string>> = {}): string | undefined {
  const binary = service.localRun?.binary;
  if (binary === undefined) return "no local process (localRun)";
  if (binary === DEMO_API_BINARY || binaries[binary] !== undefined || BINARIES[binary] !== undefined) return undefined;
  return `its binary "${binary}" is none the components declare (${Object.keys(BINARIES).sort().join(", ")})`;
}

/** The user a server that refuses root runs as when the harness is root: `nobody`. */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 } as const;

function chownTree(path: string, user: { readonly uid: number; readonly gid: number }): void {
  chownSync(path, user.uid, user.gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), user);
}

/** Whether `user` may traverse every folder above `path` (the mode bits that apply to it: owner, group or other). */
export function reachableBy(path: string, user: { readonly uid: number; readonly gid: number }): boolean {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const { uid, gid, mode } = statSync(dir);
    const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * `binaryPath` where `user` can run it: as it is when every folder above it lets the user through, otherwise a copy in
 * `stageDir` (a checkout under a private folder, such as `mktemp -d`'s 0700, hides `.cache/bin` from nobody). A
 * launcher written by fetch-binaries is copied with the package folders (`<name>.d`) it runs from.
 */
export function binaryFor(
  binaryPath: string,
  user: { readonly uid: number; readonly gid: number } | undefined,
  stageDir: string,
): string {
  if (user === undefined || reachableBy(binaryPath, user)) return binaryPath;
  const staged = join(stageDir, basename(binaryPath));
  if (!existsSync(staged)) {
    mkdirSync(stageDir, { recursive: true, mode: 0o755 });
    const text = statSync(binaryPath).size < 4096 ? readFileSync(binaryPath, "utf8") : "";
    const packages = new Set([...text.matchAll(/\$here\/([^/"]+\.d)\b/g)].map((match) => match[1]));
    for (const name of packages) {
      if (!existsSync(join(stageDir, name))) {
        cpSync(join(dirname(binaryPath), name), join(stageDir, name), { recursive: true, verbatimSymlinks: true });
      }
    }
    cpSync(binaryPath, staged);
  }
  return staged;
}

/** Resolves once something accepts connections on `127.0.0.1:port`; rejects when `binary` exits or after `timeoutMs`. */
async function waitForPort(port: number, binary: RunningBinary, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolveOpen) => {
      const socket = connect(port, LOOPBACK);
      socket.once("connect", () => {
        socket.destroy();
        resolveOpen(true);
      });
      socket.once("error", () => resolveOpen(false));
    });
    if (open) return;
    if (!processAlive(binary.pid))
      throw new Error(`it exited before listening on ${LOOPBACK}:${port}:\n${binary.output()}`);
    if (Date.now() > deadline) {
      throw new Error(`it did not listen on ${LOOPBACK}:${port} within ${timeoutMs} ms:\n${binary.output()}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Every rendered `host:port` of a service (its aliases on its port, metrics port and health port). */
function renderedAddresses(service: Service): string[] {
  const addresses = [
    ...service.scrapeTargets.map((target) => `${target.host}:${target.port}`),
    ...service.healthUrls.map((url) => /^https?:\/\/([^/]+)/.exec(url)?.[1] ?? ""),
  ];
  return [...new Set(addresses.filter((address) => address !== ""))];
}

/**
 * Where the harness reaches every address the stack renders: each service's aliases and ports on its loopback port
 * (`ports`, by service name), and a target outside the stack's network where it is.
 */
export function loopbackAddresses(
  stack: MonitoringStack,
  ports: ReadonlyMap<string, number>,
): Readonly<Record<string, string>> {
  const loopback: Record<string, string> = {};
  for (const target of stack.prometheus.scrapedTargets) {
    if (target.outsideNetwork === true) loopback[`${target.host}:${target.port}`] = `${target.host}:${target.port}`;
  }
  for (const service of stack.services.values()) {
    for (const address of renderedAddresses(service)) loopback[address] = `${LOOPBACK}:${ports.get(service.name)}`;
  }
  return loopback;
}

/**
 * Starts one service as the stack declares it runs locally (`localRun`: the program, its arguments and environment,
 * its rendered config files in `<dir>/<name>/config`, an empty `<dir>/<name>/data`) on `127.0.0.1:<port>`, and waits
 * until it says it serves. The process joins `processes` before the wait, so it is stopped even when the start fails.
 * @returns undefined for a service without `localRun`
 */
export async function startLocalService(
  service: Service,
  options: {
    readonly dir: string;
    readonly port: number;
    /** The files to give it. @default the service's own `configFiles()` */
    readonly configFiles?: readonly PrometheusConfigFile[];
    readonly binaries?: Readonly<Record<string, string>>;
    readonly processes: ProcessGroup;
    /** The loopback address of every address the stack renders (`ctx.addressOf`). @default none */
    readonly loopback?: Readonly<Record<string, string>>;
  },
): Promise<{ readonly service: LocalService; readonly binary: RunningBinary } | undefined> {
  const localRun = service.localRun;
  if (localRun === undefined) return undefined;
  const serviceDir = join(options.dir, service.name);
  const loopback = options.loopback ?? {};
  const ctx: LocalRunContext = {
    host: LOOPBACK,
    port: options.port,
    address: `${LOOPBACK}:${options.port}`,
    configDir: join(serviceDir, "config"),
    dataDir: join(serviceDir, "data"),
    // A service of the stack is reached on its loopback port; any other address as it is (a host outside the stack).
    addressOf: (hostPort: string) => loopback[hostPort] ?? hostPort,
  };
  mkdirSync(ctx.dataDir, { recursive: true });
  for (const file of options.configFiles ?? service.configFiles()) {
    mkdirSync(dirname(join(ctx.configDir, file.path)), { recursive: true });
    writeFileSync(join(ctx.configDir, file.path), file.content);
  }
  const binaries = options.binaries ?? {};
  // A server that refuses root runs as nobody when the harness is root, owning its own folder.
  const user = localRun.refusesRoot === true && process.getuid?.() === 0 ? UNPRIVILEGED : undefined;
  // Binaries the user cannot reach where they are are copied here, readable by everyone, once per harness folder.
  const stageDir = join(options.dir, ".binaries");
  if (user !== undefined) {
    chmodSync(options.dir, 0o755);
    chownTree(serviceDir, user);
  }
  const env = { PATH: process.env.PATH, ...(localRun.env?.(ctx) ?? {}) };
  for (const step of localRun.before?.(ctx) ?? []) {
    const stepBinary = binaryFor(binaries[step.binary] ?? requireBinary(step.binary), user, stageDir);
    const result = await runBinary(stepBinary, step.args, {
      cwd: serviceDir,
      env,
      timeoutMs: HARNESS_TIMEOUTS_MS.serviceStart,
      ...(user !== undefined ? { user } : {}),
    });
    if (result.exitCode !== 0) {
      throw new Error(
        `${service.name}: ${result.command} failed (exit ${String(result.exitCode)}${result.timedOut ? ", timed out" : ""}):\n${result.stdout}${result.stderr}`,
      );
    }
  }
  const { path, args } = program(service, binaries);
  const binary = options.processes.add(
    startBinary(binaryFor(path, user, stageDir), [...args, ...localRun.args(ctx)], {
      cwd: serviceDir,
      env,
      ...(user !== undefined ? { user } : {}),
    }),
  );
  if (localRun.readyPattern !== undefined) {
    await binary.waitForOutput(localRun.readyPattern, HARNESS_TIMEOUTS_MS.serviceStart, PORT_TAKEN);
  } else {
    await waitForPort(options.port, binary, HARNESS_TIMEOUTS_MS.serviceStart);
  }
  return {
    binary,
    service: {
      name: service.name,
      pid: binary.pid,
      output: binary.output,
      address: ctx.address,
      baseUrl: `http://${ctx.address}`,
    },
  };
}

/**
 * prometheus.yml with every `basic_auth.password_file` (the path the container mounts the password file at) replaced
 * by the file on this machine, when the stack's Prometheus requires basic auth; the files unchanged otherwise.
 */
export function withLocalPasswordFile(
  files: readonly PrometheusConfigFile[],
  auth: PrometheusBasicAuth | undefined,
): PrometheusConfigFile[] {
  if (auth === undefined) return [...files];
  return files.map((file) => {
    if (file.path !== "prometheus.yml") return file;
    const document = parseDocument(file.content);
    const scrapeConfigs = document.get("scrape_configs");
    for (const scrapeConfig of isSeq(scrapeConfigs) ? scrapeConfigs.items : []) {
      if (isMap(scrapeConfig) && scrapeConfig.hasIn(["basic_auth", "password_file"])) {
        scrapeConfig.setIn(["basic_auth", "password_file"], auth.passwordFile.path);
      }
    }
    return { ...file, content: document.toString({ lineWidth: 0 }) };
  });
}

/** What a server prints when its port was taken between the harness choosing it and the server binding it. */
const PORT_TAKEN = /address already in use/;
/** Starts of the whole stack when a port the harness chose was taken meanwhile (parallel suites pick ports too). */
const PORT_ATTEMPTS = 3;

/**
 * {@link startLocalStackOnce}, started again on new ports (at most {@link PORT_ATTEMPTS} times) when a server found
 * a port the harness had chosen already taken: free ports are picked before the servers bind them, and the suites
 * running beside this one pick ports too. Ports given in `options.ports` are never changed, so their failure is final.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalStackOnce(options);
    } catch (error) {
      const taken = error instanceof Error && PORT_TAKEN.test(error.message);
      if (!taken || options.ports !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/**
 * Starts every service of the stack that can run here, on 127.0.0.1, each with the config files the stack renders for
 * it, and Prometheus last with the stack's files, targets mapped to loopback; waits until each says it serves (and
 * Prometheus' /-/ready answers 200). When any step fails, whatever was started is stopped before the error is
 * rethrown.
 */
async function startLocalStackOnce(options: LocalStackOptions): Promise<LocalStack> {
  const startedAtSeconds = Date.now() / 1000;
  const stack = options.stack ?? buildDefaultMonitoringStack(options.scrapeIntervalSeconds ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "monitoring-local-"));
  const processes = new ProcessGroup();
  const binaries = options.binaries ?? {};
  const running = new Map<string, { service: LocalService; binary: RunningBinary }>();
  const notRun: Record<string, string> = {};
  try {
    const all = [...stack.services.values()];
    const prometheusService = all.find((service) => service.name === stack.prometheus.name);
    if (prometheusService === undefined) throw new Error("the stack has no Prometheus service to run");
    // A port for every service, the ones not run included (nothing listens there: their targets are down).
    const ports = new Map<string, number>();
    for (const service of all) ports.set(service.name, options.ports?.[service.name] ?? (await freeLoopbackPort()));
    const taken = [...ports.values()];
    if (new Set(taken).size !== taken.length) {
      throw new Error(`loopback ports collided: ${JSON.stringify(Object.fromEntries(ports))}`);
    }
    const loopback = loopbackAddresses(stack, ports);
    const auth = stack.prometheus.basicAuth;
    const files = withLocalPasswordFile(mapTargetsToLoopback(stack.prometheus.configFiles(), loopback), auth);

    const start = async (service: Service, configFiles: readonly PrometheusConfigFile[]): Promise<void> => {
      const started = await startLocalService(service, {
        dir,
        port: ports.get(service.name) ?? 0,
        configFiles,
        binaries,
        processes,
        loopback,
      });
      if (started !== undefined) running.set(service.name, started);
    };
    for (const service of all) {
      if (service === prometheusService) continue;
      const why = whyNotRun(service, binaries);
      if (why !== undefined) {
        // A service without metrics (`metrics: false`) has no target to be down.
        notRun[service.name] =
          service.jobName === undefined ? why : `${why}: its target ${LOOPBACK}:${ports.get(service.name)} is down`;
        continue;
      }
      await start(service, service.configFiles());
    }
    await start(prometheusService, files);
    const prometheus = running.get(prometheusService.name);
    if (prometheus === undefined) throw new Error("Prometheus declares no local process (localRun)");
    // With extra hosts the stack's Prometheus requires basic auth (web.yml): the harness sends it, as verify does.
    const client = new PrometheusClient(prometheus.service.baseUrl, {
      timeoutMs: 5000,
      ...(auth !== undefined
        ? { basicAuth: { user: auth.username, password: readFileSync(auth.passwordFile.path, "utf8").trim() } }
        : {}),
    });
    const ready = await client.ready();
    if (ready.status !== 200) {
      throw new Error(`Prometheus logged ready, but /-/ready answered ${ready.status}:\n${prometheus.binary.output()}`);
    }

    let stopped = false;
    return {
      stack,
      dir,
      files,
      loopback,
      addresses: Object.fromEntries(
        all.flatMap((service) =>
          service.jobName !== undefined ? [[service.jobName, `${LOOPBACK}:${ports.get(service.name)}`]] : [],
        ),
      ),
      services: Object.fromEntries([...running].map(([name, entry]) => [name, entry.service])),
      notRun,
      prometheus: { ...prometheus.service, url: prometheus.service.baseUrl, client },
      startedAtSeconds,
      stopService: async (name: string) => {
        const entry = running.get(name);
        if (entry !== undefined) await processes.stop(entry.binary);
      },
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

/** The state letter of a process from /proc (R, S, D, Z, ...), undefined when /proc has no such process. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command (field 2) is in parentheses and may hold spaces or parentheses: the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/**
 * Whether a process with this PID is still running. A zombie (state Z: it has exited, holds no port, memory or file,
 * and waits for its parent or init to collect its status) counts as stopped: signal 0 still finds it, and under load
 * init may collect it seconds later. Without /proc, signal 0 decides. A PID that is not a positive integer names no
 * process (signal 0 to 0 or -1 would reach a whole process group and answer "alive").
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = processState(pid);
  return state !== "Z" && state !== "X";
}

/** One line for a test failure about a process: PID, state and command line (or "gone"). */
export function describeProcess(pid: number): string {
  const state = processState(pid);
  if (state === undefined) return `${pid} gone`;
  let command = "";
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    // gone between the two reads
  }
  return `${pid} ${state} ${command}`.trim();
}
