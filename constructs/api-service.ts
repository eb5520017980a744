import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { isAbsolute } from "node:path";
import { ref } from "cdktf";
import { Construct } from "constructs";
import {
  ResolvedServiceOptions,
  ServiceOptions,
  hardenedContainerConfig,
  hostAddress,
  resolveServiceOptions,
  serviceOptionProblems,
} from "./container-defaults";
import { MonitoringNetwork } from "./network";
import { ScrapeTarget } from "./scrape-target";
import { ConfigProblem, joinPath, show, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";
import { CONFIG_DEFAULTS, LOG_LEVELS, LogLevel } from "../app/src/config";
import { HEALTHCHECK_COMMAND, METRICS_PATH } from "../app/src/probes";

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

/** The instrumented API, built from `app/`. @example new ApiService(this, "Api", { network, buildContext }) */
export interface ApiServiceProps extends ApiServiceOptions {
  readonly network: MonitoringNetwork;
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

/**
 * The API container: a `docker_image` built from `app/` and a hardened container on the stack's network, reachable
 * as `api:8000` inside it. Exposes its {@link ScrapeTarget} for Prometheus.
 */
export class ApiService extends Construct {
  /** The port the API listens on inside the container (`PORT`): the API's own default. */
  public static readonly INTERNAL_PORT = CONFIG_DEFAULTS.port;
  /** The API's alias on the network. */
  public static readonly ALIAS = "api";
  /** The Prometheus job scraping the API. */
  public static readonly JOB_NAME = "api";
  /** The host port the API is published on unless `hostPort` says otherwise. */
  public static readonly DEFAULT_HOST_PORT = 8000;

  /** Resolved settings. */
  public readonly options: ResolvedServiceOptions & { readonly logLevel: string };
  /** Where Prometheus scrapes the API. */
  public readonly scrapeTarget: ScrapeTarget;
  /** URL of the API inside the network. */
  public readonly internalUrl: string;
  /** URL of the API from the host. */
  public readonly hostUrl: string;
  /** The built image. */
  public readonly image: Image;
  /** The API container. */
  public readonly container: Container;

  constructor(scope: Construct, id: string, props: ApiServiceProps) {
    super(scope, id);
    this.options = resolveApiOptions(props);
    throwIfProblems(`ApiService "${id}"`, [
      ...apiServiceOptionProblems("", props),
      ...(props.buildContext.trim() === ""
        ? [{ path: "buildContext", message: `buildContext must be the path of the app/ folder (got "")` }]
        : []),
    ]);

    props.network.registerService(ApiService.ALIAS);
    this.scrapeTarget = {
      jobName: ApiService.JOB_NAME,
      host: ApiService.ALIAS,
      port: ApiService.INTERNAL_PORT,
      metricsPath: METRICS_PATH,
    };
    this.internalUrl = `http://${ApiService.ALIAS}:${ApiService.INTERNAL_PORT}`;
    this.hostUrl = `http://${hostAddress(this.options.bindAddress)}:${this.options.hostPort}`;

    this.image = new Image(this, "Image", {
      name: `${props.network.name}-api:local`,
      buildAttribute: {
        // `${path.cwd}/<relative>`: the provider resolves the context on the machine running Terraform, in the stack's
        // folder. The dockerfile stays the relative "Dockerfile": provider 3.6.2 (docker/cli GetContextFromLocalDir)
        // first looks for it in the working directory, which never holds one (a test checks), then in the context;
        // v4 looks in the context. An absolute dockerfile would defeat app/.dockerignore's "!Dockerfile" trimming.
        context: isAbsolute(props.buildContext) ? props.buildContext : `${ref("path.cwd")}/${props.buildContext}`,
        dockerfile: "Dockerfile",
        buildArgs: { NODE_IMAGE: this.options.image },
      },
      ...(props.sourceHash !== undefined ? { triggers: { source_sha256: props.sourceHash } } : {}),
      keepLocally: false,
    });

    this.container = new Container(
      this,
      "Container",
      hardenedContainerConfig({
        name: `${props.network.name}-api`,
        image: this.image.imageId,
        // The `node` user of the official Node.js images.
        user: "1000:1000",
        alias: ApiService.ALIAS,
        // The network resource's name attribute, so Terraform creates the network first.
        networkName: props.network.network.name,
        internalPort: ApiService.INTERNAL_PORT,
        options: this.options,
        env: [
          "HOST=0.0.0.0",
          `PORT=${ApiService.INTERNAL_PORT}`,
          `LOG_LEVEL=${this.options.logLevel}`,
          "NODE_ENV=production",
        ],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
        // The image's own HEALTHCHECK command: Node's fetch, no curl or wget in the image.
        healthcheck: ["CMD", ...HEALTHCHECK_COMMAND],
        startPeriodSeconds: 10,
        waitTimeoutSeconds: 60,
      }),
    );
  }
}

function resolveApiOptions(options: ApiServiceOptions): ResolvedServiceOptions & { readonly logLevel: string } {
  return {
    ...resolveServiceOptions(options, { hostPort: ApiService.DEFAULT_HOST_PORT, memoryMb: 256, image: IMAGES.node }),
    logLevel: options.logLevel ?? CONFIG_DEFAULTS.logLevel,
  };
}
