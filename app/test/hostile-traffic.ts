/**
 * Hostile traffic over raw sockets: random paths, ids, methods, malformed URLs and requests, counted by what came
 * back. Used by `hostile.test.ts` (a few thousand requests) and `npm run bench:api -- --scenario count` (100,000).
 *
 * Raw sockets because fetch refuses to send most of it (bad percent-encoding, a missing Host, invalid method tokens).
 * Each connection sends one request at a time, reads its whole response (content-length, or none for HEAD) and
 * reconnects when the server closes the connection, so every response sent is seen and counted exactly once.
 */
import { connect, type Socket } from "node:net";

/** Options of {@link sendHostileTraffic}. */
export interface HostileTrafficOptions {
  /** Requests to send in all. */
  readonly requests: number;
  /** Connections sending at once. @default 50 */
  readonly connections?: number;
  /** Seed of the pseudo-random choice of requests, so a run can be repeated. @default 1 */
  readonly seed?: number;
}

/** What a run sent and got back. */
export interface HostileTrafficSummary {
  readonly sent: number;
  /** Responses received (status lines parsed), in all. */
  readonly responses: number;
  /** Responses by status code. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Requests whose connection closed before a response came, or that got none within 10 s (none expected). */
  readonly unanswered: number;
}

/** mulberry32: a small seeded generator (the same seed gives the same sequence), enough to pick requests reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A request without a response after this long counts as unanswered, and its connection is dropped. */
const REQUEST_TIMEOUT_MS = 10_000;

const METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "PURGE"];

/** One request of the mix, as raw bytes, and whether it is a HEAD (its response has no body). */
export function hostileRequest(next: () => number): { bytes: string; head: boolean } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const digits = (count: number): string => Array.from({ length: count }, () => Math.floor(next() * 10)).join("");
  const host = "Host: 127.0.0.1\r\n";
  const json = (body: string): string =>
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const kind = Math.floor(next() * 16);
  const method = pick(METHODS);
  const line = (target: string, verb = method): string => `${verb} ${target} HTTP/1.1\r\n`;
  switch (kind) {
    case 0:
      return {
        bytes: `${line(`/api/items/${digits(1 + Math.floor(next() * 8))}`)}${host}\r\n`,
        head: method === "HEAD",
      };
    case 1:
      return {
        bytes: `${line(`/api/items/${digits(101 + Math.floor(next() * 50))}`)}${host}\r\n`,
        head: method === "HEAD",
      };
    case 2:
      return {
        bytes: `${line(pick(["/%zz", "/api/%E0%A4%A", "/%", "/api/items/%G1"]))}${host}\r\n`,
        head: method === "HEAD",
      };
    case 3:
      return {
        bytes: `${line(`/x/${digits(6)}/${"y".repeat(Math.floor(next() * 300))}?q=${digits(4)}`)}${host}\r\n`,
        head: method === "HEAD",
      };
    case 4:
      return {
        bytes: `${line("/api/items", "POST")}${host}${json(`{"name":"n${digits(3)}","price":${digits(2)}}`)}`,
        head: false,
      };
    case 5:
      return {
        bytes: `${line("/api/items", "POST")}${host}${json(pick(['{"name": "lamp", ', '{"__proto__":{"x":1},"name":"a","price":1}', "", '{"name":"a"}', "[1,2"]))}`,
        head: false,
      };
    case 6:
      // HTTP/1.1 without Host.
      return { bytes: `${line("/api/items/1")}\r\n`, head: method === "HEAD" };
    case 7:
      // Method tokens the HTTP parser refuses.
      return { bytes: `${pick(["BREW", "G@T", "get"])} /pot HTTP/1.1\r\n${host}\r\n`, head: false };
    case 8:
      return { bytes: `${line("/api/items/1", "GET")}${host}Expect: tea\r\n\r\n`, head: false };
    case 9:
      return {
        bytes: `${line(`/api/simulate?status=${pick(["200", "500", "503", "418", "x"])}`, "GET")}${host}\r\n`,
        head: false,
      };
    case 10:
      return { bytes: `${line(pick(["/health", "/ready", "/"]))}${host}\r\n`, head: method === "HEAD" };
    case 11:
      // Header block over Node's 16 KiB limit: 431.
      return { bytes: `${line("/api/items/2", "GET")}${host}X-Big: ${"b".repeat(17_000)}\r\n\r\n`, head: false };
    case 12:
      return {
        bytes: `${line(`/api/items?limit=${pick(["5", "101", "abc", "0"])}&offset=${digits(2)}`)}${host}\r\n`,
        head: method === "HEAD",
      };
    case 13:
      return {
        bytes: `${line(`/${"%2e%2e/".repeat(Math.floor(next() * 4))}etc/passwd`)}${host}\r\n`,
        head: method === "HEAD",
      };
    case 14:
      return { bytes: `GET /api/items/1 HTTP/1.0\r\n\r\n`, head: false };
    default:
      return {
        bytes: `${line(`/api/items/${pick(["abc", "0", "-1", "1.5", "1e3"])}`)}${host}\r\n`,
        head: method === "HEAD",
      };
  }
}

