/**
 * `npm run dashboards`: renders every dashboard the stack deploys into `dashboards/rendered/<uid>.json` (gitignored),
 * for a person to read or import by hand. The same lint as the deploy runs first; on a problem nothing is written and
 * the command exits with status 1 and the list of problems.
 *
 * Rendered with the stack's default context (`DEFAULT_DASHBOARD_CONTEXT`); stale `.json` files in the output folder are
 * removed so it always mirrors what would be deployed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana-datasource";
import { renderDashboards } from "../dashboards";
import type { DashboardContext } from "../dashboards/types";

/**
 * The stack's default dashboard context: job names and scrape interval as the stack deploys them by default. Kept
 * here until the constructs export these defaults; then it should import them, so each fact has one home.
 */
const DEFAULT_DASHBOARD_CONTEXT: DashboardContext = {
  datasource: { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID },
  jobs: { api: "api", prometheus: "prometheus", grafana: "grafana" },
  scrapeIntervalSeconds: 15,
};

const DASHBOARDS_DIR = resolve(__dirname, "..", "dashboards");
const JSON_DIR = join(DASHBOARDS_DIR, "json");
const RENDERED_DIR = join(DASHBOARDS_DIR, "rendered");

function main(): void {
  const files = readdirSync(JSON_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ fileName, content: readFileSync(join(JSON_DIR, fileName), "utf8") }));
  const dashboards = renderDashboards(DEFAULT_DASHBOARD_CONTEXT, files);

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
