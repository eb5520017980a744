// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest reads this CommonJS file as is
const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  // Most of the end-to-end suites' time is waiting on real processes (scrape intervals, traffic bursts, builds), not
  // CPU: at least 5 workers overlap those waits. jest's default (cores - 1) ran one worker on a 2-core machine (193 s
  // against 127 s with 3 workers, at the same CPU time); a fresh-clone `npm test` took 289 s with 3 and 264 s with 4.
  // Four fresh-clone runs alternating 4 and 5 workers (3 Dec, 2 cores): 259 and 260 s with 4, 226 and 243 s with 5, the
  // cores idle for 39 to 42 core-seconds of jest's run with 4 and 20 to 22 with 5 (/proc/stat, every second).
  // 6 workers saturated the CPU enough to starve Prometheus' rule evaluation (see verify's rule-group wait).
  maxWorkers: Math.max(5, availableParallelism() - 1),
  // jest's Node environment, failing a file that leaves a timer pending (support/environment.cjs).
  testEnvironment: "<rootDir>/__tests__/support/environment.cjs",
  roots: ["<rootDir>/__tests__", "<rootDir>/app/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": "<rootDir>/__tests__/support/esbuild-transform.cjs",
  },
  // The listed files first (long ones, then waiting and busy ones alternating), also on a fresh clone where jest has no durations cached (support/sequencer.cjs).
  testSequencer: "<rootDir>/__tests__/support/sequencer.cjs",
  // Fetches the Prometheus-family binaries into .cache/bin on first use.
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // A banner for every skipped suite, counted; under CI=true a skip CI does not accept fails the run.
  reporters: ["default", "<rootDir>/__tests__/support/skip-reporter-loader.cjs"],
  testTimeout: 30000,
};
