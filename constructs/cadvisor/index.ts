/** The cAdvisor component (opt-in): every container's CPU, memory and network, and the Containers dashboard. */
import type { ComponentInfo } from "../core/component";
import { CadvisorOptions, addCadvisor } from "./cadvisor";
import { CADVISOR_DEFAULTS } from "./defaults";

export * from "./cadvisor";
export * from "./catalog";
export * from "./containers-dashboard";
export * from "./defaults";

/** The cAdvisor component, as the registry lists it. */
export const cadvisorComponent: ComponentInfo = {
  name: "cadvisor",
  summary: "cAdvisor (opt-in; root and privileged): CPU, memory and network of every container",
  images: { cadvisor: CADVISOR_DEFAULTS.image },
  enabled: {
    variable: "CADVISOR_ENABLED",
    default: false,
    description:
      "Deploy cAdvisor (container metrics; runs as root and privileged, see Host access) and the Containers dashboard",
  },
  add: (stack, options) => addCadvisor(stack, options as CadvisorOptions),
};
