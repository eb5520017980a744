/**
 * The HTTP metrics of the contract, recorded on the request path and exported through prom-client.
 *
 * Names, label names and buckets come from `metrics.ts`; this module creates the metric objects in an explicit
 * registry (never prom-client's global one) and keeps every label value bounded.
 *
 * Why a recorder: prom-client's `Counter.inc(labels)` and `Histogram.observe(labels, v)` build a label hash and
 * validate the labels on every call; on `GET /api/items/:id` that measured 10 to 15% more server CPU per request,
 * against a goal of at most 5% (`npm run bench:api`).
 * The recorder counts into plain numbers, looked up by two `Map.get`s on strings Fastify already holds; prom-client
 * reads them when `/metrics` is scraped (`collect()` for the counter and the gauge, `get()` of the histogram
 * collector), and prom-client's registry writes the exposition.
 */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { collectDefaultMetrics, Counter, Gauge, type Metric, type Registry } from "prom-client";
import {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_METRICS,
  KNOWN_METHODS,
  NON_TRAFFIC_ENDPOINTS,
  OTHER_METHOD,
  UNMATCHED_ENDPOINT,
} from "./metrics";
import type { ApiResponse, ConnectionObserver } from "./http-server";

type RequestLabel = (typeof HTTP_METRICS.requestsTotal.labels)[number];

// Bucket upper bounds, inclusive (`le`), in ascending order.
const BOUNDS: readonly number[] = HTTP_DURATION_BUCKETS_SECONDS;

/** Counts and durations of one (method, endpoint) pair. */
interface RouteSeries {
  readonly method: string;
  readonly endpoint: string;
  /** Not cumulative: slot i counts durations in (bound i-1, bound i]; the last slot counts those above every bound. */
  readonly bucketCounts: number[];
  sumSeconds: number;
  count: number;
  /** Requests by status code. */
  readonly statuses: Map<number, number>;
}

/**
 * The request path's side of the metrics: plain counters per (endpoint, method) and status, plus requests in flight.
 * Its series only grow with distinct label values, which the callers keep bounded.
 */
export class HttpRecorder {
  /** User requests being served now (probes and scrapes left out). */
  public inFlight = 0;
  private readonly byEndpoint = new Map<string, Map<string, RouteSeries>>();

  /** Records one answered request. `method` and `endpoint` must already be label values (bounded). */
  record(method: string, endpoint: string, statusCode: number, seconds: number): void {
    let byMethod = this.byEndpoint.get(endpoint);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.byEndpoint.set(endpoint, byMethod);
    }
    let series = byMethod.get(method);
    if (series === undefined) {
      series = {
        method,
        endpoint,
        bucketCounts: new Array<number>(BOUNDS.length + 1).fill(0),
        sumSeconds: 0,
        count: 0,
        statuses: new Map(),
      };
      byMethod.set(method, series);
    }
    let slot = 0;
    while (slot < BOUNDS.length && seconds > (BOUNDS[slot] ?? Infinity)) slot++;
    series.bucketCounts[slot] = (series.bucketCounts[slot] ?? 0) + 1;
    series.sumSeconds += seconds;
    series.count++;
    series.statuses.set(statusCode, (series.statuses.get(statusCode) ?? 0) + 1);
  }

  /** Every series recorded so far, in first-seen order. */
  *series(): IterableIterator<Readonly<RouteSeries>> {
    for (const byMethod of this.byEndpoint.values()) yield* byMethod.values();
  }

  /** Forgets every count (not the requests in flight). */
  reset(): void {
    this.byEndpoint.clear();
  }
}

/** One sample of a metric as prom-client's registry serializes it. */
interface ExportedValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName: string;
}

/**
 * `http_request_duration_seconds` as prom-client's registry sees it: the same shape its `Histogram` reports
 * (`_bucket` per bound and `+Inf`, `_sum`, `_count`), built from the recorder when the registry collects.
 */
class RecordedHistogram {
  public readonly name = HTTP_METRICS.requestDurationSeconds.name;
  public readonly help =
    "Time from receiving an HTTP request to finishing its response, in seconds, by method and route template.";
  public readonly type = "histogram";
  public readonly aggregator = "sum";

