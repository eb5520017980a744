/**
 * The API's contract with the monitoring stack, and its only entry point for code outside app/: the metric and label
 * names (metrics.ts), the probe paths and the container healthcheck (probes.ts), the configuration defaults
 * (config.ts). The stack's constructs, dashboards, alert rules, verify and tests import it by package name,
 * `@monitoring-stack/api/contract` (app/package.json `exports`), never by a relative path into app/src: the app is
 * built in Docker from app/ alone, so the contract lives here, with the code that exposes it.
 */
export { CONFIG_DEFAULTS, LOG_LEVELS } from "./config";
export type { AppConfig, LogLevel } from "./config";
export {
  HTTP_DURATION_BUCKETS_SECONDS,
  HTTP_LABELS,
  HTTP_METRICS,
  KNOWN_METHODS,
  NON_TRAFFIC_ENDPOINTS,
  OTHER_METHOD,
  RUNTIME_METRICS,
  UNMATCHED_ENDPOINT,
} from "./metrics";
export { HEALTHCHECK_COMMAND, HEALTH_PATH, METRICS_PATH, READY_PATH } from "./probes";
