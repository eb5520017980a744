/** redis-exporter's version, the Redis server it is tested against, and the defaults of its settings. */

/** oliver006/redis_exporter, as Debian unstable ships it (the tests run Debian's build of this version). */
export const REDIS_EXPORTER_VERSION = "1.86.0";

/**
 * The Redis server the end-to-end suite runs the exporter against: Debian bookworm's redis-server (the release
 * whose libraries this machine has). Not deployed by the stack: the team's own Redis is.
 */
export const REDIS_SERVER_VERSION = "7.0.15";

/** The defaults of `RedisExporterOptions`, each in one place. */
export const REDIS_EXPORTER_DEFAULTS = {
  image: `oliver006/redis_exporter:v${REDIS_EXPORTER_VERSION}`,
  memoryMb: 64,
  /** Share of `maxmemory` in use above which RedisMemoryNearLimit fires. */
  memoryRatio: 0.9,
  /** How long a condition must hold before an alert fires, in seconds (raised to 2 scrape intervals). */
  forSeconds: 300,
  /** How long RedisDown waits, in seconds (raised to 2 scrape intervals). */
  downForSeconds: 60,
} as const;
