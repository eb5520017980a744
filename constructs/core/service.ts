import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { isAbsolute } from "node:path";
import { ref } from "cdktf";
import { Construct } from "constructs";
import { ConfigImage } from "./config-image";
import type { GeneratedFile } from "./config-image-files";
import { HardeningRelaxations, hardenedContainerConfig, hostAddress, LOOPBACK } from "./container-defaults";
import { MonitoringNetwork } from "./network";
import { holdsSecret, secretArguments, valueHoldsSecret } from "./secrets";
import type { SeriesRule } from "../../dashboards/types";
import type { ScrapeTarget } from "./scrape-target";
import { SLO_RECORDED_SERIES, type RequestMetrics, type SloOptions } from "./slo";
import {
  ConfigProblem,
  checkBindAddress,
  checkDockerName,
  checkImage,
  checkIntegerInRange,
  checkPort,
  joinPath,
  ISelfValidating,
  show,
  validateItself,
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
  /**
   * The setting that chose `source`, as problems name it (`prometheus.dataVolumeName`), when a component derived the
   * mount from its own settings; `networkName` for a volume named after the network, which the network checks.
   * @default `<service>.mounts[<i>].source`
   */
  readonly setting?: string;
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
  /**
   * Whether the base `image` is a `docker_image` of its own (`Image`: pulled, kept on destroy) next to the image built
   * with the files (`ConfigImage`). With `false` the built image is the service's only one (`Image`) and its build
   * pulls the base itself (Prometheus and Alertmanager are built this way).
   * @default true
   */
  readonly pullBaseImage?: boolean;
}

/** Where Prometheus scrapes a service (see {@link ServiceOptions.metrics}). */
export interface ServiceMetrics {
  /** The port of the metrics endpoint inside the container. @default the service's `port` */
  readonly port?: number;
  /** HTTP path of the metrics endpoint. @default SERVICE_DEFAULTS.metricsPath */
  readonly path?: string;
}

/** The container healthcheck Terraform waits for. */
export interface ServiceHealthcheck {
  /** The command, run with the binaries inside the image (`["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]`). */
  readonly command: readonly string[];
  /** Time the service gets to start before failed checks count, in seconds. @default SERVICE_DEFAULTS.startPeriodSeconds */
  readonly startPeriodSeconds?: number;
  /** How long Terraform waits for the container to become healthy, in seconds. @default SERVICE_DEFAULTS.waitTimeoutSeconds */
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
  /**
   * The service's Prometheus metrics endpoint. `false`: it has none (a database, a cache, a web server: scrape it
   * through an exporter instead); no scrape job, nothing in TargetDown, and it is still probed when it has a
   * `healthEndpoint`. `{ port, path }` when the endpoint is not `port` and `/metrics`.
   * @default `{ port: <port>, path: SERVICE_DEFAULTS.metricsPath }`: one job named after the service
   * @example monitoring.addService("postgres", { image: "postgres:15.14", port: 5432, metrics: false })
   */
  readonly metrics?: false | ServiceMetrics;
  /**
   * Series names the service exposes (a histogram as its `_bucket`, `_count`, `_sum` series); dashboards may query
   * them. @default none: only the scrape series (`up`, ...) of its job are known
   */
  readonly metricNames?: readonly string[];
  /**
   * The service's request metrics (a request counter with a status label, a duration histogram with its buckets), as
   * its SLOs read them; every name must be in `metricNames`. @default none: an SLO needs custom queries
   */
  readonly requestMetrics?: RequestMetrics;
  /**
   * Service level objectives: rules `rules/slo-<name>.yml` (sloth's series, burn-rate page and ticket), promtool
   * cases and a row on the SLO dashboard. @default none
   * @example { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } }
   */
  readonly slo?: SloOptions;
  /**
   * Label values that queries over some of the service's series must leave out (the demo API's probe and scrape
   * endpoints in its traffic series); the dashboard lint enforces them. @default none
   */
  readonly seriesExclusions?: readonly SeriesRule[];
  /** The container healthcheck. @default none: Terraform does not wait for health (prefer giving one) */
  readonly healthcheck?: ServiceHealthcheck;
  /** The HTTP health endpoint probed from inside the network (by a prober such as the blackbox exporter). @default none: not probed */
  readonly healthEndpoint?: ServiceHealthEndpoint;
  /** Config files baked into the image (only with `image`). @default none: the image runs as pulled */
  readonly configFiles?: ServiceConfigFiles;
  /**
   * How many containers run: one job, one target per replica, aliases and container names `<name>-1` ... `<name>-n`.
   * @default SERVICE_DEFAULTS.replicas (alias `<name>`, container `<network>-<name>`)
   */
  readonly replicas?: number;
  /** Host port to publish the service on; replica i (from 0) publishes `hostPort + i`. @default not published */
  readonly hostPort?: number;
  /** Host address published ports bind to. @default SERVICE_DEFAULTS.bindAddress (loopback) */
  readonly bindAddress?: string;
  /** Memory limit per container in MiB (no swap on top). @default SERVICE_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** `uid:gid` the process runs as; root only with `relax.runAsRoot`. @default SERVICE_DEFAULTS.user (nobody) */
  readonly user?: string;
  /** Environment variables, in order. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** The container command. @default the image's */
  readonly command?: readonly string[];
  /** Host paths and named volumes to mount (a host folder read-only, a data volume). @default none */
  readonly mounts?: readonly ServiceMount[];
  /** Writable in-memory mounts (path to mount options). @default SERVICE_DEFAULTS.tmpfs (a small /tmp) */
  readonly tmpfs?: Readonly<Record<string, string>>;
  /** Hardening given up explicitly. @default none: read-only root, all capabilities dropped, non-root */
  readonly relax?: HardeningRelaxations;
  /**
   * How `npm run dev` and the end-to-end suites run the service as a process on 127.0.0.1, without Docker. A service
   * without one is reported "not run" there, and its target is down. @default none
   */
  readonly localRun?: ServiceLocalRun;
}

