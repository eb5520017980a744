/**
 * `npm run dev` as a user runs it: through npm (`npm run dev`: npm, its `sh -c`, tsx, the script), waited for until it
 * prints `dev: ready`, checked right then by `npm run verify -- --skip-grafana` with no URL flags (verify finds the API
 * and Prometheus on the stack's host ports, exactly where dev started them; a 5 s scrape interval, so the traffic
 * series are as fresh as after a real start), then stopped with SIGTERM to npm's PID: every process below npm (tsx,
 * the script, one per service with a local process: the API, Prometheus, the exporters) must be gone and the ports
 * free.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { DemoApi } from "../constructs/api";
import { Prometheus } from "../constructs/prometheus";
import { inspectMonitoringStack } from "../main";
import { DEMO_API_BINARY, describeProcess, freeLoopbackPort, processAlive } from "../scripts/harness/local-stack";
import { binDir, describeWithBinaries } from "./support/prometheus-binaries";

const PROJECT_ROOT = resolve(__dirname, "..");

/** Bounds, in milliseconds. */
const TIMEOUTS_MS = { ready: 120_000, verify: 90_000, stop: 20_000 } as const;
/** Long enough for the rate windows to matter (Grafana's `$__rate_interval` is 4 of them), short enough for CI. */
const SCRAPE_INTERVAL_SECONDS = 5;

/** A child started with node + tsx, its output collected. */
interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** Its exit code once its output is complete (every pipe closed). */
  exited: Promise<number | null>;
  /** Its exit code as soon as it exits (a process it left behind may hold its pipes open). */
  exitedProcess: Promise<number | null>;
}

function startChild(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Child {
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a failed test can stop whatever is left of it at once.
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolveExit) => child.on("close", (code) => resolveExit(code)));
  const exitedProcess = new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));
  return { process: child, output: () => output, exited, exitedProcess };
}

/** node itself with tsx as a loader, as verify's CLI runs. */
function startTsx(script: string, args: readonly string[], env: Readonly<Record<string, string>>): Child {
  return startChild(process.execPath, ["--import", "tsx", script, ...args], env);
}

/** Every process running now whose parent chain reaches `root` (not `root` itself), from /proc. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after its closing parenthesis are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (pid: number): void => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

/** Every process of process group `pgid`, from /proc. */
function processGroup(pgid: number): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/** Resolves with true when `port` can be bound on 127.0.0.1 now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveFree(true)));
  });
}

async function waitFor(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(child.output());
    if (match !== null) return match;
    if (child.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm run dev did not print ${pattern}:\n${child.output()}`);
    }
    await new Promise((tick) => setTimeout(tick, 100));
  }
}

/** The stack dev runs (the default one), and what of it runs as a process here. */
const { stack } = inspectMonitoringStack({}, { scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });
const services = [...stack.services.values()];
const LOCAL = services.filter((service) => service.localRun !== undefined).map((service) => service.name);
const NOT_LOCAL = services.filter((service) => service.localRun === undefined).map((service) => service.name);
const BINARY_NAMES = [
  ...new Set(
    services.flatMap((service) =>
      service.localRun !== undefined && service.localRun.binary !== DEMO_API_BINARY ? [service.localRun.binary] : [],
    ),
  ),
];

/** The lines dev prints for the services it started: name, port and PID. */
function startedServices(output: string): { name: string; port: number; pid: number }[] {
  return [...output.matchAll(/^ {2}(\S+) +http:\/\/127\.0\.0\.1:(\d+) {3}\(pid (\d+)\)$/gm)].map((match) => ({
    name: match[1],
    port: Number(match[2]),
    pid: Number(match[3]),
  }));
}

