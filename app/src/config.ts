/**
 * The API's runtime configuration, parsed from environment variables in one place.
 *
 * `main.ts` is the only caller with the real `process.env`; everything else receives the typed {@link AppConfig}.
 */

/** Log levels the API accepts in `LOG_LEVEL` (pino's levels). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Typed configuration of the API process. */
export interface AppConfig {
  /** TCP port to listen on; 0 lets the OS pick a free port (it is logged). @default 8000 */
  readonly port: number;
  /** Interface to bind. The image sets `0.0.0.0`; outside a container only loopback is exposed. @default "127.0.0.1" */
  readonly host: string;
  /** Minimum level of the JSON logs on stdout. @default "info" */
  readonly logLevel: LogLevel;
}

/** Defaults applied when a variable is unset or empty. */
export const CONFIG_DEFAULTS: AppConfig = { port: 8000, host: "127.0.0.1", logLevel: "info" };

/** Thrown by {@link parseConfig} with every problem found, one per line, each naming the variable and the fix. */
export class ConfigError extends Error {
  /** The individual problems, in the order of the variables. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * Parses `PORT`, `HOST` and `LOG_LEVEL`, collecting all problems and throwing one {@link ConfigError}.
 *
 * An empty string counts as unset, so `PORT= npm run start:api` uses the default rather than failing.
 * @example parseConfig({ PORT: "9000" }) // { port: 9000, host: "127.0.0.1", logLevel: "info" }
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const problems: string[] = [];

  const portText = nonEmpty(env.PORT);
  let port = CONFIG_DEFAULTS.port;
  if (portText !== undefined) {
    // Number("") and Number(" 80") are lenient; a strict digit match rejects "8e3", "80.0" and "0x50" too.
    const parsed = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (Number.isInteger(parsed) && parsed >= 0 && parsed <= 65535) {
      port = parsed;
    } else {
      problems.push(`PORT must be an integer between 0 and 65535, 0 picks a free port (got "${portText}")`);
    }
  }

  const hostText = nonEmpty(env.HOST);
  let host = CONFIG_DEFAULTS.host;
  if (hostText !== undefined) {
    if (/\s/.test(hostText)) {
      problems.push(`HOST must be an IP address or hostname without spaces, e.g. 0.0.0.0 (got "${hostText}")`);
    } else {
      host = hostText;
    }
  }

  const levelText = nonEmpty(env.LOG_LEVEL);
  let logLevel = CONFIG_DEFAULTS.logLevel;
  if (levelText !== undefined) {
    const level = LOG_LEVELS.find((candidate) => candidate === levelText.toLowerCase());
    if (level === undefined) {
      problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${levelText}")`);
    } else {
      logLevel = level;
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { port, host, logLevel };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
