import { ConfigProblem, checkPort, joinPath, show } from "./validation";

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
    const address = `${target.jobName} ${targetAddress(target)}`;
    if (first !== undefined && first.metricsPath !== target.metricsPath) {
      problems.push({
        path,
        message: `${path} has the job name ${show(target.jobName)} with two metrics paths (${show(first.metricsPath)} and ${show(target.metricsPath)}); give each scrape job its own jobName`,
      });
    } else if (addresses.has(address)) {
      problems.push({
        path,
        message: `${path} has the target ${targetAddress(target)} twice in job ${show(target.jobName)}; list each address once`,
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
