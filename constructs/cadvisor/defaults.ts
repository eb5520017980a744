/** cAdvisor's version and the defaults of its settings: their one home. */

/**
 * google/cadvisor. Debian has no cAdvisor, so this version is never run here (its queries are contract-tested against
 * its documented metric names). Its images moved from gcr.io/cadvisor to ghcr.io/google/cadvisor with 0.53.
 */
export const CADVISOR_VERSION = "0.60.5";

/** The defaults of `CadvisorOptions`, each in one place. */
export const CADVISOR_DEFAULTS = {
  image: `ghcr.io/google/cadvisor:v${CADVISOR_VERSION}`,
  memoryMb: 256,
} as const;
