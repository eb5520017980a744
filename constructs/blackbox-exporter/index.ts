/** The blackbox-exporter component: probes every health endpoint, its alert and the Service health dashboard. */
import type { ComponentInfo } from "../core/component";
import { BlackboxExporterOptions, addBlackboxExporter } from "./blackbox-exporter";
import { BLACKBOX_EXPORTER_DEFAULTS, BLACKBOX_EXPORTER_VERSION } from "./defaults";

export * from "./blackbox-exporter";
export * from "./catalog";
export * from "./defaults";
export * from "./probes-dashboard";
export * from "./rules";
export { probeRuleTests } from "./rules.cases";

/** The blackbox-exporter component, as the registry lists it. */
export const blackboxExporterComponent: ComponentInfo = {
  name: "blackbox-exporter",
  summary: "blackbox-exporter: probes the health endpoint of every service from inside the network",
  images: { "blackbox-exporter": BLACKBOX_EXPORTER_DEFAULTS.image },
  binaries: [
    {
      name: "blackbox-exporter",
      debianPackage: "prometheus-blackbox-exporter",
      fileNames: ["prometheus-blackbox-exporter", "blackbox_exporter"],
      version: BLACKBOX_EXPORTER_VERSION,
    },
  ],
  enabled: "always",
  add: (stack, options) => addBlackboxExporter(stack, options as BlackboxExporterOptions),
};
