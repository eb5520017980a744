/**
 * The demo API component: the instrumented API built from `app/`, its alerts, the API Overview and the Platform
 * Overview. It is this project's example of a user's own service, added through the same public calls; it needs the
 * `app/` build context, so the package does not export it.
 */
import type { ComponentInfo } from "../core/component";
import { SERVICE_DEFAULTS } from "../core/service";
import { DEMO_API_DEFAULTS } from "./defaults";
import { DEFAULT_API_ALERT_THRESHOLDS } from "./rules";
import { DemoApiProps, addDemoApi } from "./service";

export * from "./api-overview";
export * from "./catalog";
export * from "./defaults";
export * from "./rules";
export { apiRuleTests } from "./rules.cases";
export * from "./service";

/** The demo API component, as the registry lists it; main.ts adds its build context to its options. */
export const demoApiComponent: ComponentInfo = {
  name: DEMO_API_DEFAULTS.name,
  summary: "The instrumented demo API (Fastify + prom-client), built from app/",
  images: { node: DEMO_API_DEFAULTS.image },
  enabled: "always",
  settings: [
    {
      env: "API_HOST_PORT",
      path: "hostPort",
      kind: "integer",
      description: "Host port of the API",
      default: DEMO_API_DEFAULTS.hostPort,
    },
    {
      env: "API_BIND_ADDRESS",
      path: "bindAddress",
      kind: "string",
      description: "Host address the API port binds to",
      default: SERVICE_DEFAULTS.bindAddress,
    },
    {
      env: "API_MEMORY_MB",
      path: "memoryMb",
      kind: "integer",
      description: "API memory limit in MiB",
      default: DEMO_API_DEFAULTS.memoryMb,
    },
    {
      env: "API_LOG_LEVEL",
      path: "logLevel",
      kind: "string",
      description: "API log level",
      default: DEMO_API_DEFAULTS.logLevel,
    },
    {
      env: "ALERT_API_ERROR_RATIO",
      path: "thresholds.errorRatio",
      kind: "number",
      description: "5xx ratio above which ApiHighErrorRatio fires",
      default: DEFAULT_API_ALERT_THRESHOLDS.errorRatio,
    },
    {
      env: "ALERT_API_MIN_REQUESTS_PER_SECOND",
      path: "thresholds.minRequestsPerSecond",
      kind: "number",
      description: "Traffic below which the API alerts stay quiet",
      default: DEFAULT_API_ALERT_THRESHOLDS.minRequestsPerSecond,
    },
    {
      env: "ALERT_API_LATENCY_P95_SECONDS",
      path: "thresholds.latencyP95Seconds",
      kind: "number",
      description: "p95 latency above which ApiHighLatencyP95 fires",
      default: DEFAULT_API_ALERT_THRESHOLDS.latencyP95Seconds,
    },
  ],
  add: (stack, options) => addDemoApi(stack, options as unknown as DemoApiProps),
};
