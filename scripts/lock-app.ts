/**
 * `npm run lock:app`: writes app/package-lock.json, the lockfile `docker build app/` uses with `npm ci`.
 *
 * The root lockfile is a workspace lockfile and cannot be used from app/ alone, so app/package.json is resolved on
 * its own in a temporary folder. The root lockfile is copied there first as a starting tree: npm keeps every version
 * it already locked, so the image gets the versions the tests run against. Only the npm registry is contacted and no
 * install scripts run. {@link lockProblems} is the check app/test/lockfile.test.ts runs on the committed files.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The parts of a package.json the check reads. */
export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** One entry of a v3 lockfile's `packages`. */
export interface LockedPackage {
  readonly name?: string;
  readonly version?: string;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/** A v3 package-lock.json. */
export interface Lockfile {
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockedPackage>>;
}

const FIX = "run npm run lock:app";

/**
 * Everything that makes `app/package-lock.json` unusable or different from what the tests run: out of sync with
 * `app/package.json` (npm ci would refuse it), an incomplete tree, or a package resolving to another version than
 * in the root lockfile when installed in the workspace. Returns one message per problem; empty means in sync.
 */
export function lockProblems(appPackage: PackageJson, appLock: Lockfile, rootLock: Lockfile): string[] {
  const problems: string[] = [];
  if (appLock.lockfileVersion !== 3) {
    problems.push(`app/package-lock.json has lockfileVersion ${appLock.lockfileVersion}, expected 3 (${FIX})`);
  }
  const root = appLock.packages[""] ?? {};
  for (const field of ["name", "version"] as const) {
    if (root[field] !== appPackage[field]) {
      problems.push(
        `app/package-lock.json has ${field} ${String(root[field])}, app/package.json has ${appPackage[field]} (${FIX})`,
      );
    }
  }
  for (const field of ["dependencies", "devDependencies"] as const) {
    const declared = JSON.stringify(sorted(appPackage[field] ?? {}));
    const locked = JSON.stringify(sorted(root[field] ?? {}));
    if (declared !== locked) {
      problems.push(`app/package-lock.json ${field} ${locked} differ from app/package.json ${declared} (${FIX})`);
    }
  }

  for (const [path, entry] of Object.entries(appLock.packages)) {
    if (path === "") continue;
    for (const dependency of Object.keys(entry.dependencies ?? {})) {
      if (resolveFrom(appLock, path, dependency) === undefined) {
        problems.push(`${path} depends on ${dependency}, which app/package-lock.json does not contain (${FIX})`);
      }
    }
    const inWorkspace = resolvePath(rootLock, "app", packageNames(path));
    const rootVersion = inWorkspace === undefined ? undefined : rootLock.packages[inWorkspace]?.version;
    if (rootVersion !== entry.version) {
      problems.push(
        `${path}: app/package-lock.json locks ${String(entry.version)}, ` +
          `the root package-lock.json resolves ${String(rootVersion)} for app/ (${FIX})`,
      );
    }
  }
  for (const dependency of Object.keys({ ...root.dependencies, ...root.devDependencies })) {
    if (resolveFrom(appLock, "", dependency) === undefined) {
      problems.push(`app/package.json needs ${dependency}, which app/package-lock.json does not contain (${FIX})`);
    }
  }
  return problems;
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** `node_modules/a/node_modules/@s/b` -> `["a", "@s/b"]`. */
function packageNames(path: string): string[] {
  return path.split(/(?:^|\/)node_modules\//).filter((name) => name !== "");
}

/** Where Node would find `name` when required from the package at `location`, in lockfile path terms. */
function resolveFrom(lock: Lockfile, location: string, name: string): string | undefined {
  let dir: string | undefined = location;
  while (dir !== undefined) {
    const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    dir = parentOf(dir);
  }
  return undefined;
}

/** Resolves a chain of package names (each required by the previous one) starting at `location`. */
function resolvePath(lock: Lockfile, location: string, names: readonly string[]): string | undefined {
  let current: string | undefined = location;
  for (const name of names) {
    if (current === undefined) return undefined;
    current = resolveFrom(lock, current, name);
  }
  return current;
}

function parentOf(dir: string): string | undefined {
  if (dir === "") return undefined;
  const nested = dir.lastIndexOf("/node_modules/");
  return nested >= 0 ? dir.slice(0, nested) : "";
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/**
 * The app/package-lock.json that `npm run lock:app` writes for the current app/package.json and root lockfile, as
 * text: app/package.json resolved on its own in a temporary folder, starting from a copy of the root lockfile.
 * Deterministic for given inputs, so the committed file must equal it (app/test/lockfile.test.ts and
 * __tests__/lock-app.test.ts check that).
 */
export function generateAppLock(repoRoot: string, stdio: "inherit" | "pipe" = "pipe"): string {
  const workDir = mkdtempSync(join(tmpdir(), "lock-app-"));
  try {
    copyFileSync(join(repoRoot, "app", "package.json"), join(workDir, "package.json"));
    copyFileSync(join(repoRoot, "package-lock.json"), join(workDir, "package-lock.json"));
    execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: workDir,
      stdio,
      timeout: 120_000,
    });
    return readFileSync(join(workDir, "package-lock.json"), "utf8");
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function main(): void {
  const repoRoot = resolve(__dirname, "..");
  const appDir = join(repoRoot, "app");
  writeFileSync(join(appDir, "package-lock.json"), generateAppLock(repoRoot, "inherit"));
  const appLock = readJson<Lockfile>(join(appDir, "package-lock.json"));
  const problems = lockProblems(
    readJson<PackageJson>(join(appDir, "package.json")),
    appLock,
    readJson<Lockfile>(join(repoRoot, "package-lock.json")),
  );
  process.stdout.write(`wrote app/package-lock.json (${Object.keys(appLock.packages).length - 1} packages)\n`);
  if (problems.length > 0) {
    // Happens when the root lockfile is itself stale: run `npm install` at the root first, then this again.
    process.stderr.write(`app/package-lock.json still differs:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main();
}
