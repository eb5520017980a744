/**
 * `GET /api/simulate`: a bounded way to produce slow and failing requests for demos and alert tests.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";

/** Longest latency a caller may ask for, in milliseconds (below the 10 s top bucket and the shutdown deadline). */
export const MAX_SIMULATED_LATENCY_MS = 5000;

/** Status codes a caller may ask for: success, typical client errors and the server errors alerts watch. */
export const SIMULATED_STATUSES = [200, 400, 404, 429, 500, 502, 503, 504] as const;

const REASONS: Readonly<Record<(typeof SIMULATED_STATUSES)[number], string>> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Options of {@link registerSimulateRoute}. */
export interface SimulateOptions {
  /**
   * Most requests waiting out their latency at once; one more is answered 503 at once, with `Retry-After: 1`. Bounds
   * the memory and timers a flood of slow requests can hold.
   * @default 100
   */
  readonly maxConcurrent?: number;
}

/**
 * Registers `GET /api/simulate?latency_ms=&status=` on `app`: waits `latency_ms` (0 to 5000, default 0), then
 * answers with `status` (one of {@link SIMULATED_STATUSES}, default 200). Anything else is a 400 naming the field.
 */
export function registerSimulateRoute(app: FastifyInstance, options: SimulateOptions = {}): void {
  const maxConcurrent = options.maxConcurrent ?? 100;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new Error(`maxConcurrent must be a positive integer (got ${maxConcurrent})`);
  }
  let waiting = 0;
  app.get<{ Querystring: { latency_ms: number; status: (typeof SIMULATED_STATUSES)[number] } }>(
    "/api/simulate",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            latency_ms: { type: "integer", minimum: 0, maximum: MAX_SIMULATED_LATENCY_MS, default: 0 },
            status: { type: "integer", enum: [...SIMULATED_STATUSES], default: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { latency_ms: latencyMs, status } = request.query;
      if (latencyMs > 0) {
        if (waiting >= maxConcurrent) {
          return reply
            .code(503)
            .header("retry-after", "1")
            .send({
              statusCode: 503,
              error: "Service Unavailable",
              message: `too many slow requests: ${maxConcurrent} are already waiting (SIMULATE_MAX_CONCURRENT)`,
            });
        }
        waiting++;
        try {
          // The signal aborts when the client disconnects, so abandoned demo requests free their timer at once.
          await sleep(latencyMs, undefined, { signal: request.signal });
        } catch {
          return reply.code(499).send();
        } finally {
          waiting--;
        }
      }
      const simulated = { latencyMs, status };
      if (status === 200) {
        return { simulated };
      }
      return reply
        .code(status)
        .send({ statusCode: status, error: REASONS[status], message: `simulated ${status}`, simulated });
    },
  );
}
