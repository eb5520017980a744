/**
 * `npm run bench:api`: what instrumentation costs. Runs the API twice side by side, as two processes on 127.0.0.1
 * (instrumentation on and off, everything else equal), loads them with autocannon in many short alternating rounds
 * and prints req/s and p99 latency of each and their ratio. Goal: at most 5% fewer req/s on `GET /api/items/:id`.
 *
 * Each round measures both variants back to back (order alternating), and the ratio reported is the median of the
 * per-round ratios: on a shared machine the load of other processes drifts, and pairing neighbours in time cancels
 * most of that drift. Each server also reports the CPU time it spent per request (process.cpuUsage over the run),
 * which other processes on the machine disturb far less than req/s. The load average is printed so a noisy run is
 * visible as such.
 *
 * Options: --duration 3 (seconds per measured run), --warmup 3 (seconds per variant, once, discarded),
 * --rounds 10, --connections 10, --path /api/items/1. Internal: --serve on|off runs one server (used by the parent).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { buildServer } from "@monitoring-stack/api/server";

/** The 5% budget of the issue, as the lowest acceptable on/off req/s ratio. */
const MIN_THROUGHPUT_RATIO = 0.95;

type Variant = "off" | "on";

interface RunFigures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failures: number;
  /** CPU time (user + system) the server process spent per answered request, in microseconds. */
  readonly cpuMicrosPerRequest: number;
}

interface BenchOptions {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly path: string;
}

function positiveInteger(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name} must be an integer between 1 and ${max} (got "${text}")`);
  }
  return value;
}

function parseOptions(argv: readonly string[]): BenchOptions & { serve?: Variant } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: "string", default: "3" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "10" },
      connections: { type: "string", default: "10" },
      path: { type: "string", default: "/api/items/1" },
      serve: { type: "string" },
    },
  });
  if (values.serve !== undefined && values.serve !== "on" && values.serve !== "off") {
    throw new Error(`--serve must be on or off (got "${values.serve}")`);
  }
  if (!values.path.startsWith("/")) {
    throw new Error(`--path must start with / (got "${values.path}")`);
  }
  return {
    durationSeconds: positiveInteger("duration", values.duration, 300),
    warmupSeconds: positiveInteger("warmup", values.warmup, 60),
    rounds: positiveInteger("rounds", values.rounds, 100),
    connections: positiveInteger("connections", values.connections, 1000),
    path: values.path,
    serve: values.serve,
  };
}

/** Child mode: one API server with instrumentation on or off, silent logs, on a free port it prints as JSON. */
async function serve(variant: Variant): Promise<void> {
  const app = buildServer({ instrumentation: variant === "on", logLevel: "silent" });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  // The parent asks for this process' CPU time before and after each run (IPC, so it costs nothing in between).
  process.on("message", () => process.send?.(process.cpuUsage()));
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

interface ServerProcess {
  readonly variant: Variant;
  readonly child: ChildProcess;
  readonly baseUrl: string;
}

async function startServerProcess(variant: Variant): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "--serve", variant], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the "${variant}" server did not start within 20 s`)), 20_000);
    child.once("exit", (code) => reject(new Error(`the "${variant}" server exited with ${String(code)}`)));
    child.stdout?.setEncoding("utf8").once("data", (chunk: string) => {
      clearTimeout(timer);
      resolve((JSON.parse(chunk.split("\n")[0] ?? "") as { port: number }).port);
    });
  });
  return { variant, child, baseUrl: `http://127.0.0.1:${port}` };
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Checks the two servers really differ only in instrumentation before measuring them. */
async function checkVariants(servers: Record<Variant, ServerProcess>, path: string): Promise<void> {
  for (const server of Object.values(servers)) {
    const response = await fetch(`${server.baseUrl}${path}`);
    if (response.status !== 200) {
      throw new Error(`GET ${path} on the "${server.variant}" server answered ${response.status}, expected 200`);
    }
    const metrics = await fetch(`${server.baseUrl}/metrics`);
    const expected = server.variant === "on" ? 200 : 404;
    if (metrics.status !== expected) {
      throw new Error(
        `GET /metrics on the "${server.variant}" server answered ${metrics.status}, expected ${expected}`,
      );
    }
  }
}

