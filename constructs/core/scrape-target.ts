import { holdsSecret } from "./secrets";
import { ConfigProblem, LABEL_NAME, checkPort, joinPath, show } from "./validation";

/**
 * Where Prometheus scrapes one deployed service (one replica): produced by the service's own construct, never typed by
 * hand, so a target exists only for a service the stack actually deploys. Several targets with one `jobName` form one
 * job (the replicas of a service).
 */
export interface ScrapeTarget {
  /** Prometheus job name; one owner per job across the stack. */
  readonly jobName: string;
  /** The service's alias on the Docker network (its host name for Prometheus). */
  readonly host: string;
  /** The port the service listens on inside the network (not the host-published one). */
  readonly port: number;
  /** HTTP path of the metrics endpoint; the same for every target of a job. */
  readonly metricsPath: string;
  /**
   * The host is outside the stack's Docker network (a host address, another machine): Prometheus scrapes it although
   * no service of the stack deploys it. Only an explicit opt-in lifts the "no target for something not deployed" rule.
   * @default false
   */
  readonly outsideNetwork?: boolean;
  /**
   * URL query parameters of this target's scrapes (`{ module: "http_2xx", target: "http://api:8000/health" }`),
   * rendered as its `__param_<name>` labels: the multi-target exporter pattern (blackbox, snmp), where one exporter
   * address is scraped once per thing it probes. @default none
   */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * Labels of this target's series (`{ instance: "http://api:8000/health" }`: what a probe is about, instead of the
   * exporter's address). Names starting with `__` are Prometheus' own and refused (use `params`). @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

const JOB_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** Problems with one target: job name syntax, port range, path shape. */
export function scrapeTargetProblems(path: string, target: ScrapeTarget): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!JOB_NAME.test(target.jobName)) {
    problems.push({
      path: joinPath(path, "jobName"),
      message: `${joinPath(path, "jobName")} must start with a letter or "_" and contain only letters, digits, "_" and "-" (got ${show(target.jobName)})`,
    });
  }
  problems.push(...checkPort(joinPath(path, "port"), target.port));
  if (!target.metricsPath.startsWith("/")) {
    problems.push({
      path: joinPath(path, "metricsPath"),
      message: `${joinPath(path, "metricsPath")} must start with "/" (got ${show(target.metricsPath)})`,
    });
  }
  const query = target.metricsPath.includes("?") ? new URL(target.metricsPath, "http://x").searchParams : undefined;
  for (const name of new Set([...(query?.keys() ?? [])].filter((key) => holdsSecret(key, "")))) {
    problems.push({
      path: joinPath(path, "metricsPath"),
      message: `${joinPath(path, "metricsPath")} must not carry a secret in its query (${name}): it would be in prometheus.yml, baked into the Prometheus image; scrape an endpoint that needs none`,
    });
  }
  for (const [name, value] of Object.entries(target.params ?? {})) {
    const at = joinPath(path, `params.${name}`);
    if (holdsSecret(name, "")) {
      problems.push({
        path: at,
        message: `${at} looks like a secret: a parameter is in prometheus.yml, baked into the Prometheus image; scrape an endpoint that needs none`,
      });
    }
    if (!LABEL_NAME.test(name)) {
      problems.push({
        path: at,
        message: `${at}: a parameter name must start with a letter or "_" and contain only letters, digits and "_" (got ${show(name)})`,
      });
    }
    if (typeof value !== "string" || value === "") {
      problems.push({ path: at, message: `${at} must be a non-empty string (got ${show(value)})` });
    }
  }
  for (const [name, value] of Object.entries(target.labels ?? {})) {
    const at = joinPath(path, `labels.${name}`);
    if (holdsSecret(name, "")) {
      problems.push({
        path: at,
        message: `${at} looks like a secret: a label is on every series of the target, in every query, dashboard and notification; label it with something else`,
      });
    }
    if (!LABEL_NAME.test(name) || name.startsWith("__") || name === "job") {
      problems.push({
        path: at,
        message: `${at}: a label name must start with a letter or "_", contain only letters, digits and "_", and be neither "job" nor reserved ("__..."; URL parameters go in params) (got ${show(name)})`,
      });
    }
    if (typeof value !== "string" || value === "") {
      problems.push({ path: at, message: `${at} must be a non-empty string (got ${show(value)})` });
    }
  }
  return problems;
}

/**
 * Problems across targets: the targets of one job must share its metrics path (a job has one `metrics_path`), and no
 * job may list the same address twice.
 */
export function duplicateJobProblems(path: string, targets: readonly ScrapeTarget[]): ConfigProblem[] {
  const seen = new Map<string, ScrapeTarget>();
  const addresses = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const target of targets) {
    const first = seen.get(target.jobName);
    // A multi-target exporter is one address scraped with different parameters: those are part of the identity.
    const address = `${target.jobName} ${targetAddress(target)} ${targetLabelsKey(target)}`;
    if (first !== undefined && first.metricsPath !== target.metricsPath) {
      problems.push({
        path,
        message: `${path} has the job name ${show(target.jobName)} with two metrics paths (${show(first.metricsPath)} and ${show(target.metricsPath)}); give each scrape job its own jobName`,
      });
    } else if (addresses.has(address)) {
      problems.push({
        path,
        message: `${path} has the target ${targetAddress(target)}${targetLabelsKey(target) === "{}" ? "" : ` with ${targetLabelsKey(target)}`} twice in job ${show(target.jobName)}; list each address once`,
      });
    }
    if (first === undefined) seen.set(target.jobName, target);
    addresses.add(address);
  }
  return problems;
}

/** `host:port` as Prometheus writes it in `static_configs` and in the `instance` label. */
export function targetAddress(target: ScrapeTarget): string {
  return `${target.host}:${target.port}`;
}

/**
 * The labels a target's `static_configs` entry carries: its `labels`, then its `params` as `__param_<name>`, sorted by
 * name. Prometheus adds every `__param_<name>` label to the scrape URL's query.
 */
export function targetLabels(target: ScrapeTarget): Record<string, string> {
  const labels: Record<string, string> = {
    ...(target.labels ?? {}),
    ...Object.fromEntries(Object.entries(target.params ?? {}).map(([name, value]) => [`__param_${name}`, value])),
  };
  return Object.fromEntries(
    Object.keys(labels)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => [name, labels[name]]),
  );
}

/** A stable key of {@link targetLabels} (`{}` for a plain target). */
export function targetLabelsKey(target: ScrapeTarget): string {
  return JSON.stringify(targetLabels(target));
}
