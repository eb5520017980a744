/**
 * What the suites that deploy onto the real Docker engine share (docker-deploy, docker-alertmanager, docker-postgres):
 * the skip reason when no engine answers, the stand-ins' cache folder, bounded waits, exec inside a container, the
 * hardening check from inside, and the cleanup of everything one run created. Each suite runs in its own jest worker,
 * so their waits on builds, health and scrapes overlap.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import Docker from "dockerode";
import { APPLIER_LABEL, DockerApplier, TerraformJson } from "./applier";
import { probeEngine } from "./engine";
import { PROJECT_ROOT } from "./project-copy";
import { standIns } from "./stand-ins";
import type { Skip } from "../skips";

export const engine = probeEngine();

/** Why a Docker suite is skipped here (undefined when an engine answers); CI=true turns the skip into a failure. */
export const noEngine: Skip | undefined = engine.available
  ? undefined
  : {
      reason: "no-docker-engine",
      detail: `${engine.reason}. Start one (apt-get install docker.io busybox-static; dockerd &) or run CI=true bash .ci/run, which starts one`,
    };

/** Where the stand-in images' build contexts, downloads and locks live. */
export const STAND_IN_CACHE_DIR = join(PROJECT_ROOT, ".cache", "docker-stand-ins");

/** A free TCP port on 127.0.0.1 (the stack's host ports, so a running stack on this machine is never disturbed). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Retries `attempt` every 500 ms until it returns a value; fails after `timeoutMs` with `what` and the last error. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} within ${timeoutMs} ms${last !== undefined ? `: ${String(last)}` : ""}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

export async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Prometheus' /api/v1/targets answer, as far as the suites read it. */
export interface Targets {
  readonly data: {
    readonly activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string; lastError: string }[];
  };
}

/** Runs `command` inside a container as its own user; returns exit code and output. */
export async function execIn(
  docker: Docker,
  containerId: string,
  command: string[],
): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolveStream, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolveStream());
    stream.on("error", reject);
  });
  // The multiplexed stream: 8-byte frame headers before each payload.
  const raw = Buffer.concat(chunks);
  let output = "";
  for (let offset = 0; offset + 8 <= raw.length;) {
    const size = raw.readUInt32BE(offset + 4);
    output += raw.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output };
}

/**
 * From inside the container at `address`: the uid:gid cdk.tf.json configures, `/` read-only, /tmp writable, no
 * capability in any set, no-new-privileges.
 */
export async function assertHardened(
  docker: Docker,
  applier: DockerApplier,
  json: TerraformJson,
  address: string,
): Promise<void> {
  const id = applier.dockerId(address);
  const name = address.split(".")[1] ?? "";
  const [uid, gid] = String(json.resource?.docker_container?.[name]?.user ?? "").split(":");
  expect(uid).toMatch(/^[1-9]\d*$/);
  expect((await execIn(docker, id, ["id", "-u"])).output.trim()).toBe(uid);
  expect((await execIn(docker, id, ["id", "-g"])).output.trim()).toBe(gid);
  const rootWrite = await execIn(docker, id, ["touch", "/hardening-probe"]);
  expect(rootWrite.code).not.toBe(0);
  expect(rootWrite.output).toMatch(/Read-only file system/);
  expect(await execIn(docker, id, ["touch", "/tmp/hardening-probe"])).toEqual({ code: 0, output: "" });
  const status = (await execIn(docker, id, ["cat", "/proc/self/status"])).output;
  for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
    expect(status).toMatch(new RegExp(`${set}:\\s+0000000000000000`));
  }
  expect(status).toMatch(/NoNewPrivs:\s+1/);
}

/** The docker_container in cdk.tf.json whose network aliases include `alias`, as its engine id. */
export function containerOf(json: TerraformJson, applier: DockerApplier, alias: string): string {
  const entry = Object.entries(json.resource?.docker_container ?? {}).find(([, container]) =>
    JSON.stringify(container.networks_advanced).includes(`"${alias}"`),
  );
  if (entry === undefined) throw new Error(`no docker_container with alias ${alias}`);
  return applier.dockerId(`docker_container.${entry[0]}`);
}

/**
 * Removes everything the run `runId` created, even after a failure: its containers, networks, the volumes named
 * `<network>-…`, and the images it built. Images built FROM a stand-in inherit its label, so the stand-ins are kept
 * by tag (they are shared by the suites and reused across runs).
 */
export async function removeRun(docker: Docker, runId: string, network: string): Promise<void> {
  const mine = { label: [`${APPLIER_LABEL}=${runId}`] };
  for (const info of await docker.listContainers({ all: true, filters: mine })) {
    await docker.getContainer(info.Id).remove({ force: true, v: true });
  }
  for (const info of await docker.listNetworks({ filters: mine })) await docker.getNetwork(info.Id).remove();
  const { Volumes } = await docker.listVolumes();
  for (const volume of Volumes.filter((candidate) => candidate.Name.startsWith(`${network}-`))) {
    await docker.getVolume(volume.Name).remove();
  }
  const standInTags = new Set(standIns(STAND_IN_CACHE_DIR).map((standIn) => standIn.tag));
  for (const info of await docker.listImages({ filters: mine })) {
    if (!(info.RepoTags ?? []).some((tag) => standInTags.has(tag))) {
      await docker.getImage(info.Id).remove({ force: true });
    }
  }
}
