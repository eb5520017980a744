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
  /** Allow `user` to be root (`0`, `root`). @default false: root is refused */
  readonly runAsRoot?: boolean;
  /**
   * Run privileged: every capability, every host device, no seccomp/AppArmor confinement. Only for what cannot work
   * otherwise (cAdvisor reading every container's cgroups). @default false
   */
  readonly privileged?: boolean;
}

/** Seconds Docker waits after SIGTERM before it kills a container, on destroy and on every other stop. */
export const STOP_GRACE_SECONDS = 15;

/**
 * The container settings every service shares: read-only root filesystem, all capabilities dropped,
 * `no-new-privileges`, a non-root user, a memory limit without swap, rotated json-file logs, a healthcheck Terraform
 * waits for (when the service has one), `unless-stopped` restarts, a 15 s grace period to drain on every stop, the
 * published port bound to the configured address (loopback by default), and a label with the healthcheck's digest so
 * that changing the healthcheck replaces the container ({@link healthcheckDigest}).
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
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
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
    labels: [
      { label: "org.monitoring-stack.service", value: spec.alias },
      ...(healthcheck !== undefined ? [{ label: HEALTHCHECK_LABEL, value: healthcheckDigest(healthcheck) }] : []),
    ],
    ...(spec.mounts !== undefined ? { mounts: [...spec.mounts] } : {}),
  };
}

/** The healthcheck every service with a command gets: every 10 s, 5 s timeout, 6 retries, after `startPeriodSeconds`. */
export function hardenedHealthcheck(command: readonly string[], startPeriodSeconds: number): ContainerHealthcheck {
  return { test: [...command], interval: "10s", timeout: "5s", retries: 6, startPeriod: `${startPeriodSeconds}s` };
}

/** The label carrying {@link healthcheckDigest}: a changed healthcheck changes it, and a label change replaces. */
export const HEALTHCHECK_LABEL = "org.monitoring-stack.healthcheck-sha256";

/**
 * SHA-256 of a healthcheck's settings. kreuzwerker/docker 3.6.2 plans a changed `healthcheck` as an in-place update
 * that changes nothing (kreuzwerker/terraform-provider-docker#988); `labels` is ForceNew in its schema, so carrying
 * this digest in a label makes a healthcheck change replace the container instead.
 */
export function healthcheckDigest(healthcheck: ContainerHealthcheck): string {
  const canonical = [
    healthcheck.test,
    healthcheck.interval ?? null,
    healthcheck.timeout ?? null,
    healthcheck.startPeriod ?? null,
    healthcheck.retries ?? null,
  ];
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/** A named volume mount: data that must survive container replacement (Docker creates the volume on first use). */
export function namedVolumeMount(volumeName: string, target: string): ContainerMounts {
  return { type: "volume", source: volumeName, target };
}
