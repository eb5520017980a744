/**
 * The machine's cache of what `npm run fetch-binaries` fetched from Debian's archive, shared by every checkout of the
 * project on the machine (as npm's own cache is shared by every `npm ci`): a second clone copies the binaries from it
 * instead of reading Debian's package lists, downloading about 100 MB and unpacking it again (docs/testing.md, "The
 * machine cache", has the measurements).
 *
 * Where: `$MONITORING_STACK_CACHE` when set to an absolute path (`off` turns the cache off; anything else is refused),
 * else `$XDG_CACHE_HOME/monitoring-stack` when that is absolute, else `~/.cache/monitoring-stack`. Under it,
 * `bin/<key>/` holds one fetched folder, `key` a digest of what decides its content (every binary's spec, the
 * architecture, the layout's version), so a version bump never reuses an older fetch. A stored folder unused for
 * {@link UNUSED_DAYS} days is removed when another is stored; nothing else under the cache's folder is ever removed.
 *
 * Integrity, not authenticity: a stored folder carries a manifest (`manifest.sha256`: every file's SHA-256 and mode,
 * every link's target) hashed from the source before it is stored; a copy is used only when its own manifest is exactly
 * that one, and the caller then checks every binary's version as after a download. That catches a half-written or
 * damaged folder, not someone who can write it: a folder not owned by this user, or writable by others, is refused.
 * Storing and copying go through temporary folders renamed into place, so a run that stops half-way leaves nothing
 * that looks complete.
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
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative } from "node:path";

/** The environment variable naming the machine cache's folder; `off` turns it off. */
export const MACHINE_CACHE_ENV = "MONITORING_STACK_CACHE";

/** The value of {@link MACHINE_CACHE_ENV} that turns the machine cache off. */
export const MACHINE_CACHE_OFF = "off";

/** The manifest's file name inside a stored folder. */
export const MANIFEST = "manifest.sha256";

/** A temporary folder's name part: never taken for a stored folder. */
const PARTIAL = ".partial-";

/** A stored folder no run has copied for this many days is removed when another one is stored. */
export const UNUSED_DAYS = 30;

/** A temporary folder older than this (its run was killed) is removed when another folder is stored. */
const STALE_PARTIAL_MS = 3_600_000;

/** The name of a stored folder: {@link cacheKey}'s digest. Nothing else below the cache is ever removed. */
const KEY_NAME = /^[0-9a-f]{16}$/;

/** A `MONITORING_STACK_CACHE` value that is neither `off` nor an absolute path. */
export class MachineCacheSettingError extends Error {
  public override readonly name = "MachineCacheSettingError";
}

/** Where the machine cache is, and which setting put it there (for messages). */
export interface MachineCacheRoot {
  readonly dir: string;
  readonly from: string;
}

/**
 * The machine cache's folder, or `undefined` when `MONITORING_STACK_CACHE=off` (or no home folder is known).
 * @param env the environment to read. @default process.env
 * @throws MachineCacheSettingError when `MONITORING_STACK_CACHE` is neither `off` nor an absolute path
 */
export function machineCacheRoot(env: NodeJS.ProcessEnv = process.env): MachineCacheRoot | undefined {
  const configured = env[MACHINE_CACHE_ENV] ?? "";
  if (configured === MACHINE_CACHE_OFF) return undefined;
  if (configured !== "") {
    if (!isAbsolute(configured)) {
      throw new MachineCacheSettingError(
        `${MACHINE_CACHE_ENV}=${configured}: expected an absolute folder (the machine cache of the fetched binaries) or ` +
          `${MACHINE_CACHE_OFF} to turn it off; a relative folder would name a different place from each working directory.`,
      );
    }
    return { dir: configured, from: `${MACHINE_CACHE_ENV}=${configured}` };
  }
  // The XDG base-directory spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME ?? "";
  if (isAbsolute(xdg)) return { dir: join(xdg, "monitoring-stack"), from: `XDG_CACHE_HOME=${xdg}` };
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  return { dir: join(home, ".cache", "monitoring-stack"), from: "the default ~/.cache" };
}

