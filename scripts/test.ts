/**
 * `npm test`: the lint steps, then every jest suite; arguments go to jest (`npm test -- __tests__/e2e.test.ts`).
 *
 * The three lint steps (`npm run lint:types`, `lint:code`, `lint:format`: what `npm run lint` runs one after the
 * other) run side by side, and meanwhile the binaries and community dashboards the suites need are fetched from
 * Debian's archive (`npm run fetch-binaries`, `npm run fetch-dashboards`), which jest's global setup otherwise does
 * after lint, waiting on the network. Measured on a fresh clone on a 2-core machine: the lint steps one after the other
 * 20.6 s (tsc 6.8, ESLint 5.4, Prettier 8.4), then the fetch 15 s (a copy from the machine cache once a fetch stored
 * the binaries there); side by side, see docs/testing.md. Each step's output is printed whole when it ends. A failed
 * lint step fails the run before jest starts, as `npm run lint && jest` did. A failed fetch is only reported: jest's
 * global setup fetches again and decides (CI=true fails the run there).
 *
 * Through npm: `npm test` is `exec node --import tsx scripts/test.ts` (no tsx relay process, which SIGKILLs a child
 * that is slow to confirm a signal: see scripts/dev.ts), so SIGINT and SIGTERM reach this script, which passes them
 * on to what it started and exits with jest's status.
 */
import { ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { binDirOverridden } from "./harness/binaries";

/** The package whose scripts run: npm runs `npm test` in its root. */
const ROOT = process.cwd();
/** The lint steps, by their npm script names (package.json holds the commands). */
export const LINT_STEPS = ["lint:types", "lint:code", "lint:format"] as const;
/** What the suites need from Debian's archive, fetched while lint runs. */
export const PREFETCH_STEPS = ["fetch-binaries", "fetch-dashboards"] as const;

const running = new Set<ChildProcess>();

interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  readonly output: string;
  readonly seconds: number;
}

/** Runs `npm run --silent <name>`, its stdout and stderr collected in the order they came. */
function runStep(name: string): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolveStep) => {
    // In its own process group, so a signal reaches npm's shell and everything below it, not npm alone.
    const child = spawn("npm", ["run", "--silent", name], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    running.add(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const done = (ok: boolean, extra = ""): void => {
      running.delete(child);
      resolveStep({ name, ok, output: output + extra, seconds: (Date.now() - started) / 1000 });
    };
    child.on("error", (error) => done(false, `\n${name}: ${error.message}\n`));
    child.on("close", (code, signal) => done(code === 0, code === 0 ? "" : `\n${name}: exit ${code ?? signal}\n`));
  });
}

function stopAll(signal: NodeJS.Signals): void {
  for (const child of running) {
    try {
      // A step leads its own process group (detached); jest shares ours and stops its workers itself.
      if (child.spawnargs[0] === "npm" && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function main(): Promise<number> {
  let stoppedBy: NodeJS.Signals | undefined;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      stoppedBy = signal;
      stopAll(signal);
    });
  }
  // With PROMETHEUS_BIN_DIR set the suites use that folder and the global setup fetches no binaries: neither does this.
  const prefetch = Promise.all(
    PREFETCH_STEPS.filter((name) => name !== "fetch-binaries" || !binDirOverridden()).map(runStep),
  );
  const lint = await Promise.all(LINT_STEPS.map(runStep));
  for (const step of lint) {
    process.stdout.write(`> npm run ${step.name} (${step.seconds.toFixed(1)} s)\n${step.output}`);
  }
  const fetched = await prefetch;
  for (const step of fetched)
    process.stdout.write(`> npm run ${step.name} (${step.seconds.toFixed(1)} s, beside lint)\n`);
  for (const step of fetched.filter((item) => !item.ok)) {
    process.stderr.write(`npm run ${step.name} failed; jest's global setup will try again:\n${step.output}\n`);
  }
  if (stoppedBy !== undefined) return 128 + (stoppedBy === "SIGINT" ? 2 : stoppedBy === "SIGTERM" ? 15 : 1);
  const failed = lint.filter((step) => !step.ok).map((step) => step.name);
  if (failed.length > 0) {
    process.stderr.write(`npm test: ${failed.join(", ")} failed (above); fix that first, jest did not run.\n`);
    return 1;
  }
  const jest = spawn(join(ROOT, "node_modules", ".bin", "jest"), ["--ci", ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: "inherit",
  });
  running.add(jest);
  return new Promise((resolveRun) => {
    jest.on("error", (error) => {
      process.stderr.write(`npm test: could not start jest: ${error.message}\n`);
      resolveRun(1);
    });
    jest.on("close", (code, signal) => resolveRun(code ?? 128 + (signal === "SIGINT" ? 2 : 15)));
  });
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
