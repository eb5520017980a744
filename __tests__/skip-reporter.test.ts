/**
 * The skip reporter, fed jest's own result shapes: a banner for every suite that ran no test, with the reason from
 * its title marker; under CI=true a failed run unless every skip's reason is allowed in CI.
 */
import type { AggregatedResult, TestResult } from "@jest/reporters";
import SkipReporter, { skippedSuite } from "./support/skip-reporter";
import { parseSkippedTitle, skipAllowedInCi, skippedTitle } from "./support/skips";

type AssertionStatus = "passed" | "failed" | "pending" | "todo";

/** A test file's result with one test per status given, under the describe titles given. */
function fileResult(file: string, statuses: readonly AssertionStatus[], ancestorTitles: readonly string[]): TestResult {
  const count = (status: AssertionStatus): number => statuses.filter((item) => item === status).length;
  return {
    testFilePath: `/repo/${file}`,
    numPassingTests: count("passed"),
    numFailingTests: count("failed"),
    numPendingTests: count("pending"),
    numTodoTests: count("todo"),
    testResults: statuses.map((status, index) => ({
      ancestorTitles: [...ancestorTitles],
      title: `test ${index}`,
      fullName: `test ${index}`,
      status,
    })),
  } as unknown as TestResult;
}

function run(ci: boolean, results: readonly TestResult[]): { output: string; error: Error | undefined } {
  let output = "";
  const reporter = new SkipReporter({ rootDir: "/repo" }, {}, {}, { write: (text) => (output += text), ci });
  for (const result of results) reporter.onTestResult({} as never, result);
  reporter.onRunComplete(new Set(), {} as AggregatedResult);
  return { output, error: reporter.getLastError() };
}

const binariesSkip = skippedTitle("promtool", { reason: "missing-binaries", detail: "promtool not found" });
const dockerSkip = skippedTitle("docker", { reason: "no-docker-engine", detail: "docker version: no answer" });

describe("skip markers", () => {
  it("round-trips a reason and a one-line detail through a suite title", () => {
    const title = skippedTitle("suite", { reason: "missing-binaries", detail: "line one\n  line two" });

    expect(title).toBe("suite [SKIPPED(missing-binaries): line one line two]");
    expect(parseSkippedTitle(title)).toEqual({ reason: "missing-binaries", detail: "line one line two" });
    expect(parseSkippedTitle("an ordinary suite")).toBeUndefined();
  });

  it("allows no skip in CI: the Docker suite is mandatory there (.ci/run starts an engine)", () => {
    expect([
      skipAllowedInCi("no-docker-engine"),
      skipAllowedInCi("missing-binaries"),
      skipAllowedInCi("other"),
    ]).toEqual([false, false, false]);
  });
});

describe("the skip reporter", () => {
  it("ignores a suite that ran a test, even with some skipped", () => {
    expect(skippedSuite(fileResult("a.test.ts", ["passed", "pending"], []), "/repo")).toBeUndefined();
  });

  it("prints a banner with the reason for a suite whose tests all skipped, and counts it in the summary", () => {
    const { output, error } = run(false, [
      fileResult("promtool.test.ts", ["pending", "pending"], [binariesSkip]),
      fileResult("ok.test.ts", ["passed"], []),
    ]);

    expect(output).toContain(
      "SKIPPED SUITE promtool.test.ts (2 tests not run)\n  reason missing-binaries:\n    promtool not found",
    );
    expect(output).toContain(
      "1 test suite(s) SKIPPED, 2 tests not run:\n  promtool.test.ts: missing-binaries - promtool not found",
    );
    expect(error).toBeUndefined();
  });

  it("names a skip without a marker as unmarked", () => {
    const { output } = run(false, [fileResult("x.test.ts", ["pending"], ["plain describe.skip"])]);

    expect(output).toContain("reason unmarked:");
  });

  it("fails the run under CI=true for a skip CI does not accept", () => {
    const { output, error } = run(true, [fileResult("promtool.test.ts", ["pending"], [binariesSkip])]);

    expect(output).toContain("reason missing-binaries (NOT allowed in CI)");
    expect(output).toContain("CI=true: 1 of them skipped for a reason CI does not accept, so this run FAILS.");
    expect(error?.message).toBe("skipped suites under CI=true: promtool.test.ts");
  });

  it("fails the run under CI=true when the Docker suite is skipped for want of an engine, with its banner", () => {
    const { output, error } = run(true, [fileResult("docker.test.ts", ["pending", "pending"], [dockerSkip])]);

    expect(output).toContain(
      "SKIPPED SUITE docker.test.ts (2 tests not run)\n  reason no-docker-engine (NOT allowed in CI):",
    );
    expect(error?.message).toBe("skipped suites under CI=true: docker.test.ts");
  });

  it("only prints the Docker suite's skip without CI=true", () => {
    const { output, error } = run(false, [fileResult("docker.test.ts", ["pending", "pending"], [dockerSkip])]);

    expect(output).toContain("SKIPPED SUITE docker.test.ts (2 tests not run)\n  reason no-docker-engine:");
    expect(error).toBeUndefined();
  });

  it("prints nothing when nothing was skipped", () => {
    expect(run(true, [fileResult("ok.test.ts", ["passed"], [])])).toEqual({ output: "", error: undefined });
  });
});
