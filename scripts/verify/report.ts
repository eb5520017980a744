/**
 * How `npm run verify` prints: a header with the URLs and where each came from, one line per check under its
 * section (✓ passed, ✗ failed with an indented `fix:` line, - skipped with the reason), and a one-line summary.
 */
import type { CheckResult, Section } from "./checks";
import type { ServiceName } from "./expectations";
import type { ResolvedUrl } from "./settings";

/** The marks in front of each line. */
export const MARKS = { pass: "✓", fail: "✗", skip: "-" } as const;

/** The header: what is checked where. The password itself is never printed, only where it came from. */
export function formatHeader(
  urls: Readonly<Record<ServiceName, ResolvedUrl>>,
  passwordDescription: string | undefined,
  prometheusAuthDescription?: string,
): string {
  const lines = [
    "npm run verify: checking the running monitoring stack",
    `  API         ${urls.api.url}  (from ${urls.api.source})`,
    `  Prometheus  ${urls.prometheus.url}  (from ${urls.prometheus.source})`,
    `  Grafana     ${urls.grafana.url}  (from ${urls.grafana.source})`,
  ];
  if (prometheusAuthDescription !== undefined) lines.push(`  Prometheus basic auth: ${prometheusAuthDescription}`);
  if (passwordDescription !== undefined) lines.push(`  Grafana admin password from ${passwordDescription}`);
  return lines.join("\n");
}

/** The mark of a progress line (what verify is waiting for), printed between the results. */
export const PROGRESS_MARK = "…";

/**
 * Prints results as they come, with a section heading whenever the section changes. A fix hint is printed once: a
 * later failure with the same hint says `(fix: as above)` instead of repeating it.
 */
export class ChecklistPrinter {
  private section: Section | undefined;
  private readonly printedHints = new Set<string>();

  constructor(private readonly write: (text: string) => void) {}

  /** Prints one result (and its section heading when it starts a new section). */
  public print(result: CheckResult): void {
    this.heading(result.section);
    if (result.status === "fail" && this.printedHints.has(result.hint)) {
      this.write(`  ${MARKS.fail} ${result.title}: ${result.detail} (fix: as above)\n`);
      return;
    }
    if (result.status === "fail") this.printedHints.add(result.hint);
    this.write(`${formatResult(result)}\n`);
  }

  /** Prints what verify is waiting for (under its section), so a long wait never looks like a hang. */
  public progress(section: Section, message: string): void {
    this.heading(section);
    this.write(`  ${PROGRESS_MARK} ${message}\n`);
  }

  private heading(section: Section): void {
    if (section !== this.section) {
      this.section = section;
      this.write(`\n${section}\n`);
    }
  }
}

/** One result as it is printed. */
export function formatResult(result: CheckResult): string {
  switch (result.status) {
    case "pass":
      return `  ${MARKS.pass} ${result.title}${result.detail === undefined ? "" : `: ${result.detail}`}`;
    case "fail":
      return `  ${MARKS.fail} ${result.title}: ${result.detail}\n      fix: ${result.hint}`;
    case "skip":
      return `  ${MARKS.skip} ${result.title}: SKIPPED (${result.reason})`;
  }
}

/** Counts by status. */
export function countResults(results: readonly CheckResult[]): { pass: number; fail: number; skip: number } {
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
}

/** The last line: counts and the verdict. */
export function formatSummary(results: readonly CheckResult[]): string {
  const counts = countResults(results);
  const verdict =
    counts.fail === 0
      ? "every check passed"
      : `${counts.fail} check${counts.fail === 1 ? "" : "s"} failed: see the fix hints above`;
  return `\nverify: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped: ${verdict}`;
}