describeWithBinaries("npm run dev", BINARY_NAMES, () => {
  let dev: Child | undefined;
  /** Every process below npm once dev is ready, stopped here by PID should the test fail before dev stops them. */
  const started: number[] = [];

  afterAll(async () => {
    // Should the test fail before dev stopped: SIGTERM to npm's whole process group (dev stops its own processes),
    // then SIGKILL for whatever is left of it, and for every process that was below npm.
    const group = dev?.process.pid;
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (group !== undefined && processGroup(group).length > 0) process.kill(-group, signal);
    };
    signalGroup("SIGTERM");
    const deadline = Date.now() + TIMEOUTS_MS.stop - 5000;
    while (group !== undefined && processGroup(group).length > 0 && Date.now() < deadline) {
      await new Promise((tick) => setTimeout(tick, 200));
    }
    signalGroup("SIGKILL");
    for (const pid of started.filter(processAlive)) process.kill(pid, "SIGKILL");
  }, TIMEOUTS_MS.stop);

  it(
    "through npm: starts every service with a local process on the stack's ports, passes verify --skip-grafana right after `dev: ready`, and SIGTERM to npm's PID stops every process below npm and frees the ports",
    async () => {
      // given the stack's host ports set to free ones
      const [apiPort, prometheusPort, grafanaPort] = [
        await freeLoopbackPort(),
        await freeLoopbackPort(),
        await freeLoopbackPort(),
      ];
      const env = {
        API_HOST_PORT: String(apiPort),
        PROMETHEUS_HOST_PORT: String(prometheusPort),
        GRAFANA_HOST_PORT: String(grafanaPort),
        SCRAPE_INTERVAL_SECONDS: String(SCRAPE_INTERVAL_SECONDS),
        PROMETHEUS_BIN_DIR: binDir(),
      };

      // when dev starts through npm, as a user types it
      dev = startChild("npm", ["run", "dev"], env);
      const npmPid = dev.process.pid ?? 0;
      await waitFor(dev, /^dev: ready$/m, TIMEOUTS_MS.ready);
      const printed = startedServices(dev.output());
      const below = descendants(npmPid);
      started.push(...below);

      // then it started every service with a local process, the API and Prometheus on the stack's host ports, and
      // says which services it did not start
      expect(printed.map((service) => service.name).sort()).toEqual([...LOCAL].sort());
      const port = (name: string) => printed.find((service) => service.name === name)?.port;
      expect([port(DemoApi.NAME), port(Prometheus.NAME)]).toEqual([apiPort, prometheusPort]);
      expect(printed.map((service) => [service.name, processAlive(service.pid)])).toEqual(
        printed.map((service) => [service.name, true]),
      );
      // npm's shell, tsx, the script and the services are all below npm
      expect(below).toEqual(expect.arrayContaining(printed.map((service) => service.pid)));
      expect(below.length).toBeGreaterThan(printed.length);
      for (const name of NOT_LOCAL) expect(dev.output()).toMatch(new RegExp(`^ {2}${name} +not started: `, "m"));

      // and verify, with no URL flags, finds both and passes
      const verify = startTsx("scripts/verify.ts", ["--skip-grafana", "--burst-seconds", "2"], env);
      const timer = setTimeout(() => verify.process.kill("SIGKILL"), TIMEOUTS_MS.verify);
      const verifyExit = await verify.exited;
      if (verifyExit !== 0) console.log(verify.output());
      clearTimeout(timer);
      expect({ exit: verifyExit, output: verify.output() }).toEqual({
        exit: 0,
        output: expect.stringContaining(`API         http://127.0.0.1:${apiPort}  (from the stack's settings)`),
      });
      expect(verify.output()).toContain(`Prometheus  http://127.0.0.1:${prometheusPort}  (from the stack's settings)`);
      expect(verify.output()).toMatch(/verify: \d+ passed, 0 failed/);

      // when npm gets SIGTERM, then dev stops every process it started, npm exits 0, nothing of it is left
      process.kill(npmPid, "SIGTERM");
      let stopTimer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        dev.exitedProcess,
        new Promise<"timeout">((resolveTimeout) => {
          stopTimer = setTimeout(() => resolveTimeout("timeout"), TIMEOUTS_MS.stop);
        }),
      ]);
      clearTimeout(stopTimer);
      expect(stopped).toBe(0);
      expect(printed.map((service) => [service.name, processAlive(service.pid)])).toEqual(
        printed.map((service) => [service.name, false]),
      );
      // esbuild's service (tsx's) exits on its own once its parent's pipe closes: a moment, bounded
      const leftDeadline = Date.now() + 5000;
      while (below.some(processAlive) && Date.now() < leftDeadline) await new Promise((tick) => setTimeout(tick, 100));
      expect(below.filter(processAlive).map(describeProcess)).toEqual([]);
      expect(processGroup(npmPid).filter(processAlive).map(describeProcess)).toEqual([]);
      expect(await Promise.all(printed.map((service) => portFree(service.port)))).toEqual(printed.map(() => true));
      // nothing holds npm's pipes any more: its output is complete
      await dev.exited;
      expect(dev.output()).toContain("dev: stopped");
    },
    TIMEOUTS_MS.ready + TIMEOUTS_MS.verify + TIMEOUTS_MS.stop,
  );
});

describe("npm run dev with bad input", () => {
  let taken: Server | undefined;

  afterAll(() => taken?.close());

  it("refuses a host port something else listens on, naming the variable, the port and the fix", async () => {
    taken = createServer();
    await new Promise<void>((listening) => taken?.listen(0, "127.0.0.1", listening));
    const address = taken.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;

    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, API_HOST_PORT: String(port), PROMETHEUS_HOST_PORT: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `API_HOST_PORT=${port}: 127.0.0.1:${port} cannot be used (EADDRINUSE); stop what listens there, or set API_HOST_PORT to a free port`,
    );
  }, 60_000);
});
