import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { isAbsolute } from "node:path";
import { ref } from "cdktf";
import { Construct } from "constructs";
import { ConfigImage } from "./config-image";
import type { GeneratedFile } from "./config-image-files";
import { HardeningRelaxations, hardenedContainerConfig, hostAddress, LOOPBACK } from "./container-defaults";
import { MonitoringNetwork } from "./network";
import type { ScrapeTarget } from "./scrape-target";
import {
  ConfigProblem,
  checkBindAddress,
  checkDockerName,
  checkImage,
  checkIntegerInRange,
  checkPort,
  joinPath,
  show,
  throwIfProblems,
} from "./validation";

/** A Docker build: the image is built from `context` at deploy. */
export interface ServiceBuild {
  /**
   * The Docker build context: an absolute path, used as given, or a path relative to the stack's folder
   * (`cdktf.out/stacks/<stack>`, where Terraform runs), written as `${path.cwd}/<path>` so cdk.tf.json does not depend
   * on where the checkout lives.
   */
  readonly context: string;
  /** The Dockerfile, relative to the context. @default "Dockerfile" */
  readonly dockerfile?: string;
  /** Build arguments (`--build-arg`). @default none */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Digest of the context's inputs; a change rebuilds the image and replaces the containers. @default no trigger */
  readonly sourceHash?: string;
}

/** A mount into every container of a service. */
export interface ServiceMount {
  /** `bind`: a host path (absolute); `volume`: a named Docker volume (kept across replacement and `destroy`). */
  readonly type: "bind" | "volume";
  /** The host path or the volume name. */
  readonly source: string;
  /** The absolute path inside the container. */
  readonly target: string;
  /** Mounted read-only. @default true: a service writes only where it says so */
  readonly readOnly?: boolean;
}

/**
 * The HTTP endpoint that says whether a service is healthy: the stack's blackbox exporter probes it from inside the
 * network (`http://<alias>:<port><path>`, every replica), so a service answering 5xx there shows up and alerts.
 */
export interface ServiceHealthEndpoint {
  /** HTTP path (`/health`). */
  readonly path: string;
  /** Port inside the container. @default the service's `port` */
  readonly port?: number;
}

/**
 * Generated config files baked into the service's image (a `docker_image` built FROM `image` at deploy, as Prometheus'
 * config is), so the root filesystem stays read-only and nothing is mounted from the host.
 */
export interface ServiceConfigFiles {
  /** Absolute folder inside the image the files are copied to (`/etc/blackbox_exporter`). */
  readonly targetDir: string;
  /** The files, paths relative to `targetDir`, rendered at synth. */
  readonly files: () => readonly GeneratedFile[];
}

/** The container healthcheck Terraform waits for. */
export interface ServiceHealthcheck {
  /** The command, run with the binaries inside the image (`["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]`). */
  readonly command: readonly string[];
  /** Time the service gets to start before failed checks count, in seconds. @default 10 */
  readonly startPeriodSeconds?: number;
  /** How long Terraform waits for the container to become healthy, in seconds. @default 60 */
  readonly waitTimeoutSeconds?: number;
}

/**
 * Any container the stack deploys and scrapes: from a pinned image or a build context, hardened by default, scraped by
 * one Prometheus job whatever the number of replicas.
 * @example monitoring.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, replicas: 2 })
 */
