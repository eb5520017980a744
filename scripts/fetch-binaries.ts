/**
 * `npm run fetch-binaries [-- DIR]`: puts the binaries the tests and `npm run dev` run into DIR (default `.cache/bin`,
 * gitignored), exactly at the pinned versions: each component declares its own (`binaries` in its index.ts, listed by
 * constructs/components.ts): the Prometheus family and the exporters at the versions their images pin, and the
 * servers the exporters are tested against (PostgreSQL, Redis, NGINX) at the versions tested. jest's global setup
 * calls it on first use.
 *
 * Where they come from: Debian's archive, through a private apt directory (its own sources list, lists and cache in a
 * temporary folder; nothing installed system-wide, no root needed). The Go binaries come from unstable first, then
 * testing; a binary that names its `suite` comes from that suite (the C servers: bookworm, whose libraries this
 * machine has). Each package's candidate version is compared with the pinned one before downloading, and each
 * binary's version (its `versionProbe`) after unpacking. A binary with a `packagePath` keeps its whole package (and
 * its `withPackages`) under DIR/<package>.d/ and gets a launcher script. The Debian mirror is the one this machine's
 * apt uses, else deb.debian.org.
 *
 * Without apt (not a Debian-family machine) there is no fallback: the upstream release archives would have to be
 * verified against pinned SHA-256 sums, and those sums could not be obtained from the projects' release pages here.
 * The command then fails and says how to point `PROMETHEUS_BIN_DIR` at binaries installed another way.
 *
 * Reuses DIR when its stamp (`versions.json`) records the pinned versions and every binary is there. Otherwise it
 * copies them from the machine's cache when an earlier fetch (from any checkout) stored the same specs there, checking
 * the copy against the stored manifest and every binary's version, and fetches only when that cache has none; a fetch
 * stores its result there (scripts/harness/machine-cache.ts says where and how it is checked).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  BINARIES,
  type BinarySpec,
  DEFAULT_BIN_DIR,
  parseVersionOf,
  type PrometheusBinary,
  versionArgs,
} from "./harness/binaries";
import {
  cacheKey,
  copyStoredTree,
  MACHINE_CACHE_ENV,
  MACHINE_CACHE_OFF,
  MachineCacheSettingError,
  machineCacheRoot,
  type MachineCacheRoot,
  storeTree,
  swapIn,
} from "./harness/machine-cache";

/** Debian suites tried in order: unstable carries the Prometheus 3.5 LTS line; testing may catch up. */
export const DEBIAN_SUITES = ["unstable", "testing"] as const;

/** The mirror used when this machine's apt configuration names none. */
const DEFAULT_MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const STAMP = "versions.json";
/** Bounds of the apt and dpkg commands, in milliseconds. */
const TIMEOUT_MS = { update: 180_000, download: 300_000, other: 60_000 } as const;

/** A problem fetching the binaries, with what to do about it. */
export class FetchBinariesError extends Error {
  public override readonly name = "FetchBinariesError";
}

/** The pinned version of every binary, as the stamp records it. */
export function pinnedVersions(): Record<PrometheusBinary, string> {
  return Object.fromEntries(Object.entries(BINARIES).map(([name, spec]) => [name, spec.version])) as Record<
    PrometheusBinary,
    string
  >;
}

/** True when `dir` holds every binary at the pinned versions (by its stamp). */
export function binariesUpToDate(dir: string): boolean {
  const stampPath = join(dir, STAMP);
  if (!existsSync(stampPath)) return false;
  let stamp: unknown;
  try {
    stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  } catch {
    return false;
  }
  if (JSON.stringify(stamp) !== JSON.stringify(pinnedVersions())) return false;
  return Object.values(BINARIES).every((spec) => existsSync(join(dir, spec.fileNames[0])));
}

