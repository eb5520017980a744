import type { ApiServiceOptions } from "./api-service";
import type { MonitoringStackProps } from "./monitoring-stack";
import { ConfigProblem, show } from "./validation";

/** The stack settings main.ts reads from environment variables (everything but paths and files). */
export type StackSettings = Pick<
  MonitoringStackProps,
  "networkName" | "scrapeIntervalSeconds" | "prometheus" | "grafana" | "alerting" | "alertmanager"
> & {
  /** The demo API's settings; main.ts passes them to `demoApiService`. */
  readonly api?: ApiServiceOptions;
  /** cAdvisor: main.ts adds it (`addCadvisor`) only when enabled. */
  readonly cadvisor?: { readonly enabled?: boolean };
};

type Kind = "integer" | "number" | "boolean" | "string";

/** One environment variable and the stack setting it sets. */
export interface EnvSetting {
  /** The variable's name. */
  readonly env: string;
  /** The setting's path in {@link MonitoringStackProps} (`api.hostPort`). */
  readonly path: string;
  readonly kind: Kind;
  /** What it does and its default, for the README and `--help`-style messages. */
  readonly description: string;
}

/** Every environment variable the stack reads, in README order. */
export const ENV_SETTINGS: readonly EnvSetting[] = [
  {
    env: "MONITORING_NETWORK",
    path: "networkName",
    kind: "string",
    description: "Docker network name and prefix of container and volume names (default `monitoring`)",
  },
  {
    env: "SCRAPE_INTERVAL_SECONDS",
    path: "scrapeIntervalSeconds",
    kind: "integer",
    description: "Prometheus scrape interval; also Grafana's `timeInterval` and the alert windows' unit (default 15)",
  },
  { env: "API_HOST_PORT", path: "api.hostPort", kind: "integer", description: "Host port of the API (default 8000)" },
  {
    env: "API_BIND_ADDRESS",
    path: "api.bindAddress",
    kind: "string",
    description: "Host address the API port binds to (default `127.0.0.1`)",
  },
  { env: "API_MEMORY_MB", path: "api.memoryMb", kind: "integer", description: "API memory limit in MiB (default 256)" },
  { env: "API_LOG_LEVEL", path: "api.logLevel", kind: "string", description: "API log level (default `info`)" },
  {
    env: "PROMETHEUS_HOST_PORT",
    path: "prometheus.hostPort",
    kind: "integer",
    description: "Host port of Prometheus (default 9090)",
  },
  {
    env: "PROMETHEUS_BIND_ADDRESS",
    path: "prometheus.bindAddress",
    kind: "string",
    description: "Host address the Prometheus port binds to (default `127.0.0.1`)",
  },
  {
    env: "PROMETHEUS_MEMORY_MB",
    path: "prometheus.memoryMb",
    kind: "integer",
    description: "Prometheus memory limit in MiB (default 1024)",
  },
  {
    env: "PROMETHEUS_RETENTION_DAYS",
    path: "prometheus.retentionDays",
    kind: "integer",
    description: "Days of samples Prometheus keeps (default 15)",
  },
  {
    env: "PROMETHEUS_RETENTION_SIZE_MB",
    path: "prometheus.retentionSizeMb",
    kind: "integer",
    description: "TSDB size in MiB above which the oldest data is deleted (default 2048)",
  },
  {
    env: "GRAFANA_HOST_PORT",
    path: "grafana.hostPort",
    kind: "integer",
    description: "Host port of Grafana; the Grafana provider uses it too (default 3000)",
  },
  {
    env: "GRAFANA_BIND_ADDRESS",
    path: "grafana.bindAddress",
    kind: "string",
    description: "Host address the Grafana port binds to (default `127.0.0.1`)",
  },
  {
    env: "GRAFANA_MEMORY_MB",
    path: "grafana.memoryMb",
    kind: "integer",
    description: "Grafana memory limit in MiB (default 512)",
  },
  {
    env: "ALERT_API_ERROR_RATIO",
    path: "alerting.thresholds.apiErrorRatio",
    kind: "number",
    description: "5xx ratio above which ApiHighErrorRatio fires (default 0.05)",
  },
  {
    env: "ALERT_API_MIN_REQUESTS_PER_SECOND",
    path: "alerting.thresholds.apiMinRequestsPerSecond",
    kind: "number",
    description: "Traffic below which the API alerts stay quiet (default 0.1)",
  },
  {
    env: "ALERT_API_LATENCY_P95_SECONDS",
    path: "alerting.thresholds.apiLatencyP95Seconds",
    kind: "number",
    description: "p95 latency above which ApiHighLatencyP95 fires (default 0.5)",
  },
  {
    env: "ALERT_RUNBOOK_BASE_URL",
    path: "alerting.runbookBaseUrl",
    kind: "string",
    description:
      "Absolute http(s) prefix of every alert's `runbook_url`, e.g. your README's URL plus `#runbook-`; the lowercase alert name is appended (default: no link; every alert's `runbook` annotation names its README section)",
  },
  {
    env: "ALERTMANAGER_ENABLED",
    path: "alertmanager.enabled",
    kind: "boolean",
    description: "Deploy Alertmanager and send alerts to it (`true` or `false`, default `false`)",
  },
  {
    env: "ALERTMANAGER_HOST_PORT",
    path: "alertmanager.hostPort",
    kind: "integer",
    description: "Host port of Alertmanager (default 9093)",
  },
  {
    env: "ALERTMANAGER_BIND_ADDRESS",
    path: "alertmanager.bindAddress",
    kind: "string",
    description: "Host address the Alertmanager port binds to (default `127.0.0.1`)",
  },
  {
    env: "ALERTMANAGER_WEBHOOK_URL_FILE",
    path: "alertmanager.webhookUrlFile",
    kind: "string",
    description:
      "Absolute path of a file on the Docker host holding the URL Alertmanager posts alerts to (default: none, alerts stay in its UI); mounted read-only, never in the config or state",
  },
  {
    env: "CADVISOR_ENABLED",
    path: "cadvisor.enabled",
    kind: "boolean",
    description:
      "Deploy cAdvisor (container metrics; runs as root and privileged, see Host access) and the Containers dashboard (`true` or `false`, default `false`)",
  },
];

