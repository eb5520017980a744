/**
 * `npm test` (scripts/test.ts), run through npm in a scratch package whose lint and fetch scripts are small real
 * commands and whose jest is this project's, on one plain test file: the lint steps run side by side (each waits until
 * all three have started, so a sequential run fails), the fetch runs beside them, a failed step stops the run before
 * jest, the arguments reach jest, and SIGTERM to npm's PID stops every step.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LINT_STEPS, PREFETCH_STEPS } from "../scripts/test";
import { PROJECT_ROOT } from "./support/docker/project-copy";
import { describeProcess, processAlive } from "../scripts/harness/local-stack";

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** A node one-liner as an npm script. */
const node = (code: string): string => `node -e ${JSON.stringify(code)}`;

/** Waits until every lint step has written its marker (at most 20 s), then exits with `exitCode`. */
const rendezvous = (dir: string, step: string, exitCode: number): string =>
  node(
    [
      `const fs=require("fs"),p=require("path");`,
      `fs.writeFileSync(p.join(${JSON.stringify(dir)},"started-${step}"),"");`,
      `const steps=${JSON.stringify(LINT_STEPS)};const end=Date.now()+20000;`,
      `const t=setInterval(()=>{`,
      `if(steps.every(s=>fs.existsSync(p.join(${JSON.stringify(dir)},"started-"+s)))){clearInterval(t);`,
      `console.log("${step}: all lint steps running");process.exit(${exitCode});}`,
      `if(Date.now()>end){console.log("${step}: alone after 20 s");process.exit(3);}},50);`,
    ].join(""),
  );

/** A package in a new folder: this project's node_modules, one jest test, the scripts `scripts(folder)` overrides. */
function scratchPackage(scripts: (dir: string) => Record<string, string> = () => ({})): string {
  const dir = mkdtempSync(join(tmpdir(), "npm-test-command-"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  const defaults: Record<string, string> = {
    test: `exec node --import tsx ${join(PROJECT_ROOT, "scripts", "test.ts")}`,
    ...Object.fromEntries(LINT_STEPS.map((step) => [step, rendezvous(dir, step, 0)])),
    ...Object.fromEntries(PREFETCH_STEPS.map((step) => [step, node(`console.log("${step} ran")`)])),
  };
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "scratch", private: true, scripts: { ...defaults, ...scripts(dir) } }),
  );
  writeFileSync(
    join(dir, "scratch.test.js"),
    `test("runs", () => { require("fs").writeFileSync(${JSON.stringify(join(dir, "jest-ran"))}, process.argv.join(" ")); });\n`,
  );
  return dir;
}

function npmTest(dir: string, args: readonly string[] = [], onStart?: (pid: number) => void): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = spawn("npm", ["test", ...(args.length > 0 ? ["--", ...args] : [])], {
      cwd: dir,
      env: { ...process.env, CI: "true", PROMETHEUS_BIN_DIR: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    if (child.pid !== undefined) onStart?.(child.pid);
    const killer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    let afterExit: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      // Both timers cleared: one left pending kept this file's jest worker alive past jest's end, which then killed
      // it and printed "A worker process has failed to exit gracefully" (seen when this file ran last in a worker).
      clearTimeout(killer);
      clearTimeout(afterExit);
      resolveRun({ code, signal, output });
    };
    child.on("close", settle);
    // A process left running would hold the pipes open and 'close' would never come: 2 s after npm exits, the
    // answer is npm's status (and that process fails the test below).
    child.on("exit", (code, signal) => {
      afterExit = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(code, signal);
      }, 2000);
    });
  });
}

describe("npm test (scripts/test.ts)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("is what package.json runs, and `npm run lint` runs the same steps one after the other", () => {
    const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).toBe("exec node --import tsx scripts/test.ts");
    expect(scripts.lint).toBe(LINT_STEPS.map((step) => `npm run ${step}`).join(" && "));
    for (const step of [...LINT_STEPS, ...PREFETCH_STEPS]) expect(scripts[step]).toEqual(expect.any(String));
  });

  it("runs the lint steps side by side with the fetch, then jest with the arguments given", async () => {
    const dir = scratchPackage();
    dirs.push(dir);
    const run = await npmTest(dir, ["--testNamePattern", "runs"]);
    expect(run.output).not.toMatch(/alone after 20 s/);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    for (const step of LINT_STEPS) expect(run.output).toContain(`${step}: all lint steps running`);
    for (const step of PREFETCH_STEPS)
      expect(run.output).toMatch(new RegExp(`npm run ${step} \\(.* s, beside lint\\)`));
    expect(readFileSync(join(dir, "jest-ran"), "utf8")).toMatch(/--ci.*--testNamePattern runs/);
  }, 60_000);

  it("stops before jest when a lint step fails, naming it", async () => {
    const dir = scratchPackage((folder) => ({ "lint:format": rendezvous(folder, "lint:format", 1) }));
    dirs.push(dir);
    const run = await npmTest(dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("npm test: lint:format failed (above); fix that first, jest did not run.");
    expect(existsSync(join(dir, "jest-ran"))).toBe(false);
  }, 60_000);

  it("stops every step on SIGTERM to npm's PID and exits 143", async () => {
    // lint:types writes its PID and sleeps: the signal must reach it through npm, the script and npm's shell.
    const dir = scratchPackage((folder) => ({
      "lint:types": node(
        `require("fs").writeFileSync(${JSON.stringify(join(folder, "sleeper.pid"))},String(process.pid));` +
          `setInterval(()=>{},1000);`,
      ),
    }));
    dirs.push(dir);
    const pidFile = join(dir, "sleeper.pid");
    let npmPid = 0;
    const running = npmTest(dir, [], (pid) => (npmPid = pid));
    // The file exists before its PID is written into it: wait for the PID itself.
    const pidIn = (): number => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0);
    const deadline = Date.now() + 20_000;
    while (!(pidIn() > 0) && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    const sleeper = pidIn();
    expect(sleeper).toBeGreaterThan(0);
    process.kill(npmPid, "SIGTERM");
    const run = await running;
    expect(run.code === 143 || run.signal === "SIGTERM").toBe(true);
    expect(existsSync(join(dir, "jest-ran"))).toBe(false);
    const alive = (): boolean => processAlive(sleeper);
    const gone = Date.now() + 5000;
    while (alive() && Date.now() < gone) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    expect(alive() ? describeProcess(sleeper) : "stopped").toBe("stopped");
  }, 60_000);
});
