/**
 * `npm run bench:api`: what instrumentation costs, and how the API holds up under hostile traffic. Three scenarios:
 *
 * - `overhead` (default): runs the API twice side by side, as two processes on 127.0.0.1 (instrumentation on and off,
 *   everything else equal), loads them with autocannon in alternating rounds and compares the CPU time each server
 *   process spent per request (its own `process.cpuUsage()`, which other processes on the machine disturb far less
 *   than req/s). Each round measures both variants back to back, order alternating, and yields one on/off ratio. The
 *   verdict against the 5% goal uses the median of the rounds' ratios and its distribution-free 95% confidence
 *   interval (order statistics of the rounds): "within" only when the whole interval is at or below 1.05, "over" when
 *   it is entirely above, otherwise "inconclusive". Fewer than {@link MIN_ROUNDS} rounds give no verdict at all.
 * - `count`: sends `--requests` requests of the hostile mix (random paths, ids, methods, malformed URLs and requests;
 *   `app/test/hostile-traffic.ts`) over raw sockets and checks `http_requests_total` rose by exactly the number of
 *   responses received.
 * - `saturate`: builds `app/` and runs it as the image does, floods `GET /api/simulate?latency_ms=5000` from
 *   `--connections` connections (a separate process) while probing `GET /health` every 20 ms, and reports the probe
 *   latencies (p50, p99, max), the answers the flood got, and the server's peak resident memory (`VmHWM`).
 *
 * Internal: `--serve on|off` runs one server, `--flood <url>` runs the flood (both used by the parent).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { getMetricsFromIterator, type PromData } from "prom2javascript";
import { HTTP_METRICS } from "@monitoring-stack/api/contract";
import { buildServer } from "@monitoring-stack/api/server";
import { sendHostileTraffic } from "@monitoring-stack/api/hostile-traffic";

/** The goal of the issue: instrumentation may cost at most 5% more server CPU per request. */
const MAX_CPU_RATIO = 1.05;
/** Fewest rounds for a verdict: below it the confidence interval of the median is wider than the rounds' range. */
export const MIN_ROUNDS = 8;

type Variant = "off" | "on";
type Scenario = "overhead" | "count" | "saturate";

interface RunFigures {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failures: number;
  /** CPU time (user + system) the server process spent per answered request, in microseconds. */
  readonly cpuMicrosPerRequest: number;
}

interface BenchOptions {
  readonly scenario: Scenario;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly path: string;
  readonly requests: number;
  readonly seed: number;
  /** `retry`: each connection waits for its answer and honours `Retry-After` on a 503; `loop`: retries at once. */
  readonly floodMode: "retry" | "loop";
  /** Whether the instrumented server also runs prom-client's process and runtime metrics (as deployed). */
  readonly runtimeMetrics: boolean;
}

