import {
  HEALTH_PATH,
  HEALTHCHECK_COMMAND,
  LOG_LEVELS,
  LogLevel,
  METRICS_PATH,
  CONFIG_DEFAULTS,
} from "@monitoring-stack/api/contract";
import type { Service, ServiceOptions } from "../core/service";
import type { SloOptions } from "../core/slo";
import type { MonitoringStackBase } from "../core/stack";
import { ConfigProblem, checkImage, joinPath, show } from "../core/validation";
import { apiOverview } from "./api-overview";
import { API_CATALOG, API_REQUEST_METRICS, API_SERIES_RULES } from "./catalog";
import { DEMO_API_BINARY, DEMO_API_DEFAULTS } from "./defaults";
import { ApiAlertThresholds, apiAlertThresholdProblems, renderApiAlertRules } from "./rules";
import { apiRuleTests } from "./rules.cases";

/** Settings of the demo API a stack user can change. */
export interface DemoApiOptions extends Pick<ServiceOptions, "hostPort" | "bindAddress" | "memoryMb" | "relax"> {
  /** Host port the API is published on. @default DEMO_API_DEFAULTS.hostPort, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default DEMO_API_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Node.js base image the Dockerfile builds on (build arg `NODE_IMAGE`). @default DEMO_API_DEFAULTS.image */
  readonly image?: string;
  /** The API's `LOG_LEVEL`. @default DEMO_API_DEFAULTS.logLevel */
  readonly logLevel?: LogLevel;
  /** Thresholds of its alerts. @default DEFAULT_API_ALERT_THRESHOLDS */
  readonly thresholds?: ApiAlertThresholds;
  /** Its SLOs (rules/slo-api.yml, the SLO dashboard); `false` declares none. @default DEMO_API_DEFAULTS.slo */
  readonly slo?: SloOptions | false;
}

/** The demo API, built from `app/`. @example addDemoApi(stack, { buildContext: "../../../app" }) */
export interface DemoApiProps extends DemoApiOptions {
  /**
   * The Docker build context (the `app/` folder with its Dockerfile): a path relative to the stack's folder
   * (`cdktf.out/stacks/<stack>`, where Terraform runs), so cdk.tf.json does not depend on where the checkout lives; an
   * absolute path is used as given.
   */
  readonly buildContext: string;
  /**
   * Digest of the build context's inputs; when it changes, the image is rebuilt and the container replaced.
   * @default no trigger: the image is built once and rebuilt only when its settings change
   */
  readonly sourceHash?: string;
}

/** The demo API's own facts: the port it listens on (its own default `PORT`). */
export const DemoApi = {
  /** The service name: its Prometheus job and its alias on the network. */
  NAME: DEMO_API_DEFAULTS.name,
  /** The port the API listens on inside the container (`PORT`): the API's own default. */
  INTERNAL_PORT: CONFIG_DEFAULTS.port,
} as const;

/**
 * The demo API as a service of the stack: the image built from `app/` on the pinned Node.js base image, its
 * healthcheck (Node's fetch: no curl or wget in the image), its metric catalog, and the hardened defaults of every
 * service.
 */
export function demoApiService(props: DemoApiProps): ServiceOptions {
  const d = DEMO_API_DEFAULTS;
  return {
    build: {
      context: props.buildContext,
      buildArgs: { NODE_IMAGE: props.image ?? d.image },
      ...(props.sourceHash !== undefined ? { sourceHash: props.sourceHash } : {}),
    },
    port: DemoApi.INTERNAL_PORT,
    description: "The instrumented API",
    metrics: { path: METRICS_PATH },
    metricNames: API_CATALOG,
    seriesExclusions: API_SERIES_RULES,
    requestMetrics: API_REQUEST_METRICS,
    ...(props.slo !== false ? { slo: props.slo ?? d.slo } : {}),
    hostPort: props.hostPort ?? d.hostPort,
    ...(props.bindAddress !== undefined ? { bindAddress: props.bindAddress } : {}),
    memoryMb: props.memoryMb ?? d.memoryMb,
    ...(props.relax !== undefined ? { relax: props.relax } : {}),
    // The `node` user of the official Node.js images.
    user: "1000:1000",
    env: {
      HOST: "0.0.0.0",
      PORT: String(DemoApi.INTERNAL_PORT),
      LOG_LEVEL: props.logLevel ?? d.logLevel,
      NODE_ENV: "production",
    },
    healthcheck: { command: ["CMD", ...HEALTHCHECK_COMMAND] },
    healthEndpoint: { path: HEALTH_PATH },
    // The API built from app/ by the harness, on 127.0.0.1, with the log level it is given; it serves once its port
    // accepts connections (its "listening" line is not printed above level info).
    localRun: {
      binary: DEMO_API_BINARY,
      args: () => [],
      env: (ctx) => ({
        PORT: String(ctx.port),
        HOST: ctx.host,
        LOG_LEVEL: props.logLevel ?? d.logLevel,
        NODE_ENV: "production",
      }),
    },
  };
}

/** Problems with the settings only the demo API has (the service settings are checked by its `Service`). */
export function demoApiProblems(path: string, props: DemoApiProps, scrapeIntervalSeconds: number): ConfigProblem[] {
  const logLevel = props.logLevel ?? DEMO_API_DEFAULTS.logLevel;
  return [
    ...checkImage(joinPath(path, "image"), props.image ?? DEMO_API_DEFAULTS.image),
    ...((LOG_LEVELS as readonly string[]).includes(logLevel)
      ? []
      : [
          {
            path: joinPath(path, "logLevel"),
            message: `${joinPath(path, "logLevel")} must be one of ${LOG_LEVELS.join(", ")} (got ${show(logLevel)})`,
          },
        ]),
    ...apiAlertThresholdProblems(joinPath(path, "thresholds"), props.thresholds, scrapeIntervalSeconds),
  ];
}

/**
 * Adds the demo API to `stack` through its public API, like any user's service: the service, its alerts
 * (`rules/api.yml`, with their promtool cases) and the API Overview dashboard.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addDemoApi(stack: MonitoringStackBase, props: DemoApiProps): Service | undefined {
  const name = DemoApi.NAME;
  const service = stack.addService(name, demoApiService(props));
  // Its name is taken (reported at synth): its rules and dashboards would only be reported again.
  if (service === undefined) return undefined;
  stack.reportProblems(...demoApiProblems(name, props, stack.scrapeIntervalSeconds));
  const input = (ctx: {
    readonly jobs: Readonly<Record<string, string>>;
    readonly scrapeIntervalSeconds: number;
    readonly runbookBaseUrl?: string;
  }) => ({
    jobName: ctx.jobs[name] ?? name,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(props.thresholds !== undefined ? { thresholds: props.thresholds } : {}),
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.addAlertRules(name, (ctx) => renderApiAlertRules(input(ctx)), { tests: (ctx) => apiRuleTests(input(ctx)) });
  stack.addDashboard(apiOverview);
  return service;
}
