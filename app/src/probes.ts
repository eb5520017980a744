/**
 * The API's probe and scrape endpoints and the healthcheck command, in one place: the server's routes, the metrics
 * contract, the Dockerfile's HEALTHCHECK and the stack's container healthcheck all use these (tests check the
 * Dockerfile agrees).
 */

/** Liveness: 200 while the process serves requests. */
export const HEALTH_PATH = "/health";
/** Readiness: 200 while the API accepts traffic, 503 while it drains. */
export const READY_PATH = "/ready";
/** The Prometheus exposition. */
export const METRICS_PATH = "/metrics";

/**
 * The healthcheck command, for an image that has Node.js but no curl or wget: exits 0 when `GET /health` on the port
 * in `PORT` answers 2xx, 1 otherwise.
 */
export const HEALTHCHECK_COMMAND: readonly string[] = [
  "node",
  "-e",
  `fetch('http://127.0.0.1:' + process.env.PORT + '${HEALTH_PATH}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
];
