import { connect, type Socket } from "node:net";
import { HTTP_METRICS, UNMATCHED_ENDPOINT } from "../src/metrics";
import { MAX_PARAM_LENGTH } from "../src/server";
import { closeGracefully } from "../src/shutdown";
import { MAX_SIMULATED_LATENCY_MS } from "../src/simulate";
import { sendHostileTraffic } from "./hostile-traffic";
import { countsByLabels, parseExposition, samplesOf, scrape, startServer, type RunningServer } from "./helpers";
import type { ServerOptions } from "../src/server";

let server: RunningServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.app.close();
  server = undefined;
});

async function started(options: ServerOptions = {}): Promise<RunningServer> {
  server = await startServer(options);
  return server;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One parsed HTTP response. */
interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A raw TCP connection to the server that reads responses one by one and records how it ended. */
class RawConnection {
  readonly socket: Socket;
  /** How the connection ended: "open", "closed" (FIN or destroy without error), or the error code (ECONNRESET). */
  ended: string = "open";
  private buffer = Buffer.alloc(0);
  private readonly listeners: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port });
    sockets.push(this.socket);
    this.socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    this.socket.on("error", (error: NodeJS.ErrnoException) => {
      this.ended = error.code ?? error.message;
    });
    this.socket.on("close", () => {
      if (this.ended === "open") this.ended = "closed";
      this.notify();
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) resolve();
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
    });
  }

  write(bytes: string): void {
    this.socket.write(bytes);
  }

  /** The next whole response, or `undefined` if the connection ends first. Fails after `timeoutMs`. */
  async response(timeoutMs = 5000): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.take();
      if (parsed !== undefined) return parsed;
      if (this.ended !== "open") return undefined;
      if (Date.now() > deadline) throw new Error(`no response within ${timeoutMs} ms`);
      await this.change(deadline - Date.now());
    }
  }

  /** Waits until the connection ended (or `timeoutMs`), and says how. */
  async end(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.ended === "open" && Date.now() < deadline) await this.change(deadline - Date.now());
    return this.ended;
  }

  /** Bytes received and not yet parsed as a response. */
  get pending(): number {
    return this.buffer.length;
  }

  private take(): RawResponse | undefined {
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const lines = this.buffer.subarray(0, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? "0");
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString("utf8");
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number((lines[0] ?? "").split(" ")[1]), headers, body };
  }

  private change(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, timeoutMs));
      this.listeners.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notify(): void {
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** `http_requests_total` by "METHOD endpoint status", read from the registry (works after the server closed). */
async function counts(running: RunningServer): Promise<Record<string, number>> {
  return countsByLabels(await parseExposition(await running.registry.metrics()), HTTP_METRICS.requestsTotal.name);
}

async function inFlight(running: RunningServer): Promise<number | undefined> {
  const metrics = await parseExposition(await running.registry.metrics());
  return samplesOf(metrics, HTTP_METRICS.requestsInFlight.name)[0]?.value;
}

/** Polls the in-flight gauge until it reads `expected` or `timeoutMs` passed; returns the last value read. */
async function inFlightSettles(
  running: RunningServer,
  expected: number,
  timeoutMs = 3000,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let value = await inFlight(running);
  while (value !== expected && Date.now() < deadline) {
    await sleep(20);
    value = await inFlight(running);
  }
  return value;
}

/** Waits (bounded) until the server holds `expected` connections. */
async function openConnectionsSettle(running: RunningServer, expected: number): Promise<void> {
  const count = (): Promise<number> =>
    new Promise((resolve, reject) =>
      running.app.server.getConnections((error, connections) => (error ? reject(error) : resolve(connections))),
    );
  for (let attempt = 0; attempt < 200 && (await count()) !== expected; attempt++) await sleep(10);
}

const GET = (path: string, headers = "Host: 127.0.0.1\r\n"): string => `GET ${path} HTTP/1.1\r\n${headers}\r\n`;

describe("requests in flight", () => {
  it("returns to 0 after pipelined requests on connections the client closes", async () => {
    const running = await started();
    const connections = Array.from({ length: 5 }, () => new RawConnection(running.port));
    await Promise.all(connections.map((connection) => connection.connected()));

    // The longest latency: every request still waits when the gauge is read, however busy the machine (at 200 ms, a
    // run with the CPU saturated read 0: the first requests had finished before the last arrived). Each wait ends at
    // once when its client leaves.
    for (const connection of connections) {
      connection.write(GET(`/api/simulate?latency_ms=${MAX_SIMULATED_LATENCY_MS}`).repeat(10));
    }
    expect(await inFlightSettles(running, 50)).toBe(50);
    for (const connection of connections) connection.socket.destroy();

    expect(await inFlightSettles(running, 0)).toBe(0);
    // Nothing was answered: the client left before any response.
    expect(Object.keys(await counts(running)).filter((series) => series.includes("/api/simulate"))).toEqual([]);
  });
});

describe("answers Fastify and Node send on their own", () => {
  it("counts a malformed URL, an over-long id, a missing Host and an unsupported Expect under bounded labels", async () => {
    const running = await started();
    const ask = async (bytes: string): Promise<RawResponse | undefined> => {
      const connection = new RawConnection(running.port);
      connection.write(bytes);
      return connection.response();
    };

    const badUrl = await ask(GET("/%zz"));
    const longId = await ask(GET(`/api/items/${"9".repeat(MAX_PARAM_LENGTH + 1)}`));
    const noHost = await ask(GET("/api/items/1", ""));
    const expectTea = await ask(GET("/api/items/1", "Host: 127.0.0.1\r\nExpect: tea\r\n"));
    const propfindBadUrl = await ask("PROPFIND /%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    expect([badUrl?.status, longId?.status, noHost?.status, expectTea?.status, propfindBadUrl?.status]).toEqual([
      400, 414, 400, 417, 400,
    ]);
    expect(await counts(running)).toEqual({
      [`GET ${UNMATCHED_ENDPOINT} 400`]: 2,
      [`GET ${UNMATCHED_ENDPOINT} 414`]: 1,
      [`GET ${UNMATCHED_ENDPOINT} 417`]: 1,
      [`OTHER ${UNMATCHED_ENDPOINT} 400`]: 1,
    });
    expect(JSON.parse(badUrl?.body ?? "")).toEqual({
      statusCode: 400,
      code: "FST_ERR_BAD_URL",
      error: "Bad Request",
      message: "the path is not valid percent-encoding",
    });
    expect(JSON.parse(longId?.body ?? "")).toEqual({
      statusCode: 414,
      code: "FST_ERR_MAX_PARAM_LENGTH",
      error: "URI Too Long",
      message: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`,
    });
    expect(JSON.parse(noHost?.body ?? "")).toMatchObject({ message: "the Host header is required in HTTP/1.1" });
    expect(JSON.parse(expectTea?.body ?? "")).toMatchObject({ message: "only Expect: 100-continue is supported" });
  });

  it("raises http_requests_total by exactly the number of responses sent, over 3,000 hostile requests", async () => {
    const running = await started();
    const total = async (): Promise<number> =>
      Object.entries(countsByLabels(await scrape(running.baseUrl), HTTP_METRICS.requestsTotal.name))
        .filter(([series]) => !series.includes("/metrics"))
        .reduce((sum, [, value]) => sum + value, 0);
    const before = await total();

    const summary = await sendHostileTraffic(running.port, { requests: 3000, connections: 20, seed: 11 });

    expect(summary.unanswered).toBe(0);
    expect(summary.responses).toBe(3000);
    // The mix reaches every kind of answer: success, validation, Fastify's and Node's own errors, parser rejects.
    expect(Object.keys(summary.byStatus).sort()).toEqual([
      "200",
      "201",
      "400",
      "404",
      "414",
      "417",
      "431",
      "500",
      "503",
    ]);
    expect((await total()) - before).toBe(summary.responses);
    expect(await inFlightSettles(running, 0)).toBe(0);
  });
});

describe("replies while draining", () => {
  it("say Connection: close, and a request arriving during the drain gets a counted 503, never a reset", async () => {
    const running = await started();
    const busy = new RawConnection(running.port);
    const late = new RawConnection(running.port);
    await Promise.all([busy.connected(), late.connected()]);
    busy.write(GET("/api/simulate?latency_ms=400"));
    // Headers begun, not finished: the connection is not idle, so the drain does not close it.
    late.write("GET /api/items/1 HTTP/1.1\r\n");
    expect(await inFlightSettles(running, 1)).toBe(1);

    const closing = closeGracefully(running.app, 5000);
    await sleep(100);
    late.write("Host: 127.0.0.1\r\n\r\n");
    const refused = await late.response();
    const answered = await busy.response();
    // The client would reuse the connection now; the server has closed it cleanly instead of resetting it.
    const busyEnd = await busy.end();

    expect(await closing).toBe("drained");
    expect(answered?.status).toBe(200);
    expect(answered?.headers.connection).toBe("close");
    expect(busyEnd).toBe("closed");
    expect(refused?.status).toBe(503);
    expect(refused?.headers.connection).toBe("close");
    expect(await late.end()).toBe("closed");
    expect(await counts(running)).toEqual({
      "GET /api/simulate 200": 1,
      [`GET ${UNMATCHED_ENDPOINT} 503`]: 1,
    });
    expect(await inFlight(running)).toBe(0);
    server = undefined;
  });
});

describe("a drain with a client still sending", () => {
  it("closes the slow connection after one request timeout instead of waiting for the shutdown deadline", async () => {
    const running = await started({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const slowBody = new RawConnection(running.port);
    const slowHeaders = new RawConnection(running.port);
    slowBody.write(
      "POST /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    slowHeaders.write("GET /api/items/1 HTTP/1.1\r\n");
    const drip = setInterval(() => {
      if (!slowBody.socket.destroyed) slowBody.socket.write(" ");
      if (!slowHeaders.socket.destroyed) slowHeaders.socket.write("X-Drip: 1\r\n");
    }, 100);
    try {
      expect(await inFlightSettles(running, 1)).toBe(1);

      const outcome = await closeGracefully(running.app, 4000);

      expect(outcome).toBe("drained");
      expect(await slowBody.end(100)).not.toBe("open");
      expect(await slowHeaders.end(100)).not.toBe("open");
    } finally {
      clearInterval(drip);
      server = undefined;
    }
  });
});

describe("timeouts and caps", () => {
  const limits = { headersTimeoutMs: 600, requestTimeoutMs: 900, keepAliveTimeoutMs: 300, maxConnections: 4 };

  it("answers a body sent too slowly with a 408 at the request timeout, and counts it", async () => {
    const running = await started({ limits });
    const slow = new RawConnection(running.port);
    slow.write(
      "POST /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    const drip = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(" ");
    }, 200);
    try {
      const answer = await slow.response(4000);
      expect(answer?.status).toBe(408);
      expect(await slow.end(2000)).toBe("closed");
    } finally {
      clearInterval(drip);
    }
    expect(await inFlightSettles(running, 0)).toBe(0);
    expect(await counts(running)).toEqual({ [`OTHER ${UNMATCHED_ENDPOINT} 408`]: 1 });
  });

  it("answers headers sent too slowly with a 408 at the headers timeout, and counts it", async () => {
    const running = await started({ limits });
    const slow = new RawConnection(running.port);
    slow.write("GET /api/items/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n");

    const answer = await slow.response(4000);

    expect(answer?.status).toBe(408);
    expect(await counts(running)).toEqual({ [`OTHER ${UNMATCHED_ENDPOINT} 408`]: 1 });
  });

  it("closes a connection that sent nothing at the headers timeout, without an answer or a count", async () => {
    const running = await started({ limits });
    const idle = new RawConnection(running.port);
    await idle.connected();

    expect(await idle.end(4000)).toBe("closed");
    expect(idle.pending).toBe(0);
    expect(await counts(running)).toEqual({});
  });

  it("does not answer or count a request the client abandoned halfway by closing its side", async () => {
    const running = await started({ limits });
    const abandoned = new RawConnection(running.port);
    await abandoned.connected();
    abandoned.socket.end("GET /api/items/1 HTTP/1.1\r\nHost: 127.0");

    expect(await abandoned.end(4000)).toBe("closed");
    expect(abandoned.pending).toBe(0);
    expect(await counts(running)).toEqual({});
  });

  it("closes an idle keep-alive connection at the keep-alive timeout", async () => {
    const running = await started({ limits });
    const idle = new RawConnection(running.port);
    idle.write(GET("/api/items/1"));
    const answer = await idle.response();

    expect(answer?.status).toBe(200);
    expect(answer?.headers.connection).toBe("keep-alive");
    expect(await idle.end(4000)).toBe("closed");
  });

  it("closes connections beyond the connection cap at once, and accepts again below it", async () => {
    const running = await started({ limits });
    const held = Array.from({ length: limits.maxConnections }, () => new RawConnection(running.port));
    for (const connection of held) {
      connection.write(GET("/api/simulate?latency_ms=1500"));
    }
    expect(await inFlightSettles(running, limits.maxConnections)).toBe(limits.maxConnections);

    const extra = new RawConnection(running.port);
    extra.write(GET("/api/items/1"));
    const refused = await extra.response(1000);
    const answers = await Promise.all(held.map((connection) => connection.response()));
    for (const connection of held) connection.socket.destroy();
    await openConnectionsSettle(running, 0);
    const after = await fetch(`${running.baseUrl}/api/items/1`);

    expect(refused).toBeUndefined();
    // Node closes a connection over the cap as soon as it accepted it.
    expect(extra.ended).toMatch(/^(closed|ECONNRESET|EPIPE)$/);
    expect(answers.map((answer) => answer?.status)).toEqual(held.map(() => 200));
    expect(after.status).toBe(200);
  });
});

describe("connections held open near the cap", () => {
  it("are closed when idle, so a probe still gets a connection", async () => {
    const running = await started({ limits: { maxConnections: 4, keepAliveTimeoutMs: 60_000 } });
    const idle: RawConnection[] = [];
    for (let i = 0; i < 4; i++) {
      const connection = new RawConnection(running.port);
      connection.write(GET("/api/items/1"));
      expect((await connection.response())?.headers.connection).toBe("keep-alive");
      idle.push(connection);
      // The reaping runs at most every 100 ms.
      await sleep(120);
    }

    const probe = new RawConnection(running.port);
    probe.write(GET("/health"));
    const answer = await probe.response(2000);

    expect(answer?.status).toBe(200);
    // From 90% of the cap (3 of 4) on, each new connection closed the idle ones before it.
    expect(await Promise.all(idle.slice(0, 2).map((connection) => connection.end(1000)))).toEqual(["closed", "closed"]);
  });
});

describe("GET /api/simulate under a flood of slow requests", () => {
  it("answers 503 with Retry-After beyond its concurrency cap, and serves again once below it", async () => {
    const running = await started({ limits: { simulateMaxConcurrent: 3 } });
    let slowAnswered = 0;
    const slow = Array.from({ length: 3 }, () =>
      fetch(`${running.baseUrl}/api/simulate?latency_ms=2000`).then((response) => {
        slowAnswered++;
        return response;
      }),
    );
    expect(await inFlightSettles(running, 3)).toBe(3);

    const refused = await fetch(`${running.baseUrl}/api/simulate?latency_ms=2000`);
    // Refused at once: none of the three it waited behind has been answered yet.
    const slowAnsweredWhenRefused = slowAnswered;
    const instant = await fetch(`${running.baseUrl}/api/simulate`);

    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      statusCode: 503,
      error: "Service Unavailable",
      message: "too many slow requests: 3 are already waiting (SIMULATE_MAX_CONCURRENT)",
    });
    expect(slowAnsweredWhenRefused).toBe(0);
    expect(instant.status).toBe(200);
    expect((await Promise.all(slow)).map((response) => response.status)).toEqual([200, 200, 200]);
    expect((await fetch(`${running.baseUrl}/api/simulate?latency_ms=10`)).status).toBe(200);
  });
});

describe("small things a hostile client sees", () => {
  it("refuses __proto__ in a body as valid JSON with a forbidden key, not as invalid JSON", async () => {
    const running = await started();
    const post = (body: string): Promise<Response> =>
      fetch(`${running.baseUrl}/api/items`, { method: "POST", headers: { "content-type": "application/json" }, body });

    const proto = await post('{"name":"lamp","price":1,"__proto__":{"admin":true}}');
    const constructorPrototype = await post('{"name":"lamp","price":1,"constructor":{"prototype":{"x":1}}}');

    expect(proto.status).toBe(400);
    expect(await proto.json()).toEqual({
      statusCode: 400,
      code: "ERR_FORBIDDEN_JSON_KEY",
      error: "Bad Request",
      message:
        'the body is valid JSON but contains the key "__proto__", refused because it could change object prototypes; remove it',
    });
    expect(constructorPrototype.status).toBe(400);
    expect(await constructorPrototype.json()).toMatchObject({ code: "ERR_FORBIDDEN_JSON_KEY" });
  });

  it("answers a 404 for a 15 KB path without repeating the path", async () => {
    const running = await started();
    const path = `/${"a".repeat(15_000)}`;

    const response = await fetch(`${running.baseUrl}${path}`);
    const body = await response.text();

    expect(response.status).toBe(404);
    expect(body.length).toBeLessThan(300);
    expect(JSON.parse(body)).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: `no route for GET /${"a".repeat(99)}... (15001 characters)`,
    });
  });
});
