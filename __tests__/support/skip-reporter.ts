/**
 * A jest reporter that makes skipped suites impossible to miss. jest drops the console output of a suite whose tests
 * all skip, so a suite's own warning never reaches the terminal; this reporter reads the results instead:
 *
 * - every test file with tests and none run (all skipped) gets a banner on stderr at once, with the reason from the
 *   suite's title marker (`__tests__/support/skips.ts`), and again in a summary after jest's own;
 * - under `CI=true` the run fails when a suite was skipped for a reason not allowed in CI (an unmarked skip
 *   included), through the reporter's `getLastError()`, which jest counts as a failed run.
 *
 * Loaded through `skip-reporter-loader.cjs` (jest loads reporters without its transform).
 */
import { relative } from "node:path";
import type { AggregatedResult, Reporter, Test, TestContext, TestResult } from "@jest/reporters";
import { isCi } from "../../scripts/harness/ci";
import { parseSkippedTitle, skipAllowedInCi } from "./skips";

/** A test file that ran no test, and why. */
export interface SkippedSuite {
  readonly file: string;
  readonly skippedTests: number;
  /** The reasons found in its titles; `unmarked` for a skip without a marker. */
  readonly reasons: readonly { readonly reason: string; readonly detail: string }[];
}

/** The skipped suite a test file's result describes, or `undefined` when it ran at least one test (or failed). */
export function skippedSuite(result: TestResult, rootDir: string): SkippedSuite | undefined {
  const ran = result.numPassingTests + result.numFailingTests;
  const skippedTests = result.numPendingTests + result.numTodoTests;
  if (ran > 0 || skippedTests === 0 || result.testExecError !== undefined) return undefined;
  const reasons = new Map<string, { reason: string; detail: string }>();
  for (const test of result.testResults) {
    const marked = test.ancestorTitles.map(parseSkippedTitle).find((skip) => skip !== undefined);
    const skip = marked ?? { reason: "unmarked", detail: "skipped without a reason (describe.skip / it.skip?)" };
    reasons.set(`${skip.reason}\0${skip.detail}`, skip);
  }
  return { file: relative(rootDir, result.testFilePath), skippedTests, reasons: [...reasons.values()] };
}

/** The banner printed for one skipped suite. */
export function skipBanner(suite: SkippedSuite, ci: boolean): string {
  const line = "!".repeat(100);
  const reasons = suite.reasons.map(
    (skip) =>
      `  reason ${skip.reason}${ci ? (skipAllowedInCi(skip.reason) ? " (allowed in CI)" : " (NOT allowed in CI)") : ""}:\n    ${skip.detail}`,
  );
  return [line, `SKIPPED SUITE ${suite.file} (${suite.skippedTests} tests not run)`, ...reasons, line].join("\n");
}

/** The reporter. */
export default class SkipReporter implements Pick<Reporter, "onTestResult" | "onRunComplete" | "getLastError"> {
  private readonly skipped: SkippedSuite[] = [];
  private error: Error | undefined;

  private readonly write: (text: string) => void;
  private readonly ci: boolean;

  /** jest passes its global config, the reporter options and a context; `io` replaces stderr and `CI` in tests. */
  constructor(
    private readonly globalConfig: { readonly rootDir: string },
    _options?: unknown,
    _context?: unknown,
    io: { readonly write?: (text: string) => void; readonly ci?: boolean } = {},
  ) {
    this.write = io.write ?? ((text) => process.stderr.write(text));
    this.ci = io.ci ?? isCi();
  }

  public onTestResult(_test: Test, result: TestResult): void {
    const suite = skippedSuite(result, this.globalConfig.rootDir);
    if (suite === undefined) return;
    this.skipped.push(suite);
    this.write(`\n${skipBanner(suite, this.ci)}\n`);
  }

  public onRunComplete(_contexts: Set<TestContext>, _results: AggregatedResult): void {
    if (this.skipped.length === 0) return;
    const notAllowed = this.skipped.filter((suite) => suite.reasons.some((skip) => !skipAllowedInCi(skip.reason)));
    const lines = [
      "",
      "!".repeat(100),
      `${this.skipped.length} test suite(s) SKIPPED, ${this.skipped.reduce((sum, suite) => sum + suite.skippedTests, 0)} tests not run:`,
      ...this.skipped.map(
        (suite) =>
          `  ${suite.file}: ${suite.reasons.map((skip) => `${skip.reason} - ${skip.detail.split("\n")[0]}`).join("; ")}`,
      ),
    ];
    if (this.ci && notAllowed.length > 0) {
      lines.push(`CI=true: ${notAllowed.length} of them skipped for a reason CI does not accept, so this run FAILS.`);
      this.error = new Error(`skipped suites under CI=true: ${notAllowed.map((suite) => suite.file).join(", ")}`);
    } else if (!this.ci) {
      lines.push("With CI=true only a skip for a reason allowed in CI (__tests__/support/skips.ts) passes.");
    }
    lines.push("!".repeat(100), "");
    this.write(lines.join("\n"));
  }

  public getLastError(): Error | undefined {
    return this.error;
  }
}