function positiveInteger(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name} must be an integer between 1 and ${max} (got "${text}")`);
  }
  return value;
}

function parseOptions(argv: readonly string[]): BenchOptions & { serve?: Variant; flood?: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: "string", default: "overhead" },
      duration: { type: "string" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "12" },
      connections: { type: "string" },
      path: { type: "string", default: "/api/items/1" },
      requests: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      "flood-mode": { type: "string", default: "retry" },
      "runtime-metrics": { type: "string", default: "on" },
      serve: { type: "string" },
      flood: { type: "string" },
    },
  });
  const runtimeMetrics = values["runtime-metrics"];
  if (runtimeMetrics !== "on" && runtimeMetrics !== "off") {
    throw new Error(`--runtime-metrics must be on or off (got "${runtimeMetrics}")`);
  }
  const floodMode = values["flood-mode"];
  if (floodMode !== "retry" && floodMode !== "loop") {
    throw new Error(`--flood-mode must be retry or loop (got "${floodMode}")`);
  }
  if (values.serve !== undefined && values.serve !== "on" && values.serve !== "off") {
    throw new Error(`--serve must be on or off (got "${values.serve}")`);
  }
  const scenario = values.scenario;
  if (scenario !== "overhead" && scenario !== "count" && scenario !== "saturate") {
    throw new Error(`--scenario must be overhead, count or saturate (got "${scenario}")`);
  }
  if (!values.path.startsWith("/")) {
    throw new Error(`--path must start with / (got "${values.path}")`);
  }
  const defaultConnections = { overhead: "10", count: "50", saturate: "1000" }[scenario];
  const defaultDuration = { overhead: "3", count: "1", saturate: "15" }[scenario];
  return {
    scenario,
    durationSeconds: positiveInteger("duration", values.duration ?? defaultDuration, 300),
    warmupSeconds: positiveInteger("warmup", values.warmup, 60),
    rounds: positiveInteger("rounds", values.rounds, 100),
    connections: positiveInteger("connections", values.connections ?? defaultConnections, 20_000),
    path: values.path,
    requests: positiveInteger("requests", values.requests, 10_000_000),
    seed: positiveInteger("seed", values.seed, 2 ** 31),
    floodMode,
    runtimeMetrics: runtimeMetrics === "on",
    serve: values.serve,
    flood: values.flood,
  };
}

/** Child mode: one API server with instrumentation on or off, silent logs, on a free port it prints as JSON. */
async function serve(variant: Variant, runtimeMetrics: boolean): Promise<void> {
  const app = buildServer({ instrumentation: variant === "on", defaultMetrics: runtimeMetrics, logLevel: "silent" });
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

/**
 * Child mode: slow requests from `connections` connections for `durationSeconds`; prints the answers by status.
 * `loop` is autocannon (each connection sends again as soon as it has an answer); `retry` keeps its connection, waits
 * `Retry-After` (1 s) after a 503 and 1 s after a refused or dropped connection, as a client that respects the server
 * would.
 */
async function flood(url: string, connections: number, durationSeconds: number, mode: "retry" | "loop"): Promise<void> {
  if (mode === "loop") {
    const result = await autocannon({ url, connections, duration: durationSeconds, timeout: 20 });
    const byStatus: Record<string, number> = {};
    for (const [key, value] of Object.entries(result.statusCodeStats ?? {})) {
      byStatus[key] = (value as { count: number }).count;
    }
    process.stdout.write(`${JSON.stringify({ byStatus, errors: result.errors, timeouts: result.timeouts })}\n`);
    return;
  }
  const target = new URL(url);
  const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`;
  const byStatus: Record<string, number> = {};
  let errors = 0;
  const until = Date.now() + durationSeconds * 1000;
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1000));
  const worker = async (): Promise<void> => {
    let socket: Socket | undefined;
    let buffer = "";
    let answer: ((status: number | undefined) => void) | undefined;
    while (Date.now() < until) {
      if (socket === undefined || socket.destroyed) {
        const opened = connect({ host: target.hostname, port: Number(target.port) });
        buffer = "";
        opened.setEncoding("latin1");
        opened.on("data", (chunk: string) => {
          buffer += chunk;
          const end = buffer.indexOf("\r\n\r\n");
          if (end === -1) return;
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? "0");
          if (buffer.length < end + 4 + length) return;
          const status = Number(buffer.split(" ")[1]);
          buffer = buffer.slice(end + 4 + length);
          answer?.(status);
        });
        opened.on("error", () => undefined);
        opened.on("close", () => answer?.(undefined));
        socket = opened;
      }
      const current = socket;
      const status = await new Promise<number | undefined>((resolve) => {
        answer = resolve;
        current.write(request);
      });
      answer = undefined;
      if (status === undefined) {
        errors++;
        socket = undefined;
      } else {
        byStatus[status] = (byStatus[status] ?? 0) + 1;
      }
      if (status !== 200) await pause();
    }
    socket?.destroy();
  };
  await Promise.all(Array.from({ length: connections }, worker));
  process.stdout.write(`${JSON.stringify({ byStatus, errors })}\n`);
}

interface ServerProcess {
  readonly variant: Variant;
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
}

