/**
 * The environment variables the app (`main.ts`) reads, derived from the registry of components: each component
 * declares the variables of its settings; the stack's own are below. A variable that does not parse is reported
 * with its name, its value and what it must be; every problem is returned at once.
 */
import { COMPONENTS } from "./components";
import type { ComponentInfo, EnvKind, EnvSetting } from "./core/component";
import { parseHostList } from "./core/hosts";
import { DEFAULT_NETWORK_NAME } from "./core/network";
import { MAX_SLO_SCRAPE_INTERVAL_SECONDS } from "./core/slo";
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, SCRAPE_INTERVAL_RANGE } from "./core/stack";
import { ConfigProblem, show } from "./core/validation";

/** The stack's own settings (the props every monitoring stack has). */
export const STACK_ENV_SETTINGS: readonly EnvSetting[] = [
  {
    env: "MONITORING_NETWORK",
    path: "networkName",
    kind: "string",
    description: "Docker network name and prefix of container and volume names",
    default: DEFAULT_NETWORK_NAME,
  },
  {
    env: "SCRAPE_INTERVAL_SECONDS",
    path: "scrapeIntervalSeconds",
    kind: "integer",
    description: `Prometheus scrape interval, ${SCRAPE_INTERVAL_RANGE.min} to ${SCRAPE_INTERVAL_RANGE.max} s, at most ${MAX_SLO_SCRAPE_INTERVAL_SECONDS} s while a service declares SLOs (the demo API does by default); also Grafana's \`timeInterval\` and the alert windows' unit`,
    default: DEFAULT_SCRAPE_INTERVAL_SECONDS,
  },
  {
    env: "ALERT_RUNBOOK_BASE_URL",
    path: "runbookBaseUrl",
    kind: "string",
    description:
      "Absolute http(s) prefix of every alert's `runbook_url`, e.g. the URL of your `docs/runbooks/` folder; `<AlertName>.md` is appended (unset: no link; every alert's `runbook` annotation names its page)",
  },
  {
    env: "MONITORING_HOSTS",
    path: "hosts",
    kind: "string",
    description:
      "Extra Docker hosts, `name=dockerHost,...` (`edge-1=ssh://ops@10.0.0.5,edge-2=tcp://10.0.0.6:2376`, `unix:///path.sock`): each gets node-exporter and a Prometheus agent remote-writing to the central Prometheus (docs/multi-host.md) (unset: one host)",
  },
];

/** One environment variable as the app reads it: the setting's full path (`api.hostPort`), for docs and messages. */
export interface AppEnvSetting extends EnvSetting {
  /** The component whose setting it is; undefined for the stack's own. */
  readonly component?: string;
}

/** Every environment variable the app reads, the stack's first, then each component's in registry order. */
export const ENV_SETTINGS: readonly AppEnvSetting[] = [
  ...STACK_ENV_SETTINGS,
  ...COMPONENTS.flatMap((component): AppEnvSetting[] => [
    ...(typeof component.enabled === "object"
      ? [
          {
            env: component.enabled.variable,
            path: `${component.name}.enabled`,
            kind: "boolean" as const,
            description: component.enabled.description,
            default: component.enabled.default,
            component: component.name,
          },
        ]
      : []),
    ...(component.settings ?? []).map((setting) => ({
      ...setting,
      path: `${component.name}.${setting.path}`,
      component: component.name,
    })),
  ]),
];

/** A setting's description with its default, as the docs show it. */
export function describeSetting(setting: EnvSetting): string {
  if (setting.default === undefined) return setting.description;
  const value = typeof setting.default === "string" ? `\`${setting.default}\`` : String(setting.default);
  return `${setting.description} (default ${value})`;
}

/** What the environment sets: the stack's props, each component's options, and which switchable ones are on. */
export interface AppSettings {
  /** The stack's own props (`networkName`, `scrapeIntervalSeconds`, `runbookBaseUrl`). */
  readonly stack: Readonly<Record<string, unknown>>;
  /** Each component's options by its name, from its variables. */
  readonly components: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Builds the settings from environment variables. Unset or empty variables leave the defaults in place; a variable
 * that does not parse is a problem, and so is a setting of a component that is not enabled (it would be ignored).
 */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): {
  readonly settings: AppSettings;
  readonly problems: readonly ConfigProblem[];
} {
  const stack: Record<string, unknown> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const problems: ConfigProblem[] = [];
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.env]?.trim();
    if (raw === undefined || raw === "") continue;
    if (setting.path === "hosts" && setting.component === undefined) {
      // A list: every entry's shape, name and endpoint checked here, all at once; only valid entries are kept.
      const hosts = parseHostList(setting.env, raw);
      problems.push(...hosts.problems);
      if (hosts.hosts.length > 0) stack.hosts = hosts.hosts;
      continue;
    }
    const parsed = parseValue(setting.env, setting.kind, raw);
    if ("problem" in parsed) {
      problems.push({ path: setting.path, message: parsed.problem });
      continue;
    }
    if (setting.component === undefined) {
      setPath(stack, setting.path.split("."), parsed.value);
    } else {
      const options = (components[setting.component] ??= {});
      setPath(options, setting.path.split(".").slice(1), parsed.value);
    }
  }
  const unparsed = new Set(problems.map((problem) => problem.path));
  for (const component of COMPONENTS) {
    // An enable variable that does not parse is reported itself; its component's settings are not ignored for that.
    if (typeof component.enabled === "object" && unparsed.has(`${component.name}.enabled`)) continue;
    if (!isEnabled(component, components) && typeof component.enabled === "object") {
      const variable = component.enabled.variable;
      for (const setting of component.settings ?? []) {
        const raw = env[setting.env]?.trim();
        if (raw === undefined || raw === "") continue;
        problems.push({
          path: `${component.name}.${setting.path}`,
          message: `${setting.env} is set but ${component.name} is not deployed: set ${variable}=true, or unset ${setting.env}`,
        });
      }
    }
  }
  return { settings: { stack, components }, problems };
}

/** Whether the app adds `component`, by its enable variable (parsed into `components`) or its default. */
export function isEnabled(
  component: ComponentInfo,
  components: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): boolean {
  if (typeof component.enabled !== "object") return true;
  const value = components[component.name]?.enabled;
  return typeof value === "boolean" ? value : component.enabled.default;
}

/** Parses one variable's text by its kind, or says what it must be. */
function parseValue(
  env: string,
  kind: EnvKind,
  raw: string,
): { value: string | number | boolean } | { problem: string } {
  switch (kind) {
    case "integer":
      return /^-?\d+$/.test(raw) ? { value: Number(raw) } : { problem: `${env} must be an integer (got ${show(raw)})` };
    case "number":
      return /^-?(\d+\.?\d*|\.\d+)$/.test(raw)
        ? { value: Number(raw) }
        : { problem: `${env} must be a number such as 0.05 (got ${show(raw)})` };
    case "boolean":
      return raw === "true" || raw === "false"
        ? { value: raw === "true" }
        : { problem: `${env} must be true or false (got ${show(raw)})` };
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

/**
 * Appends to a problem about a setting the environment variable that sets it, so the user knows what to change; given
 * `env`, only when that variable is set there (a default value was set by nobody).
 */
export function withEnvHint(problem: ConfigProblem, env?: Readonly<Record<string, string | undefined>>): string {
  const setting = ENV_SETTINGS.find((candidate) => candidate.path === problem.path);
  if (setting === undefined || problem.message.startsWith(setting.env)) return problem.message;
  if (env !== undefined && (env[setting.env] ?? "").trim() === "") return problem.message;
  return `${problem.message} [set by ${setting.env}]`;
}