/** Where a process the harness starts listens, and where it finds the service's config files. */
export interface LocalRunContext {
  /** `127.0.0.1`. */
  readonly host: string;
  /** The free port it must listen on. */
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** The folder holding the service's {@link ServiceConfigFiles} (written by the harness), paths as rendered. */
  readonly configDir: string;
  /** An empty folder the process may write its data to. */
  readonly dataDir: string;
  /**
   * Where the harness reaches an address (`postgres:5432` -> `127.0.0.1:40123`): an exporter's target is another
   * service of the stack, on its loopback port; an address no service of the stack renders is returned as it is (a
   * host outside the stack, reached from this machine or not at all: then the exporter reports its server down).
   */
  readonly addressOf: (hostPort: string) => string;
}

/** A command the harness runs to completion before it starts a service (initializing a data folder). */
export interface LocalRunStep {
  /** The program, by name in the project's binary cache. */
  readonly binary: string;
  readonly args: readonly string[];
}

/** A service run as a local process (see {@link ServiceOptions.localRun}). */
export interface ServiceLocalRun {
  /**
   * The program, by name in the project's binary cache (Debian's builds, fetched at the versions the images pin), or
   * `demo-api` for the API built from `app/`.
   */
  readonly binary: string;
  /** Its arguments. */
  readonly args: (ctx: LocalRunContext) => readonly string[];
  /** Its environment besides `PATH`. @default none */
  readonly env?: (ctx: LocalRunContext) => Readonly<Record<string, string>>;
  /** What it prints once it serves. @default none: it serves once its port accepts connections */
  readonly readyPattern?: RegExp;
  /** Commands run to completion first, in order (PostgreSQL's `initdb`). @default none */
  readonly before?: (ctx: LocalRunContext) => readonly LocalRunStep[];
  /**
   * It refuses to run as root (PostgreSQL): when the harness runs as root, it (and its `before` steps) run as
   * `nobody`, owning its folder. @default false: as the harness' user
   */
  readonly refusesRoot?: boolean;
}

/** A service on a network. @example new Service(this, "Orders", { name: "orders", network, image, port: 8080 }) */
export interface ServiceProps extends ServiceOptions {
  /** The service's name: its job, its alias, the suffix of its container names. */
  readonly name: string;
  readonly network: MonitoringNetwork;
  /**
   * The folder of its config image's build context under `build/` (unique in the stack). @default the service's name
   */
  readonly buildDir?: string;
}