export interface ServiceOptions {
  /** The image to run, pinned to a version tag. Give exactly one of `image` and `build`. @default none */
  readonly image?: string;
  /** Build the image at deploy instead. Give exactly one of `image` and `build`. @default none */
  readonly build?: ServiceBuild;
  /** The port the service listens on inside the container. */
  readonly port: number;
  /** One line about the service: the description of its `<name>_url` stack output. @default "The service <name>" */
  readonly description?: string;
  /** The port of the metrics endpoint inside the container. @default `port` */
  readonly metricsPort?: number;
  /** HTTP path of the metrics endpoint. @default "/metrics" */
  readonly metricsPath?: string;
  /**
   * Series names the service exposes (a histogram as its `_bucket`, `_count`, `_sum` series); dashboards may query
   * them. @default none: only the scrape series (`up`, ...) of its job are known
   */
  readonly metricNames?: readonly string[];
  /** The container healthcheck. @default none: Terraform does not wait for health (prefer giving one) */
  readonly healthcheck?: ServiceHealthcheck;
  /** The HTTP health endpoint probed from inside the network (blackbox exporter). @default none: not probed */
  readonly healthEndpoint?: ServiceHealthEndpoint;
  /** Config files baked into the image (only with `image`). @default none: the image runs as pulled */
  readonly configFiles?: ServiceConfigFiles;
  /**
   * How many containers run: one job, one target per replica, aliases and container names `<name>-1` ... `<name>-n`.
   * @default 1 (alias `<name>`, container `<network>-<name>`)
   */
  readonly replicas?: number;
  /** Host port to publish the service on; replica i (from 0) publishes `hostPort + i`. @default not published */
  readonly hostPort?: number;
  /** Host address published ports bind to. @default "127.0.0.1" */
  readonly bindAddress?: string;
  /** Memory limit per container in MiB (no swap on top). @default 256 */
  readonly memoryMb?: number;
  /** `uid:gid` the process runs as; root only with `relax.runAsRoot`. @default "65534:65534" (nobody) */
  readonly user?: string;
  /** Environment variables, in order. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** The container command. @default the image's */
  readonly command?: readonly string[];
  /** Host paths and named volumes to mount (node-exporter's `/proc`, a data volume). @default none */
  readonly mounts?: readonly ServiceMount[];
  /** Writable in-memory mounts (path to mount options). @default { "/tmp": "rw,noexec,nosuid,size=16m" } */
  readonly tmpfs?: Readonly<Record<string, string>>;
  /** Hardening given up explicitly. @default none: read-only root, all capabilities dropped, non-root */
  readonly relax?: HardeningRelaxations;
}

/** A service on a network. @example new Service(this, "Orders", { name: "orders", network, image, port: 8080 }) */
export interface ServiceProps extends ServiceOptions {
  /** The service's name: its job, its alias, the suffix of its container names. */
  readonly name: string;
  readonly network: MonitoringNetwork;
}

const DEFAULT_TMPFS: Readonly<Record<string, string>> = { "/tmp": "rw,noexec,nosuid,size=16m" };
const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const ROOT_USER = /^(0|root)(:.*)?$/;

