/**
 * The API's runtime configuration, parsed from environment variables in one place.
 *
 * `main.ts` is the only caller with the real `process.env`; everything else receives the typed {@link AppConfig}.
 */

/** Log levels the API accepts in `LOG_LEVEL` (pino's levels). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How long a client may take and how many resources it may hold: the limits that keep hostile or broken clients from
 * holding the process open or growing it toward its memory limit.
 */
export interface ConnectionLimits {
  /**
   * Longest time to receive a request's headers, from the first byte of the request (or from the connection, for the
   * first request), in milliseconds. A request still sending headers then gets a 408 and its connection is closed; a
   * connection that sent nothing at all is closed without an answer. At most `requestTimeoutMs`.
   * @default 5000
   */
  readonly headersTimeoutMs: number;
  /**
   * Longest time to receive a whole request, headers and body, in milliseconds: a slow body then gets a 408 and its
   * connection is closed. Below the 8 s shutdown deadline, so a slow upload cannot hold a shutdown open.
   * @default 7000
   */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after a response, in milliseconds. @default 5000 */
  readonly keepAliveTimeoutMs: number;
  /** Most open connections; further connections are closed as soon as they are accepted. @default 1000 */
  readonly maxConnections: number;
  /** Most `GET /api/simulate` requests waiting at once; beyond it the endpoint answers 503 at once. @default 100 */
  readonly simulateMaxConcurrent: number;
}

/** Typed configuration of the API process. */
export interface AppConfig extends ConnectionLimits {
  /** TCP port to listen on; 0 lets the OS pick a free port (it is logged). @default 8000 */
  readonly port: number;
  /** Interface to bind. The image sets `0.0.0.0`; outside a container only loopback is exposed. @default "127.0.0.1" */
  readonly host: string;
  /** Minimum level of the JSON logs on stdout. @default "info" */
  readonly logLevel: LogLevel;
}

/** Defaults of the connection limits, used by the server when a caller does not set them. */
export const LIMIT_DEFAULTS: ConnectionLimits = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 7000,
  keepAliveTimeoutMs: 5000,
  maxConnections: 1000,
  simulateMaxConcurrent: 100,
};

/** Defaults applied when a variable is unset or empty. */
export const CONFIG_DEFAULTS: AppConfig = { port: 8000, host: "127.0.0.1", logLevel: "info", ...LIMIT_DEFAULTS };

/** The environment variable of each limit, its bounds and what it is; one row per {@link ConnectionLimits} field. */
export const LIMIT_VARIABLES: readonly {
  readonly variable: string;
  readonly field: keyof ConnectionLimits;
  readonly min: number;
  readonly max: number;
}[] = [
  { variable: "HEADERS_TIMEOUT_MS", field: "headersTimeoutMs", min: 100, max: 600_000 },
  { variable: "REQUEST_TIMEOUT_MS", field: "requestTimeoutMs", min: 100, max: 600_000 },
  { variable: "KEEP_ALIVE_TIMEOUT_MS", field: "keepAliveTimeoutMs", min: 100, max: 600_000 },
  { variable: "MAX_CONNECTIONS", field: "maxConnections", min: 1, max: 1_000_000 },
  { variable: "SIMULATE_MAX_CONCURRENT", field: "simulateMaxConcurrent", min: 1, max: 1_000_000 },
];

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
 * Parses `PORT`, `HOST`, `LOG_LEVEL` and the limits of {@link LIMIT_VARIABLES}, collecting all problems and throwing
 * one {@link ConfigError}.
 *
 * An empty string counts as unset, so `PORT= npm run start:api` uses the default rather than failing.
 * @example parseConfig({ PORT: "9000" }).port // 9000
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const problems: string[] = [];

  const portText = nonEmpty(env.PORT);
  let port = CONFIG_DEFAULTS.port;
  if (portText !== undefined) {
    const parsed = strictInteger(portText);
    if (parsed !== undefined && parsed >= 0 && parsed <= 65535) {
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

  const limits: Record<keyof ConnectionLimits, number> = { ...LIMIT_DEFAULTS };
  const setByEnv = new Set<keyof ConnectionLimits>();
  for (const { variable, field, min, max } of LIMIT_VARIABLES) {
    const text = nonEmpty(env[variable]);
    if (text === undefined) continue;
    const parsed = strictInteger(text);
    if (parsed !== undefined && parsed >= min && parsed <= max) {
      limits[field] = parsed;
      setByEnv.add(field);
    } else {
      problems.push(`${variable} must be an integer between ${min} and ${max} (got "${text}")`);
    }
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    const set = (field: keyof ConnectionLimits, variable: string): string =>
      `${variable}=${limits[field]}${setByEnv.has(field) ? "" : " (default)"}`;
    problems.push(
      `HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS, the headers are part of the request ` +
        `(got ${set("headersTimeoutMs", "HEADERS_TIMEOUT_MS")}, ${set("requestTimeoutMs", "REQUEST_TIMEOUT_MS")})`,
    );
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { port, host, logLevel, ...limits };
}

/** The integer `text` spells in plain digits, or `undefined` ("8e3", "80.0", "0x50" and " 80" are not integers). */
function strictInteger(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
