/**
 * `npm run fetch-dashboards [-- DIR]`: puts the community Grafana dashboards the tests read into DIR (default
 * `.cache/community-dashboards`, gitignored). No dashboard is committed: the committed manifest
 * (`scripts/community-dashboards.manifest.json`) holds facts only (the Debian source package and version, the archive
 * file in Debian's pool and its SHA-256 from Debian's Sources/Packages index, the path of the dashboard inside it,
 * the upstream project and its licence). jest's global setup calls it on first use, like `npm run fetch-binaries`.
 *
 * Each archive is downloaded from Debian's archive (the mirror this machine's apt uses, else deb.debian.org), its
 * SHA-256 checked against the manifest, and only the dashboard file extracted (`tar` for an upstream `orig.tar.gz`,
 * `dpkg-deb` for a binary package that ships it as an example); the file must parse as JSON. Each fetched dashboard
 * has a stamp (`<name>.source`: the archive's SHA-256 and the path), so a manifest change refetches it.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { debianMirror, readAptSources } from "./fetch-binaries";

/** The committed manifest of the community dashboards (facts only). */
export const DASHBOARDS_MANIFEST = resolve(__dirname, "community-dashboards.manifest.json");

/** The project's own cache of the fetched dashboards. */
export const DEFAULT_DASHBOARDS_DIR = resolve(__dirname, "..", ".cache", "community-dashboards");

/** The command that fetches them (run from the repository root). */
export const FETCH_DASHBOARDS_COMMAND = "npm run fetch-dashboards";

/** How long one download may take, in milliseconds. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** One dashboard of the manifest: what it is, the component whose exporter it reads, where it is fetched from. */
export interface CommunityDashboardSource {
  /** The cached file's name without `.json`. */
  readonly name: string;
  /** The component whose exporter the dashboard reads. */
  readonly component: string;
  /** The dashboard's title, as exported. */
  readonly title: string;
  /** The Debian source package. */
  readonly debianSource: string;
  /** The upstream version (the one the component pins). */
  readonly version: string;
  /** The file in Debian's pool and its SHA-256. */
  readonly archive: {
    readonly kind: "orig-tarball" | "deb";
    readonly pool: string;
    readonly sha256: string;
  };
  /** The dashboard's path inside the archive (inside the package's files for a `deb`). */
  readonly path: string;
  /** The upstream project. */
  readonly upstream: string;
  /** The upstream licence (SPDX identifier). */
  readonly licence: string;
}

/** A problem fetching the dashboards, with what to do about it. */
export class FetchDashboardsError extends Error {
  public override readonly name = "FetchDashboardsError";
}

/** The manifest's dashboards. */
export function dashboardSources(manifest: string = DASHBOARDS_MANIFEST): CommunityDashboardSource[] {
  return (JSON.parse(readFileSync(manifest, "utf8")) as { dashboards: CommunityDashboardSource[] }).dashboards;
}

/** Where a dashboard is cached in `dir`. */
export function dashboardFile(source: CommunityDashboardSource, dir: string = DEFAULT_DASHBOARDS_DIR): string {
  return join(dir, `${source.name}.json`);
}

function stampOf(source: CommunityDashboardSource): string {
  return `${source.archive.sha256} ${source.archive.pool} ${source.path}\n`;
}

function stampFile(source: CommunityDashboardSource, dir: string): string {
  return join(dir, `${source.name}.source`);
}

/** True when `dir` holds the dashboard fetched from the archive and path the manifest names. */
export function dashboardUpToDate(source: CommunityDashboardSource, dir: string = DEFAULT_DASHBOARDS_DIR): boolean {
  const stamp = stampFile(source, dir);
  return existsSync(dashboardFile(source, dir)) && existsSync(stamp) && readFileSync(stamp, "utf8") === stampOf(source);
}

/** The SHA-256 of some bytes, in hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function run(command: string, args: readonly string[], what: string): void {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit ${String(result.status)}`;
    throw new FetchDashboardsError(
      `fetch-dashboards: ${what}: ${command} ${args.join(" ")} failed (${why}) ${result.stderr}`,
    );
  }
}

async function download(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    throw new FetchDashboardsError(`fetch-dashboards: GET ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new FetchDashboardsError(
      `fetch-dashboards: GET ${url} answered HTTP ${response.status}: the file is no longer in Debian's pool (a new ` +
        `Debian revision replaces it). Update its entry in ${DASHBOARDS_MANIFEST} (file name and SHA-256 from ` +
        `Debian's Sources or Packages index, for the version the component pins).`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Fetches one dashboard into `dir`: downloads its archive, checks its SHA-256, extracts the dashboard file only.
 * @throws FetchDashboardsError saying which dashboard, what failed and what to do
 */
