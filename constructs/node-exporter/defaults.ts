/** node-exporter's version and the defaults of its settings: their one home. */

/** prometheus/node_exporter, as Debian unstable ships it (the tests run Debian's build of this version). */
export const NODE_EXPORTER_VERSION = "1.11.1";

/** The defaults of `NodeExporterOptions`, each in one place. */
export const NODE_EXPORTER_DEFAULTS = {
  image: `prom/node-exporter:v${NODE_EXPORTER_VERSION}`,
  memoryMb: 64,
} as const;