/**
 * Builds the stack settings from environment variables. Unset or empty variables leave the construct defaults in
 * place; a variable that does not parse is reported with its name, its value and what it must be.
 */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): {
  readonly settings: StackSettings;
  readonly problems: readonly ConfigProblem[];
} {
  const settings: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.env]?.trim();
    if (raw === undefined || raw === "") continue;
    const parsed = parseValue(setting, raw);
    if ("problem" in parsed) {
      problems.push({ path: setting.path, message: parsed.problem });
    } else {
      setPath(settings, setting.path.split("."), parsed.value);
    }
  }
  return { settings: settings as StackSettings, problems };
}

/** Parses one variable's text by its kind, or says what it must be. */
function parseValue(setting: EnvSetting, raw: string): { value: string | number | boolean } | { problem: string } {
  switch (setting.kind) {
    case "integer":
      return /^-?\d+$/.test(raw)
        ? { value: Number(raw) }
        : { problem: `${setting.env} must be an integer (got ${show(raw)})` };
    case "number":
      return /^-?(\d+\.?\d*|\.\d+)$/.test(raw)
        ? { value: Number(raw) }
        : { problem: `${setting.env} must be a number such as 0.05 (got ${show(raw)})` };
    case "boolean":
      return raw === "true" || raw === "false"
        ? { value: raw === "true" }
        : { problem: `${setting.env} must be true or false (got ${show(raw)})` };
    case "string":
      return { value: raw };
  }
}

/** Sets `value` at `keys` in `target`, creating the objects on the way. */
function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  const [head, ...rest] = keys;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = (target[head] as Record<string, unknown> | undefined) ?? {};
  target[head] = child;
  setPath(child, rest, value);
}

/** Appends to a problem about a setting the environment variable that sets it, so the user knows what to change. */
export function withEnvHint(problem: ConfigProblem): string {
  const setting = ENV_SETTINGS.find((candidate) => candidate.path === problem.path);
  return setting === undefined || problem.message.startsWith(setting.env)
    ? problem.message
    : `${problem.message} [set by ${setting.env}]`;
}