  constructor(private readonly recorder: HttpRecorder) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const series of this.recorder.series()) {
      const labels = { method: series.method, endpoint: series.endpoint };
      let cumulative = 0;
      BOUNDS.forEach((bound, slot) => {
        cumulative += series.bucketCounts[slot] ?? 0;
        values.push({ value: cumulative, labels: { ...labels, le: bound }, metricName: `${this.name}_bucket` });
      });
      values.push(
        { value: series.count, labels: { ...labels, le: "+Inf" }, metricName: `${this.name}_bucket` },
        { value: series.sumSeconds, labels, metricName: `${this.name}_sum` },
        { value: series.count, labels, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.recorder.reset();
  }
}

/** The HTTP metrics of one server: the recorder the hooks write to, registered in one registry. */
export interface HttpMetrics {
  readonly recorder: HttpRecorder;
}

/** Options of {@link createHttpMetrics}. */
export interface HttpMetricsOptions {
  /** Also register prom-client's process and Node.js runtime metrics. @default true */
  readonly defaultMetrics?: boolean;
}

/**
 * Creates the HTTP metrics (and, by default, the process and runtime metrics) in `registry`.
 *
 * Throws if `registry` already holds them, so two servers never share series by accident.
 * @example const metrics = createHttpMetrics(new Registry());
 */
export function createHttpMetrics(registry: Registry, options: HttpMetricsOptions = {}): HttpMetrics {
  const defaultMetrics = options.defaultMetrics ?? true;
  const recorder = new HttpRecorder();
  new Counter<RequestLabel>({
    name: HTTP_METRICS.requestsTotal.name,
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames: [...HTTP_METRICS.requestsTotal.labels],
    registers: [registry],
    collect(this: Counter<RequestLabel>) {
      // Rebuilt from the recorder's totals on every scrape, so it can never drift from the histogram's counts.
      this.reset();
      for (const series of recorder.series()) {
        for (const [statusCode, count] of series.statuses) {
          this.inc({ method: series.method, endpoint: series.endpoint, status: String(statusCode) }, count);
        }
      }
    },
  });
  // The registry duck-types what it collects (name, get, reset); its type only lists prom-client's own classes.
  registry.registerMetric(new RecordedHistogram(recorder) as unknown as Metric);
  new Gauge({
    name: HTTP_METRICS.requestsInFlight.name,
    help: "HTTP requests being served right now, probes and scrapes left out.",
    registers: [registry],
    collect(this: Gauge) {
      this.set(recorder.inFlight);
    },
  });
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
  }
  return { recorder };
}

const knownMethods: ReadonlySet<string> = new Set(KNOWN_METHODS);

/** The `method` label value: the method itself when it is in `KNOWN_METHODS`, otherwise `OTHER`. */
export function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : OTHER_METHOD;
}

/** The `endpoint` label value: the matched route template, or `unmatched` when no route matched. */
export function endpointLabel(routeUrl: string | undefined): string {
  return routeUrl ?? UNMATCHED_ENDPOINT;
}

/**
 * Counts, times and tracks every request the server answers: `observer` goes to `createHttpServer`, `instrument` adds
 * the hook to Fastify.
 *
 * - Requests in flight: from the server's `request` event to the response's `close`. A connection's pipelined
 *   requests whose responses were still queued when it closed never emit `close`; each connection counts its
 *   requests in flight and gives back the rest when it closes, so the gauge returns to 0.
 * - Routed requests (Fastify matched a route or ran the not-found handler) are counted and timed by one `onResponse`
 *   hook, with the route template and Fastify's own start timestamp (`reply.elapsedTime`).
 * - Every other response that was sent in full, answered by Fastify or Node on their own (malformed URL 400, 414,
 *   the 503 while draining, missing Host 400, 417), is counted from its `close` under `unmatched`, duration 0.
 * - A response that was never sent in full (the client left first) is not counted.
 */
