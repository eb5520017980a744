import type { Service, ServiceMount, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import { CADVISOR_NAME, CADVISOR_SERIES } from "./catalog";
import { containersDashboard } from "./containers-dashboard";
import { CADVISOR_DEFAULTS } from "./defaults";

/**
 * cAdvisor: CPU, memory and network of every container on the Docker host. Opt-in (`CADVISOR_ENABLED=true`), because
 * it needs what no other service of the stack gets: it runs as root and privileged (every capability, every host
 * device, no seccomp/AppArmor confinement) to read every container's cgroups, and it mounts the host's `/`,
 * `/var/run` (the Docker socket's folder), `/sys`, `/var/lib/docker` and `/dev/disk` read-only. Anyone who controls
 * it controls the host. Debian has no cAdvisor, so it never runs here: its queries are tested against its documented
 * metric names only.
 */
export const Cadvisor = {
  /** Service name, alias and job. */
  NAME: CADVISOR_NAME,
  /** The port it listens on inside the network. */
  PORT: 8080,
  /** Its health endpoint. */
  HEALTH_PATH: "/healthz",
} as const;

/** Settings of cAdvisor. */
export interface CadvisorOptions {
  /** The image. @default CADVISOR_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default CADVISOR_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
}

/** The host folders cAdvisor reads, each mounted read-only (cAdvisor's documented `docker run`). */
export const CADVISOR_HOST_MOUNTS: readonly ServiceMount[] = [
  { type: "bind", source: "/", target: "/rootfs", readOnly: true },
  { type: "bind", source: "/var/run", target: "/var/run", readOnly: true },
  { type: "bind", source: "/sys", target: "/sys", readOnly: true },
  { type: "bind", source: "/var/lib/docker", target: "/var/lib/docker", readOnly: true },
  { type: "bind", source: "/dev/disk", target: "/dev/disk", readOnly: true },
];

/** cAdvisor as a service: root and privileged, explicitly relaxed; read-only root filesystem kept. */
export function cadvisorService(options: CadvisorOptions = {}): ServiceOptions {
  return {
    image: options.image ?? CADVISOR_DEFAULTS.image,
    port: Cadvisor.PORT,
    description: "Container metrics",
    memoryMb: options.memoryMb ?? CADVISOR_DEFAULTS.memoryMb,
    user: "0:0",
    relax: { runAsRoot: true, privileged: true },
    // Only Docker containers (not every cgroup of the host), without their labels as series labels (cardinality).
    command: ["--docker_only=true", "--store_container_labels=false", `--port=${Cadvisor.PORT}`],
    mounts: CADVISOR_HOST_MOUNTS,
    metricNames: CADVISOR_SERIES,
    healthEndpoint: { path: Cadvisor.HEALTH_PATH },
    healthcheck: {
      command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Cadvisor.PORT}${Cadvisor.HEALTH_PATH}`],
      startPeriodSeconds: 20,
    },
  };
}

/**
 * Adds cAdvisor and the Containers dashboard to `stack` through its public API.
 * @returns the service, or undefined when its options are invalid (reported at synth)
 */
export function addCadvisor(stack: MonitoringStackBase, options: CadvisorOptions = {}): Service | undefined {
  const service = stack.addService(Cadvisor.NAME, cadvisorService(options));
  // Its name is taken (reported at synth): its dashboard would only be reported again.
  if (service === undefined) return undefined;
  stack.addDashboard(containersDashboard);
  return service;
}
