/**
 * The API server factory: routes, validation, error format and (optionally) instrumentation, in one Fastify instance.
 *
 * Tests, the benchmark and `main.ts` all build the server here; only `main.ts` reads the environment and listens.
 */
import { STATUS_CODES } from "node:http";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaValidationError,
} from "fastify";
import { Registry } from "prom-client";
import { LIMIT_DEFAULTS, type ConnectionLimits, type LogLevel } from "./config";
import { createHttpServer, type HttpServer } from "./http-server";
import { answerClientError, countRejectedRequest, createHttpMetrics, createRequestTracking } from "./instrumentation";
import { parseJsonBody } from "./json-body";
import { ItemStore, registerItemRoutes } from "./items";
import { registerSimulateRoute } from "./simulate";
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from "./probes";

/** Name reported by `GET /`. */
export const SERVICE_NAME = "monitoring-stack-api";
/** Version reported by `GET /`; a test keeps it equal to `app/package.json`'s version. */
export const SERVICE_VERSION = "0.1.0";
/** Default of `bodyLimitBytes`: the largest accepted request body in bytes; larger bodies get a 413. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
/** Longest path parameter (`:id`) in characters; a longer one gets a 414 (Fastify's default). */
export const MAX_PARAM_LENGTH = 100;
/** Longest part of a request path repeated in an error message; the rest is elided, so replies stay small. */
export const MAX_ECHOED_PATH_LENGTH = 100;

/** Options of {@link buildServer}. */
export interface ServerOptions {
  /** Count, time and track requests and serve `GET /metrics`. Off only to measure its cost. @default true */
  readonly instrumentation?: boolean;
  /** Registry the metrics are created in; pass one to read it in tests. @default a new, private Registry */
  readonly registry?: Registry;
  /** Also export prom-client's process and Node.js runtime metrics. @default true */
  readonly defaultMetrics?: boolean;
  /** Minimum level of the JSON logs on stdout. @default "info" */
  readonly logLevel?: LogLevel;
  /** Largest accepted request body in bytes. @default 16384 */
  readonly bodyLimitBytes?: number;
  /** Backing store of `/api/items`. @default a new store with the seed items */
  readonly store?: ItemStore;
  /** Timeouts and caps of connections and of `/api/simulate`. @default LIMIT_DEFAULTS of `config.ts`, per field */
  readonly limits?: Partial<ConnectionLimits>;
}

/**
 * Builds the API (not listening yet). The caller owns the instance: `listen()` it and `close()` it.
 * @example const app = buildServer({ logLevel: "silent", registry }); await app.listen({ host: "127.0.0.1", port: 0 });
 */
export function buildServer(options: ServerOptions = {}): FastifyInstance {
  const instrumentation = options.instrumentation ?? true;
  const registry = options.registry ?? new Registry();
  const defaultMetrics = options.defaultMetrics ?? true;
  const logLevel = options.logLevel ?? "info";
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const store = options.store ?? new ItemStore();
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1) {
    throw new Error(`bodyLimitBytes must be a positive integer (got ${bodyLimitBytes})`);
  }

  const limits: ConnectionLimits = { ...LIMIT_DEFAULTS, ...options.limits };

  const metrics = instrumentation ? createHttpMetrics(registry, { defaultMetrics }) : undefined;
  const tracking = metrics === undefined ? undefined : createRequestTracking(metrics);
  let httpServer: HttpServer | undefined;

  const app = Fastify({
    logger: { level: logLevel },
    bodyLimit: bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    serverFactory: (handler) => {
      httpServer = createHttpServer(limits, handler, tracking?.observer);
      return httpServer.server;
    },
    // Unknown body fields are rejected with a message naming them, not silently dropped (Fastify's default).
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: formatSchemaErrors,
    clientErrorHandler: (error, socket) => {
      const statusCode = answerClientError(error, socket);
      if (statusCode !== undefined && metrics !== undefined) {
        countRejectedRequest(metrics, statusCode);
      }
    },
    // Fastify's own messages for these repeat the whole path; answer in the API's format without it.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
      const answer = frameworkErrorAnswer(error.code);
      void reply.code(answer.statusCode).send(answer);
    },
  });
  // Replies that finish after close() began say `Connection: close`, so clients do not reuse a closing connection.
  app.addHook("preClose", (done) => {
    httpServer?.startDraining();
    done();
  });

  // Every body this API accepts is JSON; without the text parser, other types get a 415 instead of a confusing 400.
  app.removeContentTypeParser("text/plain");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  if (metrics !== undefined && tracking !== undefined) {
    tracking.instrument(app);
    app.get(METRICS_PATH, async (_request, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    });
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) {
      request.log.error({ err: error }, "request failed");
      return reply.code(statusCode).send({ statusCode, error: "Internal Server Error", message: "unexpected error" });
    }
    const message =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? `request body is larger than ${bodyLimitBytes} bytes`
        : error.message;
    return reply
      .code(statusCode)
      .send({ statusCode, code: error.code, error: STATUS_CODES[statusCode] ?? "Client Error", message });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: "Not Found",
      message: `no route for ${request.method} ${elide(request.url.split("?")[0] ?? "")}`,
    }),
  );

  app.get("/", async () => ({ service: SERVICE_NAME, version: SERVICE_VERSION }));
  app.get(HEALTH_PATH, async () => ({ status: "ok" }));
  // Ready as soon as it listens: the store is in memory. While shutting down the listener is closed and Fastify
  // answers requests on still-open connections with 503 (return503OnClosing), so probes see "not ready" then.
  app.get(READY_PATH, async () => ({ status: "ready" }));
  registerItemRoutes(app, store);
  registerSimulateRoute(app, { maxConcurrent: limits.simulateMaxConcurrent });
  return app;
}

/** The API's JSON error for an error Fastify raises before routing (`frameworkErrors`). */
function frameworkErrorAnswer(code: string): {
  statusCode: 400 | 414 | 500;
  code?: string;
  error: string;
  message: string;
} {
  if (code === "FST_ERR_MAX_PARAM_LENGTH") {
    const message = `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`;
    return { statusCode: 414, code, error: "URI Too Long", message };
  }
  if (code === "FST_ERR_BAD_URL") {
    return { statusCode: 400, code, error: "Bad Request", message: "the path is not valid percent-encoding" };
  }
  return { statusCode: 500, error: "Internal Server Error", message: "unexpected error" };
}

/** `path` cut to {@link MAX_ECHOED_PATH_LENGTH} characters, saying how long it was when cut. */
function elide(path: string): string {
  if (path.length <= MAX_ECHOED_PATH_LENGTH) return path;
  return `${path.slice(0, MAX_ECHOED_PATH_LENGTH)}... (${path.length} characters)`;
}

/**
 * Turns Ajv errors into one message that names the field, e.g. `body.price must be >= 0` or
 * `body.colour is not allowed`.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const messages = errors.map((error) => {
    const path = [dataVar, ...error.instancePath.split("/").filter((part) => part !== "")].join(".");
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "required") return `${path}.${String(params.missingProperty)} is required`;
    if (error.keyword === "additionalProperties") return `${path}.${String(params.additionalProperty)} is not allowed`;
    if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
      return `${path} must be one of ${params.allowedValues.join(", ")}`;
    }
    return `${path} ${error.message ?? "is invalid"}`;
  });
  const result = new Error(messages.join("; ")) as Error & { statusCode: number; code: string };
  result.statusCode = 400;
  result.code = "FST_ERR_VALIDATION";
  return result;
}
