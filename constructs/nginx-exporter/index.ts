/** The nginx-exporter component (opt-in): an NGINX server's connections and requests, its alerts and dashboard. */
import type { ComponentInfo } from "../core/component";
import { NGINX_EXPORTER_DEFAULTS, NGINX_EXPORTER_VERSION, NGINX_SERVER_VERSION } from "./defaults";
import { NginxExporterOptions, addNginxExporter } from "./nginx-exporter";

export * from "./catalog";
export * from "./defaults";
export * from "./exposition";
export * from "./nginx-dashboard";
export * from "./nginx-exporter";
export * from "./rules";
export { nginxRuleTests } from "./rules.cases";

/** The nginx-exporter component, as the registry lists it. */
export const nginxExporterComponent: ComponentInfo = {
  name: "nginx-exporter",
  summary: "nginx-prometheus-exporter (opt-in): an NGINX server's connections and requests, from its stub_status",
  images: { "nginx-exporter": NGINX_EXPORTER_DEFAULTS.image },
  binaries: [
    {
      name: "nginx-exporter",
      debianPackage: "prometheus-nginx-exporter",
      fileNames: ["prometheus-nginx-exporter", "nginx-prometheus-exporter"],
      version: NGINX_EXPORTER_VERSION,
    },
    // The server the end-to-end suite runs the exporter against (the stack never deploys it).
    {
      name: "nginx",
      debianPackage: "nginx",
      fileNames: ["nginx"],
      version: NGINX_SERVER_VERSION,
      testedAgainst: true,
      suite: "bookworm",
      packagePath: "usr/sbin/nginx",
      versionProbe: { args: ["-v"], pattern: /nginx version: nginx\/(\d+\.\d+\.\d+)/ },
    },
  ],
  enabled: {
    variable: "NGINX_EXPORTER_ENABLED",
    default: false,
    description: "Deploy nginx-prometheus-exporter for one NGINX (NGINX_EXPORTER_STATUS_URL), its alerts and dashboard",
  },
  settings: [
    {
      env: "NGINX_EXPORTER_STATUS_URL",
      path: "statusUrl",
      kind: "string",
      description: "NGINX's stub_status page, http://host:port/path",
    },
  ],
  add: (stack, options) => addNginxExporter(stack, options as unknown as NginxExporterOptions),
};
