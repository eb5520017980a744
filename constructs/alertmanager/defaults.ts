/** Alertmanager's version and the defaults of its settings: their one home. */

/** The version of Alertmanager the stack deploys and the tests run (server and amtool). */
export const ALERTMANAGER_VERSION = "0.33.1";

/** The defaults of `AlertmanagerOptions`, each in one place. */
export const ALERTMANAGER_DEFAULTS = {
  image: `prom/alertmanager:v${ALERTMANAGER_VERSION}`,
  hostPort: 9093,
  memoryMb: 128,
} as const;
