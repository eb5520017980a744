/** The Grafana component: the UI the stack always creates, its datasource, dashboards' home, provider bindings. */
import type { ComponentInfo } from "../core/component";
import { SERVICE_DEFAULTS } from "../core/service";
import { GRAFANA_DEFAULTS } from "./defaults";

export * from "./catalog";
export * from "./datasource";
export * from "./defaults";
export * from "./existing";
export * from "./grafana";
export { ADMIN_PASSWORD_FILE_SETTING, GRAFANA_USER, type AdminPasswordFile } from "./password-file";
export * from "./provider";

/** The Grafana component, as the registry lists it. */
export const grafanaComponent: ComponentInfo = {
  name: "grafana",
  summary: "Grafana OSS with the Prometheus datasource and every dashboard",
  images: { grafana: GRAFANA_DEFAULTS.image },
  enabled: "stack",
  settings: [
    {
      env: "GRAFANA_HOST_PORT",
      path: "hostPort",
      kind: "integer",
      description: "Host port of Grafana; the Grafana provider uses it too",
      default: GRAFANA_DEFAULTS.hostPort,
    },
    {
      env: "GRAFANA_BIND_ADDRESS",
      path: "bindAddress",
      kind: "string",
      description: "Host address the Grafana port binds to",
      default: SERVICE_DEFAULTS.bindAddress,
    },
    {
      env: "GRAFANA_MEMORY_MB",
      path: "memoryMb",
      kind: "integer",
      description: "Grafana memory limit in MiB",
      default: GRAFANA_DEFAULTS.memoryMb,
    },
    {
      env: "GRAFANA_ADMIN_PASSWORD_FILE",
      path: "adminPasswordFile",
      kind: "string",
      description:
        "File holding the Grafana admin password, generated (mode 0600) when absent; relative to the project or absolute",
      default: GRAFANA_DEFAULTS.adminPasswordFile,
    },
  ],
};
