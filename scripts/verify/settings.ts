/**
 * Where `npm run verify` looks: the command line, then the environment, then the Terraform state's outputs, then the
 * stack's own host URLs; and where the Grafana admin password comes from. Pure functions: the CLI reads argv, the
 * environment and the files, and passes their contents in.
 */
import { parseArgs } from "node:util";
import { DEMO_API_DEFAULTS } from "../../constructs/api/defaults";
import { GRAFANA_DEFAULTS } from "../../constructs/grafana/defaults";
import { PROMETHEUS_DEFAULTS } from "../../constructs/prometheus/defaults";
import type { ExpectedBasicAuth, ServiceName } from "./expectations";
import { isObject, type BasicAuth } from "./http";

/** The command line of `npm run verify`. */
export interface VerifyArgs {
  readonly apiUrl?: string;
  readonly prometheusUrl?: string;
  readonly grafanaUrl?: string;
  /** Leave the Grafana checks out (they print as skipped); the grafana job's targets must exist, their health is not judged. */
  readonly skipGrafana: boolean;
  /** How long the data check sends traffic, in seconds. */
  readonly burstSeconds: number;
  readonly help: boolean;
}

/** The usage text of `npm run verify`. */
export const VERIFY_USAGE = `Usage: npm run verify -- [options]

Checks the running stack and prints a checklist; exits 1 when a check fails.

Options:
  --api-url <url>         the API (env API_URL; default: terraform.monitoring.tfstate output api_url, else the stack's)
  --prometheus-url <url>  Prometheus (env PROMETHEUS_URL; default: output prometheus_url, else the stack's)
  --grafana-url <url>     Grafana (env GRAFANA_URL; default: output grafana_url, else the stack's)
  --skip-grafana          leave the Grafana checks out (printed as SKIPPED), e.g. against npm run dev (the API and
                          a real Prometheus on 127.0.0.1, no Docker)
  --burst-seconds <n>     how long the data check sends traffic (default 3, 1 to 30)
  --help                  this text

The Grafana admin password comes from GRAFANA_ADMIN_PASSWORD, else TF_VAR_grafana_admin_password, else the password
file (.secrets/grafana-admin-password); it is never printed. With MONITORING_HOSTS, Prometheus requires basic auth:
verify sends user agent and the content of PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE (default
.secrets/prometheus-remote-write-password), also never printed.`;

/** Parses the command line; every error names the flag, the value and the rule. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "api-url": { type: "string" },
      "prometheus-url": { type: "string" },
      "grafana-url": { type: "string" },
      "skip-grafana": { type: "boolean", default: false },
      "burst-seconds": { type: "string", default: "3" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const problems: string[] = [];
  for (const service of ["api", "prometheus", "grafana"] as const) {
    const flag = `${service}-url` as const;
    const value = values[flag];
    if (value !== undefined && !isHttpUrl(value)) {
      problems.push(`--${flag} must be an http(s) URL such as ${EXAMPLE_URL_OF[service]} (got "${value}")`);
    }
  }
  const burstText = values["burst-seconds"];
  const burstSeconds = Number(burstText);
  if (!/^\d+$/.test(burstText) || burstSeconds < 1 || burstSeconds > 30) {
    problems.push(`--burst-seconds must be a whole number between 1 and 30 (got "${burstText}")`);
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return {
    ...(values["api-url"] !== undefined ? { apiUrl: values["api-url"] } : {}),
    ...(values["prometheus-url"] !== undefined ? { prometheusUrl: values["prometheus-url"] } : {}),
    ...(values["grafana-url"] !== undefined ? { grafanaUrl: values["grafana-url"] } : {}),
    skipGrafana: values["skip-grafana"],
    burstSeconds,
    help: values.help,
  };
}

/** A URL and where it came from, for the checklist's header. */
export interface ResolvedUrl {
  readonly url: string;
  readonly source: string;
}

/** What {@link resolveUrls} reads. */
export interface UrlSources {
  readonly args: VerifyArgs;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Terraform state file's name, for messages. */
  readonly tfstateName: string;
  /** The Terraform state file's content, when it exists. */
  readonly tfstateText: string | undefined;
  /** The stack's host URLs (its `api_url`, `prometheus_url`, `grafana_url` outputs before any deploy). */
  readonly stackUrls: Readonly<Record<ServiceName, string>>;
}

const FLAG_OF: Readonly<Record<ServiceName, keyof VerifyArgs>> = {
  api: "apiUrl",
  prometheus: "prometheusUrl",
  grafana: "grafanaUrl",
};
const ENV_OF: Readonly<Record<ServiceName, string>> = {
  api: "API_URL",
  prometheus: "PROMETHEUS_URL",
  grafana: "GRAFANA_URL",
};
/** Each service's URL on this machine with the stack's default host ports, as the example an error gives. */
const EXAMPLE_URL_OF: Readonly<Record<ServiceName, string>> = {
  api: `http://127.0.0.1:${DEMO_API_DEFAULTS.hostPort}`,
  prometheus: `http://127.0.0.1:${PROMETHEUS_DEFAULTS.hostPort}`,
  grafana: `http://127.0.0.1:${GRAFANA_DEFAULTS.hostPort}`,
};
const OUTPUT_OF: Readonly<Record<ServiceName, string>> = {
  api: "api_url",
  prometheus: "prometheus_url",
  grafana: "grafana_url",
};

