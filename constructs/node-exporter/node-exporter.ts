import type { Service, ServiceMount, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import { NODE_EXPORTER_CATALOG, NODE_EXPORTER_NAME } from "./catalog";
import { NODE_EXPORTER_DEFAULTS } from "./defaults";
import { hostDashboard } from "./host-dashboard";
import { HostAlertThresholds, hostAlertRulesProblems, renderHostAlertRules } from "./rules";
import { hostRuleTests } from "./rules.cases";

/**
 * node-exporter: the host's CPU, memory, disks, filesystems and network, read from the host's `/proc`, `/sys` and
 * root filesystem mounted read-only. Added through the public API like any user's service, with the host alert rules
 * and the Host dashboard.
 *
 * What it needs from the host, and nothing more: read-only bind mounts of `/proc` (CPU, memory, disk I/O, load),
 * `/sys` (devices, network interfaces) and `/` (filesystem sizes and read-only state). It runs as `nobody` with a
 * read-only root filesystem, every capability dropped and `no-new-privileges`: no relaxation. It stays on the
 * stack's network (Prometheus scrapes it by alias, nothing is published), so its network counters are those of its
 * own network namespace, not the host's interfaces (the host's would need `network_mode: host`, which takes it off
 * the network).
 */
export const NodeExporter = {
  /** Service name, alias and job. */
  NAME: NODE_EXPORTER_NAME,
  /** The port it listens on inside the network. */
  PORT: 9100,
  /** Where the host's `/proc`, `/sys` and `/` are mounted inside the container. */
  HOST_PATHS: { procfs: "/host/proc", sysfs: "/host/sys", rootfs: "/host/root" },
} as const;

/** Settings of node-exporter. @example addNodeExporter(stack, { thresholds: { cpuBusyRatio: 0.95 } }) */
export interface NodeExporterOptions {
  /** The image. @default NODE_EXPORTER_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default NODE_EXPORTER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Thresholds of the host alerts. @default DEFAULT_HOST_ALERT_THRESHOLDS */
  readonly thresholds?: HostAlertThresholds;
}

/**
 * node-exporter's command-line flags, for the container and for the end-to-end suite's binary alike. `hostPaths`:
 * where the host's `/proc`, `/sys` and `/` are (the container's mounts); omitted, the process' own (a binary on the
 * host). The systemd collector is off: there is no D-Bus in a container (Debian's build turns it on, upstream's off).
 */
export function nodeExporterFlags(
  listenAddress: string,
  hostPaths?: { readonly procfs: string; readonly sysfs: string; readonly rootfs: string },
): string[] {
  return [
    `--web.listen-address=${listenAddress}`,
    ...(hostPaths !== undefined
      ? [`--path.procfs=${hostPaths.procfs}`, `--path.sysfs=${hostPaths.sysfs}`, `--path.rootfs=${hostPaths.rootfs}`]
      : []),
    "--no-collector.systemd",
  ];
}

/** The host folders node-exporter reads, each mounted read-only. */
export const NODE_EXPORTER_HOST_MOUNTS: readonly ServiceMount[] = [
  { type: "bind", source: "/proc", target: NodeExporter.HOST_PATHS.procfs, readOnly: true },
  { type: "bind", source: "/sys", target: NodeExporter.HOST_PATHS.sysfs, readOnly: true },
  { type: "bind", source: "/", target: NodeExporter.HOST_PATHS.rootfs, readOnly: true },
];

/** node-exporter as a service: the host mounts read-only, hardened with no relaxation. */
export function nodeExporterService(options: NodeExporterOptions = {}): ServiceOptions {
  return {
    image: options.image ?? NODE_EXPORTER_DEFAULTS.image,
    port: NodeExporter.PORT,
    description: "Host metrics",
    memoryMb: options.memoryMb ?? NODE_EXPORTER_DEFAULTS.memoryMb,
    command: nodeExporterFlags(`:${NodeExporter.PORT}`, NodeExporter.HOST_PATHS),
    mounts: NODE_EXPORTER_HOST_MOUNTS,
    metricNames: NODE_EXPORTER_CATALOG,
    // The image is busybox-based: wget is there. node-exporter has no /-/healthy: its metrics page is the check.
    healthcheck: {
      command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${NodeExporter.PORT}/metrics`],
    },
    // The binary on this machine reads the machine's own /proc, /sys and / (no host mounts), unprivileged.
    localRun: { binary: "node-exporter", args: (ctx) => nodeExporterFlags(ctx.address), readyPattern: /Listening on/ },
  };
}

/**
 * Adds node-exporter to `stack` through its public API: the service, the host alert rules (`rules/host.yml`, with
 * their promtool cases) and the Host dashboard. Invalid thresholds are reported at synth with every other problem.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addNodeExporter(stack: MonitoringStackBase, options: NodeExporterOptions = {}): Service | undefined {
  const service = stack.addService(NodeExporter.NAME, nodeExporterService(options));
  // Its name is taken (reported at synth): its rules and dashboard would only be reported again.
  if (service === undefined) return undefined;
  const input = (ctx: {
    readonly jobs: Readonly<Record<string, string>>;
    readonly scrapeIntervalSeconds: number;
    readonly runbookBaseUrl?: string;
  }) => ({
    jobName: ctx.jobs[NodeExporter.NAME] ?? NodeExporter.NAME,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.reportProblems(
    ...hostAlertRulesProblems(
      {
        jobName: NodeExporter.NAME,
        scrapeIntervalSeconds: stack.scrapeIntervalSeconds,
        ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
      },
      NodeExporter.NAME,
    ),
  );
  stack.addAlertRules("host", (ctx) => renderHostAlertRules(input(ctx)), { tests: (ctx) => hostRuleTests(input(ctx)) });
  // Every extra host gets its own, scraped by that host's agent: the same job, told apart by the `host` label.
  stack.onEveryHost((host) =>
    stack.addService(NodeExporter.NAME, { ...nodeExporterService(options), host: host.name }),
  );
  stack.addDashboard(hostDashboard);
  return service;
}
