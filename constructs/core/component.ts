/**
 * What a component tells the project about itself, beyond the constructs it adds: the images it deploys, the
 * binaries from Debian's archive that run it here, and the environment variables of its settings. The project's
 * registry (`constructs/components.ts`) lists every component once; the app (`main.ts`), the binary fetcher, the
 * docs and the tests read it from there, so adding a component is a folder plus one line in the registry.
 */
import type { MonitoringStackBase } from "./stack";

/** One binary the tests and `npm run dev` run: its Debian package, its file names, the upstream version it reports. */
export interface BinarySpec {
  /** The name the harness and `ServiceLocalRun.binary` use (`node-exporter`). */
  readonly name: string;
  /** The Debian package that ships it. */
  readonly debianPackage: string;
  /** File names to look for, in order: Debian's name first (`prometheus-node-exporter`), then upstream's. */
  readonly fileNames: readonly string[];
  /** The `X.Y.Z` version it must report: the version the component's image pins (a server: the version tested). */
  readonly version: string;
  /**
   * A program the tests run the component against (the server an exporter queries), which the stack never deploys:
   * its version is the one tested, not an image tag's. @default false: the component's image runs it
   */
  readonly testedAgainst?: boolean;
  /**
   * The Debian suite it comes from. @default unstable, then testing (the Go binaries: they need nothing but libc).
   * A C server (PostgreSQL, Redis, NGINX) names the release whose libraries this machine has (`bookworm`).
   */
  readonly suite?: string;
  /**
   * Where the program is inside its package when that is not `usr/bin/<fileNames[0]>` (`usr/lib/postgresql/15/bin/postgres`).
   * Its package(s) are then unpacked whole into `<bin dir>/<name>.d/` (a server's data files: PostgreSQL's share/)
   * and `<bin dir>/<fileNames[0]>` is a launcher running it with the unpacked libraries on `LD_LIBRARY_PATH`.
   * @default usr/bin/<fileNames[0]>, copied alone
   */
  readonly packagePath?: string;
  /** More packages unpacked with it (needs `packagePath`): libraries the machine may lack, the file a symlink names. @default none */
  readonly withPackages?: readonly string[];
  /**
   * How it tells its version: the arguments, and a pattern whose first group is `X.Y.Z`.
   * @default `--version`, and "<name>, version X.Y.Z" (the Prometheus family's banner)
   */
  readonly versionProbe?: { readonly args: readonly string[]; readonly pattern: RegExp };
}

/** How an environment variable's text is parsed. */
export type EnvKind = "integer" | "number" | "boolean" | "string";

/** One environment variable of a component's settings. */
export interface EnvSetting {
  /** The variable's name. */
  readonly env: string;
  /** The setting's path in the component's options (`hostPort`, `thresholds.errorRatio`). */
  readonly path: string;
  readonly kind: EnvKind;
  /** What it does, one phrase, without the default (read from {@link default}). */
  readonly description: string;
  /** The setting's default, from the component's defaults (none: the setting is unset by default). */
  readonly default?: string | number | boolean;
}

/** A component of the project, as its registry lists it. */
export interface ComponentInfo {
  /** Its name: its folder under `constructs/`, its settings' prefix (`node-exporter.memoryMb`). */
  readonly name: string;
  /** One line about it. */
  readonly summary: string;
  /** Every image it deploys, by a name (`prometheus`): pinned tags. */
  readonly images: Readonly<Record<string, string>>;
  /** The binaries from Debian's archive that run it here (`npm run dev`, the tests). @default none */
  readonly binaries?: readonly BinarySpec[];
  /** The environment variables of its settings. @default none */
  readonly settings?: readonly EnvSetting[];
  /**
   * How the app enables it: created by `MonitoringStack` itself (`"stack"`: its settings are the stack's props under
   * its name), always added, or added when a boolean variable says so.
   */
  readonly enabled:
    "stack" | "always" | { readonly variable: string; readonly default: boolean; readonly description: string };
  /** Adds it to a stack with the options its settings gave (not for `"stack"` components). */
  readonly add?: (stack: MonitoringStackBase, options: Readonly<Record<string, unknown>>) => void;
}
