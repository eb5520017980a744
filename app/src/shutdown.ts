/**
 * Graceful shutdown: stop accepting, let in-flight requests finish, and give up at a deadline.
 */
import type { FastifyInstance } from "fastify";

/**
 * How long in-flight requests may take to finish after SIGTERM/SIGINT, in milliseconds. Docker sends SIGKILL 10 s
 * after SIGTERM by default; 8 s leaves time to log and exit on our own terms.
 */
export const SHUTDOWN_TIMEOUT_MS = 8000;

/** How often connections that became idle during a shutdown are closed, in milliseconds. */
const IDLE_SWEEP_INTERVAL_MS = 50;

/** How a {@link closeGracefully} call ended. */
export type ShutdownOutcome = "drained" | "timed out";

/**
 * Closes `app`: the listening socket closes at once (new connections are refused), idle keep-alive connections are
 * closed, requests still running finish and get their response. If they have not finished after `timeoutMs`, every
 * remaining connection is destroyed and the outcome is `"timed out"`.
 */
export async function closeGracefully(app: FastifyInstance, timeoutMs = SHUTDOWN_TIMEOUT_MS): Promise<ShutdownOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ShutdownOutcome>((resolve) => {
    timer = setTimeout(() => resolve("timed out"), timeoutMs);
  });
  // Fastify closes the connections that are idle when close() starts. A keep-alive connection whose request was
  // still running turns idle only after its response, and would then hold close() open until the keep-alive
  // timeout; sweeping idle connections until close() resolves ends each one as soon as its response is out.
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
  const outcome = await Promise.race([app.close().then((): ShutdownOutcome => "drained"), deadline]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (outcome === "timed out") {
    app.server.closeAllConnections();
  }
  return outcome;
}
