/**
 * The cdktf app: the ONLY place that reads environment variables, files and paths. It turns them into typed props and
 * hands them to the MonitoringStack; everything below it is pure or a construct.
 *
 * Run by `cdktf synth|diff|deploy` (cdktf.json: `npx tsx main.ts`).
 */
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
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
import type { GeneratedFile } from "./constructs/config-image-files";
import type { ImportedDashboardFile } from "./dashboards/types";
import { settingsFromEnv, withEnvHint } from "./constructs/env-config";
import { Grafana } from "./constructs/grafana";
import { MonitoringStack, MonitoringStackProps, STACK_NAME } from "./constructs/monitoring-stack";
import { ConfigError, throwIfProblems } from "./constructs/validation";
import { DashboardError } from "./dashboards";

const projectRoot = __dirname;
const appDir = join(projectRoot, "app");
const importedDashboardsDir = join(projectRoot, "dashboards", "json");

/**
 * The admin password file: generated on first use (24 random bytes, readable by this user only), kept across runs.
 * Grafana takes the password on its first start only; change it later in Grafana, then write it here.
 */
function ensureAdminPasswordFile(file: string): void {
  if (existsSync(file)) {
    if (readFileSync(file, "utf8").trim() === "") {
      const path = relative(projectRoot, file);
      throw new ConfigError("Grafana admin password", [
        {
          path: "GRAFANA_ADMIN_PASSWORD_FILE",
          message: `${path} is empty: write the password into it, or delete it to have one generated`,
        },
      ]);
    }
    return;
  }
  mkdirSync(resolve(file, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
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
  /** Absolute path of the Grafana admin password file. */
  readonly passwordFile: string;
}

/**
 * Reads the environment and the project's files into the stack's props; `npm run verify` and the tests use it too,
 * so everything sees the same stack.
 * @throws ConfigError naming every variable that does not parse, or an empty password file
 */
export function loadStackProps(
  outdir: string,
  options: { readonly generatePassword: boolean; readonly env: Readonly<Record<string, string | undefined>> },
): LoadedStack {
  const env = options.env;
  const { settings, problems } = settingsFromEnv(env);
  throwIfProblems("Invalid environment", problems);
  // An empty value counts as unset: resolving "" would name the project folder itself.
  const configuredFile = env.GRAFANA_ADMIN_PASSWORD_FILE?.trim() ?? "";
  const passwordFile = resolve(projectRoot, configuredFile === "" ? ".secrets/grafana-admin-password" : configuredFile);
  if (options.generatePassword) {
    ensureAdminPasswordFile(passwordFile);
  }
  const stackDir = join(resolve(projectRoot, outdir), "stacks", STACK_NAME);
  return {
    passwordFile,
    props: {
      ...settings,
      // Relative to the stack's folder, where Terraform runs: cdk.tf.json is the same wherever the checkout lives.
      apiBuildContext: relative(stackDir, appDir),
      localStatePath: relative(stackDir, join(projectRoot, `terraform.${STACK_NAME}.tfstate`)),
      apiSourceHash: hashSources(appDir),
      grafanaAdminPasswordFile: {
        pathFromStackDir: relative(stackDir, passwordFile),
        pathForHumans: relative(projectRoot, passwordFile),
        ...withOwner(passwordFileOwner(passwordFile, options.generatePassword)),
      },
      importedDashboards: readImportedDashboards(importedDashboardsDir),
    },
  };
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
    return { ...loaded, props, stack: new MonitoringStack(new App({ outdir }), STACK_NAME, props) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Writes the files Terraform reads next to `cdk.tf.json` (the config images' build contexts), replacing what an
 * earlier synth left there. Readable by everyone: they are copied into images whose processes do not run as root.
 */
function writeGeneratedFiles(stackDir: string, files: readonly GeneratedFile[]): void {
  for (const top of new Set(files.map((file) => file.path.split("/")[0]))) {
    rmSync(join(stackDir, top), { recursive: true, force: true });
  }
  for (const file of files) {
    const path = join(stackDir, file.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, file.content);
    chmodSync(path, 0o644);
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
    const { props } = loadStackProps(outdir, { generatePassword: true, env: process.env });
    const app = new App({ outdir });
    const stack = new MonitoringStack(app, STACK_NAME, props);
    app.synth();
    writeGeneratedFiles(join(resolve(projectRoot, outdir), "stacks", STACK_NAME), stack.generatedFiles());
  } catch (error) {
    exitOnUserError(error);
  }
}
