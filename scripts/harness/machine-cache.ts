/**
 * The machine's cache of what `npm run fetch-binaries` fetched from Debian's archive, shared by every checkout of the
 * project on the machine (as npm's own cache is shared by every `npm ci`): a second clone copies the binaries from it
 * instead of reading Debian's package lists, downloading about 100 MB and unpacking it again (measured: 27 CPU-s and
 * 15-50 s of wall time per fresh clone, see docs/testing.md).
 *
 * Where: `$MONITORING_STACK_CACHE` when set (`off` turns the cache off), else `$XDG_CACHE_HOME/monitoring-stack`,
 * else `~/.cache/monitoring-stack`. Under it, `bin/<key>/` holds one fetched folder, `key` being a digest of every
 * binary's spec (package, version, suite, paths), so a version bump never reuses an older fetch; storing a new key
 * removes the older ones. Removing the folder is always safe: the next run fetches again.
 *
 * Trust: a stored folder carries a manifest (`manifest.sha256`: every file's SHA-256 and mode, every link's target)
 * written when it was stored; a copy is used only when its own manifest is exactly that one, and the caller then
 * checks every binary's version as after a download. Storing and copying go through a temporary folder renamed into
 * place, so a run that stops half-way leaves nothing that looks complete.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";

/** The environment variable naming the machine cache's folder; `off` turns it off. */
export const MACHINE_CACHE_ENV = "MONITORING_STACK_CACHE";

/** The value of {@link MACHINE_CACHE_ENV} that turns the machine cache off. */
export const MACHINE_CACHE_OFF = "off";

/** The manifest's file name inside a stored folder. */
export const MANIFEST = "manifest.sha256";

/** A temporary folder's name part: never taken for a stored folder, nor removed by another run's pruning. */
const PARTIAL = ".partial-";

/**
 * The machine cache's folder, or `undefined` when `MONITORING_STACK_CACHE=off`.
 * @param env the environment to read. @default process.env
 */
export function machineCacheRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env[MACHINE_CACHE_ENV] ?? "";
  if (configured === MACHINE_CACHE_OFF) return undefined;
  if (configured !== "") return resolve(configured);
  const xdg = env.XDG_CACHE_HOME ?? "";
  return join(xdg !== "" ? resolve(xdg) : join(homedir(), ".cache"), "monitoring-stack");
}

/** A short digest of a JSON-serializable value: the key of a stored folder. */
export function cacheKey(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/**
 * The manifest of a folder: one sorted line per entry below it (but the manifest itself), `f <mode> <sha256> <path>`
 * for a file, `l <target> <path>` for a symbolic link, `d <path>` for a folder.
 */
export function treeManifest(dir: string): string {
  const lines: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const rel = relative(dir, path);
      if (rel === MANIFEST) continue;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) lines.push(`l ${readlinkSync(path)} ${rel}`);
      else if (stat.isDirectory()) {
        lines.push(`d ${rel}`);
        walk(path);
      } else {
        const digest = createHash("sha256").update(readFileSync(path)).digest("hex");
        lines.push(`f ${(stat.mode & 0o7777).toString(8)} ${digest} ${rel}`);
      }
    }
  };
  walk(dir);
  return `${lines.join("\n")}\n`;
}

/**
 * Stores a copy of `source` as `target` (a folder of the machine cache), with its manifest, and removes the other
 * stored folders beside it (older keys). Another run storing the same key at the same time is not an error.
 */
export function storeTree(source: string, target: string): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `${basename(target)}${PARTIAL}`));
  try {
    cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(staging, MANIFEST), treeManifest(staging));
    chmodSync(staging, 0o755);
    if (existsSync(target)) return;
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another run stored the same key between the check and the rename: theirs is as good.
      if (!existsSync(join(target, MANIFEST))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  for (const name of readdirSync(parent)) {
    if (name !== basename(target) && !name.includes(PARTIAL)) {
      rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}

/**
 * Copies a stored folder into `staging` (which must not exist) and checks the copy against the stored manifest.
 * @returns undefined when the copy is whole, else why it cannot be used (the copy is then removed)
 */
export function copyStoredTree(stored: string, staging: string): string | undefined {
  const manifestPath = join(stored, MANIFEST);
  if (!existsSync(manifestPath)) return `${stored} has no ${MANIFEST}`;
  cpSync(stored, staging, { recursive: true, verbatimSymlinks: true });
  const expected = readFileSync(manifestPath, "utf8");
  const actual = treeManifest(staging);
  if (actual === expected) return undefined;
  rmSync(staging, { recursive: true, force: true });
  const want = new Set(expected.split("\n"));
  const have = new Set(actual.split("\n"));
  const extra = actual.split("\n").find((line) => !want.has(line));
  const missing = expected.split("\n").find((line) => !have.has(line));
  const why = extra !== undefined ? `has ${extra}` : `lacks ${missing ?? "?"}`;
  return `${stored} does not match its ${MANIFEST}: the copy ${why}`;
}
