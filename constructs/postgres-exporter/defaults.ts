/** postgres-exporter's version, the PostgreSQL server it is tested against, and the defaults of its settings. */

/** prometheus-community/postgres_exporter, as Debian unstable ships it (the tests run Debian's build of this version). */
export const POSTGRES_EXPORTER_VERSION = "0.19.1";

/**
 * The PostgreSQL server the end-to-end suite runs the exporter against: Debian bookworm's postgresql-15 (the
 * release whose libraries this machine has; unstable's PostgreSQL 18 needs a newer C library). Not deployed by the
 * stack: the team's own database is.
 */
export const POSTGRES_SERVER_VERSION = "15.18";

/** The defaults of `PostgresExporterOptions`, each in one place. */
export const POSTGRES_EXPORTER_DEFAULTS = {
  image: `quay.io/prometheuscommunity/postgres-exporter:v${POSTGRES_EXPORTER_VERSION}`,
  memoryMb: 64,
  user: "postgres",
  database: "postgres",
  /** Inside the stack's private Docker network; `verify-full` for a server reached over another network. */
  sslMode: "disable",
  /** Share of `max_connections` in use above which PostgresConnectionsNearLimit fires. */
  connectionsRatio: 0.8,
  /** How long a condition must hold before an alert fires, in seconds (raised to 2 scrape intervals). */
  forSeconds: 300,
  /** How long PostgresDown waits, in seconds (raised to 2 scrape intervals). */
  downForSeconds: 60,
} as const;
