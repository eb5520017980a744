import { ConfigProblem, checkPort, joinPath, show } from "./validation";

/**
 * Where Prometheus scrapes one deployed service: produced by the service's own construct, never typed by hand, so a
 * target exists only for a service the stack actually deploys.
 */
export interface ScrapeTarget {
  /** Prometheus job name; unique across the stack. */
  readonly jobName: string;
  /** The service's alias on the Docker network (its host name for Prometheus). */
  readonly host: string;
  /** The port the service listens on inside the network (not the host-published one). */
  readonly port: number;
  /** HTTP path of the metrics endpoint. */
  readonly metricsPath: string;
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

/** Problems across targets: every job name must be unique, or Prometheus refuses the config. */
export function duplicateJobProblems(path: string, targets: readonly ScrapeTarget[]): ConfigProblem[] {
  const seen = new Map<string, ScrapeTarget>();
  const problems: ConfigProblem[] = [];
  for (const target of targets) {
    const first = seen.get(target.jobName);
    if (first !== undefined) {
      problems.push({
        path,
        message: `${path} has the job name ${show(target.jobName)} twice (${first.host}:${first.port} and ${target.host}:${target.port}); give each scrape target its own jobName`,
      });
    } else {
      seen.set(target.jobName, target);
    }
  }
  return problems;
}

/** `host:port` as Prometheus writes it in `static_configs` and in the `instance` label. */
export function targetAddress(target: ScrapeTarget): string {
  return `${target.host}:${target.port}`;
}
