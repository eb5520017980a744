import { createHash } from "node:crypto";
import type { ContainerConfig, ContainerHealthcheck, ContainerMounts } from "@cdktf/provider-docker/lib/container";

/** Loopback: published ports are reachable from this host only unless a service opts out. */
export const LOOPBACK = "127.0.0.1";

/** The address to reach a published port from the host: loopback when the port is bound to every interface. */
export function hostAddress(bindAddress: string): string {
  return bindAddress === "0.0.0.0" ? LOOPBACK : bindAddress;
}

/** Everything that differs between the stack's containers; {@link hardenedContainerConfig} adds the rest. */
export interface ContainerSpec {
  /** Container name. */
  readonly name: string;
  /** Image id or reference to run. */
  readonly image: string;
  /** `uid:gid` the process runs as; never root. */
  readonly user: string;
  /** The service's alias on the network, also its `service` label. */
  readonly alias: string;
  readonly networkName: string;
  /** Port the process listens on inside the container. */
  readonly internalPort: number;
  /** Memory limit, and the host port to publish (none when `hostPort` is undefined) on `bindAddress`. */
  readonly options: { readonly bindAddress: string; readonly memoryMb: number; readonly hostPort?: number };
  /**
   * Docker healthcheck command, run with the binaries inside the image. Without one, Terraform does not wait for the
   * container to become healthy (it cannot).
   */
  readonly healthcheck?: readonly string[];
  /** Time the service gets to start before failed healthchecks count, in seconds. */
  readonly startPeriodSeconds: number;
  /** How long Terraform waits for the container to become healthy, in seconds. */
  readonly waitTimeoutSeconds: number;
  readonly command?: readonly string[];
  readonly env?: readonly string[];
  /** Writable in-memory mounts (path to mount options); the root filesystem is read-only. */
  readonly tmpfs?: Readonly<Record<string, string>>;
  readonly mounts?: readonly ContainerMounts[];
  /** Hardening the service gives up, explicitly. @default none: every default applies */
  readonly relax?: HardeningRelaxations;
}

/** The hardening defaults a service may give up, each explicitly; every one of them widens what an intruder can do. */
export interface HardeningRelaxations {
  /** A writable root filesystem instead of a read-only one. @default false */
  readonly writableRootFilesystem?: boolean;
  /** Linux capabilities added back after dropping all (`NET_BIND_SERVICE`). @default none */
  readonly addCapabilities?: readonly string[];
  /** Allow `user` to be root (`root`, or uid 0 however written: `0`, `00`, `+0`). @default false: root is refused */
  readonly runAsRoot?: boolean;
  /**
   * Run privileged: every capability, every host device, no seccomp/AppArmor confinement. Only for what cannot work
   * otherwise (cAdvisor reading every container's cgroups). @default false
   */
  readonly privileged?: boolean;
  /**
   * Accept `env` variables whose names say they hold a secret (`DB_PASSWORD`, `API_TOKEN`): their values end up in
   * cdk.tf.json, the Terraform state and `docker inspect`. @default false: such a variable is refused; mount the
   * secret from a file instead and pass its path (`DB_PASSWORD_FILE`)
   */
  readonly secretsInEnv?: boolean;
  /**
   * Accept `command`, `healthcheck.command` and `build.buildArgs` arguments that hold a secret (`--db.password=…`,
   * `-u admin:…`, a build argument named `NPM_TOKEN`): they end up in cdk.tf.json, the Terraform state and `docker
   * inspect` (build arguments in the image's history too). @default false: such an argument is refused; have the
   * program read the secret from a mounted file (`--db.password-file=/run/secrets/db`)
   */
  readonly secretsInArgs?: boolean;
  /**
   * Accept a bind mount of a container engine's socket (`/var/run/docker.sock`): whoever talks to it controls the host,
   * read-only or not. @default false: such a mount is refused
   */
  readonly engineSocket?: boolean;
}

/** Every container's log driver and its options: json-file, rotated at 10 MB, 3 files kept. */
const LOG_DRIVER = "json-file";
const LOG_OPTS: Readonly<Record<string, string>> = { "max-size": "10m", "max-file": "3" };

/** Seconds Docker waits after SIGTERM before it kills a container, on destroy and on every other stop. */
export const STOP_GRACE_SECONDS = 15;

/**
 * The container settings every service shares: read-only root filesystem, all capabilities dropped,
 * `no-new-privileges`, a non-root user, a memory limit without swap, rotated json-file logs, a healthcheck Terraform
 * waits for (when the service has one), `unless-stopped` restarts, a 15 s grace period to drain on every stop, the
 * published port bound to the configured address (loopback by default), and a label with the digest of the settings
 * the provider would not apply by itself, so that changing them replaces the container ({@link replaceOnChangeDigest}).
 * Terraform ignores the daemon's additions to the log options ({@link CONTAINER_IGNORE_CHANGES}).
 */
