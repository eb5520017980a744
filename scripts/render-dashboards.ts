/**
 * `npm run dashboards`: renders every dashboard the stack deploys into `dashboards/rendered/<uid>.json` (gitignored),
 * for a person to read or import by hand. The same lint as the deploy runs first; on a problem nothing is written and
 * the command exits with status 1 and the list of problems.
 *
 * Rendered by the stack itself, from the same environment as `npm run synth`; stale `.json` files in the output
 * folder are removed so it always mirrors what would be deployed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { inspectMonitoringStack } from "../main";

const RENDERED_DIR = resolve(__dirname, "..", "dashboards", "rendered");

function main(): void {
  // The stack renders (and lints) its dashboards, built and imported, with the same settings a deploy uses.
  const { dashboards } = inspectMonitoringStack(process.env).stack;

  mkdirSync(RENDERED_DIR, { recursive: true });
  for (const stale of readdirSync(RENDERED_DIR).filter((name) => name.endsWith(".json"))) {
    rmSync(join(RENDERED_DIR, stale));
  }
  for (const dashboard of dashboards) {
    const path = join(RENDERED_DIR, `${dashboard.uid}.json`);
    writeFileSync(path, `${JSON.stringify(dashboard.model, null, 2)}\n`);
    console.log(`${dashboard.source} -> ${path} ("${dashboard.title}")`);
    for (const rewrite of dashboard.rewrites ?? []) console.log(`    - ${rewrite}`);
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
