/** The Prometheus component: the server the stack always creates, its config renderer, its rules and catalog. */
import type { ComponentInfo } from "../core/component";
import { SERVICE_DEFAULTS } from "../core/service";
import { PROMETHEUS_DEFAULTS, PROMETHEUS_VERSION } from "./defaults";

export * from "./catalog";
export * from "./exposition";
export * from "./config";
export * from "./defaults";
export * from "./existing";
export * from "./prometheus";
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
  ],
};
