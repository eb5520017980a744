/**
 * Prometheus' version and the defaults of its settings: their one home. The props' `@default`s, the docs and the
 * tests read them from here.
 */

/** Prometheus' service name: its alias on the network and its job. */
export const PROMETHEUS_NAME = "prometheus";

/** The version of Prometheus the stack deploys and the tests run (Debian's build of it): 3.5 LTS. */
export const PROMETHEUS_VERSION = "3.5.3";

/** The defaults of {@link PrometheusOptions}, each in one place. */
export const PROMETHEUS_DEFAULTS = {
  image: `prom/prometheus:v${PROMETHEUS_VERSION}`,
  hostPort: 9090,
  memoryMb: 1024,
  retentionDays: 15,
  retentionSizeMb: 2048,
  /** Per-job limit of samples per scrape. */
  sampleLimit: 20000,
  /** Per-job limit of labels per sample. */
  labelLimit: 64,
  /** The scrape timeout is the smaller of this and the scrape interval. */
  maxScrapeTimeoutSeconds: 10,
  /** With extra hosts: the link outage whose samples still arrive (agents' WAL, the centre's out-of-order window). */
  outageCoverageHours: 4,
} as const;