export function hardenedContainerConfig(spec: ContainerSpec): ContainerConfig {
  const healthcheck: ContainerHealthcheck | undefined =
    spec.healthcheck !== undefined ? hardenedHealthcheck(spec.healthcheck, spec.startPeriodSeconds) : undefined;
  return {
    name: spec.name,
    image: spec.image,
    user: spec.user,
    ...(spec.command !== undefined ? { command: [...spec.command] } : {}),
    ...(spec.env !== undefined ? { env: [...spec.env] } : {}),
    restart: "unless-stopped",
    mustRun: true,
    wait: spec.healthcheck !== undefined,
    waitTimeout: spec.waitTimeoutSeconds,
    // Docker stops with SIGTERM and waits this long before SIGKILL, on destroy (destroy_grace_seconds) and on every
    // other stop (stop_timeout: `docker stop`, a daemon restart; Docker's own default is 10 s). The services drain
    // within 10 s.
    destroyGraceSeconds: STOP_GRACE_SECONDS,
    stopTimeout: STOP_GRACE_SECONDS,
    readOnly: spec.relax?.writableRootFilesystem !== true,
    ...(spec.tmpfs !== undefined ? { tmpfs: { ...spec.tmpfs } } : {}),
    capabilities: {
      drop: ["ALL"],
      ...((spec.relax?.addCapabilities ?? []).length > 0 ? { add: [...(spec.relax?.addCapabilities ?? [])] } : {}),
    },
    securityOpts: ["no-new-privileges:true"],
    ...(spec.relax?.privileged === true ? { privileged: true } : {}),
    memory: spec.options.memoryMb,
    // Equal to memory: the container gets no swap, so the limit is real.
    memorySwap: spec.options.memoryMb,
    logDriver: LOG_DRIVER,
    logOpts: { ...LOG_OPTS },
    ...(healthcheck !== undefined ? { healthcheck } : {}),
    networksAdvanced: [{ name: spec.networkName, aliases: [spec.alias] }],
    ...(spec.options.hostPort !== undefined
      ? {
          ports: [
            {
              internal: spec.internalPort,
              external: spec.options.hostPort,
              ip: spec.options.bindAddress,
              protocol: "tcp",
            },
          ],
        }
      : {}),
    labels: containerLabels(spec.alias, { healthcheck, tmpfs: spec.tmpfs, logDriver: LOG_DRIVER, logOpts: LOG_OPTS }),
    ...(spec.mounts !== undefined ? { mounts: [...spec.mounts] } : {}),
    lifecycle: { ignoreChanges: [...CONTAINER_IGNORE_CHANGES] },
  };
}

/**
 * A whole number of seconds the way Go's `time.Duration.String()` writes it (`15s`, `1m0s`, `1h30m0s`): kreuzwerker/docker
 * 3.6.2 reads a container's healthcheck durations back into its state in that form, so a duration written any other
 * way (`60s`) differs from the state after every refresh and `cdktf diff` never comes back clean.
 */
export function dockerDuration(seconds: number): string {
  // A value that is no whole number of seconds is written as given: the service's checks refuse it, so synth fails
  // before it reaches cdk.tf.json.
  if (!Number.isInteger(seconds) || seconds < 0) return `${seconds}s`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}

/** The healthcheck every service with a command gets: every 10 s, 5 s timeout, 6 retries, after `startPeriodSeconds`. */
export function hardenedHealthcheck(command: readonly string[], startPeriodSeconds: number): ContainerHealthcheck {
  return {
    test: [...command],
    interval: dockerDuration(10),
    timeout: dockerDuration(5),
    retries: 6,
    startPeriod: dockerDuration(startPeriodSeconds),
  };
}

/**
 * The label carrying {@link replaceOnChangeDigest}: `labels` is ForceNew in kreuzwerker/docker 3.6.2's schema, so a
 * changed digest replaces the container.
 */
export const REPLACE_ON_CHANGE_LABEL = "org.monitoring-stack.replace-on-change-sha256";

/** The container settings kreuzwerker/docker 3.6.2 would not apply by itself, which {@link REPLACE_ON_CHANGE_LABEL} covers. */
export interface ReplaceOnChangeSettings {
  readonly healthcheck?: ContainerHealthcheck;
  readonly tmpfs?: Readonly<Record<string, string>>;
  readonly logDriver?: string;
  readonly logOpts?: Readonly<Record<string, string>>;
}

/**
 * SHA-256 of the settings a changed value of which kreuzwerker/docker 3.6.2 does not apply: `healthcheck` and `tmpfs`
 * are neither ForceNew nor handled by its update (kreuzwerker/terraform-provider-docker#988: the plan shows an update
 * that changes nothing), and `log_opts` is ignored ({@link CONTAINER_IGNORE_CHANGES}). Carried in a label, a change to
 * any of them replaces the container.
 */
export function replaceOnChangeDigest(settings: ReplaceOnChangeSettings): string {
  const sorted = (map: Readonly<Record<string, string>> | undefined): [string, string][] | null =>
    map === undefined ? null : Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const health = settings.healthcheck;
  const canonical = {
    healthcheck:
      health === undefined
        ? null
        : [
            health.test,
            health.interval ?? null,
            health.timeout ?? null,
            health.startPeriod ?? null,
            health.retries ?? null,
          ],
    tmpfs: sorted(settings.tmpfs),
    logDriver: settings.logDriver ?? null,
    logOpts: sorted(settings.logOpts),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/**
 * Attributes Terraform ignores when it compares a container's state with its configuration. `log_opts` is ForceNew,
 * and Docker adds the daemon's default log options (`log-opts` in daemon.json, when its default driver is the
 * container's) to the container's, which the provider reads back into the state: without this, every plan on such a
 * host would replace every container. A change to the stack's own log options still replaces the container, through
 * {@link REPLACE_ON_CHANGE_LABEL}.
 */
export const CONTAINER_IGNORE_CHANGES: readonly string[] = ["log_opts"];

/** The labels of a container: its service, and the digest of {@link replaceOnChangeDigest}. */
export function containerLabels(alias: string, settings: ReplaceOnChangeSettings): { label: string; value: string }[] {
  return [
    { label: "org.monitoring-stack.service", value: alias },
    { label: REPLACE_ON_CHANGE_LABEL, value: replaceOnChangeDigest(settings) },
  ];
}

/** A named volume mount: data that must survive container replacement (Docker creates the volume on first use). */
export function namedVolumeMount(volumeName: string, target: string): ContainerMounts {
  return { type: "volume", source: volumeName, target };
}
