/**
 * The cdktf app: the ONLY place that reads environment variables, files and paths. It turns them into typed props and
 * hands them to the MonitoringStack; everything below it is pure or a construct.
 *
 * Run by `cdktf synth|diff|deploy` (cdktf.json: `npx tsx main.ts`).
 */
import { createHash, randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { App } from "cdktf";
import type { ImportedDashboardFile } from "./dashboards/types";
import { renderApiAlertRules } from "./constructs/alert-rules";
import { ApiService, DemoApiProps, apiServiceOptionProblems, demoApiService } from "./constructs/api-service";
import { addBlackboxExporter } from "./constructs/blackbox-exporter";
import { addCadvisor } from "./constructs/cadvisor";
import { settingsFromEnv, withEnvHint } from "./constructs/env-config";
import { addNodeExporter } from "./constructs/node-exporter";
import {
  MonitoringStack,
  MonitoringStackProps,
  STACK_NAME,
  monitoringStackProblems,
} from "./constructs/monitoring-stack";
import { ConfigError, type ConfigProblem, throwIfProblems } from "./constructs/validation";
import { DASHBOARD_MODULES, DashboardError } from "./dashboards";
import { Grafana } from "./constructs/grafana";

const projectRoot = __dirname;
const appDir = join(projectRoot, "app");
const importedDashboardsDir = join(projectRoot, "dashboards", "json");

/** The password file used when `GRAFANA_ADMIN_PASSWORD_FILE` is unset, relative to the project. */
const DEFAULT_PASSWORD_FILE = ".secrets/grafana-admin-password";

/** The code of a Node.js file-system error (`ENOENT`, `EACCES`, ...), or `undefined`. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A problem with the admin password file, as a setting problem that names the variable, the value and the fix. */
function passwordFileProblem(file: string, isDefault: boolean, what: string): ConfigProblem {
  const setting = isDefault
    ? `the Grafana admin password file ${relative(projectRoot, file)}`
    : `GRAFANA_ADMIN_PASSWORD_FILE=${file}`;
  const fix = isDefault
    ? "fix that, or set GRAFANA_ADMIN_PASSWORD_FILE to a file in a folder you can write"
    : "point GRAFANA_ADMIN_PASSWORD_FILE at a file in an existing folder you can write, or unset it to use " +
      DEFAULT_PASSWORD_FILE;
  return { path: "GRAFANA_ADMIN_PASSWORD_FILE", message: `${setting}: ${what}; ${fix}` };
}

/**
 * Checks the admin password file without writing anything: an existing file must be a readable, non-empty regular
 * file; a missing one must be creatable: its folder must exist (only the default `.secrets/` folder is created, and
 * only inside the project, never recursively), so a path under `/proc` or below a file fails at once instead of
 * hanging in a recursive mkdir.
 */
function passwordFileProblems(file: string, isDefault: boolean): ConfigProblem[] {
  const problem = (what: string): ConfigProblem[] => [passwordFileProblem(file, isDefault, what)];
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOTDIR") return problem(`${firstExistingAncestor(file)} is a file, not a folder`);
    if (code !== "ENOENT") return problem(`cannot be read (${code ?? String(error)})`);
    const folder = dirname(file);
    if (isDefault && folder === join(projectRoot, ".secrets")) return [];
    try {
      if (!statSync(folder).isDirectory()) return problem(`${folder} is not a folder`);
    } catch (folderError) {
      return problem(
        errorCode(folderError) === "ENOENT" || errorCode(folderError) === "ENOTDIR"
          ? `the folder ${folder} does not exist (it is not created for you)`
          : `the folder ${folder} cannot be read (${errorCode(folderError) ?? String(folderError)})`,
      );
    }
    return [];
  }
  if (!stats.isFile()) return problem("is not a regular file (a folder?)");
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    return problem(`cannot be read (${errorCode(error) ?? String(error)})`);
  }
  if (content.trim() === "") {
    return problem("is empty: write the password into it, or delete it to have one generated");
  }
  return [];
}

