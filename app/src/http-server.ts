/**
 * The Node.js HTTP server under Fastify: connection limits, the answers Node would otherwise send on its own, and
 * `Connection: close` while draining.
 *
 * Fastify builds it through its `serverFactory` option, so every request passes {@link createHttpServer}'s listener
 * before Fastify routes it: the one place that sees all of them.
 */
import { createServer, IncomingMessage, ServerResponse, type OutgoingHttpHeaders, type Server } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionLimits } from "./config";

/** Share of the connection cap from which idle keep-alive connections are closed to make room. */
export const IDLE_REAP_FRACTION = 0.9;
const IDLE_REAP_INTERVAL_MS = 100;

/** How often Node checks the headers and request timeouts, in milliseconds (Node's default is 30 s). */
export const TIMEOUT_CHECK_INTERVAL_MS = 500;

/**
 * The response object of every request: a Node `ServerResponse` that says `Connection: close` once the server drains,
 * and carries whether its request was already recorded by the metrics hook.
 */
export class ApiResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the metrics hook of a routed request; a response finished without it was sent by Fastify or Node itself. */
  public recorded = false;
}

/** The response of the latest request a connection sent, kept on the socket for the drain. */
const kLatestResponse = Symbol("latest response on this connection");
type DrainSocket = Socket & { [kLatestResponse]?: ApiResponse };

/** Per-request and per-connection callbacks of the metrics (see `instrumentation.ts`). */
export interface ConnectionObserver {
  /** Called for every request, before Fastify sees it. */
  onRequest(request: IncomingMessage, response: ApiResponse): void;
  /** Called for every accepted connection. */
  onConnection(socket: Socket): void;
}

/** The server and its switch into draining. */
export interface HttpServer {
  /** Its responses are {@link ApiResponse}s. */
  readonly server: Server;
  /** From now on every response header says `Connection: close`, and its connection is closed after it. */
  startDraining(): void;
}

/** Limits {@link createHttpServer} applies; the simulate cap is not the server's business. */
export type ServerLimits = Omit<ConnectionLimits, "simulateMaxConcurrent">;

/**
 * Creates the HTTP server that hands requests to `handler` (Fastify's), with `limits` applied.
 *
 * Node's own answers go through the server's response object, so the metrics count them: a missing `Host` header
 * (Node's `requireHostHeader` would send a bare 400 without emitting the request) and an `Expect` header other than
 * `100-continue` (Node's bare 417).
 */
export function createHttpServer(
  limits: ServerLimits,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  observer?: ConnectionObserver,
): HttpServer {
  const state = { draining: false };
  // One class per server, so the draining switch of one server never touches another's responses.
  class DrainAwareResponse<Request extends IncomingMessage = IncomingMessage> extends ApiResponse<Request> {
    override writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
    override writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders): this;
    override writeHead(
      statusCode: number,
      statusMessageOrHeaders?: string | OutgoingHttpHeaders,
      headers?: OutgoingHttpHeaders,
    ): this {
      // Node writes `Connection: close` and closes the connection after this response when keep-alive is off; a
      // response begun before the drain and finished during it would otherwise invite the client to reuse a
      // connection that is about to be closed (ECONNRESET on its next request).
      if (state.draining) this.shouldKeepAlive = false;
      return typeof statusMessageOrHeaders === "string"
        ? super.writeHead(statusCode, statusMessageOrHeaders, headers)
        : super.writeHead(statusCode, statusMessageOrHeaders);
    }
  }

  const listener = (request: IncomingMessage, serverResponse: ServerResponse): void => {
    // The server creates every response from DrainAwareResponse (the ServerResponse option below).
    const response = serverResponse as ApiResponse;
    (request.socket as DrainSocket)[kLatestResponse] = response;
    observer?.onRequest(request, response);
    if (request.headers.host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1) {
      sendError(response, 400, "Bad Request", "the Host header is required in HTTP/1.1");
      return;
    }
    handler(request, response);
  };
  const server = createServer(
    {
      ServerResponse: DrainAwareResponse,
      requireHostHeader: false,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    listener,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // The hard cap: Node closes connections beyond it as soon as it accepts them.
  server.maxConnections = limits.maxConnections;
  // The soft one: from 90% of the cap on, idle keep-alive connections are closed (at most every 100 ms), so clients
  // holding connections open between requests cannot keep probes and scrapes out.
  const reapFrom = Math.max(1, Math.floor(limits.maxConnections * IDLE_REAP_FRACTION));
  const sockets = new Set<DrainSocket>();
  let lastReap = 0;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const open = sockets.size;
    if (open >= reapFrom && Date.now() - lastReap >= IDLE_REAP_INTERVAL_MS) {
      lastReap = Date.now();
      server.closeIdleConnections();
    }
  });
  server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => {
    observer?.onRequest(request, response as ApiResponse);
    sendError(response, 417, "Expectation Failed", "only Expect: 100-continue is supported");
  });
  if (observer !== undefined) {
    server.on("connection", (socket: Socket) => observer.onConnection(socket));
  }
  return {
    server,
    startDraining() {
      state.draining = true;
      // Node stops enforcing the headers and request timeouts once the server closes, so a client still sending its
      // request could hold the drain open until the shutdown deadline. After one request timeout, every connection
      // that is not waiting for or sending its response (a request still arriving, headers begun, idle) is closed.
      setTimeout(() => {
        for (const socket of sockets) {
          const response = socket[kLatestResponse];
          const answering = response !== undefined && response.req.complete && !response.writableFinished;
          if (!answering) socket.destroy();
        }
      }, limits.requestTimeoutMs).unref();
    },
  };
}

/** Answers with the API's JSON error format and closes the connection after it. */
function sendError(response: ServerResponse, statusCode: number, error: string, message: string): void {
  const body = JSON.stringify({ statusCode, error, message });
  response.shouldKeepAlive = false;
  response.writeHead(statusCode, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
