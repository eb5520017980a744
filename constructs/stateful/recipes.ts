/**
 * Ready settings for images that write: PostgreSQL and Redis as the stack runs every service (read-only root
 * filesystem, every capability dropped, `no-new-privileges`, a non-root user), with what they write given a place of
 * its own: the data folder on a named volume (kept across container replacement and `destroy`), runtime folders
 * (sockets, lock files) on tmpfs. Each runs as its image's own user (uid 999 in both official images), never root.
 *
 * The Docker suite proves the PostgreSQL recipe on a real engine: healthy, accepts a connection, keeps its data when
 * the container is replaced. See docs/services.md.
 */
import type { ServiceHealthcheck, ServiceMount, ServiceOptions } from "../core/service";
import { SERVICE_DEFAULTS } from "../core/service";

/** The PostgreSQL release the recipe pins and the Docker suite tests: the one Debian 12 (bookworm) ships. */
export const POSTGRES_VERSION = "15.18";
/** The Redis release the recipe pins: the one Debian 12 (bookworm) ships. */
export const REDIS_VERSION = "7.0.15";

/** How an image that writes runs hardened: its user, where it writes, how it says it is healthy. */
export interface StatefulRecipe {
  /** The pinned image (the official image's Debian 12 variant). */
  readonly image: string;
  /** The port it listens on. */
  readonly port: number;
  /** `uid:gid` of the image's own user. */
  readonly user: string;
  /** The folder it keeps its data in: a named volume, writable. */
  readonly dataPath: string;
  /** Folders it writes at runtime that need not survive a restart (sockets, pid and lock files): tmpfs, by path. */
  readonly tmpfs: Readonly<Record<string, string>>;
  /** The container healthcheck, with the image's own client. */
  readonly healthcheck: ServiceHealthcheck;
  /** Memory limit in MiB. */
  readonly memoryMb: number;
  /** Environment the image reads. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/** Where the PostgreSQL recipe mounts the superuser's password file (read by the image's `POSTGRES_PASSWORD_FILE`). */
export const POSTGRES_PASSWORD_PATH = "/run/secrets/postgres-password";

/** The recipes, by image: every setting in one place; {@link postgresService} and {@link redisService} apply them. */
export const STATEFUL_RECIPES = {
  /**
   * `postgres:<version>-bookworm`: user `postgres` (999:999); `PGDATA` /var/lib/postgresql/data on a volume (the
   * entrypoint runs initdb there on first start, and skips it when the volume holds a cluster); the socket and lock
   * file folder /var/run/postgresql on tmpfs; `pg_isready` as healthcheck. The image stops with SIGINT (fast
   * shutdown), within the stack's stop grace period.
   */
  postgres: {
    image: `postgres:${POSTGRES_VERSION}-bookworm`,
    port: 5432,
    user: "999:999",
    dataPath: "/var/lib/postgresql/data",
    tmpfs: { ...SERVICE_DEFAULTS.tmpfs, "/var/run/postgresql": "rw,noexec,nosuid,size=1m" },
    healthcheck: {
      command: ["CMD", "pg_isready", "--host=127.0.0.1", "--port=5432", "--username=postgres", "--quiet"],
      // initdb on the first start takes a few seconds.
      startPeriodSeconds: 30,
    },
    memoryMb: 512,
    env: { POSTGRES_PASSWORD_FILE: POSTGRES_PASSWORD_PATH },
  },
  /**
   * `redis:<version>-bookworm`: user `redis` (999:999); its working folder /data (RDB snapshots) on a volume;
   * `redis-cli ping` as healthcheck.
   */
  redis: {
    image: `redis:${REDIS_VERSION}-bookworm`,
    port: 6379,
    user: "999:999",
    dataPath: "/data",
    tmpfs: { ...SERVICE_DEFAULTS.tmpfs },
    healthcheck: { command: ["CMD", "redis-cli", "-h", "127.0.0.1", "ping"] },
    memoryMb: 256,
  },
} as const satisfies Readonly<Record<string, StatefulRecipe>>;

/** What every stateful service is given. */
export interface StatefulServiceOptions {
  /**
   * The named Docker volume holding the data (kept across replacement and `destroy`; `docker volume rm` deletes it).
   * @example "monitoring-postgres-data"
   */
  readonly dataVolumeName: string;
  /** The image, when another pinned tag of the same image. @default the recipe's */
  readonly image?: string;
  /** Memory limit in MiB. @default the recipe's */
  readonly memoryMb?: number;
  /** The setting that names the volume, as problems show it. @default `<service>.mounts[0].source` */
  readonly dataVolumeSetting?: string;
}

/**
 * A service from a recipe: the image's own user, the data folder on `dataVolumeName` (writable), the recipe's tmpfs,
 * its healthcheck, and `metrics: false` (a database has no /metrics: scrape it through its exporter). Everything else
 * is the hardened default; spread the result to add to it (`{ ...statefulService(...), hostPort: 5432 }`).
 */
export function statefulService(recipe: StatefulRecipe, options: StatefulServiceOptions): ServiceOptions {
  const data: ServiceMount = {
    type: "volume",
    source: options.dataVolumeName,
    target: recipe.dataPath,
    readOnly: false,
    ...(options.dataVolumeSetting !== undefined ? { setting: options.dataVolumeSetting } : {}),
  };
  return {
    image: options.image ?? recipe.image,
    port: recipe.port,
    metrics: false,
    user: recipe.user,
    memoryMb: options.memoryMb ?? recipe.memoryMb,
    mounts: [data],
    tmpfs: recipe.tmpfs,
    healthcheck: recipe.healthcheck,
    ...(recipe.env !== undefined ? { env: recipe.env } : {}),
  };
}

/** Settings of {@link postgresService}. */
export interface PostgresServiceOptions extends StatefulServiceOptions {
  /**
   * Absolute host path of the file holding the `postgres` superuser's password, mounted read-only (never in the
   * environment, nor in cdk.tf.json). The image's user reads it: `chown 999:999 <file>; chmod 0400 <file>`.
   */
  readonly passwordFile: string;
}

/**
 * PostgreSQL with {@link STATEFUL_RECIPES}.postgres: the password file mounted read-only at
 * {@link POSTGRES_PASSWORD_PATH} (the image's `POSTGRES_PASSWORD_FILE`), the rest as the recipe says.
 * @example monitoring.addService("postgres", postgresService({ dataVolumeName: "monitoring-postgres-data", passwordFile: "/etc/acme/postgres-password" }))
 */
export function postgresService(options: PostgresServiceOptions): ServiceOptions {
  const base = statefulService(STATEFUL_RECIPES.postgres, options);
  return {
    ...base,
    mounts: [
      ...(base.mounts ?? []),
      { type: "bind", source: options.passwordFile, target: POSTGRES_PASSWORD_PATH, readOnly: true },
    ],
    description: "PostgreSQL",
  };
}

/** The share of a Redis container's memory limit its `maxmemory` is: the rest is Redis' own overhead and forks. */
export const REDIS_MAXMEMORY_SHARE = 0.75;

/**
 * Redis with {@link STATEFUL_RECIPES}.redis and `maxmemory` at {@link REDIS_MAXMEMORY_SHARE} of the container's memory
 * limit (Redis answers writes with an OOM error when full, instead of the kernel killing the container; the Redis
 * exporter's RedisMemoryNearLimit reads it). It listens without a password on the stack's network only (nothing is
 * published unless you set `hostPort`): pair it with `addRedisExporter` without `passwordFile`.
 * @example monitoring.addService("redis", redisService({ dataVolumeName: "monitoring-redis-data" }))
 */
export function redisService(options: StatefulServiceOptions): ServiceOptions {
  const base = statefulService(STATEFUL_RECIPES.redis, options);
  const maxMemoryMb = Math.floor((base.memoryMb ?? STATEFUL_RECIPES.redis.memoryMb) * REDIS_MAXMEMORY_SHARE);
  return { ...base, command: ["redis-server", "--maxmemory", `${maxMemoryMb}mb`], description: "Redis" };
}