/** A short digest of a JSON-serializable value: the key of a stored folder. */
export function cacheKey(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/**
 * The manifest of a folder: one sorted line per entry below it (but the manifest itself), `f <mode> <sha256> "<path>"`
 * for a file, `l "<target>" "<path>"` for a symbolic link, `d "<path>"` for a folder. Paths and targets are JSON
 * strings, so a name with a space, a quote or a line break reads back one way only.
 */
export function treeManifest(dir: string): string {
  const lines: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const rel = relative(dir, path);
      if (rel === MANIFEST) continue;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) lines.push(`l ${JSON.stringify(readlinkSync(path))} ${JSON.stringify(rel)}`);
      else if (stat.isDirectory()) {
        lines.push(`d ${JSON.stringify(rel)}`);
        walk(path);
      } else {
        const digest = createHash("sha256").update(readFileSync(path)).digest("hex");
        lines.push(`f ${(stat.mode & 0o7777).toString(8)} ${digest} ${JSON.stringify(rel)}`);
      }
    }
  };
  walk(dir);
  return `${lines.join("\n")}\n`;
}

/**
 * Stores a copy of `source` as `target` (a folder of the machine cache), with the manifest of `source`, replacing a
 * `target` already there only when `replace` is set (the caller found it unusable); then removes the stored folders
 * beside it that no run used for {@link UNUSED_DAYS} days, and temporary folders of killed runs.
 * @returns true when it stored, false when another run stored the same key meanwhile (theirs is as good)
 */
export function storeTree(source: string, target: string, replace = false): boolean {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  let stored = false;
  if (replace || !existsSync(target)) {
    const staging = mkdtempSync(join(parent, `${basename(target)}${PARTIAL}`));
    try {
      const manifest = treeManifest(source);
      cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
      if (treeManifest(staging) !== manifest) throw new Error(`the copy of ${source} in ${staging} differs from it`);
      writeFileSync(join(staging, MANIFEST), manifest);
      // Another run may have stored the same key while this one copied: theirs is kept unless it is to be replaced.
      try {
        if (replace || !existsSync(target)) {
          swapIn(staging, target);
          stored = true;
        }
      } catch (error) {
        if (!existsSync(join(target, MANIFEST))) throw error;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  prune(parent, basename(target));
  return stored;
}

/**
 * Replaces `target` with `staging` (a complete folder beside it), readable by every user (a server that refuses root
 * runs as nobody from a copy of it): the old `target` is renamed aside first, so `target` is at every moment either the
 * old folder or the new one, whole.
 */
export function swapIn(staging: string, target: string): void {
  chmodSync(staging, 0o755);
  const aside = `${staging}-old`;
  const replacing = existsSync(target);
  if (replacing) renameSync(target, aside);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (replacing) renameSync(aside, target);
    throw error;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Removes the stored folders of `parent` unused for {@link UNUSED_DAYS} days but `keep`, and stale partial ones. */
function prune(parent: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(parent)) {
    if (name === keep) continue;
    const path = join(parent, name);
    let age: number;
    try {
      age = now - lstatSync(path).mtimeMs;
    } catch {
      continue;
    }
    const unusedKey = KEY_NAME.test(name) && existsSync(join(path, MANIFEST)) && age > UNUSED_DAYS * 86_400_000;
    const stalePartial = name.includes(PARTIAL) && age > STALE_PARTIAL_MS;
    if (unusedKey || stalePartial) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Why a stored folder must not be trusted: not owned by this user, or writable by its group or others (as ssh refuses
 * such a key file); undefined when it may be used.
 */
export function untrustedBecause(stored: string): string | undefined {
  const stat = statSync(stored);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `${stored} is owned by uid ${stat.uid}, not this user (${uid})`;
  if ((stat.mode & 0o022) !== 0)
    return `${stored} is writable by its group or others (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Copies a stored folder into `staging` (which must not exist) and checks the copy against the stored manifest.
 * @returns undefined when the copy is whole, else why it cannot be used (the copy is then removed)
 */
export function copyStoredTree(stored: string, staging: string): string | undefined {
  const manifestPath = join(stored, MANIFEST);
  if (!existsSync(manifestPath)) return `${stored} has no ${MANIFEST}`;
  const untrusted = untrustedBecause(stored);
  if (untrusted !== undefined) return untrusted;
  // Marks it used, so pruning keeps it (UNUSED_DAYS).
  utimesSync(stored, new Date(), new Date());
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
