/**
 * `npm run dev` as a user runs it: started as a child process (node with tsx, as `npm run dev` runs it), waited for
 * until it prints its URLs, checked by `npm run verify -- --skip-grafana` with no URL flags (verify finds the API and
 * Prometheus on the stack's host ports, exactly where dev started them), then stopped with SIGTERM: every process it
 * started (one per service with a local process: the API, Prometheus, the exporters) must be gone.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { DemoApi } from "../constructs/api";
import { Prometheus } from "../constructs/prometheus";
import { inspectMonitoringStack } from "../main";
import { DEMO_API_BINARY, freeLoopbackPort, processAlive } from "../scripts/harness/local-stack";
import { binDir, describeWithBinaries } from "./support/prometheus-binaries";

const PROJECT_ROOT = resolve(__dirname, "..");

/** Bounds, in milliseconds. */
const TIMEOUTS_MS = { ready: 120_000, verify: 90_000, stop: 15_000 } as const;

/** A child started with node + tsx, its output collected. */
interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startTsx(script: string, args: readonly string[], env: Readonly<Record<string, string>>): Child {
  // node itself with tsx as a loader: one process, so signals reach the script itself, not a wrapper.
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolveExit) => child.on("close", (code) => resolveExit(code)));
  return { process: child, output: () => output, exited };
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
const { stack } = inspectMonitoringStack({}, { scrapeIntervalSeconds: 1 });
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
  /** The PIDs dev printed, stopped here by PID should the test fail before dev stops them itself. */
  const started: number[] = [];

  afterAll(async () => {
    if (dev !== undefined && dev.process.exitCode === null) {
      // SIGTERM first: dev stops its processes itself; a SIGKILL would leave them running.
      dev.process.kill("SIGTERM");
      const timer = setTimeout(() => dev?.process.kill("SIGKILL"), TIMEOUTS_MS.stop - 2000);
      await dev.exited;
      clearTimeout(timer);
    }
    for (const pid of started.filter(processAlive)) process.kill(pid, "SIGKILL");
  }, TIMEOUTS_MS.stop);

  it(
    "starts every service with a local process (the API and Prometheus on the stack's ports), passes verify --skip-grafana, and stops them all on SIGTERM",
    async () => {
      // given the stack's host ports set to free ones, and a 1 s scrape interval so verify's data checks are quick
      const [apiPort, prometheusPort, grafanaPort] = [
        await freeLoopbackPort(),
        await freeLoopbackPort(),
        await freeLoopbackPort(),
      ];
      const env = {
        API_HOST_PORT: String(apiPort),
        PROMETHEUS_HOST_PORT: String(prometheusPort),
        GRAFANA_HOST_PORT: String(grafanaPort),
        SCRAPE_INTERVAL_SECONDS: "1",
        PROMETHEUS_BIN_DIR: binDir(),
      };

      // when dev starts
      dev = startTsx("scripts/dev.ts", [], env);
      await waitFor(dev, /^dev: ready$/m, TIMEOUTS_MS.ready);
      const printed = startedServices(dev.output());
      started.push(...printed.map((service) => service.pid));

      // then it started every service with a local process, the API and Prometheus on the stack's host ports, and
      // says which services it did not start
      expect(printed.map((service) => service.name).sort()).toEqual([...LOCAL].sort());
      const port = (name: string) => printed.find((service) => service.name === name)?.port;
      expect([port(DemoApi.NAME), port(Prometheus.NAME)]).toEqual([apiPort, prometheusPort]);
      expect(printed.map((service) => [service.name, processAlive(service.pid)])).toEqual(
        printed.map((service) => [service.name, true]),
      );
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

      // when dev gets SIGTERM, then it stops every process it started and exits 0
      dev.process.kill("SIGTERM");
      let stopTimer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        dev.exited,
        new Promise<"timeout">((resolveTimeout) => {
          stopTimer = setTimeout(() => resolveTimeout("timeout"), TIMEOUTS_MS.stop);
        }),
      ]);
      clearTimeout(stopTimer);
      expect(stopped).toBe(0);
      expect(dev.output()).toContain("dev: stopped");
      expect(printed.map((service) => [service.name, processAlive(service.pid)])).toEqual(
        printed.map((service) => [service.name, false]),
      );
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
