/** The node-exporter component: the host's metrics, its alerts and the Host dashboard. */
import type { ComponentInfo } from "../core/component";
import { NODE_EXPORTER_DEFAULTS, NODE_EXPORTER_VERSION } from "./defaults";
import { NodeExporterOptions, addNodeExporter } from "./node-exporter";

export * from "./catalog";
export * from "./exposition";
export * from "./defaults";
export * from "./host-dashboard";
export * from "./node-exporter";
export * from "./rules";
export { hostRuleTests } from "./rules.cases";

/** The node-exporter component, as the registry lists it. */
export const nodeExporterComponent: ComponentInfo = {
  name: "node-exporter",
  summary: "node-exporter: the host's CPU, memory, disks, filesystems and network",
  images: { "node-exporter": NODE_EXPORTER_DEFAULTS.image },
  binaries: [
    {
      name: "node-exporter",
      debianPackage: "prometheus-node-exporter",
      fileNames: ["prometheus-node-exporter", "node_exporter"],
      version: NODE_EXPORTER_VERSION,
    },
  ],
  enabled: "always",
  add: (stack, options) => addNodeExporter(stack, options as NodeExporterOptions),
};
