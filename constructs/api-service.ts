import {
  ResolvedServiceOptions,
  ServiceOptions,
  resolveServiceOptions,
  serviceOptionProblems,
} from "./container-defaults";
import type { ServiceOptions as StackServiceOptions } from "./service";
import { ConfigProblem, joinPath, show, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";
import { CONFIG_DEFAULTS, LOG_LEVELS, LogLevel } from "@monitoring-stack/api/contract";
import { HTTP_METRICS, RUNTIME_METRICS } from "@monitoring-stack/api/contract";
import { HEALTH_PATH, HEALTHCHECK_COMMAND, METRICS_PATH } from "@monitoring-stack/api/contract";
import { seriesNames } from "../dashboards/self-metrics";

/** Settings of the API service a stack user can change. */
export interface ApiServiceOptions extends ServiceOptions {
  /** Host port the API is published on. @default 8000, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default 256 */
  readonly memoryMb?: number;
  /** Node.js base image the Dockerfile builds on (build arg `NODE_IMAGE`). @default IMAGES.node */
  readonly image?: string;
  /** The API's `LOG_LEVEL`. @default "info" */
  readonly logLevel?: LogLevel;
}

/** The demo API, built from `app/`. @example monitoring.addService(ApiService.NAME, demoApiService({ buildContext })) */
export interface DemoApiProps extends ApiServiceOptions {
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

/** The facts of the demo API: its name (job and alias), ports. */
export const ApiService = {
  /** The service name: its Prometheus job and its alias on the network. */
  NAME: "api",
  /** The Prometheus job scraping the API (the service name). */
  JOB_NAME: "api",
  /** The port the API listens on inside the container (`PORT`): the API's own default. */
  INTERNAL_PORT: CONFIG_DEFAULTS.port,
  /** The host port the API is published on unless `hostPort` says otherwise. */
  DEFAULT_HOST_PORT: 8000,
} as const;

/**
 * The demo API as a service of the stack: the image built from `app/` on the pinned Node.js base image, its
 * healthcheck (Node's fetch: no curl or wget in the image), its metrics contract (so dashboards may query it), and
 * the hardened defaults of every service. `main.ts` adds it with `addService`, like any other service.
 * @throws ConfigError listing every invalid setting
 */
export function demoApiService(props: DemoApiProps): StackServiceOptions {
  throwIfProblems("Demo API", [
    ...apiServiceOptionProblems("", props),
    ...(props.buildContext.trim() === ""
      ? [{ path: "buildContext", message: `buildContext must be the path of the app/ folder (got "")` }]
      : []),
  ]);
  const options = resolveApiOptions(props);
  return {
    build: {
      context: props.buildContext,
      buildArgs: { NODE_IMAGE: options.image },
      ...(props.sourceHash !== undefined ? { sourceHash: props.sourceHash } : {}),
    },
    port: ApiService.INTERNAL_PORT,
    description: "The instrumented API",
    metricsPath: METRICS_PATH,
    metricNames: [...Object.values(HTTP_METRICS).flatMap(seriesNames), ...Object.values(RUNTIME_METRICS)],
    hostPort: options.hostPort,
    bindAddress: options.bindAddress,
    memoryMb: options.memoryMb,
    // The `node` user of the official Node.js images.
    user: "1000:1000",
    env: {
      HOST: "0.0.0.0",
      PORT: String(ApiService.INTERNAL_PORT),
      LOG_LEVEL: options.logLevel,
      NODE_ENV: "production",
    },
    tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
    healthcheck: { command: ["CMD", ...HEALTHCHECK_COMMAND], startPeriodSeconds: 10, waitTimeoutSeconds: 60 },
    healthEndpoint: { path: HEALTH_PATH },
  };
}

function resolveApiOptions(options: ApiServiceOptions): ResolvedServiceOptions & { readonly logLevel: string } {
  return {
    ...resolveServiceOptions(options, { hostPort: ApiService.DEFAULT_HOST_PORT, memoryMb: 256, image: IMAGES.node }),
    logLevel: options.logLevel ?? CONFIG_DEFAULTS.logLevel,
  };
}

/** Problems with the API settings, named under `path` (for example `api`). */
export function apiServiceOptionProblems(path: string, options: ApiServiceOptions): ConfigProblem[] {
  const resolved = resolveApiOptions(options);
  const problems = serviceOptionProblems(path, resolved);
  if (!(LOG_LEVELS as readonly string[]).includes(resolved.logLevel)) {
    problems.push({
      path: joinPath(path, "logLevel"),
      message: `${joinPath(path, "logLevel")} must be one of ${LOG_LEVELS.join(", ")} (got ${show(resolved.logLevel)})`,
    });
  }
  return problems;
}