/** `3.5.3+ds1-6` -> `3.5.3`; `1:2.0-1` -> `2.0`: the upstream part of a Debian version. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, "").replace(/[+~-].*$/, "");
}

/** The first Debian mirror in this machine's apt sources (deb822 `.sources` or `sources.list`), else deb.debian.org. */
export function debianMirror(sources: readonly string[]): string {
  for (const text of sources) {
    for (const line of text.split("\n")) {
      const deb822 = /^URIs:\s*(\S+)/.exec(line);
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
      const uri = deb822?.[1] ?? oneLine?.[1];
      if (uri !== undefined && !uri.includes("security")) return uri.replace(/\/+$/, "");
    }
  }
  return DEFAULT_MIRROR;
}

/** The text of this machine's apt sources (`sources.list.d/*` then `sources.list`). */
export function readAptSources(): string[] {
  const texts: string[] = [];
  const partsDir = "/etc/apt/sources.list.d";
  if (existsSync(partsDir)) {
    for (const name of readdirSync(partsDir).sort()) {
      if (name.endsWith(".sources") || name.endsWith(".list")) texts.push(readFileSync(join(partsDir, name), "utf8"));
    }
  }
  if (existsSync("/etc/apt/sources.list")) texts.push(readFileSync("/etc/apt/sources.list", "utf8"));
  return texts;
}

function run(command: string, args: readonly string[], timeoutMs: number, cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit ${String(result.status)}`;
    throw new FetchBinariesError(`${command} ${args.join(" ")} failed (${why}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).status === 0;
}

/** A private apt: its own sources list, lists and cache under `work`; the machine's apt state is never touched. */
function privateApt(work: string, mirror: string, suite: string): readonly string[] {
  mkdirSync(join(work, "lists", "partial"), { recursive: true });
  mkdirSync(join(work, "cache", "archives", "partial"), { recursive: true });
  const signedBy = existsSync(KEYRING) ? `[signed-by=${KEYRING}] ` : "";
  writeFileSync(join(work, "sources.list"), `deb ${signedBy}${mirror} ${suite} main\n`);
  return [
    "-o",
    `Dir::Etc::SourceList=${join(work, "sources.list")}`,
    "-o",
    "Dir::Etc::SourceParts=/dev/null",
    "-o",
    `Dir::State::Lists=${join(work, "lists")}`,
    "-o",
    `Dir::State::Status=${join(work, "status")}`,
    "-o",
    `Dir::Cache=${join(work, "cache")}`,
    // apt drops privileges to `_apt` for downloads when run as root; that user cannot write our private folders.
    "-o",
    "APT::Sandbox::User=root",
  ];
}

/**
 * The version of each package in the output of `apt-cache show --no-all-versions` (one stanza per package found;
 * a package the suite lacks has no stanza).
 */
export function parseAptShow(text: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const pkg = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (pkg !== undefined && version !== undefined && !versions.has(pkg)) versions.set(pkg, version);
  }
  return versions;
}

/**
 * The candidate version of each package in the suite apt was updated with, from one `apt-cache` run: each run
 * rebuilds apt's cache from the package lists (0.9 s measured), so one per package cost 10 s for the 11 of unstable.
 */
function candidateVersions(apt: readonly string[], packages: readonly string[]): Map<string, string> {
  const args = [...apt, "show", "--no-all-versions", ...packages];
  const result = spawnSync("apt-cache", args, { encoding: "utf8", timeout: TIMEOUT_MS.other, maxBuffer: 64 << 20 });
  // apt-cache exits 0 when it found some of the packages and 100 when it found none: both are answers.
  if (result.error !== undefined || (result.status !== 0 && result.status !== 100)) {
    const why = result.error !== undefined ? result.error.message : `exit ${String(result.status)}`;
    throw new FetchBinariesError(`apt-cache ${args.join(" ")} failed (${why}):\n${result.stdout}${result.stderr}`);
  }
  const found = parseAptShow(result.stdout);
  return new Map(packages.filter((pkg) => found.has(pkg)).map((pkg) => [pkg, found.get(pkg) ?? ""]));
}

