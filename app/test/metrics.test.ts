import { randomBytes } from "node:crypto";
import { Registry } from "prom-client";
import { createHttpMetrics, endpointLabel, methodLabel } from "../src/instrumentation";
import {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_METRICS,
  KNOWN_METHODS,
  OTHER_METHOD,
  RUNTIME_METRICS,
  UNMATCHED_ENDPOINT,
} from "../src/metrics";
import {
  countsByLabels,
  forEachLimited,
  histogramsOf,
  httpSeriesCount,
  parseExposition,
  samplesOf,
  scrape,
  startServer,
  type RunningServer,
} from "./helpers";

const HTTP_NAMES = [
  HTTP_METRICS.requestsTotal.name,
  HTTP_METRICS.requestDurationSeconds.name,
  HTTP_METRICS.requestsInFlight.name,
];

let server: RunningServer | undefined;

afterEach(async () => {
  await server?.app.close();
  server = undefined;
});

async function started(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  server = await startServer(options);
  return server;
}

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly times: number;
  /** The series this call must be counted in: "METHOD endpoint status". */
  readonly series: string;
}

async function send(baseUrl: string, call: Call): Promise<number> {
  const response = await fetch(`${baseUrl}${call.path}`, {
    method: call.method,
    headers: call.body === undefined ? {} : { "content-type": "application/json" },
    body: call.body,
  });
  await response.arrayBuffer();
  return response.status;
}

