/**
 * jest's global setup: fetches the Prometheus-family binaries into `.cache/bin` on first use (and after a version
 * bump), so `npm ci && npm test` runs every suite on a fresh clone. Skipped when `PROMETHEUS_BIN_DIR` names another
 * directory. When the fetch fails, `CI=true` fails the run here; locally the suites that need the binaries are
 * skipped, each with a banner from the skip reporter.
 */
import { binDirOverridden, DEFAULT_BIN_DIR } from "../../scripts/harness/binaries";
import { isCi } from "../../scripts/harness/ci";
import { ensureBinaries, FetchBinariesError } from "../../scripts/fetch-binaries";

export default function globalSetup(): void {
  if (binDirOverridden()) return;
  try {
    ensureBinaries(DEFAULT_BIN_DIR, (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    const message = error instanceof FetchBinariesError ? error.message : String(error);
    if (isCi()) throw new Error(`${message}\nCI=true: the suites that need these binaries must run.`);
    process.stderr.write(
      `\n${"!".repeat(100)}\n${message}\nThe suites that need them will be SKIPPED.\n${"!".repeat(100)}\n`,
    );
  }
}