/** What one attempt at a suite found: the packages' versions, and the ones that are not the pinned version. */
interface SuiteAttempt {
  readonly suite: string;
  readonly problems: readonly string[];
}

/** The binaries fetched from the same suites: the default ones (unstable, then testing), or one pinned suite. */
interface SuitePlan {
  readonly suites: readonly string[];
  readonly specs: readonly BinarySpec[];
}

/** The binaries grouped by the suites they come from (a spec's `suite`, else {@link DEBIAN_SUITES}). */
export function suitePlans(specs: readonly BinarySpec[] = Object.values(BINARIES)): SuitePlan[] {
  const bySuite = new Map<string, BinarySpec[]>();
  for (const spec of specs) {
    const key = spec.suite ?? "";
    bySuite.set(key, [...(bySuite.get(key) ?? []), spec]);
  }
  return [...bySuite].map(([suite, grouped]) => ({ suites: suite === "" ? DEBIAN_SUITES : [suite], specs: grouped }));
}

/**
 * Downloads and unpacks the packages of one plan from the first of its suites that has every pinned version; each
 * package into its own folder, recorded in `unpacked` (package -> folder).
 * @throws FetchBinariesError naming, per suite tried, what it lacked
 */
function fetchPlan(
  plan: SuitePlan,
  work: string,
  mirror: string,
  unpacked: Map<string, string>,
  log: (line: string) => void,
): void {
  const pinned = plan.specs.filter(
    (spec, index, all) => all.findIndex((other) => other.debianPackage === spec.debianPackage) === index,
  );
  const extra = [...new Set(plan.specs.flatMap((spec) => spec.withPackages ?? []))];
  const packages = [...new Set([...pinned.map((spec) => spec.debianPackage), ...extra])];
  const attempts: SuiteAttempt[] = [];
  for (const suite of plan.suites) {
    const suiteDir = join(work, suite);
    const apt = privateApt(suiteDir, mirror, suite);
    log(`fetch-binaries: reading Debian ${suite}'s package list from ${mirror} ...`);
    try {
      if (!existsSync(join(suiteDir, "updated"))) {
        run("apt-get", [...apt, "-qq", "update"], TIMEOUT_MS.update);
        writeFileSync(join(suiteDir, "updated"), "");
      }
    } catch (error) {
      attempts.push({ suite, problems: [(error as Error).message.split("\n")[0]] });
      continue;
    }
    const candidates = candidateVersions(apt, packages);
    const problems = [
      ...pinned.flatMap((spec) => {
        const found = candidates.get(spec.debianPackage);
        if (found === undefined) return [`${spec.debianPackage}: not in ${suite}`];
        return upstreamVersion(found) === spec.version
          ? []
          : [`${spec.debianPackage}: ${suite} has ${found}, the stack deploys ${spec.version}`];
      }),
      ...extra.filter((pkg) => !candidates.has(pkg)).map((pkg) => `${pkg}: not in ${suite}`),
    ];
    if (problems.length > 0) {
      attempts.push({ suite, problems });
      continue;
    }
    const debs = join(suiteDir, `debs-${unpacked.size}`);
    mkdirSync(debs);
    log(`fetch-binaries: downloading ${packages.map((pkg) => `${pkg} ${candidates.get(pkg) ?? ""}`).join(", ")}`);
    run(
      "apt-get",
      [...apt, "-qq", "download", ...packages.map((pkg) => `${pkg}=${candidates.get(pkg) ?? ""}`)],
      TIMEOUT_MS.download,
      debs,
    );
    for (const deb of readdirSync(debs).filter((name) => name.endsWith(".deb"))) {
      const pkg = deb.split("_")[0];
      const into = join(suiteDir, "unpacked", pkg);
      mkdirSync(into, { recursive: true });
      run("dpkg-deb", ["-x", join(debs, deb), into], TIMEOUT_MS.other);
      unpacked.set(pkg, into);
    }
    return;
  }
  throw new FetchBinariesError(
    [
      `fetch-binaries: no Debian suite has the versions the stack pins for ${plan.specs.map((spec) => spec.name).join(", ")} (each component's defaults.ts):`,
      ...attempts.map((attempt) => `  ${attempt.suite}: ${attempt.problems.join("; ")}`),
      "Either pin the versions Debian ships in the components' defaults.ts (and check the image tags exist), or set",
      "PROMETHEUS_BIN_DIR to a directory holding the pinned versions.",
    ].join("\n"),
  );
}

