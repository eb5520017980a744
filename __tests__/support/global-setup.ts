/**
 * jest's global setup: fetches on first use (and after a version bump) what the suites need from Debian's archive,
 * so `npm ci && npm test` runs every suite on a fresh clone:
 * - the Prometheus-family binaries into `.cache/bin`, copied from the machine cache when an earlier fetch stored them
 *   there (scripts/harness/machine-cache.ts; skipped when `PROMETHEUS_BIN_DIR` names another directory).
 *   When that fetch fails, `CI=true` fails the run here; locally the suites that need the binaries are skipped, each
 *   with a banner from the skip reporter.
 * - the community dashboards into `.cache/community-dashboards` (`npm run fetch-dashboards`). When that fetch fails,
 *   `CI=true` fails the run here; locally the suites that read them fail, each saying which file is missing and how
 *   to fetch it (they are never skipped).
 * - one scratch folder for the whole run, made the TMPDIR of every worker and of what the suites start, removed when
 *   jest exits: cdktf's Testing.app and Testing.fullSynth make a `cdktf.outdir.*` folder per synth that nothing
 *   removes, and the test apps' scratch projects piled up too (about 300 folders left in /tmp by every run).
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binDirOverridden, DEFAULT_BIN_DIR } from "../../scripts/harness/binaries";
import { isCi } from "../../scripts/harness/ci";
import { ensureBinaries, FetchBinariesError } from "../../scripts/fetch-binaries";
import { DEFAULT_DASHBOARDS_DIR, ensureDashboards, FetchDashboardsError } from "../../scripts/fetch-dashboards";

function banner(message: string, consequence: string): void {
  process.stderr.write(`\n${"!".repeat(100)}\n${message}\n${consequence}\n${"!".repeat(100)}\n`);
}

export default async function globalSetup(): Promise<void> {
  // jest's workers start after this and inherit TMPDIR; this runs in jest's own process, whose exit removes it.
  const scratch = mkdtempSync(join(tmpdir(), "monitoring-jest-"));
  // Like /tmp: the servers the harness runs as nobody (PostgreSQL refuses root) must reach their folders below it.
  chmodSync(scratch, 0o1777);
  process.env.TMPDIR = scratch;
  process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  if (!binDirOverridden()) {
    try {
      ensureBinaries(DEFAULT_BIN_DIR, log);
    } catch (error) {
      const message = error instanceof FetchBinariesError ? error.message : String(error);
      if (isCi()) throw new Error(`${message}\nCI=true: the suites that need these binaries must run.`);
      banner(message, "The suites that need them will be SKIPPED.");
    }
  }
  try {
    await ensureDashboards(DEFAULT_DASHBOARDS_DIR, log);
  } catch (error) {
    const message = error instanceof FetchDashboardsError ? error.message : String(error);
    if (isCi()) throw new Error(`${message}\nCI=true: the suites that read the community dashboards must run.`);
    banner(message, "The suites that read the community dashboards will FAIL (they are never skipped).");
  }
}
