/**
 * `npm run traffic` as a user runs it: an unknown option points at --help, and Ctrl-C (SIGINT) stops the run early
 * with the summary of what was sent. Against the real API built from app/, on 127.0.0.1, run by the local-stack
 * harness from a stack of only the API (and the Prometheus every stack has).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { DemoApi, addDemoApi } from "../constructs/api";
import { DEMO_API_BINARY, startLocalStack, type LocalStack } from "../scripts/harness/local-stack";
import { parseTrafficArgs } from "../scripts/traffic";
import { describeWithBinaries } from "./support/prometheus-binaries";
import { TEST_API, newTestStack } from "./support/stack";

const PROJECT_ROOT = resolve(__dirname, "..");

/** A stack of the API alone (besides Prometheus and Grafana, which every stack has), checked as synth would. */
const stack = newTestStack({ scrapeIntervalSeconds: 1 });
addDemoApi(stack, TEST_API);
stack.finalize();
const BINARY_NAMES = [
  ...new Set(
    [...stack.services.values()].flatMap((service) =>
      service.localRun !== undefined && service.localRun.binary !== DEMO_API_BINARY ? [service.localRun.binary] : [],
    ),
  ),
];

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

  describeWithBinaries("against the real API", BINARY_NAMES, (bins) => {
    let local: LocalStack | undefined;
    let baseUrl = "";

    beforeAll(async () => {
      local = await startLocalStack({ stack, binaries: bins });
      const api = local.services[DemoApi.NAME];
      if (api === undefined) throw new Error(`the harness did not run ${DemoApi.NAME}`);
      baseUrl = api.baseUrl;
    }, 150_000);

    afterAll(async () => {
      await local?.stop();
    }, 30_000);

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
