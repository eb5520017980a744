/** The redis-exporter component (opt-in): a Redis server's metrics, its alerts and the Redis dashboard. */
import type { ComponentInfo } from "../core/component";
import { REDIS_EXPORTER_DEFAULTS, REDIS_EXPORTER_VERSION, REDIS_SERVER_VERSION } from "./defaults";
import { RedisExporterOptions, addRedisExporter } from "./redis-exporter";

export * from "./catalog";
export * from "./defaults";
export * from "./exposition";
export * from "./redis-dashboard";
export * from "./redis-exporter";
export {
  REDIS_ALERT_NAMES,
  redisThresholdsProblems,
  renderRedisAlertRules,
  resolveRedisThresholds,
  type RedisAlertRulesInput,
  type RedisAlertThresholds,
} from "./rules";
export { redisRuleTests } from "./rules.cases";

/** The redis-exporter component, as the registry lists it. */
export const redisExporterComponent: ComponentInfo = {
  name: "redis-exporter",
  summary: "redis_exporter (opt-in): a Redis server's memory, clients, commands, keyspace and persistence",
  images: { "redis-exporter": REDIS_EXPORTER_DEFAULTS.image },
  binaries: [
    {
      name: "redis-exporter",
      debianPackage: "prometheus-redis-exporter",
      fileNames: ["prometheus-redis-exporter", "redis_exporter"],
      version: REDIS_EXPORTER_VERSION,
      versionProbe: { args: ["--version"], pattern: /Redis Metrics Exporter v?(\d+\.\d+\.\d+)/ },
    },
    // The server the end-to-end suite runs the exporter against (the stack never deploys it). Debian's redis-server
    // package holds only the `redis-server -> redis-check-rdb` link; redis-tools the program; the two libraries it
    // links are not on every machine.
    {
      name: "redis-server",
      debianPackage: "redis-server",
      fileNames: ["redis-server"],
      version: REDIS_SERVER_VERSION,
      testedAgainst: true,
      suite: "bookworm",
      packagePath: "usr/bin/redis-server",
      withPackages: ["redis-tools", "liblzf1", "libjemalloc2"],
      versionProbe: { args: ["--version"], pattern: /Redis server v=(\d+\.\d+\.\d+)/ },
    },
  ],
  enabled: {
    variable: "REDIS_EXPORTER_ENABLED",
    default: false,
    description: "Deploy redis_exporter for one Redis server (REDIS_EXPORTER_TARGET), its alerts and dashboard",
  },
  settings: [
    { env: "REDIS_EXPORTER_TARGET", path: "target", kind: "string", description: "The Redis server, host:port" },
    {
      env: "REDIS_EXPORTER_PASSWORD_FILE",
      path: "passwordFile",
      kind: "string",
      description:
        'Absolute path on the Docker host of redis_exporter\'s password file, `{"redis://<target>": "<password>"}` (mounted read-only)',
    },
  ],
  add: (stack, options) => addRedisExporter(stack, options as unknown as RedisExporterOptions),
};
