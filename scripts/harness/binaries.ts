/**
 * The real binaries (prometheus, promtool, Alertmanager, amtool, the exporters, and the servers the exporters are
 * tested against: PostgreSQL, Redis, NGINX):
 * where they live, running them with a timeout, starting and stopping long-running ones by PID, and their versions.
 * Used by `npm run dev`, `scripts/fetch-binaries.ts` and the tests.
 *
 * Where the binaries come from: the directory named by `PROMETHEUS_BIN_DIR` when it is set (and only there, so a typo
 * is reported instead of silently testing another version), otherwise the project's own cache `.cache/bin`, which
 * `npm run fetch-binaries` fills from Debian's archive (jest's global setup runs it on first use).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { BINARIES as COMPONENT_BINARIES } from "../../constructs/components";
import type { BinarySpec as ComponentBinarySpec } from "../../constructs/core/component";

/** The environment variable naming the directory that holds the binaries. */
export const PROMETHEUS_BIN_DIR_ENV = "PROMETHEUS_BIN_DIR";

/** The project's own binary cache, filled by `npm run fetch-binaries`. */
export const DEFAULT_BIN_DIR = resolve(__dirname, "..", "..", ".cache", "bin");

/** The command that downloads the binaries into {@link DEFAULT_BIN_DIR} (run from the repository root). */
export const INSTALL_COMMAND = "npm run fetch-binaries";

/** One binary: its Debian package, the file it installs, and the upstream version it must report. */
export type BinarySpec = ComponentBinarySpec;

/**
 * Every binary the project runs, by the name suites use: each component declares its own (constructs/components.ts),
 * at the version its image pins.
 */
export const BINARIES: Readonly<Record<string, BinarySpec>> = COMPONENT_BINARIES;

/** A binary the harness knows, by the name suites use (`prometheus`, `node-exporter`). */
export type PrometheusBinary = string;

/** The default bound of {@link runBinary} and {@link binaryVersion}, in milliseconds. */
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

/** Where a binary was looked for and what was found. */
export interface BinaryLookup {
  /** The binary asked for. */
  readonly name: PrometheusBinary;
  /** Absolute path of the executable, or `undefined` when none was found. */
  readonly path: string | undefined;
  /** Human-readable description of where it was looked for, for messages. */
  readonly searched: string;
}

/** The directory the binaries are read from: `$PROMETHEUS_BIN_DIR` when set, else {@link DEFAULT_BIN_DIR}. */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[PROMETHEUS_BIN_DIR_ENV];
  return configured !== undefined && configured !== "" ? resolve(configured) : DEFAULT_BIN_DIR;
}

/** True when `PROMETHEUS_BIN_DIR` names the directory (so the project's cache is not used nor filled). */
export function binDirOverridden(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[PROMETHEUS_BIN_DIR_ENV] ?? "") !== "";
}

/**
 * Looks for one binary, only in {@link binDir}: `$PROMETHEUS_BIN_DIR` when that is set, else `.cache/bin`.
 * @param env the environment to read. @default process.env
 */
export function lookupBinary(name: PrometheusBinary, env: NodeJS.ProcessEnv = process.env): BinaryLookup {
  const spec = BINARIES[name];
  if (spec === undefined) {
    throw new Error(`no binary named "${name}": the components declare ${Object.keys(BINARIES).sort().join(", ")}`);
  }
  const dir = binDir(env);
  const searched = binDirOverridden(env)
    ? `${PROMETHEUS_BIN_DIR_ENV}=${dir}`
    : `${dir} (the project's cache; ${PROMETHEUS_BIN_DIR_ENV} is not set)`;
  for (const fileName of spec.fileNames) {
    const candidate = join(dir, fileName);
    if (isExecutableFile(candidate)) {
      return { name, path: candidate, searched };
    }
  }
  return { name, path: undefined, searched };
}

/** The absolute path of a binary, or `undefined` when it is not installed. @see lookupBinary */
export function findBinary(name: PrometheusBinary, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return lookupBinary(name, env).path;
}