function cpuMicros(server: ServerProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the "${server.variant}" server did not report its CPU time`)),
      5000,
    );
    server.child.once("message", (usage: NodeJS.CpuUsage) => {
      clearTimeout(timer);
      resolve(usage.user + usage.system);
    });
    server.child.send("cpu");
  });
}

async function load(server: ServerProcess, options: BenchOptions, durationSeconds: number): Promise<RunFigures> {
  const cpuBefore = await cpuMicros(server);
  const result = await autocannon({
    url: `${server.baseUrl}${options.path}`,
    connections: options.connections,
    duration: durationSeconds,
    pipelining: 1,
  });
  const cpuAfter = await cpuMicros(server);
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
    cpuMicrosPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function bench(options: BenchOptions): Promise<void> {
  const servers: Partial<Record<Variant, ServerProcess>> = {};
  try {
    servers.off = await startServerProcess("off");
    servers.on = await startServerProcess("on");
    const both = { off: servers.off, on: servers.on };
    await checkVariants(both, options.path);
    process.stdout.write(
      `GET ${options.path}: ${options.rounds} rounds of ${options.durationSeconds} s per variant, ` +
        `${options.connections} connections, after ${options.warmupSeconds} s warm-up per variant\n` +
        `load average before: ${loadAverage()}\n`,
    );
    for (const variant of ["off", "on"] as const) {
      await load(both[variant], options, options.warmupSeconds);
    }
    const runs: Record<Variant, RunFigures[]> = { off: [], on: [] };
    const ratios: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate the order so drift within a round does not always favour the same variant.
      const order: Variant[] = round % 2 === 1 ? ["off", "on"] : ["on", "off"];
      const figures: Partial<Record<Variant, RunFigures>> = {};
      for (const variant of order) {
        const run = await load(both[variant], options, options.durationSeconds);
        if (run.failures > 0) {
          throw new Error(`round ${round}, instrumentation ${variant}: ${run.failures} failed requests`);
        }
        runs[variant].push(run);
        figures[variant] = run;
      }
      const ratio = (figures.on?.requestsPerSecond ?? 0) / (figures.off?.requestsPerSecond ?? 1);
      ratios.push(ratio);
      const describe = (run: RunFigures | undefined): string =>
        `${run?.requestsPerSecond.toFixed(0)} req/s, p99 ${run?.p99Ms} ms, ${run?.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`;
      process.stdout.write(
        `  round ${String(round).padStart(2)}: off ${describe(figures.off)} | on ${describe(figures.on)} | ` +
          `on/off req/s ${ratio.toFixed(3)}\n`,
      );
    }
    process.stdout.write(`load average after: ${loadAverage()}\n`);
    report(runs, ratios);
  } finally {
    await Promise.all(Object.values(servers).map((server) => stopServerProcess(server)));
  }
}

function loadAverage(): string {
  return `${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")} on ${availableParallelism()} CPUs`;
}

function report(runs: Record<Variant, RunFigures[]>, ratios: readonly number[]): void {
  const figures = (variant: Variant): { rps: number; p99: number; cpu: number } => ({
    rps: median(runs[variant].map((run) => run.requestsPerSecond)),
    p99: median(runs[variant].map((run) => run.p99Ms)),
    cpu: median(runs[variant].map((run) => run.cpuMicrosPerRequest)),
  });
  const off = figures("off");
  const on = figures("on");
  const throughputRatio = median(ratios);
  const rows = [
    ["", "req/s (median)", "p99 ms (median)", "server CPU µs/req"],
    ["instrumentation off", off.rps.toFixed(0), off.p99.toFixed(1), off.cpu.toFixed(1)],
    ["instrumentation on", on.rps.toFixed(0), on.p99.toFixed(1), on.cpu.toFixed(1)],
    ["on / off", throughputRatio.toFixed(3), (on.p99 / off.p99).toFixed(3), (on.cpu / off.cpu).toFixed(3)],
  ];
  process.stdout.write(`\n${rows.map((row) => row.map((cell) => cell.padEnd(22)).join("")).join("\n")}\n`);
  const sortedRatios = [...ratios].sort((a, b) => a - b);
  const signed = (value: number): string => `${value >= 0 ? "+" : ""}${value.toFixed(1)}%`;
  const throughputChange = (throughputRatio - 1) * 100;
  const cpuChange = (on.cpu / off.cpu - 1) * 100;
  const verdict = throughputRatio >= MIN_THROUGHPUT_RATIO ? "within" : "OVER";
  process.stdout.write(
    `\non/off req/s is the median of the per-round ratios (range ${sortedRatios[0]?.toFixed(3)} to ` +
      `${sortedRatios[sortedRatios.length - 1]?.toFixed(3)})\n` +
      `instrumentation on vs off: ${signed(throughputChange)} req/s (${verdict} the budget of -5%), ` +
      `${signed(cpuChange)} server CPU per request\n`,
  );
}

const USAGE = [
  "usage: npm run bench:api -- [--rounds 10] [--duration 3] [--warmup 3] [--connections 10] [--path /api/items/1]",
  "  --rounds       alternating on/off rounds; the ratio reported is the median of the rounds' ratios",
  "  --duration     seconds of load per variant and round",
  "  --warmup       seconds of discarded load per variant before the first round",
  "  --connections  concurrent connections of the load generator",
  "  --path         the request measured",
].join("\n");

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  if (options.serve !== undefined) {
    await serve(options.serve);
    return;
  }
  await bench(options);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:api failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
