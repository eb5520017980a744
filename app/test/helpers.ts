/**
 * Shared test helpers: a real API server on 127.0.0.1 and a parsed `/metrics` exposition.
 */
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from "prom2javascript";
import { buildServer, type ServerOptions } from "../src/server";

/** A listening server and what a test needs to talk to it. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly registry: Registry;
  readonly baseUrl: string;
  readonly port: number;
}

/**
 * Builds and starts the API on 127.0.0.1 with a free port, a private registry and silent logs.
 *
 * Default metrics are off unless asked for: with them on, prom-client prints `Nan` for the event-loop mean and
 * stddev when no delay sample was taken since the previous scrape, and the parser rejects `Nan`. The HTTP metrics
 * under test are identical either way; one test covers the default metrics on their own.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const registry = options.registry ?? new Registry();
  const app = buildServer({ logLevel: "silent", defaultMetrics: false, ...options, registry });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return { app, registry, baseUrl: `http://127.0.0.1:${address.port}`, port: address.port };
}

/** Scrapes `/metrics` and parses it with prom2javascript, which throws on any line it cannot parse. */
export async function scrape(baseUrl: string): Promise<PromMetrics> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) {
    throw new Error(`GET /metrics answered ${response.status}`);
  }
  return parseExposition(await response.text());
}

/** Parses Prometheus text exposition with a real parser. */
export function parseExposition(text: string): Promise<PromMetrics> {
  return getMetricsFromIterator(text.split("\n")[Symbol.iterator]());
}

/** The samples of a counter or gauge family (empty when the family has no samples or is absent). */
export function samplesOf(metrics: PromMetrics, name: string): PromData[] {
  const family = metrics[name];
  if (family === undefined) return [];
  if (family.type !== "counter" && family.type !== "gauge") {
    throw new Error(`${name} is a ${family.type}, not a counter or gauge`);
  }
  return family.data as PromData[];
}

/** The per-label-set histograms of a histogram family (empty when absent). */
export function histogramsOf(metrics: PromMetrics, name: string): PromHistogramData[] {
  const family = metrics[name];
  if (family === undefined) return [];
  if (family.type !== "histogram") {
    throw new Error(`${name} is a ${family.type}, not a histogram`);
  }
  return family.data as PromHistogramData[];
}

/** Counter samples as `{ "METHOD endpoint status": value }`, for exact `toEqual` assertions. */
export function countsByLabels(metrics: PromMetrics, name: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of samplesOf(metrics, name)) {
    counts[`${sample.labels.method} ${sample.labels.endpoint} ${sample.labels.status}`] = sample.value;
  }
  return counts;
}

/**
 * Number of time series a scrape of the HTTP metrics yields: one per counter and gauge sample, and per histogram
 * label set one per bucket plus `_sum` and `_count`.
 */
export function httpSeriesCount(metrics: PromMetrics, names: readonly string[]): number {
  let count = 0;
  for (const name of names) {
    const family = metrics[name];
    if (family === undefined) continue;
    if (family.type === "histogram") {
      for (const histogram of family.data as PromHistogramData[]) {
        count += Object.keys(histogram.buckets).length + 2;
      }
    } else {
      count += family.data.length;
    }
  }
  return count;
}

/** Runs `task` over `items` with at most `concurrency` at a time; every item is processed exactly once. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
