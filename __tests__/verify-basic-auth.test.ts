/**
 * `npm run verify` and the harness against a Prometheus that requires basic auth, as the central Prometheus of a
 * stack with extra hosts does: the real Prometheus binary started the way the harness runs the stack's (its
 * `localRun`, now with the stack's own web.yml: the bcrypt hash of the password file), its self-scrape authenticated
 * with the password file on this machine. Verify, run as a child process exactly as `npm run verify` runs it, reads
 * the password file the stack's settings name (PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE) and passes; with another
 * password, or with a stack that has no extra host, Prometheus answers 401 and the hint names the setting.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inspectMonitoringStack } from "../main";
import { PrometheusClient } from "../scripts/verify/prometheus-client";
import { waitForScrapes } from "../scripts/verify/run";
import {
  freeLoopbackPort,
  loopbackAddresses,
  mapTargetsToLoopback,
  ProcessGroup,
  startLocalService,
  withLocalPasswordFile,
} from "../scripts/harness/local-stack";
import { describeWithBinaries } from "./support/prometheus-binaries";

const PROJECT_ROOT = resolve(__dirname, "..");
const VERIFY_TIMEOUT_MS = 60_000;
const SETTING = "PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE (prometheus.remoteWritePasswordFile)";

/** Runs `node --import tsx scripts/verify.ts <args>` with only the given environment (plus PATH and HOME), bounded. */
function runVerifyCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/verify.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), VERIFY_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolvePromise({ exitCode, stdout, stderr });
    });
  });
}

/** The lines of one section of the printed checklist, progress lines left out. */
function section(stdout: string, name: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.indexOf(name);
  if (start < 0) return [];
  const end = lines.findIndex((line, index) => index > start && /^\S/.test(line));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((line) => line.trim() !== "" && !/^ {2}… /.test(line));
}

describeWithBinaries("verify and the harness against a Prometheus that requires basic auth", ["prometheus"], (bins) => {
  const folder = mkdtempSync(join(tmpdir(), "verify-basic-auth-"));
  const passwordFile = join(folder, "prometheus-remote-write-password");
  const otherPasswordFile = join(folder, "other-password");
  writeFileSync(passwordFile, "right-password-of-the-centre\n", { mode: 0o600 });
  writeFileSync(otherPasswordFile, "some-other-password\n", { mode: 0o600 });
  /** The environment of a deploy with one extra host, as verify gets it. */
  const hostsEnv = {
    MONITORING_HOSTS: "edge-1=unix:///run/edge-1/docker.sock",
    PROMETHEUS_BIND_ADDRESS: "10.0.0.1",
    PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE: passwordFile,
    SCRAPE_INTERVAL_SECONDS: "1",
  };
  const { stack } = inspectMonitoringStack(hostsEnv);
  const processes = new ProcessGroup();
  let url = "";
  let closedPort = 0;

  beforeAll(async () => {
    const auth = stack.prometheus.basicAuth;
    if (auth === undefined) throw new Error("the stack with a host does not require basic auth");
    const ports = new Map<string, number>();
    for (const service of stack.services.values()) ports.set(service.name, await freeLoopbackPort());
    closedPort = await freeLoopbackPort();
    const files = withLocalPasswordFile(
      mapTargetsToLoopback(stack.prometheus.configFiles(), loopbackAddresses(stack, ports)),
      auth,
    );
    const started = await startLocalService(stack.prometheus, {
      dir: folder,
      port: ports.get(stack.prometheus.name) ?? 0,
      configFiles: files,
      binaries: { prometheus: bins.prometheus },
      processes,
    });
    if (started === undefined) throw new Error("the stack's Prometheus declares no local process");
    url = started.service.baseUrl;
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    rmSync(folder, { recursive: true, force: true });
  }, 30_000);

  it("refuses a request without the password, and scrapes itself with the password file", async () => {
    expect((await new PrometheusClient(url).ready()).status).toBe(401);
    const client = new PrometheusClient(url, {
      basicAuth: { user: "agent", password: "right-password-of-the-centre" },
    });
    expect((await client.ready()).status).toBe(200);
    // The self-scrape goes through the same basic auth, with the password file on this machine.
    await waitForScrapes(client, "prometheus", 1, 15_000);
    const { active } = await client.targets();
    expect(
      active.filter((target) => target.job === "prometheus").map((target) => [target.health, target.lastError]),
    ).toEqual([["up", ""]]);
  }, 30_000);

  it("passes Prometheus' checks with the password file the stack's settings name", async () => {
    const result = await runVerifyCli(
      ["--api-url", `http://127.0.0.1:${closedPort}`, "--prometheus-url", url, "--skip-grafana"],
      hostsEnv,
    );
    console.log(`verify against a basic-auth Prometheus (exit ${result.exitCode}):\n${result.stdout}`);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`  Prometheus basic auth: user agent, password from ${passwordFile} (${SETTING})`);
    expect(result.stdout).not.toContain("right-password-of-the-centre");
    const lines = section(result.stdout, "Prometheus");
    expect(lines[0]).toBe("  ✓ ready (GET /-/ready answers 200)");
    expect(lines).toContain('  ✓ job "prometheus": every target up: 1/1 up');
    expect(lines).toContain("  ✓ no rule group reports an evaluation error");
    // The API is not running here: verify fails on it, and only on what needs it.
    expect(result.exitCode).toBe(1);
  }, 70_000);

  it("fails with a 401 and a hint naming the setting when the password file holds another password", async () => {
    const result = await runVerifyCli(["--prometheus-url", url, "--skip-grafana"], {
      ...hostsEnv,
      PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE: otherPasswordFile,
    });
    expect(result.exitCode).toBe(1);
    expect(section(result.stdout, "Prometheus")).toEqual([
      expect.stringMatching(/^ {2}✗ ready \(GET \/-\/ready answers 200\): answered 401: Unauthorized/),
      `      fix: Prometheus refused user "agent" with the password in ${otherPasswordFile}: set ${SETTING} to the file the deploy used (Prometheus' web config holds its bcrypt hash), or npm run deploy to rebuild the web config from this file`,
      "  - targets, rules and version: SKIPPED (Prometheus is not ready)",
    ]);
  }, 70_000);

  it("fails with a 401 and says the environment has no extra host when verify builds a one-host stack", async () => {
    const result = await runVerifyCli(["--prometheus-url", url, "--skip-grafana"], { SCRAPE_INTERVAL_SECONDS: "1" });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain("Prometheus basic auth:");
    expect(section(result.stdout, "Prometheus").slice(0, 2)).toEqual([
      expect.stringMatching(/^ {2}✗ ready \(GET \/-\/ready answers 200\): answered 401/),
      "      fix: Prometheus requires basic auth, but the stack built from this environment has no extra host: run npm run verify with the MONITORING_HOSTS and PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE the deploy used",
    ]);
  }, 70_000);
});
