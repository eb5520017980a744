import type { Service, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import { show, type ConfigProblem } from "../core/validation";
import { REDIS_EXPORTER_CATALOG, REDIS_EXPORTER_NAME } from "./catalog";
import { REDIS_EXPORTER_DEFAULTS } from "./defaults";
import { redisDashboard } from "./redis-dashboard";
import { RedisAlertThresholds, redisThresholdsProblems, renderRedisAlertRules } from "./rules";
import { redisRuleTests } from "./rules.cases";

/**
 * redis_exporter: a Redis server's memory, clients, commands, keyspace and persistence, read with `INFO`. Added
 * through the public API like any user's service, with the Redis alerts and dashboard.
 *
 * The password never enters cdk.tf.json, the Terraform state or the container's environment: it stays in
 * redis_exporter's own password file on the Docker host (`passwordFile`, a JSON object from the server's address
 * to its password: `{"redis://redis:6379": "..."}`), bind-mounted read-only and read through `--redis.password-file`.
 * Hardened with no relaxation. The upstream image is `FROM scratch` (no shell, no wget): it has no container
 * healthcheck; TargetDown covers it.
 */
export const RedisExporter = {
  /** Service name, alias and job. */
  NAME: REDIS_EXPORTER_NAME,
  /** The port it listens on inside the network. */
  PORT: 9121,
  /** Where the password file is mounted inside the container. */
  PASSWORD_PATH: "/run/secrets/redis-exporter/passwords.json",
} as const;

/** Settings of redis-exporter. @example addRedisExporter(stack, { target: "redis:6379", passwordFile: "/etc/monitoring/redis-passwords.json" }) */
export interface RedisExporterOptions {
  /** The server, `host:port`: a service of the stack (`redis:6379`) or a host the network reaches. */
  readonly target: string;
  /**
   * Absolute path, on the Docker host, of redis_exporter's password file: a JSON object from `redis://<target>` to
   * the password (`{"redis://redis:6379": "s3cret"}`), readable by uid 65534. Mounted read-only; never in the
   * state. @default none: the server asks for no password
   */
  readonly passwordFile?: string;
  /** The image. @default REDIS_EXPORTER_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default REDIS_EXPORTER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Thresholds of the Redis alerts. @default REDIS_EXPORTER_DEFAULTS */
  readonly thresholds?: RedisAlertThresholds;
}

/**
 * The exporter's command-line flags, for the container and for the end-to-end suite's binary alike: the server's
 * address as the password file keys it (`redis://<address>`), the password file, where it listens.
 */
export function redisExporterFlags(
  listenAddress: string,
  serverAddress: string,
  passwordPath: string | undefined,
): string[] {
  return [
    `--redis.addr=redis://${serverAddress}`,
    ...(passwordPath !== undefined ? [`--redis.password-file=${passwordPath}`] : []),
    `--web.listen-address=${listenAddress}`,
  ];
}

/** Problems with the options, named under `redis-exporter.<setting>`. */
export function redisExporterProblems(options: RedisExporterOptions, scrapeIntervalSeconds: number): ConfigProblem[] {
  const name = RedisExporter.NAME;
  const problems: ConfigProblem[] = [];
  if (typeof options.target !== "string" || !/^[A-Za-z0-9._-]+:\d{1,5}$/.test(options.target)) {
    problems.push({
      path: `${name}.target`,
      message: `${name}.target must be the Redis server as host:port, such as "redis:6379" (got ${show(options.target)})`,
    });
  }
  if (options.passwordFile !== undefined && !options.passwordFile.startsWith("/")) {
    problems.push({
      path: `${name}.passwordFile`,
      message: `${name}.passwordFile must be an absolute path on the Docker host, such as "/etc/monitoring/redis-passwords.json" (got ${show(options.passwordFile)})`,
    });
  }
  return [...problems, ...redisThresholdsProblems(`${name}.thresholds`, options.thresholds, scrapeIntervalSeconds)];
}

/** redis-exporter as a service: hardened with no relaxation; the password file mounted read-only. */
export function redisExporterService(options: RedisExporterOptions): ServiceOptions {
  const passwordPath = options.passwordFile !== undefined ? RedisExporter.PASSWORD_PATH : undefined;
  return {
    image: options.image ?? REDIS_EXPORTER_DEFAULTS.image,
    port: RedisExporter.PORT,
    description: `Redis metrics of ${options.target}`,
    memoryMb: options.memoryMb ?? REDIS_EXPORTER_DEFAULTS.memoryMb,
    command: redisExporterFlags(`:${RedisExporter.PORT}`, options.target, passwordPath),
    // A relative path is reported once, as the passwordFile setting (not again as the mount's source).
    mounts:
      options.passwordFile?.startsWith("/") === true
        ? [{ type: "bind", source: options.passwordFile, target: RedisExporter.PASSWORD_PATH, readOnly: true }]
        : [],
    metricNames: REDIS_EXPORTER_CATALOG,
    // The binary on this machine, reaching the server where the harness runs it, with the same password file (its
    // entry for the loopback address is the harness' to give).
    localRun: {
      binary: "redis-exporter",
      args: (ctx) => redisExporterFlags(ctx.address, ctx.addressOf(options.target), options.passwordFile),
      readyPattern: /Providing metrics at/,
    },
  };
}

/**
 * Adds redis-exporter to `stack` through its public API: the service, the Redis alerts (`rules/redis.yml`, with
 * their promtool cases) and the Redis dashboard. Invalid options are reported at synth with every other problem.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addRedisExporter(stack: MonitoringStackBase, options: RedisExporterOptions): Service | undefined {
  const service = stack.addService(RedisExporter.NAME, redisExporterService(options));
  if (service === undefined) return undefined;
  stack.reportProblems(...redisExporterProblems(options, stack.scrapeIntervalSeconds));
  const input = (ctx: {
    readonly jobs: Readonly<Record<string, string>>;
    readonly scrapeIntervalSeconds: number;
    readonly runbookBaseUrl?: string;
  }) => ({
    jobName: ctx.jobs[RedisExporter.NAME] ?? RedisExporter.NAME,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.addAlertRules("redis", (ctx) => renderRedisAlertRules(input(ctx)), {
    tests: (ctx) => redisRuleTests(input(ctx)),
  });
  stack.addDashboard(redisDashboard);
  return service;
}
