/**
 * `npm run traffic`: drives the API with a realistic mix for a fixed time at a fixed rate, so dashboards and alert
 * rules have data: mostly 2xx reads and writes, some 4xx (unknown ids, invalid bodies, unknown routes), some slow
 * requests and some 5xx through the bounded `/api/simulate` endpoint. Prints progress every second and a summary.
 *
 *   npm run traffic -- --url http://127.0.0.1:8000 --duration 60 --rate 20 --seed 42
 *
 * The load is open-loop (requests start on schedule, not when the previous one ends) and bounded: at most
 * rate x duration requests, at most --max-in-flight at once (a tick is skipped, and counted, when that many are
 * still running), each abandoned after 10 s. `runTraffic` is exported for tests and the end-to-end suite.
 */
import { parseArgs } from "node:util";
import { seededRandom } from "@monitoring-stack/api/hostile-traffic";

/** Options of {@link runTraffic}. */
export interface TrafficOptions {
  /** Base URL of the API. */
  readonly baseUrl: string;
  /** How long to send requests, in seconds. */
  readonly durationSeconds: number;
  /** Requests started per second. */
  readonly ratePerSecond: number;
  /** Seed of the scenario choice, so a run can be repeated. @default a random seed (printed) */
  readonly seed?: number;
  /** Most requests running at once. @default 100 */
  readonly maxInFlight?: number;
  /** Stops sending when aborted (Ctrl-C); the requests in flight finish and the summary covers what was sent. @default never */
  readonly signal?: AbortSignal;
}

/** What a traffic run did. */
export interface TrafficSummary {
  readonly seed: number;
  /** Requests started. */
  readonly sent: number;
  /** Requests that got a response. */
  readonly completed: number;
  /** Requests that got no response (connection error or 10 s timeout). */
  readonly failed: number;
  /** Ticks skipped because `maxInFlight` requests were still running. */
  readonly skipped: number;
  /** Responses by status code. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Requests by scenario, and how many got a status other than the scenario's expected one. */
  readonly byScenario: Readonly<Record<string, { readonly sent: number; readonly unexpected: number }>>;
  /** Latency percentiles of the completed requests, in milliseconds. */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** True when `signal` stopped the run before its duration was over. */
  readonly interrupted: boolean;
  /** How long the run sent requests, in seconds. */
  readonly elapsedSeconds: number;
}

/** Progress reported once per second. */
export interface TrafficProgress {
  readonly elapsedSeconds: number;
  readonly sent: number;
  readonly inFlight: number;
  readonly byClass: Readonly<Record<"2xx" | "4xx" | "5xx" | "failed", number>>;
}

const REQUEST_TIMEOUT_MS = 10_000;

interface Scenario {
  readonly name: string;
  /** Relative share of the traffic. */
  readonly weight: number;
  readonly expectedStatus: number;
  request(random: () => number, createdIds: readonly number[]): { path: string; init?: RequestInit };
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min));

/** The traffic mix; weights are percentages. */
export const SCENARIOS: readonly Scenario[] = [
  { name: "list items", weight: 25, expectedStatus: 200, request: () => ({ path: "/api/items?limit=10" }) },
  {
    name: "get item",
    weight: 25,
    expectedStatus: 200,
    // The seed items (1 to 3) always exist; recently created ones may have been evicted, so stay near the newest.
    request: (random, createdIds) => ({ path: `/api/items/${pick(random, [1, 2, 3, ...createdIds.slice(-20)])}` }),
  },
  {
    name: "create item",
    weight: 10,
    expectedStatus: 201,
    request: (random) => ({
      path: "/api/items",
      init: json({ name: `item-${between(random, 0, 1_000_000)}`, price: between(random, 1, 10_000) / 100 }),
    }),
  },
  {
    name: "missing item",
    weight: 8,
    expectedStatus: 404,
    request: (random) => ({ path: `/api/items/${between(random, 1_000_000, 2_000_000)}` }),
  },
  {
    name: "invalid item",
    weight: 5,
    expectedStatus: 400,
    request: () => ({ path: "/api/items", init: json({ name: "" }) }),
  },
  {
    name: "unknown route",
    weight: 4,
    expectedStatus: 404,
    request: (random) => ({ path: `/no-such-page/${between(random, 0, 1_000_000)}` }),
  },
  {
    name: "slow request",
    weight: 10,
    expectedStatus: 200,
    request: (random) => ({ path: `/api/simulate?latency_ms=${between(random, 200, 1500)}` }),
  },
  { name: "server error", weight: 5, expectedStatus: 500, request: () => ({ path: "/api/simulate?status=500" }) },
  {
    name: "unavailable",
    weight: 3,
    expectedStatus: 503,
    request: () => ({ path: "/api/simulate?status=503&latency_ms=50" }),
  },
  { name: "service info", weight: 5, expectedStatus: 200, request: () => ({ path: "/" }) },
];