/** The absolute path of a binary; throws the install instructions when it is missing. */
export function requireBinary(name: PrometheusBinary, env: NodeJS.ProcessEnv = process.env): string {
  const lookup = lookupBinary(name, env);
  if (lookup.path === undefined) {
    throw new Error(missingBinariesMessage([lookup]));
  }
  return lookup.path;
}

/** The message for missing binaries: what is missing, where it was looked for, and the command that fixes it. */
export function missingBinariesMessage(missing: readonly BinaryLookup[]): string {
  const names = missing.map((lookup) => BINARIES[lookup.name].fileNames.join(" or ")).join(", ");
  const where = missing[0]?.searched ?? binDir();
  return [
    `Prometheus binaries missing: ${names} not found in ${where}.`,
    `Fetch the deployed versions (no root needed; from Debian's archive) into .cache/bin, from the repository root:`,
    `  ${INSTALL_COMMAND}`,
    `or point ${PROMETHEUS_BIN_DIR_ENV} at a directory that holds them.`,
  ].join("\n");
}

/** Options of {@link runBinary}. */
export interface RunOptions {
  /** Kill the process (SIGKILL, by its PID) after this many milliseconds. @default 30000 */
  readonly timeoutMs?: number;
  /** Working directory. @default the current directory */
  readonly cwd?: string;
  /** Environment of the process. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Text written to the process' standard input, which is then closed. @default nothing (stdin closed) */
  readonly stdin?: string;
  /** Run as this uid and gid (the harness runs as root; a server refuses root). @default the current user */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** How a finished process ended and what it printed. */
export interface RunResult {
  /** The command line, for messages. */
  readonly command: string;
  /** Exit code, or `null` when the process was killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that ended the process, if any. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the harness killed the process because it outlived its timeout. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/**
 * Runs a binary to completion, bounded by a timeout; resolves with its exit code and output, never rejects on a
 * non-zero exit (tests assert on the result). Rejects only when the binary cannot be started at all.
 */
export function runBinary(path: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const startedAt = Date.now();
  return new Promise<RunResult>((resolvePromise, reject) => {
    const child = spawn(path, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      ...(options.user !== undefined ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${commandLine(path, args)}: ${error.message}`));
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      resolvePromise({
        command: commandLine(path, args),
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
        durationMs: Date.now() - startedAt,
      });
    });
    if (options.stdin !== undefined) {
      child.stdin?.end(options.stdin);
    }
  });
}

/** Options of {@link startBinary}. */
export interface StartOptions {
  /** Working directory. @default the current directory */
  readonly cwd?: string;
  /** Environment of the process. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this uid and gid. @default the current user */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** A long-running process (a Prometheus or Alertmanager server) started by {@link startBinary}. */
export interface RunningBinary {
  /** The process id; {@link RunningBinary.stop} signals exactly this process. */
  readonly pid: number;
  /** Everything printed so far (stdout and stderr, interleaved), for assertions and failure messages. */
  output(): string;
  /**
   * Resolves once the output matches `pattern`; rejects after `timeoutMs`, when the process exits first, or at once
   * when the output matches `failPattern` (a server that logged a fatal error but has not exited yet).
   */
  waitForOutput(pattern: RegExp, timeoutMs: number, failPattern?: RegExp): Promise<void>;
  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves with how the process ended. @default graceMs 10000 */
  stop(graceMs?: number): Promise<RunResult>;
}

/**
 * Starts a long-running binary in the background. The caller must `stop()` it (in `afterAll`); the e2e suite uses
 * this for Prometheus listening on 127.0.0.1.
 */
export function startBinary(path: string, args: readonly string[], options: StartOptions = {}): RunningBinary {
  const startedAt = Date.now();
  const child: ChildProcess = spawn(path, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.user !== undefined ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  let output = "";
  // Without a listener a failed spawn (ENOENT, EACCES) would crash the test process instead of failing the test.
  child.on("error", (error) => {
    output += `\n[harness] ${error.message}\n`;
  });
  if (child.pid === undefined) {
    throw new Error(`could not start ${commandLine(path, args)}`);
  }
  const pid = child.pid;
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    listeners.forEach((listener) => listener());
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on("close", (exitCode, signal) => {
      resolveExit({ exitCode, signal });
      listeners.forEach((listener) => listener());
    });
  });
  let finished = false;
  void exited.then(() => {
    finished = true;
  });

  return {
    pid,
    output: () => output,
    waitForOutput(pattern: RegExp, timeoutMs: number, failPattern?: RegExp): Promise<void> {
      return new Promise<void>((resolveWait, reject) => {
        const check = (): void => {
          if (pattern.test(output)) {
            done();
            resolveWait();
          } else if (failPattern?.test(output) === true) {
            done();
            reject(new Error(`${commandLine(path, args)} printed ${failPattern} before ${pattern}:\n${output}`));
          } else if (finished) {
            done();
            reject(new Error(`${commandLine(path, args)} exited before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${commandLine(path, args)} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000): Promise<RunResult> {
      let timedOut = false;
      if (!finished) {
        child.kill("SIGTERM");
      }
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, graceMs);
      const { exitCode, signal } = await exited;
      clearTimeout(timer);
      return {
        command: commandLine(path, args),
        exitCode,
        signal,
        stdout: output,
        stderr: "",
        timedOut,
        durationMs: Date.now() - startedAt,
      };
    },
  };
}

/**
 * Parses `X.Y.Z` from a Prometheus-style `--version` banner (`prometheus, version 3.5.3+ds1 (branch: ...)`); a
 * distribution suffix such as Debian's `+ds1` is dropped, so the result compares with an image tag.
 */
export function parseBinaryVersion(versionOutput: string): string {
  const match = /^\S+, version v?(\d+\.\d+\.\d+)/m.exec(versionOutput);
  if (match === null) {
    throw new Error(`cannot find "<name>, version X.Y.Z" in the version output:\n${versionOutput}`);
  }
  return match[1];
}

/** The arguments that make a binary print its version (`--version`, unless its spec says otherwise). */
export function versionArgs(spec: BinarySpec): readonly string[] {
  return spec.versionProbe?.args ?? ["--version"];
}

/**
 * Parses the version from a binary's version output, by its spec's {@link BinarySpec.versionProbe} (`postgres
 * (PostgreSQL) 15.18`, `nginx version: nginx/1.22.1`), else as a Prometheus-style banner ({@link parseBinaryVersion}).
 */
export function parseVersionOf(spec: BinarySpec, versionOutput: string): string {
  if (spec.versionProbe === undefined) return parseBinaryVersion(versionOutput);
  const match = spec.versionProbe.pattern.exec(versionOutput);
  if (match?.[1] === undefined) {
    throw new Error(
      `cannot find ${String(spec.versionProbe.pattern)} in ${spec.name}'s version output:\n${versionOutput}`,
    );
  }
  return match[1];
}

/** The version of an installed binary (runs it with its {@link versionArgs}, bounded by a timeout). */
export function binaryVersion(name: PrometheusBinary, env: NodeJS.ProcessEnv = process.env): string {
  const path = requireBinary(name, env);
  const spec = BINARIES[name];
  const result = spawnSync(path, [...versionArgs(spec)], { encoding: "utf8", timeout: DEFAULT_RUN_TIMEOUT_MS });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `${path} --version failed (exit ${String(result.status)}${result.error !== undefined ? `, ${result.error.message}` : ""}):\n${result.stdout}${result.stderr}`,
    );
  }
  return parseVersionOf(spec, `${result.stdout}\n${result.stderr}`);
}

/**
 * The version of the Prometheus server the tests run, `X.Y.Z` (for example `3.5.3`); compare it with the tag of
 * `prom/prometheus:vX.Y.Z` so what is tested is what is deployed.
 */
export function prometheusVersion(env: NodeJS.ProcessEnv = process.env): string {
  return binaryVersion("prometheus", env);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function commandLine(path: string, args: readonly string[]): string {
  return [path, ...args].join(" ");
}