export function createRequestTracking(metrics: HttpMetrics): {
  readonly observer: ConnectionObserver;
  instrument(app: FastifyInstance): void;
} {
  const { recorder } = metrics;
  const recordIfUnrouted = (response: ApiResponse): void => {
    if (!response.recorded && response.writableFinished) {
      recorder.record(methodLabel(response.req.method ?? ""), UNMATCHED_ENDPOINT, response.statusCode, 0);
    }
  };
  // Plain functions with `this`: EventEmitter calls them with the response, so no closure is allocated per request.
  function onTrafficClose(this: ApiResponse): void {
    const socket = this.req.socket as TrackedSocket;
    const pending = socket[kInFlight] ?? 0;
    // 0 when the connection's close already gave this request back.
    if (pending > 0) {
      socket[kInFlight] = pending - 1;
      recorder.inFlight--;
    }
    recordIfUnrouted(this);
  }
  function onProbeClose(this: ApiResponse): void {
    recordIfUnrouted(this);
  }
  function onConnectionClose(this: TrackedSocket): void {
    recorder.inFlight -= this[kInFlight] ?? 0;
    this[kInFlight] = 0;
  }
  return {
    observer: {
      onConnection(socket: Socket): void {
        (socket as TrackedSocket)[kInFlight] = 0;
        socket.on("close", onConnectionClose);
      },
      onRequest(request: IncomingMessage, response: ApiResponse): void {
        // Probes and scrapes are not user traffic; counted, the scrape that reads the gauge would always see itself.
        if (isProbe(request.url)) {
          response.on("close", onProbeClose);
          return;
        }
        const socket = request.socket as TrackedSocket;
        socket[kInFlight] = (socket[kInFlight] ?? 0) + 1;
        recorder.inFlight++;
        response.on("close", onTrafficClose);
      },
    },
    instrument(app: FastifyInstance): void {
      // Callback style: cheaper than an async hook on Fastify's hot path.
      app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done) => {
        (reply.raw as ApiResponse).recorded = true;
        const seconds = reply.elapsedTime / 1000;
        recorder.record(
          methodLabel(request.method),
          endpointLabel(request.routeOptions.url),
          reply.statusCode,
          seconds,
        );
        done();
      });
    },
  };
}

/** Requests of a connection that are in flight, kept on the socket. */
const kInFlight = Symbol("requests in flight on this connection");
type TrackedSocket = Socket & { [kInFlight]?: number };

const probePaths: ReadonlySet<string> = new Set(NON_TRAFFIC_ENDPOINTS);

/** Whether a raw request URL is a probe or a scrape (`/health`, `/ready`, `/metrics`, with or without a query). */
function isProbe(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf("?");
  return probePaths.has(query === -1 ? url : url.slice(0, query));
}

/**
 * Counts a request that Node's HTTP parser rejected before Fastify saw it (e.g. an invalid method token).
 *
 * It is recorded under bounded labels (`OTHER`, `unmatched`) with a duration of 0: no handler ran, and observing it
 * keeps the histogram's `_count` equal to the counter, which dashboards rely on.
 */
export function countRejectedRequest(metrics: HttpMetrics, statusCode: number): void {
  metrics.recorder.record(OTHER_METHOD, UNMATCHED_ENDPOINT, statusCode, 0);
}

/**
 * Answers a request Node's HTTP parser rejected with a JSON error and closes the connection.
 *
 * Returns the status code sent, or `undefined` when nothing could be sent (the client already went away).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): number | undefined {
  // A reset or an already closed socket is the client leaving, not a request to answer.
  if (error.code === "ECONNRESET" || socket.destroyed || !socket.writable) {
    return undefined;
  }
  // Nothing to answer either: the client closed its side in the middle of a request (it abandoned it), or a
  // connection timed out before sending a single byte (there was no request).
  if (error.code === "HPE_INVALID_EOF_STATE" || (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && socket.bytesRead === 0)) {
    socket.destroy();
    return undefined;
  }
  const statusCode = clientErrorStatus(error.code);
  const reason = STATUS_CODES[statusCode] ?? "Bad Request";
  const body = JSON.stringify({
    statusCode,
    error: reason,
    message: `malformed HTTP request (${error.code ?? "unknown"})`,
  });
  socket.end(
    `HTTP/1.1 ${statusCode} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return statusCode;
}

function clientErrorStatus(code: string | undefined): number {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}
