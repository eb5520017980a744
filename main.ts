/**
 * The cdktf app: the ONLY place that reads environment variables, files and paths. It turns them into typed props and
 * hands them to the MonitoringStack; everything below it is pure or a construct.
 *
 * Run by `cdktf synth|diff|deploy` (cdktf.json: `npx tsx main.ts`).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { App } from "cdktf";
import type { ImportedDashboardFile } from "./dashboards/types";
import { settingsFromEnv, withEnvHint } from "./constructs/env-config";
import { MonitoringStack, STACK_NAME } from "./constructs/monitoring-stack";
import { ConfigError, ConfigProblem } from "./constructs/validation";

const projectRoot = __dirname;
const appDir = join(projectRoot, "app");
const importedDashboardsDir = join(projectRoot, "dashboards", "json");

/** Fails the synth with every message, each naming what to change. */
function fail(title: string, messages: readonly string[]): never {
  console.error(`${title}:\n${messages.map((message) => `  - ${message}`).join("\n")}`);
  process.exit(1);
}

/**
 * The admin password file: generated on first use (24 random bytes, readable by this user only), kept across runs.
 * Grafana takes the password on its first start only; change it later in Grafana, then write it here.
 */
function ensureAdminPasswordFile(file: string): void {
  if (existsSync(file)) {
    if (readFileSync(file, "utf8").trim() === "") {
      fail("Grafana admin password", [
        `${relative(projectRoot, file)} is empty: write the password into it, or delete it to have one generated`,
      ]);
    }
    return;
  }
  mkdirSync(resolve(file, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  console.error(`Generated the Grafana admin password in ${relative(projectRoot, file)} (keep it; it is gitignored).`);
}

/** Every `*.json` file in dashboards/json/, sorted by name so two synths are identical. */
function readImportedDashboards(dir: string): ImportedDashboardFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ fileName, content: readFileSync(join(dir, fileName), "utf8") }));
}

/** SHA-256 over the API's sources (everything in app/ but dependencies and build output), so edits rebuild the image. */
function hashSources(dir: string): string {
  const skip = new Set(["node_modules", "dist", "coverage"]);
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current).sort()) {
      if (skip.has(entry)) continue;
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dir);
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(dir, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

const { settings, problems } = settingsFromEnv(process.env);
if (problems.length > 0) {
  fail(
    "Invalid environment",
    problems.map((problem: ConfigProblem) => problem.message),
  );
}

const passwordFile = resolve(projectRoot, process.env.GRAFANA_ADMIN_PASSWORD_FILE ?? ".secrets/grafana-admin-password");
ensureAdminPasswordFile(passwordFile);

const app = new App();
const stackDir = join(resolve(projectRoot, app.outdir), "stacks", STACK_NAME);
try {
  new MonitoringStack(app, STACK_NAME, {
    ...settings,
    apiBuildContext: appDir,
    apiSourceHash: hashSources(appDir),
    grafanaAdminPasswordFile: {
      pathFromStackDir: relative(stackDir, passwordFile),
      pathForHumans: relative(projectRoot, passwordFile),
    },
    importedDashboards: readImportedDashboards(importedDashboardsDir),
  });
} catch (error) {
  if (error instanceof ConfigError) {
    fail("Invalid stack settings", error.problems.map(withEnvHint));
  }
  throw error;
}
app.synth();
