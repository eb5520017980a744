import type { Service, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import { show, type ConfigProblem } from "../core/validation";
import { POSTGRES_EXPORTER_CATALOG, POSTGRES_EXPORTER_NAME } from "./catalog";
import { POSTGRES_EXPORTER_DEFAULTS } from "./defaults";
import { postgresDashboard } from "./postgres-dashboard";
import { PostgresAlertThresholds, postgresThresholdsProblems, renderPostgresAlertRules } from "./rules";
import { postgresRuleTests } from "./rules.cases";

/**
 * postgres_exporter: a PostgreSQL server's connections, transactions, cache, locks, sizes and settings, queried with
 * a login the team gives it. Added through the public API like any user's service, with the PostgreSQL alerts and
 * dashboard.
 *
 * The password never enters cdk.tf.json, the Terraform state or the container's environment: it stays in a file on
 * the Docker host (`passwordFile`), bind-mounted read-only into the container, which the exporter reads through its
 * `DATA_SOURCE_PASS_FILE` option. The environment holds only the server's address, database and user
 * (`DATA_SOURCE_URI`, `DATA_SOURCE_USER`). Hardened with no relaxation (nobody, read-only root, no capability).
 */
export const PostgresExporter = {
  /** Service name, alias and job. */
  NAME: POSTGRES_EXPORTER_NAME,
  /** The port it listens on inside the network. */
  PORT: 9187,
  /** Where the password file is mounted inside the container. */
  PASSWORD_PATH: "/run/secrets/postgres-exporter/password",
} as const;

/** PostgreSQL's `sslmode` values the exporter's driver (lib/pq) accepts. */
export const POSTGRES_SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;

/** Settings of postgres-exporter. @example addPostgresExporter(stack, { target: "postgres:5432", user: "monitor", passwordFile: "/etc/monitoring/postgres-password" }) */
export interface PostgresExporterOptions {
  /** The server, `host:port`: a service of the stack (`postgres:5432`) or a host the network reaches. */
  readonly target: string;
  /** The login it queries with (a role with `pg_monitor` is enough). @default POSTGRES_EXPORTER_DEFAULTS.user */
  readonly user?: string;
  /**
   * Absolute path, on the Docker host, of a file holding the login's password (nothing else; a trailing newline is
   * ignored), readable by uid 65534 and no other user (owner 65534 and `0400`, or group 65534 and `0640`). Mounted read-only; never in the
   * state. @default none: the server lets the login in without a password (trust, peer)
   */
  readonly passwordFile?: string;
  /** The database it connects to. @default POSTGRES_EXPORTER_DEFAULTS.database */
  readonly database?: string;
  /** lib/pq's `sslmode`. @default POSTGRES_EXPORTER_DEFAULTS.sslMode (the stack's private network) */
  readonly sslMode?: (typeof POSTGRES_SSL_MODES)[number];
  /** The image. @default POSTGRES_EXPORTER_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default POSTGRES_EXPORTER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Thresholds of the PostgreSQL alerts. @default POSTGRES_EXPORTER_DEFAULTS */
  readonly thresholds?: PostgresAlertThresholds;
}

/** The exporter's command-line flags, for the container and for the end-to-end suite's binary alike. */
export function postgresExporterFlags(listenAddress: string): string[] {
  return [`--web.listen-address=${listenAddress}`];
}

/**
 * The exporter's environment: the server (`DATA_SOURCE_URI`), the user, and the path of the password file; no
 * secret. `serverAddress`: where the exporter reaches the server (the target, or its loopback address here).
 */
export function postgresExporterEnv(
  options: PostgresExporterOptions,
  serverAddress: string,
  passwordPath: string | undefined,
): Record<string, string> {
  const d = POSTGRES_EXPORTER_DEFAULTS;
  return {
    DATA_SOURCE_URI: `${serverAddress}/${options.database ?? d.database}?sslmode=${options.sslMode ?? d.sslMode}`,
    DATA_SOURCE_USER: options.user ?? d.user,
    ...(passwordPath !== undefined ? { DATA_SOURCE_PASS_FILE: passwordPath } : {}),
  };
}

/** Problems with the options, named under `postgres-exporter.<setting>`. */
export function postgresExporterProblems(
  options: PostgresExporterOptions,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const name = PostgresExporter.NAME;
  const problems: ConfigProblem[] = [];
  if (typeof options.target !== "string" || !/^[A-Za-z0-9._-]+:\d{1,5}$/.test(options.target)) {
    problems.push({
      path: `${name}.target`,
      message: `${name}.target must be the PostgreSQL server as host:port, such as "postgres:5432" (got ${show(options.target)})`,
    });
  }
  if (options.passwordFile !== undefined && !options.passwordFile.startsWith("/")) {
    problems.push({
      path: `${name}.passwordFile`,
      message: `${name}.passwordFile must be an absolute path on the Docker host, such as "/etc/monitoring/postgres-password" (got ${show(options.passwordFile)})`,
    });
  }
  if (options.sslMode !== undefined && !(POSTGRES_SSL_MODES as readonly string[]).includes(options.sslMode)) {
    problems.push({
      path: `${name}.sslMode`,
      message: `${name}.sslMode must be one of ${POSTGRES_SSL_MODES.join(", ")} (got ${show(options.sslMode)})`,
    });
  }
  for (const key of ["user", "database"] as const) {
    const value = options[key];
    if (value !== undefined && !/^[A-Za-z0-9_.-]+$/.test(value)) {
      problems.push({
        path: `${name}.${key}`,
        message: `${name}.${key} must be a PostgreSQL name of letters, digits, _ . - (got ${show(value)})`,
      });
    }
  }
  return [...problems, ...postgresThresholdsProblems(`${name}.thresholds`, options.thresholds, scrapeIntervalSeconds)];
}

/** postgres-exporter as a service: hardened with no relaxation; the password file mounted read-only. */
export function postgresExporterService(options: PostgresExporterOptions): ServiceOptions {
  const passwordPath = options.passwordFile !== undefined ? PostgresExporter.PASSWORD_PATH : undefined;
  return {
    image: options.image ?? POSTGRES_EXPORTER_DEFAULTS.image,
    port: PostgresExporter.PORT,
    description: `PostgreSQL metrics of ${options.target}`,
    memoryMb: options.memoryMb ?? POSTGRES_EXPORTER_DEFAULTS.memoryMb,
    command: postgresExporterFlags(`:${PostgresExporter.PORT}`),
    env: postgresExporterEnv(options, options.target, passwordPath),
    // A relative path is reported once, as the passwordFile setting (not again as the mount's source).
    mounts:
      options.passwordFile?.startsWith("/") === true
        ? [{ type: "bind", source: options.passwordFile, target: PostgresExporter.PASSWORD_PATH, readOnly: true }]
        : [],
    metricNames: POSTGRES_EXPORTER_CATALOG,
    // The image is busybox-based: wget is there. The exporter has no health endpoint: its metrics page is the check.
    healthcheck: {
      command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${PostgresExporter.PORT}/metrics`],
    },
    // The binary on this machine, reaching the server where the harness runs it, reading the same password file.
    localRun: {
      binary: "postgres-exporter",
      args: (ctx) => postgresExporterFlags(ctx.address),
      env: (ctx) => postgresExporterEnv(options, ctx.addressOf(options.target), options.passwordFile),
      readyPattern: /Listening on/,
    },
  };
}

/**
 * Adds postgres-exporter to `stack` through its public API: the service, the PostgreSQL alerts (`rules/postgres.yml`,
 * with their promtool cases) and the PostgreSQL dashboard. Invalid options are reported at synth with every other
 * problem.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addPostgresExporter(stack: MonitoringStackBase, options: PostgresExporterOptions): Service | undefined {
  const service = stack.addService(PostgresExporter.NAME, postgresExporterService(options));
  if (service === undefined) return undefined;
  stack.reportProblems(...postgresExporterProblems(options, stack.scrapeIntervalSeconds));
  const input = (ctx: {
    readonly jobs: Readonly<Record<string, string>>;
    readonly scrapeIntervalSeconds: number;
    readonly runbookBaseUrl?: string;
  }) => ({
    jobName: ctx.jobs[PostgresExporter.NAME] ?? PostgresExporter.NAME,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.addAlertRules("postgres", (ctx) => renderPostgresAlertRules(input(ctx)), {
    tests: (ctx) => postgresRuleTests(input(ctx)),
  });
  stack.addDashboard(postgresDashboard);
  return service;
}