/** The nearest ancestor of `path` that exists (for `/etc/passwd/pw`: `/etc/passwd`). */
function firstExistingAncestor(path: string): string {
  let current = dirname(path);
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/**
 * Generates the admin password file when it does not exist yet (24 random bytes, readable by this user only); kept
 * across runs. Grafana takes the password on its first start only; change it later in Grafana, then write it here.
 * Call only after {@link passwordFileProblems} found nothing.
 * @throws ConfigError when the file cannot be written
 */
function ensureAdminPasswordFile(file: string, isDefault: boolean): void {
  if (existsSync(file)) return;
  try {
    // Never recursive: only the default .secrets/ folder is created, and its parent is the project itself.
    if (!existsSync(dirname(file))) mkdirSync(dirname(file), { mode: 0o700 });
    writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    throw new ConfigError("Grafana admin password", [
      passwordFileProblem(file, isDefault, `cannot be written (${errorCode(error) ?? String(error)})`),
    ]);
  }
  // stdout: the cdktf CLI labels everything on stderr "[ERROR]"; the stack output grafana_admin_password_hint and
  // the README say where the password is.
  console.log(`Generated the Grafana admin password in ${relative(projectRoot, file)} (mode 0600; keep it private).`);
}

/**
 * Who Grafana runs as to read the 0600 password file: its owner. A root-owned file (a deploy as root) is handed to
 * Grafana's own uid instead when `handOver` is set, because Grafana must never run as root.
 */
function passwordFileOwner(file: string, handOver: boolean): { uid: number; gid: number } | undefined {
  if (!existsSync(file)) return undefined;
  const { uid, gid } = statSync(file);
  if (uid !== 0) return { uid, gid };
  if (handOver) chownSync(file, Grafana.DEFAULT_UID, Grafana.DEFAULT_GID);
  return undefined;
}

function withOwner(owner: { uid: number; gid: number } | undefined): { owner?: { uid: number; gid: number } } {
  return owner === undefined ? {} : { owner };
}

/** Every `*.json` file in dashboards/json/, sorted by name so two synths are identical. */
function readImportedDashboards(dir: string): ImportedDashboardFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((fileName) => ({ fileName, content: readFileSync(join(dir, fileName), "utf8") }));
}

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

/** The stack's props and the admin password file, as this project's environment and files give them. */
export interface LoadedStack {
  readonly props: MonitoringStackProps;
  /** The demo API's settings (`API_*` variables, the `app/` build context). */
  readonly api: DemoApiProps;
  /** Absolute path of the Grafana admin password file. */
  readonly passwordFile: string;
  /** Which optional exporters to add (`CADVISOR_ENABLED`). @default cAdvisor not added */
  readonly exporters?: { readonly cadvisorEnabled: boolean };
}

/**
 * Reads the environment and the project's files into the stack's props; `npm run verify` and the tests use it too,
 * so everything sees the same stack. Every problem is reported in one round: variables that do not parse, the password
 * file, and what the stack itself rejects in the settings that did parse (a port clash, an interval out of range).
 * The password file is generated (`generatePassword`) only when nothing is wrong. It is needed even when
 * `TF_VAR_grafana_admin_password` is set: Grafana reads its password from that file (mounted read-only), the variable
 * only overrides what the Grafana provider signs in with.
 * @throws ConfigError naming every problem
 */
export function loadStackProps(
  outdir: string,
  options: { readonly generatePassword: boolean; readonly env: Readonly<Record<string, string | undefined>> },
): LoadedStack {
  const env = options.env;
  const { settings, problems: envProblems } = settingsFromEnv(env);
  const { api, cadvisor, ...stackSettings } = settings;
  // An empty value counts as unset: resolving "" would name the project folder itself.
  const configuredFile = env.GRAFANA_ADMIN_PASSWORD_FILE?.trim() ?? "";
  const isDefault = configuredFile === "";
  const passwordFile = resolve(projectRoot, isDefault ? DEFAULT_PASSWORD_FILE : configuredFile);
  const passwordProblems = options.generatePassword ? passwordFileProblems(passwordFile, isDefault) : [];
  const stackDir = join(resolve(projectRoot, outdir), "stacks", STACK_NAME);
  const load = (): LoadedStack => ({
    passwordFile,
    // Relative to the stack's folder, where Terraform runs: cdk.tf.json is the same wherever the checkout lives.
    api: { ...api, buildContext: relative(stackDir, appDir), sourceHash: hashSources(appDir) },
    exporters: { cadvisorEnabled: cadvisor?.enabled ?? false },
    props: {
      ...stackSettings,
      // Relative to the stack's folder, where Terraform runs: cdk.tf.json is the same wherever the checkout lives.
      localStatePath: relative(stackDir, join(projectRoot, `terraform.${STACK_NAME}.tfstate`)),
      grafanaAdminPasswordFile: {
        pathFromStackDir: relative(stackDir, passwordFile),
        pathForHumans: relative(projectRoot, passwordFile),
        ...withOwner(passwordFileOwner(passwordFile, options.generatePassword)),
      },
      importedDashboards: readImportedDashboards(importedDashboardsDir),
    },
  });
  const problems = [...envProblems, ...passwordProblems];
  if (problems.length > 0) {
    // Report the stack's own problems with the settings that did parse in the same round, not on the next run.
    throwIfProblems("Invalid settings", [...problems, ...stackProblems(load())]);
  }
  if (options.generatePassword) {
    ensureAdminPasswordFile(passwordFile, isDefault);
  }
  // After the file exists: Grafana runs as its owner (passwordFileOwner).
  return load();
}