/** The defaults of {@link ServiceOptions}, each in one place. */
export const SERVICE_DEFAULTS = {
  replicas: 1,
  bindAddress: LOOPBACK,
  memoryMb: 256,
  /** nobody:nogroup. */
  user: "65534:65534",
  metricsPath: "/metrics",
  tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" } as Readonly<Record<string, string>>,
  startPeriodSeconds: 10,
  waitTimeoutSeconds: 60,
} as const;

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Whether `user` (`uid[:gid]`) runs as root: `root`, or a uid the runtime reads as 0 (`0`, `00`, `+0`). */
function isRootUser(user: string): boolean {
  const uid = user.split(":")[0].trim();
  return uid === "root" || (/^[+-]?\d+$/.test(uid) && Number(uid) === 0);
}
/** A container engine's socket: a bind mount of it hands the container the host. */
const ENGINE_SOCKET = /(^|\/)(docker|containerd|podman)\.sock$/;

/** Every option of {@link ServiceOptions}, for a plain-JavaScript caller whose misspelled option TypeScript cannot catch. */
const SERVICE_OPTION_NAMES: Readonly<Record<keyof ServiceOptions, true>> = {
  image: true,
  build: true,
  port: true,
  description: true,
  metrics: true,
  metricNames: true,
  requestMetrics: true,
  slo: true,
  seriesExclusions: true,
  healthcheck: true,
  healthEndpoint: true,
  configFiles: true,
  replicas: true,
  hostPort: true,
  bindAddress: true,
  memoryMb: true,
  user: true,
  env: true,
  command: true,
  mounts: true,
  tmpfs: true,
  relax: true,
  localRun: true,
};
/** What `addService` takes besides {@link ServiceOptions} (and takes off before the service sees them). */
const STACK_SERVICE_OPTION_NAMES: readonly string[] = ["host"];
/** Every option a caller of `addService` may give, as a typo's suggestions and its message list them. */
const KNOWN_OPTION_NAMES: readonly string[] = [...Object.keys(SERVICE_OPTION_NAMES), ...STACK_SERVICE_OPTION_NAMES];
/** What {@link ServiceProps} adds to the options, set by the stack itself. */
const SERVICE_PROP_NAMES: ReadonlySet<string> = new Set(["name", "network", "buildDir"]);

