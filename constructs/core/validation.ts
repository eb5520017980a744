/**
 * Validation helpers shared by the constructs: each check returns the problems it found instead of throwing, so a
 * construct (or the whole stack) can collect every problem and fail once with all of them.
 *
 * Messages follow one shape: `<setting> must <rule> (got <value>)`, where `<setting>` is the prop path as the user
 * wrote it (`api.hostPort`).
 */
import { holdsSecret } from "./secrets";

/** One invalid setting: where it is and what is wrong with it. */
export interface ConfigProblem {
  /** The setting's path as the user wrote it, for example `prometheus.retentionDays`. */
  readonly path: string;
  /** A complete sentence naming the setting, the value and the rule. */
  readonly message: string;
}

/** Thrown when one or more settings are invalid; `problems` lists every one of them. */
export class ConfigError extends Error {
  /** Every invalid setting found, in the order they were checked. */
  public readonly problems: readonly ConfigProblem[];

  constructor(subject: string, problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? "1 invalid setting" : `${problems.length} invalid settings`;
    super(`${subject}: ${count}:\n${problems.map((problem) => `  - ${problem.message}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Throws a {@link ConfigError} naming `subject` when `problems` is not empty. */
export function throwIfProblems(subject: string, problems: readonly ConfigProblem[]): void {
  if (problems.length > 0) {
    throw new ConfigError(subject, problems);
  }
}

/** A Prometheus label name in the classic grammar (`severity`, `__param_target`): what every client and matcher takes. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Joins a prefix and a prop name into a setting path: `joinPath("api", "hostPort")` is `api.hostPort`. */
export function joinPath(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  return redactCredentials(typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value));
}

/**
 * `text` with the password of every `user:password@` in it (a URL's, a bare `user:password@host:port` target's) and
 * the value of every secret query parameter (`?token=…`) shown as `***`, so a refused setting's credential stays out of the terminal and CI logs. An image digest
 * (`prometheus:v3.5.0@sha256:…`) is no credential.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/(^|[\s/"'(])([^\s:@/"'()]*):([^\s@/"']+)@(?!sha256:)/g, "$1$2:***@")
    .replace(/([?&#])([A-Za-z][\w.-]*)=([^&#\s"']+)/g, (whole, lead: string, name: string) =>
      holdsSecret(name, "") ? `${lead}${name}=***` : whole,
    );
}

/** `value` must be an integer in `[min, max]`. */
export function checkIntegerInRange(path: string, value: number, min: number, max: number): ConfigProblem[] {
  if (!Number.isInteger(value) || value < min || value > max) {
    return [{ path, message: `${path} must be an integer between ${min} and ${max} (got ${show(value)})` }];
  }
  return [];
}

/** `value` must be a TCP port (1-65535). */
export function checkPort(path: string, value: number): ConfigProblem[] {
  return checkIntegerInRange(path, value, 1, 65535);
}

/** `value` must be a number strictly between `min` and `max` (exclusive bounds). */
export function checkNumberBetween(path: string, value: number, min: number, max: number): ConfigProblem[] {
  if (!Number.isFinite(value) || value <= min || value >= max) {
    return [
      { path, message: `${path} must be a number greater than ${min} and less than ${max} (got ${show(value)})` },
    ];
  }
  return [];
}

/** `value` must be a number greater than zero. */
export function checkPositive(path: string, value: number): ConfigProblem[] {
  if (!Number.isFinite(value) || value <= 0) {
    return [{ path, message: `${path} must be a number greater than 0 (got ${show(value)})` }];
  }
  return [];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** `value` must be an IPv4 address to bind a published port to (`127.0.0.1`, `0.0.0.0`, or a host address). */
export function checkBindAddress(path: string, value: string): ConfigProblem[] {
  if (!IPV4.test(value)) {
    return [
      {
        path,
        message: `${path} must be an IPv4 address such as "127.0.0.1" (loopback only) or "0.0.0.0" (every interface) (got ${show(value)})`,
      },
    ];
  }
  return [];
}

// A Docker image reference with an explicit tag: [registry[:port]/]name[/name...]:tag, optionally @sha256:digest.
const IMAGE_WITH_TAG =
  /^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*:[\w][\w.-]{0,127}(@sha256:[a-f0-9]{64})?$/;

/** `value` must be an image reference pinned to an explicit tag other than `latest`. */
export function checkImage(path: string, value: string): ConfigProblem[] {
  if (value.trim() === "") {
    return [
      { path, message: `${path} must name an image with a pinned tag such as "prom/prometheus:v3.5.3" (got "")` },
    ];
  }
  const tag = value.split("@")[0].split("/").pop()?.split(":")[1];
  if (tag === "latest") {
    return [
      {
        path,
        message: `${path} must be pinned to a version tag, not "latest", so every deploy runs the same image (got ${show(value)})`,
      },
    ];
  }
  if (!IMAGE_WITH_TAG.test(value)) {
    return [
      {
        path,
        message: `${path} must be an image reference with an explicit version tag such as "grafana/grafana:12.2.1" (got ${show(value)})`,
      },
    ];
  }
  return [];
}

// Docker network, volume and container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** `value` must be a valid Docker object name (network, volume or container). */
export function checkDockerName(path: string, value: string): ConfigProblem[] {
  if (!DOCKER_NAME.test(value)) {
    return [
      {
        path,
        message: `${path} must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 63 characters) (got ${show(value)})`,
      },
    ];
  }
  return [];
}

/** Formats seconds as a Prometheus/Go duration (`15s`, `2m`, `1h`), using the largest exact unit. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * A construct that checks itself: it never throws on a bad setting, it records the problem, and the stack it belongs
 * to collects every such construct's problems at synth (each construct reports its own, once), together with the
 * stack's, into one {@link ConfigError}. Outside a `MonitoringStack`, {@link validateItself} makes cdktf report them.
 */
export interface ISelfValidating {
  /** Every problem with this construct's settings; empty when it is valid. */
  configProblems(): readonly ConfigProblem[];
}

/** True when `value` is a construct that checks itself ({@link ISelfValidating}). */
export function isSelfValidating(value: unknown): value is ISelfValidating {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<ISelfValidating>).configProblems === "function"
  );
}

/**
 * Registers `construct`'s own problems with cdktf's validation (`node.addValidation`), for a construct used in a plain
 * `TerraformStack`. A `MonitoringStack` reports them earlier, all at once, through its own `ConfigError`.
 */
export function validateItself(
  construct: ISelfValidating & { readonly node: { addValidation(v: { validate(): string[] }): void } },
): void {
  construct.node.addValidation({ validate: () => construct.configProblems().map((problem) => problem.message) });
}

/**
 * An `http(s)://` URL without credentials (they would land in cdk.tf.json; they belong in a Terraform variable), a
 * query or a fragment.
 */
export function urlProblems(path: string, value: string, what: string): ConfigProblem[] {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return [{ path, message: `${path} must be the http(s) URL of the ${what} server (got ${show(value)})` }];
  }
  if (url.username !== "" || url.password !== "") {
    return [
      {
        path,
        message: `${path} must not contain credentials (got ${show(`${url.protocol}//***@${url.host}${url.pathname}`)}); remove them from the URL and pass them through the Terraform variable`,
      },
    ];
  }
  if (url.search !== "" || url.hash !== "") {
    return [{ path, message: `${path} must not have a query or fragment (got ${show(value)})` }];
  }
  return [];
}