/**
 * Each service's URL: the flag, else the environment variable, else the Terraform state's output, else the stack's
 * host URL. Problems (an unreadable state file, an invalid URL in the environment) are returned, not thrown.
 */
export function resolveUrls(sources: UrlSources): {
  readonly urls: Readonly<Record<ServiceName, ResolvedUrl>>;
  readonly problems: readonly string[];
} {
  const problems: string[] = [];
  const outputs = terraformOutputs(sources.tfstateText, sources.tfstateName, problems);
  const resolve = (service: ServiceName): ResolvedUrl => {
    const flag = sources.args[FLAG_OF[service]];
    if (typeof flag === "string") return { url: trimSlash(flag), source: `--${OUTPUT_OF[service].replace("_", "-")}` };
    const envName = ENV_OF[service];
    const fromEnv = sources.env[envName]?.trim();
    if (fromEnv !== undefined && fromEnv !== "") {
      if (isHttpUrl(fromEnv)) return { url: trimSlash(fromEnv), source: envName };
      problems.push(`${envName} must be an http(s) URL such as ${EXAMPLE_URL_OF[service]} (got "${fromEnv}")`);
    }
    const output = outputs[OUTPUT_OF[service]];
    if (output !== undefined) {
      return { url: trimSlash(output), source: `${sources.tfstateName} output ${OUTPUT_OF[service]}` };
    }
    return { url: trimSlash(sources.stackUrls[service]), source: "the stack's settings" };
  };
  return { urls: { api: resolve("api"), prometheus: resolve("prometheus"), grafana: resolve("grafana") }, problems };
}

/** The string outputs of a Terraform state file (`outputs.<name>.value`); empty when there is no file. */
export function terraformOutputs(
  tfstateText: string | undefined,
  tfstateName: string,
  problems: string[] = [],
): Record<string, string> {
  if (tfstateText === undefined) return {};
  let state: unknown;
  try {
    state = JSON.parse(tfstateText);
  } catch {
    problems.push(`${tfstateName} is not valid JSON; its outputs are ignored`);
    return {};
  }
  const out: Record<string, string> = {};
  const outputs = isObject(state) && isObject(state.outputs) ? state.outputs : {};
  for (const [name, output] of Object.entries(outputs)) {
    if (isObject(output) && typeof output.value === "string") out[name] = output.value;
  }
  return out;
}

/** The Grafana admin password and where it came from; `value` is undefined when none was found. */
export interface ResolvedPassword {
  readonly value: string | undefined;
  /** `GRAFANA_ADMIN_PASSWORD`, `TF_VAR_grafana_admin_password`, the file's name, or where it was looked for. */
  readonly description: string;
}

/**
 * The Grafana admin password: `GRAFANA_ADMIN_PASSWORD`, else `TF_VAR_grafana_admin_password` (what the deploy used
 * when set), else the password file's content. Empty values count as unset.
 */
export function resolvePassword(
  env: Readonly<Record<string, string | undefined>>,
  passwordFileText: string | undefined,
  passwordFileForHumans: string,
): ResolvedPassword {
  for (const name of ["GRAFANA_ADMIN_PASSWORD", "TF_VAR_grafana_admin_password"]) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") return { value, description: name };
  }
  const fromFile = passwordFileText?.trim();
  if (fromFile !== undefined && fromFile !== "") return { value: fromFile, description: passwordFileForHumans };
  return {
    value: undefined,
    description: `GRAFANA_ADMIN_PASSWORD, TF_VAR_grafana_admin_password and ${passwordFileForHumans} (none set)`,
  };
}

/** The basic auth verify sends to Prometheus, and how the checklist's header and hints describe it. */
export interface ResolvedPrometheusAuth {
  /** What is sent; undefined when nothing is (none needed, or the password file could not be read). */
  readonly basicAuth: BasicAuth | undefined;
  /** `user agent, password from <file> (<setting>)`, or why none is sent. */
  readonly description: string;
  /** Why the password file could not be read, when it could not. */
  readonly problem?: string;
}

/**
 * The basic auth for the stack's Prometheus: none when the stack (built from this environment) has no extra host;
 * else its user and the content of the password file the stack's settings name (`file`: its text, or why it could
 * not be read). The password is never part of the description.
 */
export function resolvePrometheusAuth(
  expected: ExpectedBasicAuth | undefined,
  file: { readonly text: string } | { readonly error: string } | undefined,
): ResolvedPrometheusAuth | undefined {
  if (expected === undefined) return undefined;
  const where = `${expected.passwordFileForHumans} (${expected.setting})`;
  const problem =
    file === undefined
      ? "it does not exist"
      : "error" in file
        ? file.error
        : file.text.trim() === ""
          ? "it is empty"
          : undefined;
  if (problem !== undefined || file === undefined || "error" in file) {
    return { basicAuth: undefined, description: `none: cannot read the password file ${where}: ${problem}`, problem };
  }
  return {
    basicAuth: { user: expected.username, password: file.text.trim() },
    description: `user ${expected.username}, password from ${where}`,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
