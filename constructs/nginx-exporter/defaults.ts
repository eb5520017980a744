/** nginx-exporter's version, the NGINX server it is tested against, and the defaults of its settings. */

/** nginx/nginx-prometheus-exporter, as Debian unstable ships it (the tests run Debian's build of this version). */
export const NGINX_EXPORTER_VERSION = "1.5.1";

/**
 * The NGINX server the end-to-end suite runs the exporter against: Debian bookworm's nginx (the release whose
 * libraries this machine has). Not deployed by the stack: the team's own NGINX is.
 */
export const NGINX_SERVER_VERSION = "1.22.1";

/** The defaults of `NginxExporterOptions`, each in one place. */
export const NGINX_EXPORTER_DEFAULTS = {
  image: `nginx/nginx-prometheus-exporter:${NGINX_EXPORTER_VERSION}`,
  memoryMb: 64,
  /** Window of the dropped-connections rate, in seconds (raised to 4 scrape intervals). */
  rateWindowSeconds: 300,
  /** How long NginxDroppingConnections' condition must hold, in seconds (raised to 2 scrape intervals). */
  forSeconds: 120,
  /** How long NginxDown waits, in seconds (raised to 2 scrape intervals). */
  downForSeconds: 60,
} as const;
