import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { HTTP_METRICS } from "../src/metrics";
import { closeGracefully } from "../src/shutdown";
import { startServer } from "./helpers";

const MAIN = join(__dirname, "..", "src", "main.ts");

interface LogLine {
  readonly msg?: string;
  readonly port?: number;
  readonly req?: { readonly url?: string };
  readonly [key: string]: unknown;
}

/** The API as a real process (`node --import tsx app/src/main.ts`), with its parsed JSON log lines. */
interface ApiProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; at: number }>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const processes: ChildProcess[] = [];

afterEach(() => {
  for (const child of processes.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

function spawnApi(env: Record<string, string>): ApiProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  processes.push(child);
  const logs: LogLine[] = [];
  const waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const text of lines) {
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.predicate(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: Date.now() })),
  );
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(predicate, timeoutMs = 15_000) {
      const seen = logs.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe("graceful shutdown of the API process", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "on %s stops accepting, finishes the in-flight request, then exits 0",
    async (signal) => {
      const api = spawnApi({});
      const { port } = await api.waitForLog((line) => line.msg === "api listening");
      const baseUrl = `http://127.0.0.1:${String(port)}`;
      let settled = false;
      const inFlight = fetch(`${baseUrl}/api/simulate?latency_ms=2500`).then(async (response) => {
        settled = true;
        return { status: response.status, body: (await response.json()) as unknown, at: Date.now() };
      });
      await api.waitForLog(
        (line) => line.msg === "incoming request" && line.req?.url === "/api/simulate?latency_ms=2500",
      );

      api.child.kill(signal);
      await api.waitForLog((line) => line.msg === "shutting down: refusing new connections, draining requests");
      let refused = false;
      for (let attempt = 0; attempt < 50 && !refused; attempt++) {
        refused = await connectionRefused(Number(port));
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const refusedWhileDraining = refused && !settled;

      const response = await inFlight;
      const exit = await api.exited;
      expect(refusedWhileDraining).toBe(true);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ simulated: { latencyMs: 2500, status: 200 } });
      expect(exit.code).toBe(0);
      expect(response.at).toBeLessThanOrEqual(exit.at);
      expect(api.logs.map((line) => line.msg)).toContain("shutdown complete");
    },
  );

  it("fails at startup when PORT is invalid, naming the variable", async () => {
    const api = spawnApi({ PORT: "eighty" });

    const exit = await api.exited;

    expect(exit.code).toBe(1);
    expect(api.stderr()).toBe(
      'invalid configuration:\n  - PORT must be an integer between 0 and 65535, 0 picks a free port (got "eighty")\n',
    );
  });

  it("fails at startup when the port is taken, saying what to change", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const api = spawnApi({ PORT: String(port) });

      const exit = await api.exited;

      expect(exit.code).toBe(1);
      const fatal = api.logs.find((line) => line.level === 60);
      expect(fatal?.msg).toBe(
        `cannot listen on 127.0.0.1:${port} (EADDRINUSE); set PORT to a free port or HOST to a local address`,
      );
      // The code names the cause; no stack trace anywhere in what the API printed.
      expect(fatal).toMatchObject({ code: "EADDRINUSE", syscall: "listen" });
      expect(JSON.stringify(api.logs)).not.toMatch(/\bat [\w.<>]+ \(|"stack"/);
      expect(api.stderr()).toBe("");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

/** Waits (bounded) until the server's in-flight gauge reads `count`, read from the registry in-process. */
async function waitForInFlight(registry: Registry, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const gauge = await registry.getSingleMetric(HTTP_METRICS.requestsInFlight.name)?.get();
    if (gauge?.values[0]?.value === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${HTTP_METRICS.requestsInFlight.name} never reached ${count}`);
}

describe("closeGracefully", () => {
  it("waits for a request in flight and reports drained", async () => {
    const { app, baseUrl, registry } = await startServer();
    const inFlight = fetch(`${baseUrl}/api/simulate?latency_ms=300`);
    await waitForInFlight(registry, 1);

    const outcome = await closeGracefully(app, 5000);

    expect(outcome).toBe("drained");
    expect((await inFlight).status).toBe(200);
  });

  it("gives up at the deadline, closes the remaining connections and reports timed out", async () => {
    const { app, baseUrl, registry } = await startServer();
    const inFlight = fetch(`${baseUrl}/api/simulate?latency_ms=5000`).then(
      (response) => `answered ${response.status}`,
      (error: Error) => `failed: ${error.message}`,
    );
    await waitForInFlight(registry, 1);

    const outcome = await closeGracefully(app, 200);

    expect(outcome).toBe("timed out");
    expect(await inFlight).toBe("failed: fetch failed");
  });
});
