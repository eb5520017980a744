/**
 * The database and web-server exporter components (postgres-exporter, redis-exporter, nginx-exporter) as synthesized:
 * one call each (or one variable each, through main.ts), hardened containers, secrets only as read-only file mounts
 * (never in cdk.tf.json, the state or the environment), their rule files and dashboards, and one `fails when ...`
 * test per validation rule. Their end-to-end proof with the real servers is `exporters-e2e.test.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { addNginxExporter, NGINX_UID, NginxExporter } from "../constructs/nginx-exporter";
import {
  addPostgresExporter,
  POSTGRES_EXPORTER_DEFAULTS,
  POSTGRES_UID,
  PostgresExporter,
} from "../constructs/postgres-exporter";
import { addRedisExporter, REDIS_UID, RedisExporter } from "../constructs/redis-exporter";
import { ConfigError } from "../constructs/core/validation";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import * as library from "../constructs/index";
import { ALL_COMPONENTS_ENV, containerNamed, newTestStack, synthMonitoringStack } from "./support/stack";

const dir = mkdtempSync(join(tmpdir(), "exporter-components-"));
const POSTGRES_SECRET = "pg-secret-never-in-state-7f3a";
const REDIS_SECRET = "redis-secret-never-in-state-91c2";
const postgresPasswordFile = join(dir, "postgres-password");
const redisPasswordFile = join(dir, "redis-passwords.json");
writeFileSync(postgresPasswordFile, `${POSTGRES_SECRET}\n`);
writeFileSync(redisPasswordFile, JSON.stringify({ "redis://redis:6379": REDIS_SECRET }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function synthError(stack: MonitoringStack): ConfigError {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected synth to fail");
}

describe("the exporter components, each added with one call", () => {
  const stack = newTestStack();
  addPostgresExporter(stack, { target: "postgres:5432", user: "monitor", passwordFile: postgresPasswordFile });
  addRedisExporter(stack, { target: "redis:6379", passwordFile: redisPasswordFile });
  addNginxExporter(stack, { statusUrl: "http://nginx:8080/stub_status" });
  const synthesized = Testing.synth(stack);
  const json = JSON.parse(synthesized) as Parameters<typeof containerNamed>[0];

  it("never puts a password into cdk.tf.json (so neither into the state)", () => {
    expect(synthesized).not.toContain(POSTGRES_SECRET);
    expect(synthesized).not.toContain(REDIS_SECRET);
  });

  it.each([PostgresExporter.NAME, RedisExporter.NAME, NginxExporter.NAME])(
    "%s runs hardened with no relaxation: nobody, read-only root, every capability dropped, no published port",
    (name) => {
      const container = containerNamed(json, `monitoring-${name}`);
      expect(container).toMatchObject({ user: "65534:65534", read_only: true, capabilities: { drop: ["ALL"] } });
      expect(container.privileged).toBeUndefined();
      expect(container.ports).toBeUndefined();
    },
  );

  it("postgres-exporter: the server, user and password file's path in its environment; the file mounted read-only", () => {
    const container = containerNamed(json, `monitoring-${PostgresExporter.NAME}`);
    expect(container.env).toEqual([
      `DATA_SOURCE_URI=postgres:5432/${POSTGRES_EXPORTER_DEFAULTS.database}?sslmode=disable`,
      "DATA_SOURCE_USER=monitor",
      `DATA_SOURCE_PASS_FILE=${PostgresExporter.PASSWORD_PATH}`,
    ]);
    expect(container.mounts).toEqual([
      expect.objectContaining({
        type: "bind",
        source: postgresPasswordFile,
        target: PostgresExporter.PASSWORD_PATH,
        read_only: true,
      }),
    ]);
  });

  it("redis-exporter: its own password file, mounted read-only, named by --redis.password-file", () => {
    const container = containerNamed(json, `monitoring-${RedisExporter.NAME}`);
    expect(container.command).toEqual([
      "--redis.addr=redis://redis:6379",
      `--redis.password-file=${RedisExporter.PASSWORD_PATH}`,
      `--web.listen-address=:${RedisExporter.PORT}`,
    ]);
    expect(container.env ?? []).toEqual([]);
    expect(container.mounts).toEqual([
      expect.objectContaining({ source: redisPasswordFile, target: RedisExporter.PASSWORD_PATH, read_only: true }),
    ]);
  });

  it("nginx-exporter: the stub_status URL, no secret and no mount", () => {
    const container = containerNamed(json, `monitoring-${NginxExporter.NAME}`);
    expect(container.command).toEqual([
      "--nginx.scrape-uri=http://nginx:8080/stub_status",
      `--web.listen-address=:${NginxExporter.PORT}`,
    ]);
    expect(container.mounts).toBeUndefined();
  });

  it("adds each one's rule file and dashboard, and scrapes each one", () => {
    expect(stack.ruleFiles.map((file) => file.name)).toEqual(expect.arrayContaining(["postgres", "redis", "nginx"]));
    expect(stack.dashboards.map((d) => d.uid)).toEqual(expect.arrayContaining([POSTGRES_UID, REDIS_UID, NGINX_UID]));
    expect(Object.keys(stack.jobs)).toEqual(
      expect.arrayContaining([PostgresExporter.NAME, RedisExporter.NAME, NginxExporter.NAME]),
    );
  });

  it("is part of the package's public API", () => {
    expect(typeof library.addPostgresExporter).toBe("function");
    expect(typeof library.addRedisExporter).toBe("function");
    expect(typeof library.addNginxExporter).toBe("function");
  });
});

describe("the app enables them by variables (main.ts)", () => {
  it("deploys all three with their variables, and none by default", () => {
    const names = (env: Readonly<Record<string, string>>) =>
      [...synthMonitoringStack({}, env).stack.services.keys()].filter((name) =>
        ([PostgresExporter.NAME, RedisExporter.NAME, NginxExporter.NAME] as string[]).includes(name),
      );
    expect(names({})).toEqual([]);
    expect(names(ALL_COMPONENTS_ENV).sort()).toEqual([NginxExporter.NAME, PostgresExporter.NAME, RedisExporter.NAME]);
  });

  it("fails when an exporter is enabled without its target, naming the setting", () => {
    expect(() => synthMonitoringStack({}, { POSTGRES_EXPORTER_ENABLED: "true" })).toThrow(
      'postgres-exporter.target must be the PostgreSQL server as host:port, such as "postgres:5432" (got undefined)',
    );
  });
});

describe("validation", () => {
  it("fails when a target is not host:port", () => {
    const stack = newTestStack();
    addPostgresExporter(stack, { target: "postgres://db:5432" });
    addRedisExporter(stack, { target: "redis" });
    expect(synthError(stack).problems.map((p) => p.path)).toEqual([
      "postgres-exporter.target",
      "redis-exporter.target",
    ]);
  });

  it("fails when a password file is not an absolute path (Docker would resolve it nowhere)", () => {
    const stack = newTestStack();
    addPostgresExporter(stack, { target: "postgres:5432", passwordFile: "secrets/pg" });
    addRedisExporter(stack, { target: "redis:6379", passwordFile: "redis.json" });
    expect(synthError(stack).problems).toEqual([
      {
        path: "postgres-exporter.passwordFile",
        message:
          'postgres-exporter.passwordFile must be an absolute path on the Docker host, such as "/etc/monitoring/postgres-password" (got "secrets/pg")',
      },
      {
        path: "redis-exporter.passwordFile",
        message:
          'redis-exporter.passwordFile must be an absolute path on the Docker host, such as "/etc/monitoring/redis-passwords.json" (got "redis.json")',
      },
    ]);
  });

  it("fails when the sslmode, user or database is not one PostgreSQL's driver takes", () => {
    const stack = newTestStack();
    addPostgresExporter(stack, {
      target: "postgres:5432",
      sslMode: "prefer" as never,
      user: "mon itor",
      database: "a;b",
    });
    expect(synthError(stack).problems.map((p) => p.path)).toEqual([
      "postgres-exporter.sslMode",
      "postgres-exporter.user",
      "postgres-exporter.database",
    ]);
  });

  it("fails when the stub_status URL is not http://host:port/path", () => {
    const stack = newTestStack();
    addNginxExporter(stack, { statusUrl: "nginx:8080/stub_status" });
    expect(synthError(stack).problems.map((p) => p.path)).toEqual(["nginx-exporter.statusUrl"]);
  });

  it("fails when a threshold is out of range or a duration shorter than the scrape interval allows", () => {
    const stack = newTestStack();
    addPostgresExporter(stack, { target: "postgres:5432", thresholds: { connectionsRatio: 1.5 } });
    addRedisExporter(stack, { target: "redis:6379", thresholds: { memoryRatio: 0 } });
    addNginxExporter(stack, { statusUrl: "http://nginx:8080/stub_status", thresholds: { rateWindowSeconds: 1 } });
    expect(synthError(stack).problems.map((p) => p.path)).toEqual([
      "postgres-exporter.thresholds.connectionsRatio",
      "redis-exporter.thresholds.memoryRatio",
      "nginx-exporter.thresholds.rateWindowSeconds",
    ]);
  });

  it("reports a second call's name clash once, at synth", () => {
    const stack = newTestStack();
    addRedisExporter(stack, { target: "redis:6379" });
    expect(addRedisExporter(stack, { target: "redis-2:6379" })).toBeUndefined();
    expect(synthError(stack).problems).toHaveLength(1);
  });
});