async function startServerProcess(variant: Variant, runtimeMetrics = true): Promise<ServerProcess> {
  const args = ["--import", "tsx", __filename, "--serve", variant, "--runtime-metrics", runtimeMetrics ? "on" : "off"];
  const child = spawn(process.execPath, args, {
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
  return { variant, child, baseUrl: `http://127.0.0.1:${port}`, port };
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
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

/**
 * Distribution-free confidence interval of the median of `values`, at least `confidence` (the sign-test interval):
 * the k-th smallest and k-th largest values, with k the largest for which P(Binomial(n, 1/2) < k) <= (1 - c) / 2.
 * Returns `undefined` when `values` are too few for any such interval.
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.95,
): { low: number; high: number; coverage: number } | undefined {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  let cumulative = 0;
  let k = 0;
  // cumulative = P(X <= k - 1) for X ~ Binomial(n, 1/2); grow k while P(X <= k) stays within the tail.
  for (let i = 0; i < n; i++) {
    const next = cumulative + binomial(n, i) / 2 ** n;
    if (next > tail) break;
    cumulative = next;
    k = i + 1;
  }
  if (k === 0) return undefined;
  return { low: sorted[k - 1] ?? Number.NaN, high: sorted[n - k] ?? Number.NaN, coverage: 1 - 2 * cumulative };
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** The verdict on the CPU ratios of the rounds against {@link MAX_CPU_RATIO}. */
export function overheadVerdict(ratios: readonly number[]): string {
  if (ratios.length < MIN_ROUNDS) {
    return `no verdict: ${ratios.length} rounds, at least ${MIN_ROUNDS} are needed (--rounds)`;
  }
  const interval = medianInterval(ratios);
  if (interval === undefined) return "no verdict: too few rounds for a confidence interval";
  const range = `95% interval of the median ${interval.low.toFixed(3)} to ${interval.high.toFixed(3)}`;
  if (interval.high <= MAX_CPU_RATIO) return `within the 5% goal (${range})`;
  if (interval.low > MAX_CPU_RATIO) return `OVER the 5% goal (${range})`;
  return `inconclusive: the ${range} straddles ${MAX_CPU_RATIO}; run more rounds on a quieter machine`;
}

async function benchOverhead(options: BenchOptions): Promise<void> {
  const servers: Partial<Record<Variant, ServerProcess>> = {};
  try {
    servers.off = await startServerProcess("off");
    servers.on = await startServerProcess("on", options.runtimeMetrics);
    const both = { off: servers.off, on: servers.on };
    await checkVariants(both, options.path);
    process.stdout.write(
      `GET ${options.path}: ${options.rounds} rounds of ${options.durationSeconds} s per variant, ` +
        `runtime metrics ${options.runtimeMetrics ? "on" : "off"} in the instrumented server, ` +
        `${options.connections} connections, after ${options.warmupSeconds} s warm-up per variant\n` +
        `load average before: ${loadAverage()}\n`,
    );
    for (const variant of ["off", "on"] as const) {
      await load(both[variant], options, options.warmupSeconds);
    }
    const runs: Record<Variant, RunFigures[]> = { off: [], on: [] };
    const cpuRatios: number[] = [];
    const rpsRatios: number[] = [];
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
      const cpuRatio = (figures.on?.cpuMicrosPerRequest ?? 0) / (figures.off?.cpuMicrosPerRequest ?? 1);
      const rpsRatio = (figures.on?.requestsPerSecond ?? 0) / (figures.off?.requestsPerSecond ?? 1);
      cpuRatios.push(cpuRatio);
      rpsRatios.push(rpsRatio);
      const describe = (run: RunFigures | undefined): string =>
        `${run?.cpuMicrosPerRequest.toFixed(1)} µs CPU/req, ${run?.requestsPerSecond.toFixed(0)} req/s`;
      process.stdout.write(
        `  round ${String(round).padStart(2)}: off ${describe(figures.off)} | on ${describe(figures.on)} | ` +
          `on/off CPU/req ${cpuRatio.toFixed(3)}, req/s ${rpsRatio.toFixed(3)}\n`,
      );
    }
    process.stdout.write(`load average after: ${loadAverage()}\n`);
    reportOverhead(runs, cpuRatios, rpsRatios);
  } finally {
    await Promise.all(Object.values(servers).map((server) => stopServerProcess(server)));
  }
}

function loadAverage(): string {
  return `${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")} on ${availableParallelism()} CPUs`;
}

function reportOverhead(
  runs: Record<Variant, RunFigures[]>,
  cpuRatios: readonly number[],
  rpsRatios: readonly number[],
): void {
  const figures = (variant: Variant): { rps: number; p99: number; cpu: number } => ({
    rps: median(runs[variant].map((run) => run.requestsPerSecond)),
    p99: median(runs[variant].map((run) => run.p99Ms)),
    cpu: median(runs[variant].map((run) => run.cpuMicrosPerRequest)),
  });
  const off = figures("off");
  const on = figures("on");
  const spread = (ratios: readonly number[]): string => {
    const sorted = [...ratios].sort((a, b) => a - b);
    return `${sorted[0]?.toFixed(3)} to ${sorted[sorted.length - 1]?.toFixed(3)}`;
  };
  const rows = [
    ["", "server CPU µs/req", "req/s", "p99 ms"],
    ["instrumentation off", off.cpu.toFixed(1), off.rps.toFixed(0), off.p99.toFixed(1)],
    ["instrumentation on", on.cpu.toFixed(1), on.rps.toFixed(0), on.p99.toFixed(1)],
    ["on / off (median of rounds)", median(cpuRatios).toFixed(3), median(rpsRatios).toFixed(3), ""],
    ["rounds' range", spread(cpuRatios), spread(rpsRatios), ""],
  ];
  process.stdout.write(`\n${rows.map((row) => row.map((cell) => cell.padEnd(28)).join("")).join("\n")}\n`);
  process.stdout.write(
    `\nserver CPU per request, instrumentation on vs off: ${overheadVerdict(cpuRatios)}\n` +
      "(the req/s ratio also moves with the load generator and other processes sharing the CPUs)\n",
  );
}

/** Sum of `http_requests_total` over every series except the scrapes' own. */
async function countedRequests(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const metrics = await getMetricsFromIterator(text.split("\n")[Symbol.iterator]());
  const family = metrics[HTTP_METRICS.requestsTotal.name];
  const samples = (family?.data ?? []) as PromData[];
  return samples
    .filter((sample) => sample.labels.endpoint !== "/metrics")
    .reduce((sum, sample) => sum + sample.value, 0);
}

async function benchCount(options: BenchOptions): Promise<boolean> {
  const server = await startServerProcess("on");
  try {
    const before = await countedRequests(server.baseUrl);
    const startedAt = Date.now();
    const summary = await sendHostileTraffic(server.port, {
      requests: options.requests,
      connections: options.connections,
      seed: options.seed,
    });
    const seconds = (Date.now() - startedAt) / 1000;
    const after = await countedRequests(server.baseUrl);
    const counted = after - before;
    process.stdout.write(
      `${summary.sent} hostile requests over ${options.connections} connections in ${seconds.toFixed(1)} s ` +
        `(seed ${options.seed})\n` +
        `responses received: ${summary.responses}, unanswered: ${summary.unanswered}\n` +
        `by status: ${JSON.stringify(summary.byStatus)}\n` +
        `http_requests_total rose by ${counted} (scrapes left out): ` +
        `${counted === summary.responses ? "equal to" : "DIFFERENT from"} the responses received\n`,
    );
    return counted === summary.responses && summary.unanswered === 0;
  } finally {
    await stopServerProcess(server);
  }
}

/** Peak and current resident memory of a process, from /proc (Linux), in MiB. */
function memoryMiB(pid: number): { peak: number; now: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024;
    return { peak: field("VmHWM"), now: field("VmRSS") };
  } catch {
    return undefined;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the server binds it a moment later). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Builds `app/` and starts it the way the image does (`node dist/main.js`, default limits), with `LOG_LEVEL=warn` so
 * two log lines per request do not dominate the figures.
 */
async function startCompiledApi(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const appDir = join(__dirname, "..", "app");
  const tsc = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(appDir, "tsconfig.json")], {
    stdio: "inherit",
  });
  const [code] = (await once(tsc, "exit")) as [number | null];
  if (code !== 0) throw new Error(`building app/ failed (tsc exited with ${String(code)})`);
  const port = await freePort();
  const child = spawn(process.execPath, [join(appDir, "dist", "main.js")], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await fetch(`${baseUrl}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, baseUrl };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the compiled API did not answer /health within 10 s");
}

/** GET /health every 20 ms for `durationMs`, one at a time: the latencies of those answered 200, and failures. */
async function probeHealth(baseUrl: string, durationMs: number): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    const startedAt = performance.now();
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.status === 200) latencies.push(performance.now() - startedAt);
      else failures++;
    } catch {
      failures++;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { latencies, failures };
}

function describeProbes({ latencies, failures }: { latencies: number[]; failures: number }): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return (
    `${latencies.length} probes, ${failures} failed, p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
    `p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? Number.NaN).toFixed(1)} ms`
  );
}

async function benchSaturate(options: BenchOptions): Promise<void> {
  const api = await startCompiledApi();
  let floodProcess: ChildProcess | undefined;
  try {
    const pid = api.child.pid ?? 0;
    // The same probes without the flood first: on a shared machine they show what the CPUs allow at all.
    const quiet = await probeHealth(api.baseUrl, 5000);
    const idle = memoryMiB(pid);
    const url = `${api.baseUrl}/api/simulate?latency_ms=5000`;
    const args = ["--import", "tsx", __filename, "--flood", url, "--flood-mode", options.floodMode];
    args.push("--connections", String(options.connections), "--duration", String(options.durationSeconds));
    floodProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let floodOutput = "";
    floodProcess.stdout?.setEncoding("utf8").on("data", (chunk: string) => (floodOutput += chunk));
    const floodExited = once(floodProcess, "exit");
    // Let the flood reach the cap before probing.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const saturated = await probeHealth(api.baseUrl, (options.durationSeconds - 4) * 1000);
    await floodExited;
    const memory = memoryMiB(pid);
    process.stdout.write(
      `flood (${options.floodMode}): ${options.connections} connections on GET /api/simulate?latency_ms=5000 for ` +
        `${options.durationSeconds} s, against node app/dist/main.js with the default limits\n` +
        `flood answers: ${floodOutput.trim()}\n` +
        `GET /health without the flood:  ${describeProbes(quiet)}\n` +
        `GET /health while saturated:    ${describeProbes(saturated)}\n` +
        `server resident memory: ${idle?.now.toFixed(0)} MiB idle, peak ${memory?.peak.toFixed(0)} MiB ` +
        `(the container's limit is 256 MiB); load average ${loadAverage()}\n`,
    );
  } finally {
    floodProcess?.kill("SIGTERM");
    const exited = once(api.child, "exit");
    api.child.kill("SIGTERM");
    await exited;
  }
}

const USAGE = [
  "usage: npm run bench:api -- [--scenario overhead|count|saturate] [options]",
  "  overhead (default): CPU time per request of the API with instrumentation on vs off, alternating rounds",
  `    --rounds 12       alternating on/off rounds (at least ${MIN_ROUNDS} for a verdict)`,
  "    --duration 3      seconds of load per variant and round",
  "    --warmup 3        seconds of discarded load per variant before the first round",
  "    --connections 10  concurrent connections of the load generator",
  "    --path /api/items/1",
  "  count: hostile requests over raw sockets; http_requests_total must rise by exactly the responses received",
  "    --requests 100000 --connections 50 --seed 1",
  "  saturate: /health latency and peak memory while GET /api/simulate is flooded past its concurrency cap",
  "    --connections 1000 --duration 15 --flood-mode retry|loop (retry honours Retry-After; loop retries at once)",
].join("\n");

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  if (options.serve !== undefined) {
    await serve(options.serve, options.runtimeMetrics);
    return;
  }
  if (options.flood !== undefined) {
    await flood(options.flood, options.connections, options.durationSeconds, options.floodMode);
    return;
  }
  if (options.scenario === "count") {
    if (!(await benchCount(options))) process.exitCode = 1;
    return;
  }
  if (options.scenario === "saturate") {
    await benchSaturate(options);
    return;
  }
  await benchOverhead(options);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:api failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