export async function fetchDashboard(
  source: CommunityDashboardSource,
  dir: string = DEFAULT_DASHBOARDS_DIR,
  mirror: string = debianMirror(readAptSources()),
): Promise<void> {
  const url = `${mirror}/${source.archive.pool}`;
  const bytes = await download(url);
  const actual = sha256Hex(bytes);
  if (actual !== source.archive.sha256) {
    throw new FetchDashboardsError(
      `fetch-dashboards: ${source.name}: ${url} has SHA-256 ${actual}, the manifest pins ${source.archive.sha256}; ` +
        `the download is not the archive the manifest names (check ${DASHBOARDS_MANIFEST} against Debian's index).`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), "fetch-dashboards-"));
  try {
    const archive = join(work, source.archive.pool.split("/").pop() ?? "archive");
    writeFileSync(archive, bytes);
    const into = join(work, "x");
    mkdirSync(into);
    if (source.archive.kind === "orig-tarball") {
      run("tar", ["-xzf", archive, "-C", into, source.path], `${source.name}: extracting ${source.path}`);
    } else {
      run("dpkg-deb", ["-x", archive, into], `${source.name}: unpacking the package`);
    }
    const extracted = join(into, source.path);
    if (!existsSync(extracted)) {
      throw new FetchDashboardsError(`fetch-dashboards: ${source.name}: ${source.archive.pool} has no ${source.path}`);
    }
    try {
      JSON.parse(readFileSync(extracted, "utf8"));
    } catch (error) {
      throw new FetchDashboardsError(
        `fetch-dashboards: ${source.name}: ${source.path} is not JSON: ${(error as Error).message}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    const target = dashboardFile(source, dir);
    copyFileSync(extracted, `${target}.partial`);
    renameSync(`${target}.partial`, target);
    writeFileSync(stampFile(source, dir), stampOf(source));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Fetches every dashboard of the manifest that `dir` does not hold yet (or holds from another archive).
 * @returns the names fetched
 * @throws FetchDashboardsError listing every dashboard that could not be fetched, and why
 */
export async function ensureDashboards(
  dir: string = DEFAULT_DASHBOARDS_DIR,
  log: (line: string) => void = console.log,
): Promise<string[]> {
  const fetched: string[] = [];
  const problems: string[] = [];
  for (const source of dashboardSources()) {
    if (dashboardUpToDate(source, dir)) continue;
    log(`fetch-dashboards: ${source.name} from ${source.debianSource} ${source.version} (${source.archive.pool})`);
    try {
      await fetchDashboard(source, dir);
      fetched.push(source.name);
    } catch (error) {
      problems.push(error instanceof FetchDashboardsError ? error.message : String(error));
    }
  }
  if (problems.length > 0) throw new FetchDashboardsError(problems.join("\n"));
  return fetched;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.length > 1 || args.some((arg) => arg.startsWith("-"))) {
    const known = args.includes("--help");
    (known ? process.stdout : process.stderr).write(
      `${known ? "" : `unknown arguments: ${args.join(" ")}\n\n`}usage: npm run fetch-dashboards [-- DIR]\n` +
        `  Fetches the community dashboards of ${DASHBOARDS_MANIFEST} from Debian's archive into DIR\n` +
        `  (default .cache/community-dashboards), each archive checked against its pinned SHA-256.\n`,
    );
    process.exit(known ? 0 : 2);
  }
  const dir = resolve(args[0] ?? DEFAULT_DASHBOARDS_DIR);
  ensureDashboards(dir).then(
    (fetched) =>
      console.log(
        fetched.length > 0
          ? `fetch-dashboards: ${fetched.join(", ")} in ${dir}`
          : `fetch-dashboards: ${dir} already holds every dashboard of the manifest`,
      ),
    (error: unknown) => {
      process.stderr.write(`${error instanceof FetchDashboardsError ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