/**
 * Fetches every binary into `dest` (replacing it atomically) and checks each one's version against the pin.
 * @returns the versions installed, by binary
 * @throws FetchBinariesError saying what failed and what to do
 */
export function fetchBinaries(
  dest: string = DEFAULT_BIN_DIR,
  log: (line: string) => void = console.log,
): Record<string, string> {
  if (!hasCommand("apt-get") || !hasCommand("dpkg-deb")) {
    throw new FetchBinariesError(
      [
        "fetch-binaries: apt-get and dpkg-deb are not available, so the binaries cannot be fetched from Debian's archive.",
        "There is no upstream-archive fallback: it would need the release archives' SHA-256 sums pinned in this",
        "repository, and they could not be obtained and verified where this project is developed.",
        `Install ${Object.values(BINARIES)
          .map((spec) => `${spec.fileNames[spec.fileNames.length - 1]} ${spec.version}`)
          .join(", ")}`,
        "(the Prometheus family from https://prometheus.io/download/, each archive checked against the release's",
        "sha256sums.txt), put them in one directory and set PROMETHEUS_BIN_DIR to it.",
      ].join("\n"),
    );
  }
  const mirror = debianMirror(readAptSources());
  const work = mkdtempSync(join(tmpdir(), "fetch-binaries-"));
  try {
    const unpacked = new Map<string, string>();
    for (const plan of suitePlans()) fetchPlan(plan, work, mirror, unpacked, log);
    return install(unpacked, dest, log);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The launcher of a binary kept in its unpacked package (`<name>.d/`): runs it by its real path (PostgreSQL finds
 * its share/ and lib/ from there) with the unpacked libraries first on `LD_LIBRARY_PATH`.
 */
export function launcherScript(treeDir: string, packagePath: string): string {
  return [
    "#!/bin/sh",
    "# Written by npm run fetch-binaries: runs the program unpacked from its Debian package(s).",
    'here=$(cd "$(dirname "$0")" && pwd)',
    `lib="$here/${treeDir}/usr/lib/$(uname -m)-linux-gnu"`,
    'LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/' + `${treeDir}/${packagePath}" "$@"`,
    "",
  ].join("\n");
}

/** Copies the binaries out of the unpacked packages into a fresh folder, checks their versions, then swaps it in. */
function install(
  unpacked: ReadonlyMap<string, string>,
  dest: string,
  log: (line: string) => void,
): Record<string, string> {
  mkdirSync(dirname(dest), { recursive: true });
  const staging = mkdtempSync(join(dirname(dest), ".fetch-binaries-"));
  try {
    const problems: string[] = [];
    const copied = new Set<string>();
    for (const [name, spec] of Object.entries(BINARIES)) {
      const fileName = spec.fileNames[0];
      const packageDir = unpacked.get(spec.debianPackage) ?? "";
      if (spec.packagePath === undefined) {
        const source = join(packageDir, "usr", "bin", fileName);
        if (!existsSync(source)) {
          problems.push(`${name}: ${spec.debianPackage} has no usr/bin/${fileName}`);
          continue;
        }
        copyFileSync(source, join(staging, fileName));
      } else {
        // The whole package (and its companions), once per package, kept with its layout.
        const treeDir = `${spec.debianPackage}.d`;
        for (const pkg of [spec.debianPackage, ...(spec.withPackages ?? [])]) {
          if (copied.has(`${treeDir}/${pkg}`)) continue;
          copied.add(`${treeDir}/${pkg}`);
          cpSync(unpacked.get(pkg) ?? "", join(staging, treeDir), {
            recursive: true,
            verbatimSymlinks: true,
            force: true,
          });
        }
        if (!existsSync(join(staging, treeDir, spec.packagePath))) {
          problems.push(`${name}: ${spec.debianPackage} has no ${spec.packagePath}`);
          continue;
        }
        writeFileSync(join(staging, fileName), launcherScript(treeDir, spec.packagePath), { mode: 0o755 });
      }
    }
    if (problems.length > 0) {
      throw new FetchBinariesError(
        `fetch-binaries: the fetched packages do not hold the binaries:\n  ${problems.join("\n  ")}`,
      );
    }
    const versions = checkVersions(staging, "fetched", log);
    writeFileSync(join(staging, STAMP), `${JSON.stringify(pinnedVersions(), null, 2)}\n`);
    swapIn(staging, dest);
    log(`fetch-binaries: binaries in ${dest}`);
    return versions;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Runs every binary in `dir` with its version probe.
 * @returns the versions found, by binary
 * @throws FetchBinariesError naming each binary that does not report its pinned version
 */
function checkVersions(dir: string, what: string, log: (line: string) => void): Record<string, string> {
  const versions: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(BINARIES)) {
    const fileName = spec.fileNames[0];
    const banner = spawnSync(join(dir, fileName), [...versionArgs(spec)], {
      encoding: "utf8",
      timeout: TIMEOUT_MS.other,
    });
    let version: string;
    try {
      version = parseVersionOf(spec, `${banner.stdout}\n${banner.stderr}`);
    } catch (error) {
      problems.push(
        `${name}: ${(error as Error).message}${/shared libraries/.test(banner.stderr) ? `\n(a library this machine lacks: add its Debian package to the BinarySpec's withPackages)` : ""}`,
      );
      continue;
    }
    versions[name] = version;
    if (version !== spec.version) problems.push(`${name}: reports ${version}, the stack deploys ${spec.version}`);
    log(`fetch-binaries: ${fileName} ${version}`);
  }
  if (problems.length > 0) {
    throw new FetchBinariesError(
      `fetch-binaries: the ${what} binaries are not the pinned versions:\n  ${problems.join("\n  ")}`,
    );
  }
  return versions;
}

/**
 * The version of the folder's layout (launcher scripts, `<package>.d/` trees, the stamp) and of the machine cache's
 * manifest format: part of the machine cache's key, so a change to how {@link install} lays the binaries out, or to
 * how a stored folder's manifest reads, is never answered by an older stored folder. Bump it with any such change.
 * 2: the manifest's paths and link targets are JSON strings.
 */
const LAYOUT_VERSION = 2;

/**
 * The folder of the machine cache (scripts/harness/machine-cache.ts) that holds the binaries of these specs on this
 * architecture, with the setting that put it there, or `undefined` when the machine cache is off.
 * @throws FetchBinariesError when the machine cache's setting is invalid
 */
export function machineBinariesDir(env: NodeJS.ProcessEnv = process.env): MachineCacheRoot | undefined {
  let root: MachineCacheRoot | undefined;
  try {
    root = machineCacheRoot(env);
  } catch (error) {
    if (error instanceof MachineCacheSettingError) throw new FetchBinariesError(`fetch-binaries: ${error.message}`);
    throw error;
  }
  if (root === undefined) return undefined;
  const decides = JSON.stringify(
    { arch: process.arch, layout: LAYOUT_VERSION, launcher: launcherScript("TREE", "PATH"), binaries: BINARIES },
    (_key, value: unknown) => (value instanceof RegExp ? value.toString() : value),
  );
  return { dir: join(root.dir, "bin", cacheKey(decides)), from: root.from };
}

/** How {@link ensureBinaries} got the binaries into place. */
export type EnsureOutcome = "up-to-date" | "copied" | "fetched";

/**
 * Copies the binaries from the machine cache into `dest` when it holds them at the pinned versions, whole.
 * @returns why it did not (nothing stored, a copy that differs from its manifest, a binary of another version, a
 * folder it could not read), or undefined when `dest` now holds them
 */
export function copyFromMachineCache(
  stored: string,
  dest: string,
  log: (line: string) => void = console.log,
): string | undefined {
  let scratch = "";
  try {
    if (!binariesUpToDate(stored)) return `${stored} holds no complete fetch of the pinned versions`;
    mkdirSync(dirname(dest), { recursive: true });
    scratch = mkdtempSync(join(dirname(dest), ".fetch-binaries-"));
    const staging = join(scratch, "bin");
    const problem = copyStoredTree(stored, staging);
    if (problem !== undefined) return problem;
    checkVersions(staging, "cached", log);
    swapIn(staging, dest);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Puts the binaries into `dest` unless they are there already at the pinned versions: from the machine cache when it
 * holds them (checked), else fetched from Debian's archive, then stored in the machine cache for the next checkout,
 * replacing a stored folder that could not be used (a failure to store is only reported).
 * @returns what it did
 * @throws FetchBinariesError when the fetch fails or the machine cache's setting is invalid
 */
export function ensureBinaries(
  dest: string = DEFAULT_BIN_DIR,
  log: (line: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): EnsureOutcome {
  if (binariesUpToDate(dest)) return "up-to-date";
  const cache = machineBinariesDir(env);
  let refused = false;
  if (cache !== undefined && existsSync(cache.dir)) {
    const problem = copyFromMachineCache(cache.dir, dest, log);
    if (problem === undefined) {
      log(`fetch-binaries: copied from the machine cache ${cache.dir} into ${dest}`);
      return "copied";
    }
    refused = true;
    log(`fetch-binaries: not using the machine cache: ${problem.replace(/^fetch-binaries: /, "")}`);
    log(`fetch-binaries: fetching from Debian's archive instead; the fetch will replace ${cache.dir}`);
  }
  fetchBinaries(dest, log);
  if (cache !== undefined) {
    try {
      const stored = storeTree(dest, cache.dir, refused);
      log(
        stored
          ? `fetch-binaries: stored in the machine cache ${cache.dir} (${cache.from}; ${MACHINE_CACHE_ENV}=${MACHINE_CACHE_OFF} turns it off)`
          : `fetch-binaries: another run stored the same binaries in the machine cache ${cache.dir} meanwhile`,
      );
    } catch (error) {
      log(
        `fetch-binaries: could not store the binaries in the machine cache ${cache.dir} (${cache.from}): ` +
          `${(error as Error).message}\nSet ${MACHINE_CACHE_ENV} to a writable absolute folder, or to ` +
          `${MACHINE_CACHE_OFF}; the binaries in ${dest} are fine either way.`,
      );
    }
  }
  return "fetched";
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.length > 1 || args.some((arg) => arg.startsWith("-"))) {
    const known = args.includes("--help");
    (known ? process.stdout : process.stderr).write(
      `${known ? "" : `unknown arguments: ${args.join(" ")}\n\n`}usage: npm run fetch-binaries [-- DIR]\n` +
        `  Fetches ${Object.keys(BINARIES).join(", ")} at the pinned versions into DIR (default .cache/bin).\n`,
    );
    process.exit(known ? 0 : 2);
  }
  const dest = resolve(args[0] ?? DEFAULT_BIN_DIR);
  try {
    if (ensureBinaries(dest) === "up-to-date") console.log(`fetch-binaries: ${dest} already holds the pinned versions`);
  } catch (error) {
    process.stderr.write(`${error instanceof FetchBinariesError ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