function chooseScenario(random: () => number): Scenario {
  const total = SCENARIOS.reduce((sum, scenario) => sum + scenario.weight, 0);
  let point = random() * total;
  for (const scenario of SCENARIOS) {
    point -= scenario.weight;
    if (point < 0) return scenario;
  }
  return SCENARIOS[SCENARIOS.length - 1] as Scenario;
}

function percentile(sortedValues: readonly number[], fraction: number): number {
  if (sortedValues.length === 0) return 0;
  const index = Math.min(sortedValues.length - 1, Math.ceil(fraction * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)] ?? 0;
}

/**
 * Sends the traffic mix to `options.baseUrl` and resolves with a summary once every request has finished.
 *
 * Throws before sending anything if `GET /health` does not answer 200.
 */
export async function runTraffic(
  options: TrafficOptions,
  onProgress: (progress: TrafficProgress) => void = () => undefined,
): Promise<TrafficSummary> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const maxInFlight = options.maxInFlight ?? 100;
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  await checkReachable(baseUrl);

  const random = seededRandom(seed);
  const createdIds: number[] = [];
  const byStatus: Record<string, number> = {};
  const byScenario: Record<string, { sent: number; unexpected: number }> = {};
  const byClass = { "2xx": 0, "4xx": 0, "5xx": 0, failed: 0 };
  const latencies: number[] = [];
  const running = new Set<Promise<void>>();
  let sent = 0;
  let skipped = 0;

  const send = async (scenario: Scenario): Promise<void> => {
    const { path, init } = scenario.request(random, createdIds);
    const counts = (byScenario[scenario.name] ??= { sent: 0, unexpected: 0 });
    counts.sent++;
    const startedAt = performance.now();
    try {
      const response = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const body = await response.text();
      latencies.push(performance.now() - startedAt);
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      const statusClass = `${Math.floor(response.status / 100)}xx`;
      if (statusClass === "2xx" || statusClass === "4xx" || statusClass === "5xx") byClass[statusClass]++;
      if (response.status !== scenario.expectedStatus) counts.unexpected++;
      if (response.status === 201) createdIds.push((JSON.parse(body) as { id: number }).id);
    } catch {
      byClass.failed++;
      counts.unexpected++;
    }
  };

  const intervalMs = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round(options.durationSeconds * options.ratePerSecond));
  const startedAt = performance.now();
  const progress = setInterval(
    () =>
      onProgress({
        elapsedSeconds: Math.round((performance.now() - startedAt) / 1000),
        sent,
        inFlight: running.size,
        byClass: { ...byClass },
      }),
    1000,
  );
  try {
    const aborted = (): boolean => options.signal?.aborted === true;
    for (let tick = 0; tick < total && !aborted(); tick++) {
      // Scheduled from the start time, so slow ticks do not add up to a lower rate.
      const delayMs = startedAt + tick * intervalMs - performance.now();
      if (delayMs > 0) await sleep(delayMs, options.signal);
      if (aborted()) break;
      if (running.size >= maxInFlight) {
        skipped++;
        continue;
      }
      sent++;
      const request = send(chooseScenario(random)).finally(() => running.delete(request));
      running.add(request);
    }
    await Promise.all(running);
  } finally {
    clearInterval(progress);
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    interrupted: options.signal?.aborted === true,
    elapsedSeconds: round((performance.now() - startedAt) / 1000),
    seed,
    sent,
    completed: latencies.length,
    failed: byClass.failed,
    skipped,
    byStatus,
    byScenario,
    latencyMs: {
      p50: round(percentile(sorted, 0.5)),
      p95: round(percentile(sorted, 0.95)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? 0),
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function checkReachable(baseUrl: string): Promise<void> {
  let status: number;
  try {
    status = (await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).status;
  } catch (error) {
    // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND...) in `cause`.
    const cause = (error as { cause?: { message?: unknown } }).cause?.message;
    throw new Error(
      `cannot reach the API at ${baseUrl} (${typeof cause === "string" ? cause : String(error)}); ` +
        "start it with npm run start:api or pass --url",
    );
  }
  if (status !== 200) {
    throw new Error(`GET ${baseUrl}/health answered ${status}, expected 200; is this the API?`);
  }
}

/** `npm run traffic -- --help`. */
export const TRAFFIC_USAGE = [
  "usage: npm run traffic -- [--url http://127.0.0.1:8000] [--duration 30] [--rate 10] [--seed N] [--max-in-flight 100]",
  "  --url            base URL of the API",
  "  --duration       seconds to send requests (1-86400)",
  "  --rate           requests started per second (0.1-1000)",
  "  --seed           repeat an earlier run's request mix",
  "  --max-in-flight  requests running at once at most; beyond it requests are skipped and counted",
].join("\n");

/** Parses the command line into {@link TrafficOptions}; every error names the flag, the value and the rule. */
export function parseTrafficArgs(argv: readonly string[]): TrafficOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: "string", default: "http://127.0.0.1:8000" },
        duration: { type: "string", default: "30" },
        rate: { type: "string", default: "10" },
        seed: { type: "string" },
        "max-in-flight": { type: "string", default: "100" },
      },
    }));
  } catch (error) {
    // node:util's message goes on about positional arguments; its first sentence names the option.
    const first = (error instanceof Error ? error.message : String(error)).split(". ")[0];
    throw new Error(`${first}: see npm run traffic -- --help for the options`);
  }
  const problems: string[] = [];
  const number = (flag: string, text: string, min: number, max: number, integer: boolean): number => {
    const value = Number(text);
    const valid = text.trim() !== "" && Number.isFinite(value) && (!integer || Number.isInteger(value));
    if (!valid || value < min || value > max) {
      problems.push(
        `--${flag} must be ${integer ? "an integer" : "a number"} between ${min} and ${max} (got "${text}")`,
      );
    }
    return value;
  };
  let url: URL | undefined;
  try {
    url = new URL(values.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    problems.push(`--url must be an http(s) URL such as http://127.0.0.1:8000 (got "${values.url}")`);
  }
  const options: TrafficOptions = {
    baseUrl: values.url,
    durationSeconds: number("duration", values.duration, 1, 86_400, false),
    ratePerSecond: number("rate", values.rate, 0.1, 1000, false),
    seed: values.seed === undefined ? undefined : number("seed", values.seed, 0, 2 ** 32 - 1, true),
    maxInFlight: number("max-in-flight", values["max-in-flight"], 1, 10_000, true),
  };
  if (problems.length > 0) {
    throw new Error(problems.join("\n"));
  }
  return options;
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${TRAFFIC_USAGE}\n`);
    return;
  }
  let options: TrafficOptions;
  try {
    options = parseTrafficArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${TRAFFIC_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(
    `traffic: ${options.ratePerSecond} req/s for ${options.durationSeconds} s to ${options.baseUrl} (seed ${seed}); Ctrl-C stops early with a summary\n`,
  );
  // Ctrl-C or SIGTERM: stop sending, let the requests in flight finish, print the summary of what was sent.
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stoppedBy = signal;
      process.stdout.write(`\ntraffic: ${signal}: stopping, waiting for the requests in flight ...\n`);
      stop.abort();
    });
  }
  const summary = await runTraffic({ ...options, seed, signal: stop.signal }, (progress) => {
    const { byClass } = progress;
    process.stdout.write(
      `[${String(progress.elapsedSeconds).padStart(4)} s] sent ${progress.sent}  2xx ${byClass["2xx"]}  ` +
        `4xx ${byClass["4xx"]}  5xx ${byClass["5xx"]}  failed ${byClass.failed}  in flight ${progress.inFlight}\n`,
    );
  });
  const lines = [
    "",
    `summary (seed ${summary.seed}${summary.interrupted ? `, interrupted after ${summary.elapsedSeconds} s` : ""}): ` +
      `sent ${summary.sent}, answered ${summary.completed}, failed ${summary.failed}, ` +
      `skipped ${summary.skipped} (in-flight limit)`,
    `  by status: ${Object.entries(summary.byStatus)
      .map(([status, count]) => `${status}=${count}`)
      .join("  ")}`,
    `  latency ms: p50 ${summary.latencyMs.p50}  p95 ${summary.latencyMs.p95}  p99 ${summary.latencyMs.p99}  ` +
      `max ${summary.latencyMs.max}`,
    "  by scenario:",
    ...SCENARIOS.map(({ name }) => {
      const counts = summary.byScenario[name] ?? { sent: 0, unexpected: 0 };
      const unexpected = counts.unexpected > 0 ? `  (${counts.unexpected} unexpected)` : "";
      return `    ${name.padEnd(14)} ${String(counts.sent).padStart(6)}${unexpected}`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  // Interrupted: the conventional 128 + signal number, so scripts see the run was cut short.
  if (stoppedBy !== undefined) process.exitCode = stoppedBy === "SIGINT" ? 130 : 143;
  else if (summary.failed > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`traffic failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
