/**
 * The cdktf app: the ONLY place that reads environment variables, files and paths. It turns them into typed settings,
 * builds the monitoring stack with the components the registry lists (`constructs/components.ts`), and synthesizes.
 *
 * Run by `cdktf synth|diff|deploy` (cdktf.json: `npx tsx main.ts`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { App } from "cdktf";
import type { ImportedDashboardFile } from "./dashboards/types";
import { COMPONENTS } from "./constructs/components";
import type { ConfigProblem } from "./constructs/core/validation";
import { userErrorMessage } from "./constructs/core/user-errors";
import { AppSettings, isEnabled, settingsFromEnv, withEnvHint } from "./constructs/env-config";
import { MonitoringStack, MonitoringStackProps, STACK_NAME } from "./constructs/monitoring-stack";
import { DEMO_API_DEFAULTS } from "./constructs/api/defaults";

const projectRoot = __dirname;
const appDir = join(projectRoot, "app");
const importedDashboardsDir = join(projectRoot, "dashboards", "json");

/**
 * What the API's image is built from: the files and folders its Dockerfile copies (a test checks they agree). Only they
 * are hashed, so editing a test or a README does not rebuild the image and replace the container.
 */
export const API_IMAGE_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", "src"] as const;

/** SHA-256 over the API image's inputs, so editing them rebuilds the image. */
function hashSources(dir: string): string {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else {
      files.push(path);
    }
  };
  for (const input of API_IMAGE_INPUTS) walk(join(dir, input));
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(dir, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Every `*.json` file in dashboards/json/, sorted by name so two synths are identical. */
function readImportedDashboards(dir: string): ImportedDashboardFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ fileName, content: readFileSync(join(dir, fileName), "utf8") }));
}

/** Everything the app reads from the environment and the project's files, before any construct exists. */
export interface AppInputs {
  /** The settings the environment variables give. */
  readonly settings: AppSettings;
  /** Variables that do not parse, and settings of components that are not deployed. */
  readonly problems: readonly ConfigProblem[];
  /** The stack's props, with the project's paths (relative to the stack's folder, where Terraform runs). */
  readonly props: MonitoringStackProps;
  /** The demo API's build context (relative to the stack's folder) and the digest of its sources. */
  readonly api: { readonly buildContext: string; readonly sourceHash: string };
  /** The dashboards exported from Grafana in `dashboards/json/`. */
  readonly importedDashboards: readonly ImportedDashboardFile[];
}

/**
 * Reads the environment and the project's files. Never throws on a bad value: problems are returned, and reported
 * with the stack's own in one round when the stack is synthesized.
 * @param outdir the app's output folder (`CDKTF_OUTDIR`, default `cdktf.out`), which the stack's folder is in
 */
export function readAppInputs(outdir: string, env: Readonly<Record<string, string | undefined>>): AppInputs {
  const { settings, problems } = settingsFromEnv(env);
  const stackDir = join(resolve(projectRoot, outdir), "stacks", STACK_NAME);
  return {
    settings,
    problems,
    props: {
      ...(settings.stack as MonitoringStackProps),
      // The state file and the Grafana password file are the project's, whatever folder the app runs from.
      projectDir: projectRoot,
      prometheus: settings.components.prometheus ?? {},
      grafana: settings.components.grafana ?? {},
    },
    api: { buildContext: relative(stackDir, appDir), sourceHash: hashSources(appDir) },
    importedDashboards: readImportedDashboards(importedDashboardsDir),
  };
}

/**
 * The monitoring stack of this project: `MonitoringStack` with every component the registry enables (the demo API
 * with its `app/` build context), the dashboards of `dashboards/json/`, and the problems of the environment, all
 * through the public calls any user makes. To monitor your own service instead of the demo API, add it with
 * `stack.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080 })` below and drop the API from the
 * registry.
 */
export function buildMonitoringStack(
  app: App,
  inputs: AppInputs,
  overrides: Partial<MonitoringStackProps> = {},
): MonitoringStack {
  const stack = new MonitoringStack(app, STACK_NAME, { ...inputs.props, ...overrides });
  stack.reportProblems(...inputs.problems);
  for (const component of COMPONENTS) {
    if (component.add === undefined || !isEnabled(component, inputs.settings.components)) continue;
    // The enable variable is the app's, not the component's option.
    const options = Object.fromEntries(
      Object.entries(inputs.settings.components[component.name] ?? {}).filter(([key]) => key !== "enabled"),
    );
    component.add(stack, component.name === DEMO_API_DEFAULTS.name ? { ...options, ...inputs.api } : options);
  }
  for (const file of inputs.importedDashboards) stack.addDashboard(file);
  return stack;
}

/**
 * Builds the stack exactly as `npm run synth` does, in memory only, for tools that need to know what it deploys
 * (`npm run verify`, `npm run dashboards`, `npm run dev`, the end-to-end suites); `overrides` replace props (a test's
 * scrape interval). Writes nothing and generates no password.
 * @throws ConfigError naming every problem
 */
export function inspectMonitoringStack(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<MonitoringStackProps> = {},
): { readonly stack: MonitoringStack; readonly inputs: AppInputs } {
  // The App creates its output folder at once: give it a scratch folder and remove it.
  const outdir = mkdtempSync(join(tmpdir(), "monitoring-stack-"));
  try {
    const inputs = readAppInputs("cdktf.out", env);
    const stack = buildMonitoringStack(new App({ outdir }), inputs, overrides);
    // What synth checks and creates at the end, without writing anything.
    stack.finalize();
    return { stack, inputs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Prints an error a user can act on (invalid settings, dashboards that fail the lint) without a stack trace and exits
 * 1; anything else is a bug and is rethrown with its trace.
 */
export function exitOnUserError(error: unknown): never {
  // The first line says what was checked and how many problems; each problem then says what to change.
  const message = userErrorMessage(error, (problem) => withEnvHint(problem, process.env));
  if (message === undefined) throw error;
  console.error(message);
  process.exit(1);
}

if (require.main === module) {
  // `cdktf synth` passes the output folder in CDKTF_OUTDIR.
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  // The App creates its output folder at once: a synth that fails on the settings removes it again if it was new.
  const outdirExisted = existsSync(outdir);
  try {
    const inputs = readAppInputs(outdir, process.env);
    const app = new App({ outdir });
    buildMonitoringStack(app, inputs);
    // Every problem is reported here, at once; the stack writes what Terraform reads next to cdk.tf.json itself.
    app.synth();
  } catch (error) {
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    exitOnUserError(error);
  }
}