describe("GET /metrics", () => {
  it("serves the Prometheus text format with its content type", async () => {
    const { baseUrl } = await started();

    const response = await fetch(`${baseUrl}/metrics`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(text).toContain(`# TYPE ${HTTP_METRICS.requestsTotal.name} counter`);
    expect(text).toContain(`# TYPE ${HTTP_METRICS.requestDurationSeconds.name} histogram`);
    expect(text).toContain(`# TYPE ${HTTP_METRICS.requestsInFlight.name} gauge`);
  });

  it("counts N requests as N per label set, and each histogram count equals its counters", async () => {
    const { baseUrl } = await started();
    const calls: Call[] = [
      { method: "GET", path: "/", times: 2, series: "GET / 200" },
      { method: "GET", path: "/health", times: 3, series: "GET /health 200" },
      { method: "GET", path: "/api/items", times: 7, series: "GET /api/items 200" },
      { method: "HEAD", path: "/api/items", times: 2, series: "HEAD /api/items 200" },
      { method: "GET", path: "/api/items/1", times: 5, series: "GET /api/items/:id 200" },
      { method: "GET", path: "/api/items/2", times: 1, series: "GET /api/items/:id 200" },
      { method: "GET", path: "/api/items/999", times: 4, series: "GET /api/items/:id 404" },
      {
        method: "POST",
        path: "/api/items",
        body: JSON.stringify({ name: "lamp", price: 12 }),
        times: 3,
        series: "POST /api/items 201",
      },
      { method: "POST", path: "/api/items", body: "{}", times: 2, series: "POST /api/items 400" },
      { method: "GET", path: "/api/simulate?status=500", times: 6, series: "GET /api/simulate 500" },
      { method: "GET", path: "/api/simulate?status=503", times: 1, series: "GET /api/simulate 503" },
      { method: "GET", path: "/no/such/route", times: 3, series: `GET ${UNMATCHED_ENDPOINT} 404` },
      { method: "DELETE", path: "/api/items/1", times: 2, series: `DELETE ${UNMATCHED_ENDPOINT} 404` },
    ];
    const expected: Record<string, number> = {};
    for (const call of calls) {
      const [, , statusText] = call.series.split(" ");
      for (let i = 0; i < call.times; i++) {
        expect(await send(baseUrl, call)).toBe(Number(statusText));
      }
      expected[call.series] = (expected[call.series] ?? 0) + call.times;
    }

    const metrics = await scrape(baseUrl);

    // The scrape itself is counted once its response finished, so it is not in its own output.
    expect(countsByLabels(metrics, HTTP_METRICS.requestsTotal.name)).toEqual(expected);
    const countsPerRoute: Record<string, number> = {};
    for (const [series, value] of Object.entries(expected)) {
      const [method, endpoint] = series.split(" ");
      countsPerRoute[`${method} ${endpoint}`] = (countsPerRoute[`${method} ${endpoint}`] ?? 0) + value;
    }
    const histogramCounts: Record<string, number> = {};
    for (const histogram of histogramsOf(metrics, HTTP_METRICS.requestDurationSeconds.name)) {
      histogramCounts[`${histogram.labels.method} ${histogram.labels.endpoint}`] = histogram.count;
    }
    expect(histogramCounts).toEqual(countsPerRoute);
    // Nothing is in flight: the scrape that produced this output is not user traffic.
    expect(samplesOf(metrics, HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value)).toEqual([0]);
  });

  it("uses prometheus_client's default buckets and puts a slow request above them", async () => {
    const { baseUrl } = await started();
    expect(await send(baseUrl, { method: "GET", path: "/api/simulate?latency_ms=600", times: 1, series: "" })).toBe(
      200,
    );

    const metrics = await scrape(baseUrl);

    const [histogram, ...others] = histogramsOf(metrics, HTTP_METRICS.requestDurationSeconds.name);
    expect(others).toEqual([]);
    expect(histogram?.labels).toEqual({ method: "GET", endpoint: "/api/simulate" });
    const bounds = Object.keys(histogram?.buckets ?? {})
      .filter((bound) => bound !== "+Inf")
      .map(Number)
      .sort((a, b) => a - b);
    expect(bounds).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(bounds).toEqual([...HTTP_DURATION_BUCKETS_SECONDS]);
    // It slept at least 600 ms, so it cannot be in any bucket up to 0.5 s.
    expect(histogram?.buckets["0.5"]).toBe(0);
    expect(histogram?.buckets["+Inf"]).toBe(1);
    expect(histogram?.sum).toBeGreaterThanOrEqual(0.6);
  });

  it("tracks requests in flight while they are served", async () => {
    const { baseUrl } = await started();
    const slow = Array.from({ length: 3 }, () => fetch(`${baseUrl}/api/simulate?latency_ms=1500`));

    let inFlight: number[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      inFlight = samplesOf(await scrape(baseUrl), HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value);
      if (inFlight[0] === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The three slow requests; the scrape reading the gauge is not user traffic.
    expect(inFlight).toEqual([3]);
    expect((await Promise.all(slow)).map((response) => response.status)).toEqual([200, 200, 200]);

    const after = await scrape(baseUrl);
    expect(samplesOf(after, HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value)).toEqual([0]);
  });

  it("releases a request the client abandons from in flight, without counting it as answered", async () => {
    const { baseUrl } = await started();
    const abandon = new AbortController();
    const abandoned = fetch(`${baseUrl}/api/simulate?latency_ms=5000`, { signal: abandon.signal }).catch(
      (error: Error) => error.name,
    );
    let inFlight: number[] = [];
    for (let attempt = 0; attempt < 50 && inFlight[0] !== 1; attempt++) {
      inFlight = samplesOf(await scrape(baseUrl), HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value);
      if (inFlight[0] !== 1) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(inFlight).toEqual([1]);

    abandon.abort();
    expect(await abandoned).toBe("AbortError");
    for (let attempt = 0; attempt < 50 && inFlight[0] !== 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight = samplesOf(await scrape(baseUrl), HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value);
    }

    expect(inFlight).toEqual([0]);
    const counts = countsByLabels(await scrape(baseUrl), HTTP_METRICS.requestsTotal.name);
    expect(Object.keys(counts).filter((series) => series.includes("/api/simulate"))).toEqual([]);
  });

  it("keeps the number of series unchanged by 1,000 distinct URLs and 1,000 distinct item ids", async () => {
    const { baseUrl } = await started();
    // Warm up every series the flood below can produce, including the /metrics series of the first scrape.
    for (const path of ["/warm/up", "/api/items/123456789", "/api/items/not-a-number"]) {
      await send(baseUrl, { method: "GET", path, times: 1, series: "" });
    }
    await scrape(baseUrl);
    const before = await scrape(baseUrl);
    const seriesBefore = httpSeriesCount(before, HTTP_NAMES);

    const randomPaths = Array.from({ length: 1000 }, (_, i) => {
      const segment = randomBytes(6).toString("hex");
      return `/${segment}/${i}/%E2%9C%93/${randomBytes(3).toString("hex")}?q=${randomBytes(4).toString("hex")}`;
    });
    const itemPaths = Array.from({ length: 1000 }, (_, i) =>
      i < 900 ? `/api/items/${1_000_000 + i}` : `/api/items/x${randomBytes(4).toString("hex")}-${i}`,
    );
    expect(new Set(randomPaths).size).toBe(1000);
    expect(new Set(itemPaths).size).toBe(1000);
    const statuses: Record<number, number> = {};
    await forEachLimited([...randomPaths, ...itemPaths], 25, async (path) => {
      const status = await send(baseUrl, { method: "GET", path, times: 1, series: "" });
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
    expect(statuses).toEqual({ 400: 100, 404: 1900 });

    const after = await scrape(baseUrl);
    expect(httpSeriesCount(after, HTTP_NAMES)).toBe(seriesBefore);
    const counts = countsByLabels(after, HTTP_METRICS.requestsTotal.name);
    expect(counts).toEqual({
      [`GET ${UNMATCHED_ENDPOINT} 404`]: 1 + 1000,
      "GET /api/items/:id 404": 1 + 900,
      "GET /api/items/:id 400": 1 + 100,
      "GET /metrics 200": 2,
    });
  });

  it("exports the process and Node.js runtime metrics the dashboards use", async () => {
    const { baseUrl } = await started({ defaultMetrics: true });
    // prom-client reports the event-loop mean as NaN until the loop monitor (10 ms resolution) took two samples.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const metrics = await scrape(baseUrl);

    const missing = Object.values(RUNTIME_METRICS).filter((name) => metrics[name] === undefined);
    expect(missing).toEqual([]);
    expect(samplesOf(metrics, RUNTIME_METRICS.processStartTimeSeconds)[0]?.value).toBeGreaterThan(0);
    expect(samplesOf(metrics, RUNTIME_METRICS.heapSizeUsedBytes)[0]?.value).toBeGreaterThan(0);
  });

  it("keeps every server's metrics in its own registry", async () => {
    const other = await startServer();
    try {
      const { baseUrl } = await started();
      await send(baseUrl, { method: "GET", path: "/health", times: 1, series: "" });

      const mine = countsByLabels(await scrape(baseUrl), HTTP_METRICS.requestsTotal.name);
      const theirs = countsByLabels(await scrape(other.baseUrl), HTTP_METRICS.requestsTotal.name);

      expect(mine).toEqual({ "GET /health 200": 1 });
      expect(theirs).toEqual({});
    } finally {
      await other.app.close();
    }
  });

  it("records nothing and serves no /metrics with instrumentation off", async () => {
    const registry = new Registry();
    const { baseUrl } = await started({ instrumentation: false, registry });
    await send(baseUrl, { method: "GET", path: "/api/items/1", times: 1, series: "" });

    const response = await fetch(`${baseUrl}/metrics`);

    expect(response.status).toBe(404);
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });
});

describe("label values", () => {
  it("keeps known methods and maps every other method to OTHER", () => {
    expect(KNOWN_METHODS.map(methodLabel)).toEqual(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
    expect(["PROPFIND", "PURGE", "get", "TRACE", "CONNECT"].map(methodLabel)).toEqual([
      OTHER_METHOD,
      OTHER_METHOD,
      OTHER_METHOD,
      OTHER_METHOD,
      OTHER_METHOD,
    ]);
  });

  it("uses the route template, or one shared value when no route matched", () => {
    expect(endpointLabel("/api/items/:id")).toBe("/api/items/:id");
    expect(endpointLabel(undefined)).toBe("unmatched");
  });
});

describe("createHttpMetrics", () => {
  it("exports recorded requests through prom-client, with inclusive bucket bounds", async () => {
    const registry = new Registry();
    const { recorder } = createHttpMetrics(registry, { defaultMetrics: false });
    recorder.record("GET", "/api/items/:id", 200, 0.005);
    recorder.record("GET", "/api/items/:id", 404, 0.0051);
    recorder.record("GET", "/api/items/:id", 200, 12);
    recorder.inFlight = 3;

    const metrics = await parseExposition(await registry.metrics());

    expect(countsByLabels(metrics, HTTP_METRICS.requestsTotal.name)).toEqual({
      "GET /api/items/:id 200": 2,
      "GET /api/items/:id 404": 1,
    });
    const [histogram] = histogramsOf(metrics, HTTP_METRICS.requestDurationSeconds.name);
    expect(histogram?.buckets["0.005"]).toBe(1);
    expect(histogram?.buckets["0.01"]).toBe(2);
    expect(histogram?.buckets["10"]).toBe(2);
    expect(histogram?.buckets["+Inf"]).toBe(3);
    expect(histogram?.sum).toBeCloseTo(12.0101, 10);
    expect(samplesOf(metrics, HTTP_METRICS.requestsInFlight.name).map((sample) => sample.value)).toEqual([3]);
  });

  it("fails when the registry already holds the HTTP metrics", () => {
    const registry = new Registry();
    createHttpMetrics(registry, { defaultMetrics: false });

    expect(() => createHttpMetrics(registry, { defaultMetrics: false })).toThrow(
      "A metric with the name http_requests_total has already been registered.",
    );
  });
});