interface Parsed {
  readonly status: number;
  readonly consumed: number;
  readonly close: boolean;
}

/** Parses one whole response at the start of `buffer`, or returns undefined when more bytes are needed. */
function parseResponse(buffer: Buffer, head: boolean): Parsed | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number((lines[0] ?? "").split(" ")[1]);
  const headers = new Map<string, string>();
  for (const header of lines.slice(1)) {
    const colon = header.indexOf(":");
    headers.set(header.slice(0, colon).trim().toLowerCase(), header.slice(colon + 1).trim());
  }
  const close = headers.get("connection")?.toLowerCase() === "close";
  if (!head && headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    // Chunks of "<hex size>\r\n<data>\r\n", ended by a zero-size chunk and an empty trailer.
    let offset = end + 4;
    for (;;) {
      const lineEnd = buffer.indexOf("\r\n", offset);
      if (lineEnd === -1) return undefined;
      const size = parseInt(buffer.subarray(offset, lineEnd).toString("latin1"), 16);
      if (size === 0) {
        return buffer.length < lineEnd + 4 ? undefined : { status, consumed: lineEnd + 4, close };
      }
      offset = lineEnd + 2 + size + 2;
      if (buffer.length < offset) return undefined;
    }
  }
  const length = head ? 0 : Number(headers.get("content-length") ?? "0");
  if (buffer.length < end + 4 + length) return undefined;
  return { status, consumed: end + 4 + length, close };
}

/**
 * Sends `requests` requests of the hostile mix to 127.0.0.1:`port` and counts the responses that came back.
 * @example const summary = await sendHostileTraffic(port, { requests: 100_000 });
 */
export async function sendHostileTraffic(port: number, options: HostileTrafficOptions): Promise<HostileTrafficSummary> {
  const next = seededRandom(options.seed ?? 1);
  let sent = 0;
  let responses = 0;
  let unanswered = 0;
  const byStatus: Record<string, number> = {};

  const worker = async (): Promise<void> => {
    let socket: Socket | undefined;
    let buffer = Buffer.alloc(0);
    let waiting: { head: boolean; resolve: (parsed: Parsed | undefined) => void } | undefined;
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const created = connect({ host: "127.0.0.1", port }, () => resolve(created));
        buffer = Buffer.alloc(0);
        created.on("data", (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          if (waiting === undefined) return;
          const parsed = parseResponse(buffer, waiting.head);
          if (parsed === undefined) return;
          buffer = buffer.subarray(parsed.consumed);
          const done = waiting;
          waiting = undefined;
          done.resolve(parsed);
        });
        created.on("error", (error) => {
          if (socket !== created) reject(error);
        });
        created.on("close", () => {
          // A connection the worker already left (after `Connection: close`) has no request waiting on it.
          if (socket !== created) return;
          socket = undefined;
          const done = waiting;
          waiting = undefined;
          done?.resolve(undefined);
        });
      });
    while (sent < options.requests) {
      sent++;
      const request = hostileRequest(next);
      socket ??= await open();
      const answer = new Promise<Parsed | undefined>((resolve) => {
        waiting = { head: request.head, resolve };
      });
      socket.write(request.bytes);
      const timer = setTimeout(() => socket?.destroy(), REQUEST_TIMEOUT_MS);
      const parsed = await answer;
      clearTimeout(timer);
      if (parsed === undefined) {
        unanswered++;
        continue;
      }
      responses++;
      byStatus[parsed.status] = (byStatus[parsed.status] ?? 0) + 1;
      if (parsed.close) {
        const closing = socket;
        socket = undefined;
        closing?.destroy();
      }
    }
    socket?.destroy();
  };
  await Promise.all(Array.from({ length: options.connections ?? 50 }, worker));
  return { sent, responses, byStatus, unanswered };
}