/** The options of {@link SERVICE_OPTION_NAMES} a misspelled `key` may have meant: same letters in another case, or one letter off. */
function meantOption(key: string): string | undefined {
  const names = KNOWN_OPTION_NAMES;
  const lower = key.toLowerCase();
  const sameCase = names.find((name) => name.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const close = (a: string, b: string): boolean => {
    if (Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const rest = (x: string, skip: number) => x.slice(i + skip);
    return rest(a, 1) === rest(b, 1) || rest(a, 1) === rest(b, 0) || rest(a, 0) === rest(b, 1);
  };
  return names.find((name) => close(name.toLowerCase(), lower));
}

/** Options the service does not have (a typo, in plain JavaScript), each with the option it may have meant. */
function unknownOptionProblems(path: string, options: ServiceOptions): ConfigProblem[] {
  return Object.keys(options)
    .filter((key) => !Object.hasOwn(SERVICE_OPTION_NAMES, key) && !SERVICE_PROP_NAMES.has(key))
    .map((key) => {
      const meant = meantOption(key);
      const at = joinPath(path, key);
      return {
        path: at,
        message: `${at} is not an option of a service${meant !== undefined ? `; did you mean ${meant}?` : ""} (options: ${KNOWN_OPTION_NAMES.join(", ")})`,
      };
    });
}

/** Every problem with a service's options, named under `path` (`orders`). */
export function serviceProblems(path: string, name: string, options: ServiceOptions): ConfigProblem[] {
  const at = (prop: string): string => joinPath(path, prop);
  const problems: ConfigProblem[] = [...unknownOptionProblems(path, options)];
  if (!NAME.test(name)) {
    problems.push({
      path: path === "" ? "name" : path,
      message: `${path === "" ? "name" : path}: the service name must start with a lowercase letter and contain only lowercase letters, digits and "-" (at most 40 characters) (got ${show(name)})`,
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
      message: `${at("build.context")} must be the path of a Docker build context (got ${show(options.build.context)})`,
    });
  }
  problems.push(...checkPort(at("port"), options.port));
  const replicas = options.replicas ?? SERVICE_DEFAULTS.replicas;
  problems.push(...checkIntegerInRange(at("replicas"), replicas, 1, 20));
  if (options.hostPort !== undefined) {
    const portProblems = checkPort(at("hostPort"), options.hostPort);
    problems.push(...portProblems);
    if (portProblems.length === 0 && Number.isInteger(replicas) && options.hostPort + replicas - 1 > 65535) {
      problems.push({
        path: at("hostPort"),
        message: `${at("hostPort")} + replicas - 1 must be at most 65535: replica i publishes hostPort + i (got ${options.hostPort} with ${replicas} replicas)`,
      });
    }
  }
  problems.push(...checkBindAddress(at("bindAddress"), options.bindAddress ?? SERVICE_DEFAULTS.bindAddress));
  problems.push(...checkIntegerInRange(at("memoryMb"), options.memoryMb ?? SERVICE_DEFAULTS.memoryMb, 64, 65536));
  const user = options.user ?? SERVICE_DEFAULTS.user;
  if (isRootUser(user) && options.relax?.runAsRoot !== true) {
    problems.push({
      path: at("user"),
      message: `${at("user")} must not be root: the stack runs every container as a non-root user (got ${show(user)}); use the image's own user, or set relax.runAsRoot: true to accept the risk`,
    });
  }
  (options.mounts ?? []).forEach((mount, i) => {
    const mountPath = at(`mounts[${i}]`);
    const sourcePath = mount.setting ?? `${mountPath}.source`;
    if (!mount.target.startsWith("/")) {
      problems.push({
        path: `${mountPath}.target`,
        message: `${mountPath}.target must be an absolute path in the container (got ${show(mount.target)})`,
      });
    }
    if (mount.type === "bind" && !mount.source.startsWith("/") && !mount.source.startsWith("${")) {
      problems.push({
        path: sourcePath,
        message: `${sourcePath} must be an absolute host path for a bind mount (got ${show(mount.source)})`,
      });
    }
    // A name derived from the network's (`setting: "networkName"`) is reported once, by the network.
    if (mount.type === "volume" && mount.setting !== "networkName") {
      problems.push(...checkDockerName(sourcePath, mount.source));
    }
  });
  if (options.healthcheck !== undefined && options.healthcheck.command.length === 0) {
    problems.push({
      path: at("healthcheck.command"),
      message: `${at("healthcheck.command")} must not be empty (got [])`,
    });
  }
  if (options.relax?.secretsInEnv !== true) {
    for (const [variable] of Object.entries(options.env ?? {}).filter(([name, value]) =>
      holdsSecret(name, String(value)),
    )) {
      problems.push({
        path: at(`env.${variable}`),
        message: `${at(`env.${variable}`)} looks like a secret: its value would be in cdk.tf.json, the Terraform state and docker inspect; mount it from a file (mounts, read-only) and pass the file's path (${variable}_FILE, if the image reads one), or set relax.secretsInEnv: true to accept that`,
      });
    }
  }
  if (options.relax?.secretsInArgs !== true) {
    const args: [string, readonly string[]][] = [
      [at("command"), options.command ?? []],
      [at("healthcheck.command"), options.healthcheck?.command ?? []],
    ];
    for (const [argsPath, list] of args) {
      for (const i of secretArguments(list)) {
        problems.push({
          path: `${argsPath}[${i}]`,
          message: `${argsPath}[${i}] looks like a secret: it would be in cdk.tf.json, the Terraform state and docker inspect; have the program read it from a mounted file (a --…-file flag, if it has one), or set relax.secretsInArgs: true to accept that`,
        });
      }
    }
    for (const [name, value] of Object.entries(options.build?.buildArgs ?? {})) {
      if (holdsSecret(name, String(value))) {
        problems.push({
          path: at(`build.buildArgs.${name}`),
          message: `${at(`build.buildArgs.${name}`)} looks like a secret: a build argument is in cdk.tf.json, the Terraform state and the image's history; give the build no secret (install from a registry that needs none, or vendor what it fetches), or set relax.secretsInArgs: true to accept that`,
        });
      }
    }
  }
  (options.mounts ?? []).forEach((mount, i) => {
    if (mount.type === "bind" && ENGINE_SOCKET.test(mount.source) && options.relax?.engineSocket !== true) {
      const sourcePath = mount.setting ?? at(`mounts[${i}].source`);
      problems.push({
        path: sourcePath,
        message: `${sourcePath} is a container engine's socket (got ${show(mount.source)}): whoever talks to it controls the host, even through a read-only mount; remove the mount, or set relax.engineSocket: true to accept the risk`,
      });
    }
  });
  if (options.healthcheck?.startPeriodSeconds !== undefined) {
    problems.push(
      ...checkIntegerInRange(at("healthcheck.startPeriodSeconds"), options.healthcheck.startPeriodSeconds, 0, 3600),
    );
  }
  if (options.healthcheck?.waitTimeoutSeconds !== undefined) {
    problems.push(
      ...checkIntegerInRange(at("healthcheck.waitTimeoutSeconds"), options.healthcheck.waitTimeoutSeconds, 1, 3600),
    );
  }
  problems.push(...metricsProblems(at("metrics"), options));
  if (options.healthEndpoint !== undefined) {
    if (!options.healthEndpoint.path.startsWith("/")) {
      problems.push({
        path: at("healthEndpoint.path"),
        message: `${at("healthEndpoint.path")} must start with "/" (got ${show(options.healthEndpoint.path)})`,
      });
    } else if (valueHoldsSecret(`http://x${options.healthEndpoint.path}`)) {
      problems.push({
        path: at("healthEndpoint.path"),
        message: `${at("healthEndpoint.path")} must not carry a secret in its query: the probed URL is in prometheus.yml, its image and every probe series' instance label; probe a path that needs none`,
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
  return problems;
}

/** Problems with `metrics` (under `path`), and with what it contradicts (`metricNames` without an endpoint). */
function metricsProblems(path: string, options: ServiceOptions): ConfigProblem[] {
  const metrics: unknown = options.metrics;
  if (metrics === undefined) return [];
  if (metrics === false) {
    const declared = options.metricNames ?? [];
    return declared.length > 0
      ? [
          {
            path,
            message: `${path} is false (no metrics endpoint), but metricNames declares ${declared.length} series (${show(declared.slice(0, 3))}${declared.length > 3 ? ", ..." : ""}) that nothing would scrape; remove metricNames, or give the endpoint as metrics: { port, path }`,
          },
        ]
      : [];
  }
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics)) {
    return [
      {
        path,
        message: `${path} must be false (the service has no metrics endpoint) or { port?, path? } (where Prometheus scrapes it) (got ${show(metrics)})`,
      },
    ];
  }
  const given = metrics as { readonly port?: unknown; readonly path?: unknown };
  const problems: ConfigProblem[] = [];
  const unknown = Object.keys(given).filter((key) => key !== "port" && key !== "path");
  if (unknown.length > 0) {
    problems.push({
      path,
      message: `${path} takes only port and path (got ${show(unknown)}); remove ${unknown.length === 1 ? "it" : "them"}`,
    });
  }
  if (given.port !== undefined) problems.push(...checkPort(joinPath(path, "port"), given.port as number));
  if (given.path !== undefined && (typeof given.path !== "string" || !given.path.startsWith("/"))) {
    problems.push({
      path: joinPath(path, "path"),
      message: `${joinPath(path, "path")} must be an HTTP path starting with "/" (got ${show(given.path)})`,
    });
  }
  return problems;
}

/**
 * A service the stack deploys: its image (pulled or built), `replicas` hardened containers on the network (read-only
 * root, all capabilities dropped, `no-new-privileges`, non-root, memory without swap, rotated logs, published ports on
 * 127.0.0.1), and one scrape target per replica, all in the job named after the service. It adds itself to the
 * network's registry, from which Prometheus, the probes, the dashboards' lint and the outputs learn what is deployed.
 *
 * It never throws on a bad setting: {@link configProblems} reports every one, and the stack reports them at synth
 * with every other problem, in one round.
 */
export class Service extends Construct implements ISelfValidating {
  /** The service's name, also its Prometheus job. */
  public readonly name: string;
  /** The Prometheus job scraping every replica; undefined with `metrics: false` (nothing scrapes it). */
  public readonly jobName: string | undefined;
  /** One target per replica, in replica order; none with `metrics: false`. */
  public readonly scrapeTargets: readonly ScrapeTarget[];
  /** The alias of each replica on the network. */
  public readonly aliases: readonly string[];
  /** URL of the first replica from the host, when the service is published. */
  public readonly hostUrl: string | undefined;
  /** One line about the service (its `<name>_url` output's description). */
  public readonly description: string;
  /** Series names the service exposes, as declared (with the series its SLOs record, when it declares any). */
  public readonly metricNames: readonly string[];
  /** The series names the service declares itself (its catalog). */
  public readonly catalog: readonly string[];
  /** Its request metrics, as declared. */
  public readonly requestMetrics: RequestMetrics | undefined;
  /** Its SLOs, as declared. */
  public readonly slo: SloOptions | undefined;
  /** Label values queries over its series must leave out, as declared. */
  public readonly seriesExclusions: readonly SeriesRule[];
  private readonly declaredHealthUrls: readonly string[];
  /** How the service runs as a local process, when it can. */
  public readonly localRun: ServiceLocalRun | undefined;
  /**
   * The service's `Image` resource: the pulled or built image; with `configFiles.pullBaseImage: false`, the image built
   * with the config files.
   */
  public readonly image: Image;
  /** The image with the config files baked in, when `configFiles` is given. */
  public readonly configImage: ConfigImage | undefined;
  /** Where the config files are baked in (`configFiles.targetDir`), when given. */
  public readonly configDir: string | undefined;
  /** The named volumes the service mounts (its data, kept across replacement and `destroy`). */
  public readonly volumeNames: readonly string[];
  /** One container per replica. */
  public readonly containers: readonly Container[];

  private readonly props: ServiceProps;

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    this.props = props;
    const givenReplicas = props.replicas ?? SERVICE_DEFAULTS.replicas;
    // An invalid count is reported by configProblems; one replica is built meanwhile, so nothing else fails first.
    const replicas = Number.isInteger(givenReplicas) && givenReplicas >= 1 && givenReplicas <= 20 ? givenReplicas : 1;
    const bindAddress = props.bindAddress ?? SERVICE_DEFAULTS.bindAddress;
    const metrics = props.metrics;
    this.name = props.name;
    this.jobName = metrics === false ? undefined : props.name;
    this.description = props.description ?? `The service ${props.name}`;
    this.catalog = [...(props.metricNames ?? [])];
    this.requestMetrics = props.requestMetrics;
    this.slo = props.slo;
    // What its SLO rules record reads the service's series: a query over them needs the service, as its own would.
    this.metricNames = props.slo !== undefined ? [...this.catalog, ...SLO_RECORDED_SERIES] : this.catalog;
    this.seriesExclusions = [...(props.seriesExclusions ?? [])];
    this.localRun = props.localRun;
    this.aliases = replicas === 1 ? [props.name] : range(replicas).map((i) => `${props.name}-${i + 1}`);
    this.scrapeTargets =
      metrics === false
        ? []
        : this.aliases.map((alias) => ({
            jobName: props.name,
            host: alias,
            port: metrics?.port ?? props.port,
            metricsPath: metrics?.path ?? SERVICE_DEFAULTS.metricsPath,
          }));
    const health = props.healthEndpoint;
    this.declaredHealthUrls =
      health === undefined
        ? []
        : this.aliases.map((alias) => `http://${alias}:${health.port ?? props.port}${health.path}`);
    this.hostUrl = props.hostPort !== undefined ? `http://${hostAddress(bindAddress)}:${props.hostPort}` : undefined;
    this.volumeNames = (props.mounts ?? []).filter((mount) => mount.type === "volume").map((mount) => mount.source);
    props.network.addService(this);

    const build = props.build;
    const configFiles = props.configFiles;
    this.configDir = configFiles?.targetDir;
    // The provider of the network's host: every resource of the service is created on that host's engine.
    const provider = props.network.provider;
    const onHost = provider !== undefined ? { provider } : {};
    const configImage = (id: string): ConfigImage =>
      new ConfigImage(this, id, {
        ...onHost,
        name: `${props.network.name}-${props.name}`,
        contextDir: `build/${props.buildDir ?? props.name}`,
        baseImage: props.image ?? "",
        targetDir: configFiles?.targetDir ?? "/",
        files: () => this.configFiles(),
      });
    if (configFiles !== undefined && configFiles.pullBaseImage === false && build === undefined) {
      this.configImage = configImage("Image");
      this.image = this.configImage.image;
    } else {
      this.image =
        build !== undefined
          ? new Image(this, "Image", {
              ...onHost,
              name: `${props.network.name}-${props.name}:local`,
              buildAttribute: {
                // The dockerfile stays relative: provider 3.6.2 (docker/cli GetContextFromLocalDir) first looks for it
                // in the working directory (the stack folder, which holds none; a test checks), then in the context; v4
                // looks in the context. An absolute dockerfile would defeat a .dockerignore's "!Dockerfile" trimming.
                context: isAbsolute(build.context) ? build.context : `${ref("path.cwd")}/${build.context}`,
                dockerfile: build.dockerfile ?? "Dockerfile",
                ...(build.buildArgs !== undefined ? { buildArgs: { ...build.buildArgs } } : {}),
              },
              ...(build.sourceHash !== undefined ? { triggers: { source_sha256: build.sourceHash } } : {}),
              keepLocally: false,
            })
          : new Image(this, "Image", { ...onHost, name: props.image ?? "", keepLocally: true });
      // The pulled image above: the build's FROM finds it locally.
      this.configImage = configFiles !== undefined ? configImage("ConfigImage") : undefined;
    }
    const runImage = this.configImage !== undefined ? this.configImage.image.imageId : this.image.imageId;

    this.containers = this.aliases.map((alias, i) => {
      const hostPort = props.hostPort !== undefined ? props.hostPort + i : undefined;
      // An invalid port is reported by configProblems; claiming it too would report it again as a clash.
      if (hostPort !== undefined && checkPort("", props.hostPort ?? 0).length === 0) {
        props.network.claimHostPort({ owner: `${props.name}.hostPort`, port: hostPort, bindAddress });
      }
      return new Container(this, replicas === 1 ? "Container" : `Container-${i + 1}`, {
        ...onHost,
        ...hardenedContainerConfig({
          name: `${props.network.name}-${alias}`,
          image: runImage,
          user: props.user ?? SERVICE_DEFAULTS.user,
          alias,
          // The network resource's name attribute, so Terraform creates the network first.
          networkName: props.network.network.name,
          internalPort: props.port,
          options: { hostPort, bindAddress, memoryMb: props.memoryMb ?? SERVICE_DEFAULTS.memoryMb },
          ...(props.command !== undefined ? { command: props.command } : {}),
          ...(props.env !== undefined
            ? { env: Object.entries(props.env).map(([key, value]) => `${key}=${value}`) }
            : {}),
          tmpfs: props.tmpfs ?? SERVICE_DEFAULTS.tmpfs,
          ...(props.healthcheck !== undefined ? { healthcheck: props.healthcheck.command } : {}),
          startPeriodSeconds: props.healthcheck?.startPeriodSeconds ?? SERVICE_DEFAULTS.startPeriodSeconds,
          waitTimeoutSeconds: props.healthcheck?.waitTimeoutSeconds ?? SERVICE_DEFAULTS.waitTimeoutSeconds,
          ...(props.relax !== undefined ? { relax: props.relax } : {}),
          ...(props.mounts !== undefined
            ? {
                mounts: props.mounts.map((mount) => ({
                  type: mount.type,
                  source: mount.source,
                  target: mount.target,
                  // A writable mount (a data volume) carries no read_only attribute: false is the provider's default.
                  ...((mount.readOnly ?? true) ? { readOnly: true } : {}),
                })),
              }
            : {}),
        }),
      });
    });
    validateItself(this);
  }

  /**
   * The HTTP health endpoint of each replica inside the network, in replica order, as probers see it (empty when none
   * is declared, or when the service cannot be probed without credentials).
   */
  public get healthUrls(): readonly string[] {
    return this.probedHealthUrls(this.declaredHealthUrls);
  }

  /** The declared health URLs a prober may use; a subclass whose endpoint needs credentials returns none. */
  protected probedHealthUrls(urls: readonly string[]): readonly string[] {
    return urls;
  }

  /** The config files baked into the image, paths relative to {@link configDir}, rendered now (empty without any). */
  public configFiles(): readonly GeneratedFile[] {
    return this.props.configFiles?.files() ?? [];
  }

  /** Every problem with the service's options, named under its name (`orders.replicas`). */
  public configProblems(): ConfigProblem[] {
    const replicas = this.props.replicas ?? SERVICE_DEFAULTS.replicas;
    const networkName = this.props.network.name;
    // Container names are `<network>-<name>[-i]`: checked only when both parts are valid, so that one bad name is
    // reported once (by the service, or by the network), not again through every container name.
    const longest = `${networkName}-${this.name}${replicas > 1 ? `-${replicas}` : ""}`;
    const containerName =
      NAME.test(this.name) && checkDockerName("", networkName).length === 0 && checkDockerName("", longest).length > 0
        ? [
            {
              path: this.name,
              message: `${this.name}: its container name ${show(longest)} (networkName, "-", the service name, and the replica number) is longer than Docker's 63 characters; shorten networkName or the service name`,
            },
          ]
        : [];
    return [...serviceProblems(this.name, this.name, this.props), ...containerName];
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
