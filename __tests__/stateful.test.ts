/**
 * The stateful recipes (constructs/stateful): what the synthesized containers get, hardening kept, and the problems a
 * bad setting gets. The Docker suite (docker-deploy.test.ts) runs the PostgreSQL recipe on a real engine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { ConfigError } from "../constructs/core/validation";
import { SERVICE_DEFAULTS } from "../constructs/core/service";
import { POSTGRES_PASSWORD_PATH, postgresService, redisService, STATEFUL_RECIPES } from "../constructs/stateful";
import { freeLoopbackPort } from "../scripts/harness/local-stack";
import { describeWithBinaries, startBinary } from "./support/prometheus-binaries";
import { containerNamed, newTestStack, synthJson } from "./support/stack";

describe("postgresService", () => {
  it("runs hardened as the image's user, data on the volume, socket folder on tmpfs, password from a read-only file", () => {
    const stack = newTestStack();
    stack.addService(
      "postgres",
      postgresService({ dataVolumeName: "monitoring-postgres-data", passwordFile: "/etc/acme/postgres-password" }),
    );
    const json = synthJson(stack);

    const postgres = containerNamed(json, "monitoring-postgres");
    expect(postgres).toMatchObject({
      image: expect.stringContaining("docker_image.Postgres_Image"),
      user: "999:999",
      read_only: true,
      capabilities: { drop: ["ALL"] },
      security_opts: ["no-new-privileges:true"],
      memory: 512,
      tmpfs: { "/tmp": SERVICE_DEFAULTS.tmpfs["/tmp"], "/var/run/postgresql": "rw,noexec,nosuid,size=1m" },
      mounts: [
        { type: "volume", source: "monitoring-postgres-data", target: "/var/lib/postgresql/data" },
        { type: "bind", source: "/etc/acme/postgres-password", target: POSTGRES_PASSWORD_PATH, read_only: true },
      ],
      env: [`POSTGRES_PASSWORD_FILE=${POSTGRES_PASSWORD_PATH}`],
      healthcheck: { test: [...STATEFUL_RECIPES.postgres.healthcheck.command], start_period: "30s" },
      wait: true,
    });
    expect(postgres.ports).toBeUndefined();
    expect(postgres.privileged).toBeUndefined();
    // The data volume is writable (no read_only), and no password is anywhere in cdk.tf.json.
    expect((postgres.mounts as Record<string, unknown>[])[0].read_only).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/POSTGRES_PASSWORD=/);
    expect(json.resource.docker_image).toEqual(
      expect.objectContaining({
        [Object.keys(json.resource.docker_image).find((key) => key.startsWith("Postgres_Image")) ?? "missing"]: {
          name: STATEFUL_RECIPES.postgres.image,
          keep_locally: true,
        },
      }),
    );
    // No metrics endpoint: no job; the volume is listed with the stack's data volumes.
    expect(stack.deployedJobs).not.toContain("postgres");
    expect(json.output.data_volumes.value).toContain("monitoring-postgres-data");
  });

  it("fails when the password file is not an absolute path or the volume name is invalid", () => {
    const stack = newTestStack();
    stack.addService("postgres", postgresService({ dataVolumeName: "bad name", passwordFile: "secrets/pg" }));
    let problems: string[] = [];
    try {
      Testing.synth(stack);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems.map((problem) => problem.message);
    }
    expect(problems).toEqual([
      expect.stringMatching(/^postgres\.mounts\[0\]\.source .*"bad name"/),
      'postgres.mounts[1].source must be an absolute host path for a bind mount (got "secrets/pg")',
    ]);
  });
});

describe("redisService", () => {
  it("runs hardened as the image's user with /data on the volume and redis-cli ping as healthcheck", () => {
    const stack = newTestStack();
    stack.addService("redis", redisService({ dataVolumeName: "monitoring-redis-data" }));
    const json = synthJson(stack);

    expect(containerNamed(json, "monitoring-redis")).toMatchObject({
      user: "999:999",
      read_only: true,
      capabilities: { drop: ["ALL"] },
      mounts: [{ type: "volume", source: "monitoring-redis-data", target: "/data" }],
      healthcheck: { test: ["CMD", "redis-cli", "-h", "127.0.0.1", "ping"] },
      // maxmemory at 3/4 of the 256 MiB limit: RedisMemoryNearLimit has a limit to compare with.
      command: ["redis-server", "--maxmemory", "192mb"],
    });
    expect(stack.deployedJobs).not.toContain("redis");
  });

  it("sets maxmemory from the memory limit it is given", () => {
    const stack = newTestStack();
    stack.addService("redis", redisService({ dataVolumeName: "monitoring-redis-data", memoryMb: 1024 }));
    expect(containerNamed(synthJson(stack), "monitoring-redis")).toMatchObject({
      memory: 1024,
      command: ["redis-server", "--maxmemory", "768mb"],
    });
  });
});

describeWithBinaries("the Redis recipe's command, run by the real redis-server", ["redis-server"], (bins) => {
  it("starts with it and reports maxmemory as set", async () => {
    const [, ...args] = redisService({ dataVolumeName: "v" }).command ?? [];
    const dir = mkdtempSync(join(tmpdir(), "redis-recipe-"));
    const port = await freeLoopbackPort();
    const server = startBinary(bins["redis-server"], [
      ...args,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
    ]);
    try {
      await server.waitForOutput(/Ready to accept connections/, 20_000);
      // CONFIG GET in Redis' inline protocol; the answer is an array of two bulk strings.
      const answer = await new Promise<string>((resolveAnswer, reject) => {
        let text = "";
        const socket = connect(port, "127.0.0.1", () => socket.write("CONFIG GET maxmemory\r\n"));
        socket.setTimeout(10_000, () => socket.destroy(new Error("no answer from redis-server in 10 s")));
        socket.on("data", (chunk) => {
          text += chunk.toString("utf8");
          if (text.split("\r\n").length >= 5) socket.end(() => resolveAnswer(text));
        });
        socket.on("error", reject);
      });
      expect(answer.split("\r\n").filter((line) => !/^[*$]/.test(line) && line !== "")).toEqual([
        "maxmemory",
        String(192 * 1024 * 1024),
      ]);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
