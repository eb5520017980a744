/**
 * `npm run dev` as a user runs it: started as a child process (node with tsx, as `npm run dev` runs it), waited for
 * until it prints its URLs, checked by `npm run verify -- --skip-grafana` with no URL flags (verify finds the API and
 * Prometheus on the stack's host ports, exactly where dev started them), then stopped with SIGTERM: both processes it
 * started must be gone.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { freeLoopbackPort, processAlive } from "../scripts/harness/local-stack";
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

describeWithBinaries("npm run dev", ["prometheus"], () => {
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
    "starts the API and Prometheus on the stack's ports, passes verify --skip-grafana, and stops both on SIGTERM",
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
      const apiPid = Number((await waitFor(dev, /API {9}http:\/\/127\.0\.0\.1:(\d+) {3}\(pid (\d+)\)/, 0))[2]);
      const prometheusPid = Number(
        (await waitFor(dev, /Prometheus {2}http:\/\/127\.0\.0\.1:\d+ {3}\(pid (\d+)/, 0))[1],
      );
      started.push(apiPid, prometheusPid);

      // then it printed the stack's URLs
      expect(dev.output()).toContain(`API         http://127.0.0.1:${apiPort}   (pid ${apiPid})`);
      expect(dev.output()).toContain(`Prometheus  http://127.0.0.1:${prometheusPort}   (pid ${prometheusPid}`);
      expect([processAlive(apiPid), processAlive(prometheusPid)]).toEqual([true, true]);

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
      expect(verify.output()).toMatch(/verify: \d+ passed, 0 failed/);

      // when dev gets SIGTERM, then it stops both processes and exits 0
      dev.process.kill("SIGTERM");
      const stopped = await Promise.race([
        dev.exited,
        new Promise<"timeout">((resolveTimeout) => setTimeout(() => resolveTimeout("timeout"), TIMEOUTS_MS.stop)),
      ]);
      expect(stopped).toBe(0);
      expect(dev.output()).toContain("dev: stopped");
      expect([processAlive(apiPid), processAlive(prometheusPid)]).toEqual([false, false]);
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
