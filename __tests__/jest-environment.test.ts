/**
 * __tests__/support/environment.cjs, the test environment of every file: a file that leaves a timer pending fails, so
 * no worker outlives jest's run (what printed "A worker process has failed to exit gracefully").
 */
import { promisify } from "node:util";

interface Environment {
  readonly global: typeof globalThis;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the environment is a CommonJS file jest requires
const NoLeakedTimersEnvironment = require("./support/environment.cjs") as new (
  config: unknown,
  context: unknown,
) => Environment;

/** The environment as jest builds it for one file, set up. */
async function environmentFor(testPath: string): Promise<Environment> {
  const environment = new NoLeakedTimersEnvironment(
    { globalConfig: {}, projectConfig: { testEnvironmentOptions: {}, globals: {}, fakeTimers: {} } },
    { console, docblockPragmas: {}, testPath },
  );
  await environment.setup();
  return environment;
}

const FIX =
  "clear each one (clearTimeout, clearInterval) once what it waits for is done, or unref() it; npx jest /project/__tests__/leaky.test.ts --detectOpenHandles shows where each was set";

describe("the test environment (support/environment.cjs)", () => {
  it("fails a file that leaves a timer pending, naming the timer, the fix and how to find it", async () => {
    const environment = await environmentFor("/project/__tests__/leaky.test.ts");
    const leaked = environment.global.setTimeout(() => "the leaked one", 60_000);
    try {
      await expect(environment.teardown()).rejects.toThrow(
        `1 timer(s) this file set are still pending after its tests ended, which keeps jest's worker running (setTimeout of 60000 ms: () => "the leaked one"): ${FIX}`,
      );
    } finally {
      clearTimeout(leaked);
    }
  });

  it("fails on an interval left running too, and counts every pending timer", async () => {
    const environment = await environmentFor("/project/__tests__/leaky.test.ts");
    const leaked = [
      environment.global.setInterval(() => "polling", 1000),
      environment.global.setTimeout(() => "fallback", 2000),
    ];
    try {
      await expect(environment.teardown()).rejects.toThrow(
        `2 timer(s) this file set are still pending after its tests ended, which keeps jest's worker running (setInterval of 1000 ms: () => "polling"; setTimeout of 2000 ms: () => "fallback"): ${FIX}`,
      );
    } finally {
      for (const timer of leaked) clearTimeout(timer);
    }
  });

  it("passes a file whose timers were cleared, unref()'d or had fired", async () => {
    const environment = await environmentFor("/project/__tests__/tidy.test.ts");
    const { setTimeout: set, setInterval: every } = environment.global;
    clearTimeout(set(() => undefined, 60_000));
    clearInterval(every(() => undefined, 60_000));
    const unrefd = set(() => undefined, 60_000).unref();
    await new Promise((resolve) => set(resolve, 5));
    await promisify(set)(5);
    try {
      await expect(environment.teardown()).resolves.toBeUndefined();
    } finally {
      clearTimeout(unrefd);
    }
  });

  it("counts only the timers the file set, not another file's", async () => {
    const environment = await environmentFor("/project/__tests__/tidy.test.ts");
    const elsewhere = setTimeout(() => undefined, 60_000);
    try {
      await expect(environment.teardown()).resolves.toBeUndefined();
    } finally {
      clearTimeout(elsewhere);
    }
  });
});
