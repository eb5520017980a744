/**
 * Whether a Docker engine answers, decided synchronously (jest decides what runs while it collects tests): a child
 * Node process pings the engine with dockerode (DOCKER_HOST or the default socket) within a few seconds.
 */
import { spawnSync } from "node:child_process";

/** The Docker suite's status: run it, or why it cannot. */
export type EngineStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

const PING_TIMEOUT_MS = 8000;

/** Pings the engine once; never throws. */
export function probeEngine(): EngineStatus {
  const script = `new (require(${JSON.stringify(require.resolve("dockerode"))}))().ping().then(() => process.exit(0), (error) => { process.stderr.write(String(error && error.message)); process.exit(1); })`;
  const result = spawnSync(process.execPath, ["-e", script], { timeout: PING_TIMEOUT_MS, encoding: "utf8" });
  if (result.status === 0) return { available: true };
  const where = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  const why = result.error !== undefined ? result.error.message : result.stderr.trim();
  return { available: false, reason: `no Docker engine answered at ${where} (${why === "" ? "no answer" : why})` };
}
