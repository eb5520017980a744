/**
 * The real servers the exporter components are proven against on this machine: PostgreSQL, Redis and NGINX from
 * Debian's archive (fetched by the project, see each exporter component's `binaries`), added to a test stack as
 * services that run as local processes (`localRun`), so the harness starts them like any other service and the
 * exporters reach them by their stack address (`ctx.addressOf("postgres:5432")`). Test-only: the stack never
 * deploys them (a team runs its own database); their images below are only what a container would use.
 */
import type { ServiceOptions } from "../../constructs/core/service";
import { POSTGRES_SERVER_VERSION } from "../../constructs/postgres-exporter/defaults";

/** The login the PostgreSQL server is initialized with and the exporter queries with. */
export const POSTGRES_TEST_USER = "monitor";

/**
 * PostgreSQL, initialized by `initdb` in the service's data folder with one login whose password is in
 * `passwordFile` (scram-sha-256 on TCP), listening on 127.0.0.1 only; as nobody when the harness is root.
 */
export function postgresServer(passwordFile: string): ServiceOptions {
  return {
    image: `postgres:${POSTGRES_SERVER_VERSION}`,
    port: 5432,
    localRun: {
      binary: "postgres",
      refusesRoot: true,
      before: (ctx) => [
        {
          binary: "postgres-initdb",
          args: [
            `--pgdata=${ctx.dataDir}/pgdata`,
            `--username=${POSTGRES_TEST_USER}`,
            `--pwfile=${passwordFile}`,
            "--auth=scram-sha-256",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
          ],
        },
      ],
      args: (ctx) => [
        "-D",
        `${ctx.dataDir}/pgdata`,
        "-c",
        `listen_addresses=${ctx.host}`,
        "-p",
        String(ctx.port),
        "-c",
        `unix_socket_directories=${ctx.dataDir}`,
        "-c",
        "fsync=off",
      ],
      readyPattern: /database system is ready to accept connections/,
    },
  };
}

/** Redis with a password (`requirepass`), a memory limit and no persistence, listening on 127.0.0.1 only. */
export function redisServer(password: string, maxMemoryMb: number): ServiceOptions {
  return {
    image: "redis:7.0.15",
    port: 6379,
    localRun: {
      binary: "redis-server",
      args: (ctx) => [
        "--bind",
        ctx.host,
        "--port",
        String(ctx.port),
        "--requirepass",
        password,
        "--maxmemory",
        `${maxMemoryMb}mb`,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        ctx.dataDir,
      ],
      readyPattern: /Ready to accept connections/,
    },
  };
}

/** NGINX's config for the harness: stub_status on `/stub_status`, everything it writes under its prefix. */
export function nginxConfig(port: number): string {
  return [
    "worker_processes 1;",
    "daemon off;",
    "pid nginx.pid;",
    "error_log stderr;",
    "events { worker_connections 64; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path body; proxy_temp_path proxy; fastcgi_temp_path fastcgi;",
    "  uwsgi_temp_path uwsgi; scgi_temp_path scgi;",
    `  server { listen 127.0.0.1:${port}; location = /stub_status { stub_status; } location / { return 200 "ok\\n"; } }`,
    "}",
    "",
  ].join("\n");
}

/** NGINX with the config at `configFile` ({@link nginxConfig}), its prefix in the service's data folder. */
export function nginxServer(configFile: string): ServiceOptions {
  return {
    image: "nginx:1.22.1",
    port: 8080,
    localRun: {
      binary: "nginx",
      args: (ctx) => ["-p", `${ctx.dataDir}/`, "-c", configFile, "-e", "stderr"],
    },
  };
}
