/** The Prometheus component: the server the stack always creates, its config renderer, its rules and catalog. */
import type { ComponentInfo } from "../core/component";
import { SERVICE_DEFAULTS } from "../core/service";
import { PROMETHEUS_DEFAULTS, PROMETHEUS_VERSION } from "./defaults";
import { DEFAULT_REMOTE_WRITE_PASSWORD_FILE } from "./remote-write";

export * from "./agent";
export * from "./catalog";
export * from "./exposition";
export * from "./config";
export * from "./defaults";
export * from "./existing";
export * from "./host-silent";
export { hostSilentRuleTests } from "./host-silent.cases";
export * from "./prometheus";
export * from "./remote-write";
export * from "./rules";
export { prometheusRuleTests } from "./rules.cases";

/** The Prometheus component, as the registry lists it. */
export const prometheusComponent: ComponentInfo = {
  name: "prometheus",
  summary: "Prometheus 3.5 LTS: scrapes every deployed service, evaluates the rules",
  images: { prometheus: PROMETHEUS_DEFAULTS.image },
  binaries: [
    { name: "prometheus", debianPackage: "prometheus", fileNames: ["prometheus"], version: PROMETHEUS_VERSION },
    { name: "promtool", debianPackage: "promtool", fileNames: ["promtool"], version: PROMETHEUS_VERSION },
  ],
  enabled: "stack",
  settings: [
    {
      env: "PROMETHEUS_HOST_PORT",
      path: "hostPort",
      kind: "integer",
      description: "Host port of Prometheus",
      default: PROMETHEUS_DEFAULTS.hostPort,
    },
    {
      env: "PROMETHEUS_BIND_ADDRESS",
      path: "bindAddress",
      kind: "string",
      description: "Host address the Prometheus port binds to",
      default: SERVICE_DEFAULTS.bindAddress,
    },
    {
      env: "PROMETHEUS_MEMORY_MB",
      path: "memoryMb",
      kind: "integer",
      description: "Prometheus memory limit in MiB",
      default: PROMETHEUS_DEFAULTS.memoryMb,
    },
    {
      env: "PROMETHEUS_RETENTION_DAYS",
      path: "retentionDays",
      kind: "integer",
      description: "Days of samples Prometheus keeps",
      default: PROMETHEUS_DEFAULTS.retentionDays,
    },
    {
      env: "PROMETHEUS_RETENTION_SIZE_MB",
      path: "retentionSizeMb",
      kind: "integer",
      description: "TSDB size in MiB above which the oldest data is deleted",
      default: PROMETHEUS_DEFAULTS.retentionSizeMb,
    },
    {
      env: "PROMETHEUS_REMOTE_WRITE_URL",
      path: "remoteWriteUrl",
      kind: "string",
      description:
        "With MONITORING_HOSTS: the URL the agents remote-write to (unset: `http://<PROMETHEUS_BIND_ADDRESS>:<PROMETHEUS_HOST_PORT>/api/v1/write`, which needs a bind address the hosts reach)",
    },
    {
      env: "PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE",
      path: "remoteWritePasswordFile",
      kind: "string",
      description:
        "With MONITORING_HOSTS: the remote-write password file (basic auth of every request to Prometheus), owned by 65534, at the same path on every host; generated at synth when missing",
      default: DEFAULT_REMOTE_WRITE_PASSWORD_FILE,
    },
    {
      env: "PROMETHEUS_OUTAGE_COVERAGE_HOURS",
      path: "outageCoverageHours",
      kind: "integer",
      description:
        "With MONITORING_HOSTS: the link outage whose samples still arrive (each agent's WAL retention, the central out-of-order window)",
      default: PROMETHEUS_DEFAULTS.outageCoverageHours,
    },
  ],
};