/** Every problem with a service's options, named under `path` (`orders`). */
export function serviceProblems(path: string, name: string, options: ServiceOptions): ConfigProblem[] {
  const at = (prop: string): string => joinPath(path, prop);
  const problems: ConfigProblem[] = [];
  if (!NAME.test(name)) {
    problems.push({
      path,
      message: `${path}: the service name must start with a lowercase letter and contain only lowercase letters, digits and "-" (at most 40 characters) (got ${show(name)})`,
    });
  }
  if ((options.image === undefined) === (options.build === undefined)) {
    problems.push({
      path: at("image"),
      message: `${at("image")} / ${at("build")}: give exactly one of them, a pinned image or a build context (got ${options.image === undefined ? "neither" : "both"})`,
    });
  }
  if (options.image !== undefined) problems.push(...checkImage(at("image"), options.image));
  if (options.build !== undefined && options.build.context.trim() === "") {
    problems.push({
      path: at("build.context"),
      message: `${at("build.context")} must be the path of a Docker build context (got "")`,
    });
  }
  problems.push(...checkPort(at("port"), options.port));
  const replicas = options.replicas ?? 1;
  problems.push(...checkIntegerInRange(at("replicas"), replicas, 1, 20));
  if (options.hostPort !== undefined) {
    problems.push(...checkPort(at("hostPort"), options.hostPort));
    if (Number.isInteger(replicas) && options.hostPort + replicas - 1 > 65535) {
      problems.push({
        path: at("hostPort"),
        message: `${at("hostPort")} + replicas - 1 must be at most 65535: replica i publishes hostPort + i (got ${options.hostPort} with ${replicas} replicas)`,
      });
    }
  }
  problems.push(...checkBindAddress(at("bindAddress"), options.bindAddress ?? LOOPBACK));
  problems.push(...checkIntegerInRange(at("memoryMb"), options.memoryMb ?? 256, 64, 65536));
  const user = options.user ?? "65534:65534";
  if (ROOT_USER.test(user) && options.relax?.runAsRoot !== true) {
    problems.push({
      path: at("user"),
      message: `${at("user")} must not be root: the stack runs every container as a non-root user (got ${show(user)}); use the image's own user, or set relax.runAsRoot: true to accept the risk`,
    });
  }
  (options.mounts ?? []).forEach((mount, i) => {
    const mountPath = at(`mounts[${i}]`);
    if (!mount.target.startsWith("/")) {
      problems.push({
        path: `${mountPath}.target`,
        message: `${mountPath}.target must be an absolute path in the container (got ${show(mount.target)})`,
      });
    }
    if (mount.type === "bind" && !mount.source.startsWith("/")) {
      problems.push({
        path: `${mountPath}.source`,
        message: `${mountPath}.source must be an absolute host path for a bind mount (got ${show(mount.source)})`,
      });
    }
    if (mount.type === "volume") problems.push(...checkDockerName(`${mountPath}.source`, mount.source));
  });
  if (options.healthcheck !== undefined && options.healthcheck.command.length === 0) {
    problems.push({
      path: at("healthcheck.command"),
      message: `${at("healthcheck.command")} must not be empty (got [])`,
    });
  }
  if (options.metricsPort !== undefined) problems.push(...checkPort(at("metricsPort"), options.metricsPort));
  if (options.healthEndpoint !== undefined) {
    if (!options.healthEndpoint.path.startsWith("/")) {
      problems.push({
        path: at("healthEndpoint.path"),
        message: `${at("healthEndpoint.path")} must start with "/" (got ${show(options.healthEndpoint.path)})`,
      });
    }
    if (options.healthEndpoint.port !== undefined) {
      problems.push(...checkPort(at("healthEndpoint.port"), options.healthEndpoint.port));
    }
  }
  if (options.configFiles !== undefined) {
    if (options.build !== undefined) {
      problems.push({
        path: at("configFiles"),
        message: `${at("configFiles")} needs a pinned image to bake the files into (got a build context); copy the files in your Dockerfile instead`,
      });
    }
    if (!options.configFiles.targetDir.startsWith("/")) {
      problems.push({
        path: at("configFiles.targetDir"),
        message: `${at("configFiles.targetDir")} must be an absolute path in the image (got ${show(options.configFiles.targetDir)})`,
      });
    }
  }
  const metricsPath = options.metricsPath ?? "/metrics";
  if (!metricsPath.startsWith("/")) {
    problems.push({
      path: at("metricsPath"),
      message: `${at("metricsPath")} must start with "/" (got ${show(metricsPath)})`,
    });
  }
  return problems;
}

/**
 * A service the stack deploys: its image (pulled or built), `replicas` hardened containers on the network (read-only
 * root, all capabilities dropped, `no-new-privileges`, non-root, memory without swap, rotated logs, published ports on
 * 127.0.0.1), and one scrape target per replica, all in the job named after the service.
 */
export class Service extends Construct {
  /** The service's name, also its Prometheus job. */
  public readonly name: string;
  /** The Prometheus job scraping every replica. */
  public readonly jobName: string;
  /** One target per replica, in replica order. */
  public readonly scrapeTargets: readonly ScrapeTarget[];
  /** The alias of each replica on the network. */
  public readonly aliases: readonly string[];
  /** URL of the first replica from the host, when the service is published. */
  public readonly hostUrl: string | undefined;
  /** Series names the service exposes, as declared. */
  public readonly metricNames: readonly string[];
  /** The HTTP health endpoint of each replica inside the network, in replica order (empty when none is declared). */
  public readonly healthUrls: readonly string[];
  /** The image, pulled or built. */
  public readonly image: Image;
  /** The image with the config files baked in, when `configFiles` is given. */
  public readonly configImage: ConfigImage | undefined;
  /** Where the config files are baked in (`configFiles.targetDir`), when given. */
  public readonly configDir: string | undefined;

