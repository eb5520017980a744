/**
 * The PostgreSQL recipe (constructs/stateful, STATEFUL_RECIPES.postgres) as the stack synthesizes it, on a real engine:
 * a stack with `postgresService(...)` is synthesized, and its network and the postgres image and container are applied
 * from that cdk.tf.json unchanged (the rest of the stack is docker-deploy.test.ts). The stand-in
 * `postgres:15.18-bookworm` is built from Debian 12's postgresql packages (its differences from upstream are printed,
 * and listed in docs/testing.md).
 *
 * Skipped with reason `no-docker-engine` when no engine answers (a failed run under CI=true).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import Docker from "dockerode";
import { APPLIER_LABEL, DockerApplier, TerraformJson } from "./support/docker/applier";
import { ensureStandIns } from "./support/docker/stand-ins";
import { execIn, noEngine, STAND_IN_CACHE_DIR } from "./support/docker/suite";
import { describeUnless } from "./support/skips";
import { testStackProps } from "./support/stack";
import { MonitoringStack, STACK_NAME } from "../constructs/monitoring-stack";
import { POSTGRES_PASSWORD_PATH, POSTGRES_VERSION, postgresService, STATEFUL_RECIPES } from "../constructs/stateful";

const execFileAsync = promisify(execFile);

describeUnless("the PostgreSQL recipe on a real Docker engine", noEngine, () => {
  const docker = new Docker();
  const runId = randomBytes(4).toString("hex");
  const network = `mdt-${runId}`;
  const volume = `${network}-postgres-data`;
  const password = randomBytes(12).toString("hex");
  const log = (line: string): void => {
    process.stdout.write(`[docker-postgres] ${line}\n`);
  };
  let folder: string;
  let applyDir: string;
  let applier: DockerApplier;
  let container: Record<string, unknown>;
  let address: string;
  /** When the beforeAll started. */
  let started = 0;

  /** psql from this machine (Debian's postgresql-client) to the container's address on the network. */
  const psql = async (sql: string, pass = password): Promise<{ code: number; output: string }> => {
    const info = await docker.getContainer(applier.dockerId(address)).inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress ?? "";
    try {
      const { stdout } = await execFileAsync(
        "/usr/bin/psql",
        ["-h", ip, "-U", "postgres", "-d", "postgres", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
        { env: { PATH: process.env.PATH ?? "", PGPASSWORD: pass, PGCONNECT_TIMEOUT: "5" }, timeout: 20_000 },
      );
      return { code: 0, output: stdout.trim() };
    } catch (error) {
      const failed = error as { code?: number; stderr?: string };
      return { code: typeof failed.code === "number" ? failed.code : -1, output: String(failed.stderr ?? error) };
    }
  };

  beforeAll(async () => {
    started = Date.now();
    // Only the image this block runs: the postgres stand-in.
    const { standIns: all } = await ensureStandIns(docker, STAND_IN_CACHE_DIR, log, [STATEFUL_RECIPES.postgres.image]);
    const standIn = all.find((candidate) => candidate.tag === STATEFUL_RECIPES.postgres.image);
    if (standIn === undefined) throw new Error(`no stand-in for ${STATEFUL_RECIPES.postgres.image}`);
    for (const difference of standIn.differences) log(`stand-in ${standIn.tag} differs: ${difference}`);
    folder = mkdtempSync(join(tmpdir(), "docker-postgres-"));
    // The password file as the recipe asks: readable by the image's user only.
    const passwordFile = join(folder, "postgres-password");
    writeFileSync(passwordFile, password, { mode: 0o400 });
    chownSync(passwordFile, 999, 999);
    const app = Testing.app({ outdir: join(folder, "cdktf.out") });
    mkdirSync(join(folder, ".secrets"));
    const stack = new MonitoringStack(app, STACK_NAME, { ...testStackProps(folder), networkName: network });
    stack.addService("postgres", postgresService({ dataVolumeName: volume, passwordFile }));
    const synthesized = JSON.parse(Testing.synth(stack)) as TerraformJson;
    // The network and the postgres resources, exactly as synthesized.
    const pick = (type: string, keep: (name: string) => boolean) =>
      Object.fromEntries(Object.entries(synthesized.resource?.[type] ?? {}).filter(([name]) => keep(name)));
    const postgresOnly: TerraformJson = {
      ...synthesized,
      resource: {
        docker_network: pick("docker_network", () => true),
        docker_image: pick("docker_image", (name) => name.startsWith("Postgres_")),
        docker_container: pick("docker_container", (name) => name.startsWith("Postgres_")),
      },
      provider: { docker: synthesized.provider?.docker ?? [{}] },
    };
    const containerName = Object.keys(postgresOnly.resource?.docker_container ?? {})[0] ?? "";
    container = postgresOnly.resource?.docker_container?.[containerName] ?? {};
    address = `docker_container.${containerName}`;
    applyDir = join(folder, "apply");
    mkdirSync(applyDir);
    writeFileSync(join(applyDir, "cdk.tf.json"), JSON.stringify(postgresOnly, null, 2));
    applier = new DockerApplier(docker, runId, log);
    await applier.apply(applyDir);
    log(`postgres applied and healthy in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 300_000);

  afterAll(async () => {
    const mine = { label: [`${APPLIER_LABEL}=${runId}`] };
    for (const info of await docker.listContainers({ all: true, filters: mine })) {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
    }
    for (const info of await docker.listNetworks({ filters: mine })) await docker.getNetwork(info.Id).remove();
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    log(`the PostgreSQL proof took ${Math.round((Date.now() - started) / 1000)} s`);
  }, 120_000);

  it("runs with exactly the recipe's settings: its user, read-only root, no capability, data on the volume, tmpfs", async () => {
    expect(container).toMatchObject({
      user: STATEFUL_RECIPES.postgres.user,
      read_only: true,
      capabilities: { drop: ["ALL"] },
      tmpfs: STATEFUL_RECIPES.postgres.tmpfs,
      env: [`POSTGRES_PASSWORD_FILE=${POSTGRES_PASSWORD_PATH}`],
    });
    const info = await docker.getContainer(applier.dockerId(address)).inspect();
    expect(info.Config.User).toBe("999:999");
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(Object.keys(info.HostConfig.Tmpfs ?? {}).sort()).toEqual(["/tmp", "/var/run/postgresql"]);
    expect(info.Mounts.map((mount) => [mount.Type, mount.Name ?? mount.Source, mount.Destination, mount.RW])).toEqual(
      expect.arrayContaining([
        ["volume", volume, STATEFUL_RECIPES.postgres.dataPath, true],
        ["bind", expect.stringContaining("postgres-password"), POSTGRES_PASSWORD_PATH, false],
      ]),
    );
    expect((await execIn(docker, info.Id, ["id", "-u"])).output.trim()).toBe("999");
    const rootWrite = await execIn(docker, info.Id, ["touch", "/probe"]);
    expect(rootWrite.code).not.toBe(0);
    expect(rootWrite.output).toMatch(/Read-only file system/);
    expect((await execIn(docker, info.Id, ["grep", "^CapEff", "/proc/1/status"])).output.trim()).toBe(
      "CapEff:\t0000000000000000",
    );
  });

  it("becomes healthy by its own healthcheck (pg_isready)", async () => {
    const info = await docker.getContainer(applier.dockerId(address)).inspect();
    expect(info.Config.Healthcheck?.Test).toEqual([...STATEFUL_RECIPES.postgres.healthcheck.command]);
    expect(info.State.Health?.Status).toBe("healthy");
    expect(info.State.Health?.Log.at(-1)?.ExitCode).toBe(0);
  });

  it("accepts a connection with the password from the file, and refuses a wrong one", async () => {
    expect(await psql("select current_user || ' ' || current_setting('server_version')")).toEqual({
      code: 0,
      output: `postgres ${POSTGRES_VERSION} (Debian ${POSTGRES_VERSION}-0+deb12u1)`,
    });
    const wrong = await psql("select 1", "not-the-password");
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/password authentication failed for user "postgres"/);
  });

  it("keeps its data across a container replacement (the volume), without a second initdb", async () => {
    expect(
      await psql("create table kept (note text); insert into kept values ('written before the replacement')"),
    ).toMatchObject({ code: 0 });
    const before = applier.dockerId(address);
    const replaced = await applier.apply(applyDir, { replace: [address] });
    expect(replaced.replaced).toEqual([address]);
    const after = applier.dockerId(address);
    expect(after).not.toBe(before);
    expect((await docker.getContainer(after).inspect()).State.Health?.Status).toBe("healthy");
    expect(await psql("select note from kept")).toEqual({ code: 0, output: "written before the replacement" });
    const logs = (await docker.getContainer(after).logs({ stdout: true, stderr: true })).toString("utf8");
    expect(logs).not.toMatch(/initdb|Success\. You can now start/);
    expect(logs).toMatch(/database system is ready to accept connections/);
  }, 120_000);
});
