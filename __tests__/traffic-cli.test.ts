/**
 * `npm run traffic` as a user runs it: an unknown option points at --help, and Ctrl-C (SIGINT) stops the run early
 * with the summary of what was sent. Against the real API built from app/, on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ProcessGroup, startApi } from "../scripts/harness/local-stack";
import { parseTrafficArgs } from "../scripts/traffic";

const PROJECT_ROOT = resolve(__dirname, "..");

function startTraffic(args: readonly string[]): {
  readonly exited: Promise<number | null>;
  readonly kill: (signal: NodeJS.Signals) => void;
  output(): string;
} {
  // node itself with tsx as a loader: one process, so SIGINT reaches the script, as Ctrl-C does in a terminal.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/traffic.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolveExit) => child.on("close", (code) => resolveExit(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  void exited.then(() => clearTimeout(timer));
  return { exited, kill: (signal) => child.kill(signal), output: () => output };
}

describe("npm run traffic", () => {
  it("fails on an unknown option, naming it and pointing at --help", () => {
    expect(() => parseTrafficArgs(["--durations", "5"])).toThrow(
      "Unknown option '--durations': see npm run traffic -- --help for the options",
    );
  });

  it("exits 2 on an unknown option and prints the usage", async () => {
    const traffic = startTraffic(["--bogus"]);

    expect(await traffic.exited).toBe(2);
    expect(traffic.output()).toContain("Unknown option '--bogus': see npm run traffic -- --help for the options");
    expect(traffic.output()).toContain("usage: npm run traffic --");
  });

  describe("against the real API", () => {
    const processes = new ProcessGroup();
    const dir = mkdtempSync(join(tmpdir(), "traffic-cli-"));
    let baseUrl = "";

    beforeAll(async () => {
      const api = await startApi(processes, dir);
      baseUrl = `http://127.0.0.1:${api.port}`;
    }, 150_000);

    afterAll(async () => {
      await processes.stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    it("prints the summary of what was sent when Ctrl-C (SIGINT) stops it early", async () => {
      // given a run meant to last a minute
      const traffic = startTraffic(["--url", baseUrl, "--duration", "60", "--rate", "20", "--seed", "3"]);
      const deadline = Date.now() + 30_000;
      while (!/\[\s+1 s\] sent \d+/.test(traffic.output()) && Date.now() < deadline) {
        await new Promise((tick) => setTimeout(tick, 100));
      }

      // when Ctrl-C arrives after the first progress line
      traffic.kill("SIGINT");
      const exitCode = await traffic.exited;

      // then it stops early with the summary and the conventional exit code
      expect(traffic.output()).toContain("traffic: SIGINT: stopping, waiting for the requests in flight ...");
      const summary = /summary \(seed 3, interrupted after ([\d.]+) s\): sent (\d+), answered (\d+), failed 0/.exec(
        traffic.output(),
      );
      expect(summary).not.toBeNull();
      expect(Number(summary?.[1])).toBeLessThan(30);
      expect(Number(summary?.[2])).toBeGreaterThan(0);
      expect(summary?.[3]).toBe(summary?.[2]);
      expect(traffic.output()).toContain("  by status: ");
      expect(exitCode).toBe(130);
    }, 60_000);
  });
});
