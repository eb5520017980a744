/** blackbox-exporter's version and the defaults of its settings: their one home. */

/** prometheus/blackbox_exporter, as Debian unstable ships it (the tests run Debian's build of this version). */
export const BLACKBOX_EXPORTER_VERSION = "0.28.0";

/** The defaults of `BlackboxExporterOptions`, each in one place. */
export const BLACKBOX_EXPORTER_DEFAULTS = {
  image: `prom/blackbox-exporter:v${BLACKBOX_EXPORTER_VERSION}`,
  memoryMb: 64,
  probeTimeoutSeconds: 5,
} as const;