/** What the stack rejects in `loaded` (built in a scratch folder, then discarded); empty when it builds. */
function stackProblems(loaded: Pick<LoadedStack, "props" | "api" | "exporters">): readonly ConfigProblem[] {
  const outdir = mkdtempSync(join(tmpdir(), "monitoring-stack-check-"));
  try {
    buildMonitoringStack(new App({ outdir }), loaded).finalize();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    // Anything else is reported when the real synth runs into it.
    return [];
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The monitoring stack with the demo API, through the public calls any user makes. To monitor your own service
 * instead, replace the `addService("api", ...)` call (`{ image: "ghcr.io/acme/orders:1.4.2", port: 8080 }`) and the
 * API's rules and dashboard below; the stack's own rules and dashboards follow whatever is added.
 * @throws ConfigError naming every invalid setting of the stack and the API at once
 */
export function buildMonitoringStack(
  app: App,
  loaded: Pick<LoadedStack, "props" | "api" | "exporters">,
): MonitoringStack {
  throwIfProblems(`MonitoringStack "${STACK_NAME}"`, [
    ...monitoringStackProblems(loaded.props),
    ...apiServiceOptionProblems("api", loaded.api),
  ]);
  const stack = new MonitoringStack(app, STACK_NAME, loaded.props);
  stack.addService(ApiService.NAME, demoApiService(loaded.api));
  stack.addAlertRules(ApiService.NAME, (ctx) =>
    renderApiAlertRules({
      ...ctx.alerting,
      jobNames: ctx.deployedJobs,
      apiJobName: ctx.jobs[ApiService.NAME] ?? ApiService.JOB_NAME,
      prometheusJobName: ctx.jobs.prometheus,
      scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    }),
  );
  // The API Overview and the Platform Overview (which shows the API's runtime next to Prometheus and Grafana).
  for (const dashboard of DASHBOARD_MODULES) stack.addDashboard(dashboard);
  // The host and the health of every service (each with its rules and dashboard), through the same public calls.
  addNodeExporter(stack);
  addBlackboxExporter(stack);
  if (loaded.exporters?.cadvisorEnabled === true) addCadvisor(stack);
  return stack;
}

/**
 * Builds the stack exactly as `npm run synth` does, in memory only, for tools that need to know what it deploys
 * (`npm run verify`, `npm run dashboards`, the end-to-end suite); `overrides` replace props (a test's scrape
 * interval). Writes nothing and generates no password.
 */
export function inspectMonitoringStack(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<MonitoringStackProps> = {},
): LoadedStack & {
  readonly stack: MonitoringStack;
} {
  // The App creates its output folders at once: give it a scratch folder and remove it.
  const outdir = mkdtempSync(join(tmpdir(), "monitoring-stack-"));
  try {
    const loaded = loadStackProps(outdir, { generatePassword: false, env });
    const props = { ...loaded.props, ...overrides };
    const stack = buildMonitoringStack(new App({ outdir }), { props, api: loaded.api, exporters: loaded.exporters });
    // What synth checks and creates at the end, without writing anything.
    stack.finalize();
    return { ...loaded, props, stack };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Prints an error a user can act on (invalid settings, dashboards that fail the lint) without a stack trace and exits
 * 1; anything else is a bug and is rethrown with its trace.
 */
export function exitOnUserError(error: unknown): never {
  if (error instanceof ConfigError) {
    // The first line says what was checked and how many problems; each problem then says what to change.
    console.error(
      `${error.message.split("\n")[0]}\n${error.problems.map((problem) => `  - ${withEnvHint(problem)}`).join("\n")}`,
    );
    process.exit(1);
  }
  if (error instanceof DashboardError) {
    // The message already lists every problem with its file, panel and fix.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

if (require.main === module) {
  try {
    // `cdktf synth` passes the output folder in CDKTF_OUTDIR. The props are loaded before the App exists, because the
    // App creates its output folders at once and a synth that fails on the environment must leave nothing behind.
    const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
    const loaded = loadStackProps(outdir, { generatePassword: true, env: process.env });
    const app = new App({ outdir });
    buildMonitoringStack(app, loaded);
    // The stack writes everything Terraform reads next to cdk.tf.json itself (the config images' build contexts).
    app.synth();
  } catch (error) {
    exitOnUserError(error);
  }
}
