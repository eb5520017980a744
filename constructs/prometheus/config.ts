import { stringify } from "yaml";
import {
  ScrapeTarget,
  duplicateJobProblems,
  scrapeTargetProblems,
  targetAddress,
  targetLabels,
  targetLabelsKey,
} from "../core/scrape-target";
import { ConfigProblem, checkIntegerInRange, formatDuration, joinPath, show } from "../core/validation";

/** Everything prometheus.yml is rendered from; built by the Prometheus construct from what the stack deploys. */
export interface PrometheusConfigInput {
  /** How often every target is scraped, in seconds. */
  readonly scrapeIntervalSeconds: number;
  /** Scrape timeout in seconds; at most the scrape interval. */
  readonly scrapeTimeoutSeconds: number;
  /** How often rules are evaluated, in seconds. */
  readonly evaluationIntervalSeconds: number;
  /** The targets to scrape; targets sharing a job name form one job. */
  readonly targets: readonly ScrapeTarget[];
  /** Paths of rule files inside the container, as `rule_files` lists them. */
  readonly ruleFiles: readonly string[];
  /** Per-job limit of samples per scrape; a target exceeding it fails its scrape instead of exhausting memory. */
  readonly sampleLimit: number;
  /** Per-job limit of labels per sample. */
  readonly labelLimit: number;
  /** Alertmanagers to send alerts to, as network `host:port` addresses. */
  readonly alertmanagers?: readonly string[];
  /**
   * The `host` label every scraped series gets (a scrape-level relabel: `external_labels` are not attached to the
   * local series queries and rules read). @default none: no `host` label (a stack with one host)
   */
  readonly hostLabel?: string;
  /** Basic auth of some jobs' scrapes (the central Prometheus scraping itself behind its web config), by job name. */
  readonly scrapeAuth?: Readonly<Record<string, BasicAuthFile>>;
  /** `storage.tsdb.out_of_order_time_window`, in hours: how old a sample may arrive. @default none */
  readonly outOfOrderHours?: number;
  /** `global.external_labels` (an agent's `host`). @default none */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** `remote_write` targets (an agent's central Prometheus). @default none */
  readonly remoteWrite?: readonly RemoteWriteTarget[];
}

/** Basic auth whose password Prometheus reads from a file (never in the config itself). */
export interface BasicAuthFile {
  readonly username: string;
  /** The password file's path inside the container. */
  readonly passwordFile: string;
}

/** A remote-write target: the URL and the basic auth it is protected with. */
export interface RemoteWriteTarget {
  readonly url: string;
  readonly basicAuth: BasicAuthFile;
}

/** One `scrape_configs` entry, as Prometheus reads it. */
export interface PrometheusScrapeConfig {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly scheme: "http";
  readonly sample_limit: number;
  readonly label_limit: number;
  readonly basic_auth?: { readonly username: string; readonly password_file: string };
  readonly static_configs: readonly PrometheusStaticConfig[];
  readonly relabel_configs?: readonly { readonly target_label: string; readonly replacement: string }[];
}

/** One `static_configs` entry: addresses, and the labels (`__param_*` included) they all get. */
export interface PrometheusStaticConfig {
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** The prometheus.yml document, with keys in the order they are written. */
export interface PrometheusConfigDocument {
  readonly global: {
    readonly scrape_interval: string;
    readonly scrape_timeout: string;
    readonly evaluation_interval: string;
    readonly external_labels?: Readonly<Record<string, string>>;
  };
  readonly storage?: { readonly tsdb: { readonly out_of_order_time_window: string } };
  readonly alerting?: {
    readonly alertmanagers: readonly { readonly static_configs: readonly { readonly targets: readonly string[] }[] }[];
  };
  readonly rule_files?: readonly string[];
  readonly scrape_configs: readonly PrometheusScrapeConfig[];
  readonly remote_write?: readonly {
    readonly url: string;
    readonly basic_auth: { readonly username: string; readonly password_file: string };
    readonly queue_config: { readonly max_backoff: string };
  }[];
}

/** Every problem with the input; an empty list means {@link renderPrometheusConfig} produces a valid config. */
export function prometheusConfigProblems(input: PrometheusConfigInput, path = ""): ConfigProblem[] {
  const interval = checkIntegerInRange(joinPath(path, "scrapeIntervalSeconds"), input.scrapeIntervalSeconds, 1, 3600);
  const timeout = checkIntegerInRange(joinPath(path, "scrapeTimeoutSeconds"), input.scrapeTimeoutSeconds, 1, 3600);
  const problems: ConfigProblem[] = [
    ...interval,
    ...checkIntegerInRange(joinPath(path, "evaluationIntervalSeconds"), input.evaluationIntervalSeconds, 1, 3600),
    ...timeout,
    ...checkIntegerInRange(joinPath(path, "sampleLimit"), input.sampleLimit, 1, 10_000_000),
    ...checkIntegerInRange(joinPath(path, "labelLimit"), input.labelLimit, 1, 1000),
  ];
  // Compared only when both are valid, whatever else is wrong: every problem in one round.
  if (interval.length === 0 && timeout.length === 0 && input.scrapeTimeoutSeconds > input.scrapeIntervalSeconds) {
    problems.push({
      path: joinPath(path, "scrapeTimeoutSeconds"),
      message: `${joinPath(path, "scrapeTimeoutSeconds")} must not exceed scrapeIntervalSeconds (${input.scrapeIntervalSeconds}) (got ${show(input.scrapeTimeoutSeconds)})`,
    });
  }
  input.targets.forEach((target, index) =>
    problems.push(...scrapeTargetProblems(joinPath(path, `targets[${index}]`), target)),
  );
  problems.push(...duplicateJobProblems(joinPath(path, "targets"), input.targets));
  return problems;
}

/**
 * Renders prometheus.yml from the deployed services: one job per job name with all its targets, nothing else.
 *
 * Jobs are sorted by name and rule files kept in the given order, so the same input always gives the same document.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): PrometheusConfigDocument {
  // One job per job name, its targets in the order given (the replicas of a service, 1..n).
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const target of input.targets) jobs.set(target.jobName, [...(jobs.get(target.jobName) ?? []), target]);
  const scrapeConfigs = [...jobs.entries()]
    // Code-point order, not the locale's: the same file on every machine.
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([jobName, targets]): PrometheusScrapeConfig => {
      const auth = input.scrapeAuth?.[jobName];
      return {
        job_name: jobName,
        metrics_path: targets[0].metricsPath,
        scheme: "http",
        sample_limit: input.sampleLimit,
        label_limit: input.labelLimit,
        ...(auth !== undefined ? { basic_auth: { username: auth.username, password_file: auth.passwordFile } } : {}),
        static_configs: staticConfigs(targets),
        // Every series of the job gets host="<name>", as the agents' series get it from their external_labels.
        ...(input.hostLabel !== undefined
          ? { relabel_configs: [{ target_label: "host", replacement: input.hostLabel }] }
          : {}),
      };
    });
  const alertmanagers = input.alertmanagers ?? [];
  const remoteWrite = input.remoteWrite ?? [];
  return {
    global: {
      scrape_interval: formatDuration(input.scrapeIntervalSeconds),
      scrape_timeout: formatDuration(input.scrapeTimeoutSeconds),
      evaluation_interval: formatDuration(input.evaluationIntervalSeconds),
      ...(input.externalLabels !== undefined ? { external_labels: { ...input.externalLabels } } : {}),
    },
    ...(input.outOfOrderHours !== undefined
      ? { storage: { tsdb: { out_of_order_time_window: `${input.outOfOrderHours}h` } } }
      : {}),
    ...(alertmanagers.length > 0
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagers }] }] } }
      : {}),
    ...(input.ruleFiles.length > 0 ? { rule_files: input.ruleFiles } : {}),
    scrape_configs: scrapeConfigs,
    ...(remoteWrite.length > 0
      ? {
          remote_write: remoteWrite.map((target) => ({
            url: target.url,
            basic_auth: { username: target.basicAuth.username, password_file: target.basicAuth.passwordFile },
            // Retries back off to at most 10 s, so a link that comes back is used within seconds (WAL replay).
            queue_config: { max_backoff: "10s" },
          })),
        }
      : {}),
  };
}

/**
 * The `static_configs` of one job: targets without labels or params in one entry (as before), then one entry per
 * distinct label set (a multi-target exporter's probes), in the order the targets were given.
 */
function staticConfigs(targets: readonly ScrapeTarget[]): PrometheusStaticConfig[] {
  const groups = new Map<string, ScrapeTarget[]>();
  for (const target of targets) {
    const key = targetLabelsKey(target);
    groups.set(key, [...(groups.get(key) ?? []), target]);
  }
  return [...groups.values()].map((group) => {
    const labels = targetLabels(group[0]);
    return {
      targets: group.map(targetAddress),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    };
  });
}

/** Serializes a generated YAML document (prometheus.yml, rule files) with a do-not-edit header. */
export function toGeneratedYaml(document: unknown): string {
  return `# Generated by the monitoring stack (cdktf synth). Do not edit: change the stack and deploy.\n${stringify(document, { lineWidth: 0 })}`;
}