  private readonly renderConfigFiles: (() => readonly GeneratedFile[]) | undefined;
  /** One container per replica. */
  public readonly containers: readonly Container[];

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    throwIfProblems(`Service "${props.name}"`, [
      ...serviceProblems("", props.name, props),
      ...checkDockerName("name", `${props.network.name}-${props.name}`),
    ]);
    const replicas = props.replicas ?? 1;
    const bindAddress = props.bindAddress ?? LOOPBACK;
    const metricsPort = props.metricsPort ?? props.port;
    this.name = props.name;
    this.jobName = props.name;
    this.metricNames = [...(props.metricNames ?? [])];
    this.aliases = replicas === 1 ? [props.name] : range(replicas).map((i) => `${props.name}-${i + 1}`);
    this.scrapeTargets = this.aliases.map((alias) => ({
      jobName: this.jobName,
      host: alias,
      port: metricsPort,
      metricsPath: props.metricsPath ?? "/metrics",
    }));
    const health = props.healthEndpoint;
    this.healthUrls =
      health === undefined
        ? []
        : this.aliases.map((alias) => `http://${alias}:${health.port ?? props.port}${health.path}`);
    this.hostUrl = props.hostPort !== undefined ? `http://${hostAddress(bindAddress)}:${props.hostPort}` : undefined;

    const build = props.build;
    this.image =
      build !== undefined
        ? new Image(this, "Image", {
            name: `${props.network.name}-${props.name}:local`,
            buildAttribute: {
              // The dockerfile stays relative: provider 3.6.2 (docker/cli GetContextFromLocalDir) first looks for it in
              // the working directory (the stack folder, which holds none; a test checks), then in the context; v4
              // looks in the context. An absolute dockerfile would defeat a .dockerignore's "!Dockerfile" trimming.
              context: isAbsolute(build.context) ? build.context : `${ref("path.cwd")}/${build.context}`,
              dockerfile: build.dockerfile ?? "Dockerfile",
              ...(build.buildArgs !== undefined ? { buildArgs: { ...build.buildArgs } } : {}),
            },
            ...(build.sourceHash !== undefined ? { triggers: { source_sha256: build.sourceHash } } : {}),
            keepLocally: false,
          })
        : new Image(this, "Image", { name: props.image ?? "", keepLocally: true });
    const configFiles = props.configFiles;
    this.configDir = configFiles?.targetDir;
    this.renderConfigFiles = configFiles?.files;
    this.configImage =
      configFiles !== undefined
        ? new ConfigImage(this, "ConfigImage", {
            name: `${props.network.name}-${props.name}`,
            // The pulled image above: the build's FROM finds it locally.
            baseImage: props.image ?? "",
            contextDir: `build/${props.name}`,
            targetDir: configFiles.targetDir,
            files: configFiles.files,
          })
        : undefined;
    const runImage = this.configImage !== undefined ? this.configImage.image.imageId : this.image.imageId;

    this.containers = this.aliases.map((alias, i) => {
      const owner = props.name;
      props.network.registerService(alias, owner);
      const hostPort = props.hostPort !== undefined ? props.hostPort + i : undefined;
      if (hostPort !== undefined)
        props.network.claimHostPort({ owner: `${owner}.hostPort`, port: hostPort, bindAddress });
      return new Container(
        this,
        replicas === 1 ? "Container" : `Container-${i + 1}`,
        hardenedContainerConfig({
          name: `${props.network.name}-${alias}`,
          image: runImage,
          user: props.user ?? "65534:65534",
          alias,
          // The network resource's name attribute, so Terraform creates the network first.
          networkName: props.network.network.name,
          internalPort: props.port,
          options: { hostPort, bindAddress, memoryMb: props.memoryMb ?? 256 },
          ...(props.command !== undefined ? { command: props.command } : {}),
          ...(props.env !== undefined
            ? { env: Object.entries(props.env).map(([key, value]) => `${key}=${value}`) }
            : {}),
          tmpfs: props.tmpfs ?? DEFAULT_TMPFS,
          ...(props.healthcheck !== undefined ? { healthcheck: props.healthcheck.command } : {}),
          startPeriodSeconds: props.healthcheck?.startPeriodSeconds ?? 10,
          waitTimeoutSeconds: props.healthcheck?.waitTimeoutSeconds ?? 60,
          ...(props.relax !== undefined ? { relax: props.relax } : {}),
          ...(props.mounts !== undefined
            ? {
                mounts: props.mounts.map((mount) => ({
                  type: mount.type,
                  source: mount.source,
                  target: mount.target,
                  readOnly: mount.readOnly ?? true,
                })),
              }
            : {}),
        }),
      );
    });
  }

  /** The config files baked into the image, paths relative to {@link configDir}, rendered now (empty without any). */
  public configFiles(): readonly GeneratedFile[] {
    return this.renderConfigFiles?.() ?? [];
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
