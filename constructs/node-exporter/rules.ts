import { promqlString, regexAlternation } from "../../dashboards/promql";
import {
  ALERT_TARGET,
  AlertingRule,
  AlertRulesDocument,
  durationProblems,
  minimumForSeconds,
  minimumRateWindowSeconds,
  runbookAnnotations,
} from "../core/rules";
import { ConfigProblem, checkNumberBetween, formatDuration, joinPath } from "../core/validation";
import { NODE_CPU_IDLE_MODE, NODE_MEMORY_FILESYSTEM_TYPES, NODE_METRICS } from "./catalog";

/**
 * The host alert rules (node-exporter) as a pure renderer: the job name, scrape interval and thresholds in, the rule
 * file document (`rules/host.yml`) out. Durations follow the stack's rules: a `for:` spans at least 2 scrape intervals
 * and a rate window at least 4.
 */

/** The name of every host alert; runbook anchors and promtool tests derive from these. */
export const HOST_ALERT_NAMES = {
  /** The host's CPUs are busy above the threshold (all modes but idle, averaged over the CPUs). */
  hostCpuSaturated: "HostCpuSaturated",
  /** The memory available for new work is below the threshold share of the total. */
  hostMemoryPressure: "HostMemoryPressure",
  /** A disk filesystem has less than the threshold share of its space left. */
  hostDiskFilling: "HostDiskFilling",
  /** A disk filesystem is mounted read-only (the kernel remounts one read-only after I/O errors). */
  hostFilesystemReadOnly: "HostFilesystemReadOnly",
} as const;

/** Thresholds of the host alerts. */
export interface HostAlertThresholds {
  /** Share of CPU time busy above which HostCpuSaturated fires; in (0, 1). @default DEFAULT_HOST_ALERT_THRESHOLDS.cpuBusyRatio */
  readonly cpuBusyRatio?: number;
  /** Share of memory available below which HostMemoryPressure fires; in (0, 1). @default DEFAULT_HOST_ALERT_THRESHOLDS.memoryAvailableRatio */
  readonly memoryAvailableRatio?: number;
  /** Share of a filesystem's space left below which HostDiskFilling fires; in (0, 1). @default DEFAULT_HOST_ALERT_THRESHOLDS.filesystemAvailableRatio */
  readonly filesystemAvailableRatio?: number;
  /** Window of the CPU rate, in seconds. @default DEFAULT_HOST_ALERT_THRESHOLDS.rateWindowSeconds, or 4 scrape intervals when that is longer */
  readonly rateWindowSeconds?: number;
  /** How long a condition must hold before a host alert fires, in seconds. @default DEFAULT_HOST_ALERT_THRESHOLDS.forSeconds, or 2 scrape intervals */
  readonly forSeconds?: number;
}

/** The defaults of {@link HostAlertThresholds}, before durations are raised to the scrape interval's minimum. */
export const DEFAULT_HOST_ALERT_THRESHOLDS: Required<HostAlertThresholds> = {
  cpuBusyRatio: 0.9,
  memoryAvailableRatio: 0.1,
  filesystemAvailableRatio: 0.1,
  rateWindowSeconds: 300,
  forSeconds: 300,
};

/** What the host rules are rendered from. */
export interface HostAlertRulesInput {
  /** The node-exporter job. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  /** @default DEFAULT_HOST_ALERT_THRESHOLDS, durations raised to the minimum */
  readonly thresholds?: HostAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation naming its page (docs/runbooks/) */
  readonly runbookBaseUrl?: string;
}

/** Every host threshold with a value; durations raised to what the scrape interval allows. */
export function resolveHostAlertThresholds(
  thresholds: HostAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<HostAlertThresholds> {
  const given = thresholds ?? {};
  const d = DEFAULT_HOST_ALERT_THRESHOLDS;
  return {
    cpuBusyRatio: given.cpuBusyRatio ?? d.cpuBusyRatio,
    memoryAvailableRatio: given.memoryAvailableRatio ?? d.memoryAvailableRatio,
    filesystemAvailableRatio: given.filesystemAvailableRatio ?? d.filesystemAvailableRatio,
    rateWindowSeconds:
      given.rateWindowSeconds ?? Math.max(d.rateWindowSeconds, minimumRateWindowSeconds(scrapeIntervalSeconds)),
    forSeconds: given.forSeconds ?? Math.max(d.forSeconds, minimumForSeconds(scrapeIntervalSeconds)),
  };
}

/** Every problem with the host thresholds, named under `path`. */
export function hostAlertRulesProblems(input: HostAlertRulesInput, path = ""): ConfigProblem[] {
  const at = joinPath(path, "thresholds");
  const given = input.thresholds ?? {};
  const problems: ConfigProblem[] = [];
  for (const key of ["cpuBusyRatio", "memoryAvailableRatio", "filesystemAvailableRatio"] as const) {
    const value = given[key];
    if (value !== undefined) problems.push(...checkNumberBetween(joinPath(at, key), value, 0, 1));
  }
  problems.push(
    ...durationProblems(at, input.scrapeIntervalSeconds, [
      {
        key: "rateWindowSeconds",
        value: given.rateWindowSeconds,
        alerts: HOST_ALERT_NAMES.hostCpuSaturated,
        kind: "window",
      },
      { key: "forSeconds", value: given.forSeconds, alerts: "every host alert", kind: "for" },
    ]),
  );
  return problems;
}

/** `0.9` -> `90%`, without binary floating-point noise (`0.07 * 100` is 7.000000000000001). */
function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}

/** The host alert rules (group `host`) over the node-exporter job. */
export function renderHostAlertRules(input: HostAlertRulesInput): AlertRulesDocument {
  const t = resolveHostAlertThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const job = `job=${promqlString(input.jobName)}`;
  const disk = `${job},fstype!~${promqlString(regexAlternation(NODE_MEMORY_FILESYSTEM_TYPES))}`;
  const forDuration = formatDuration(t.forSeconds);
  const rule = (alert: string, expr: string, summary: string, description: string): AlertingRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity: "warning" },
    annotations: { summary, description, ...runbookAnnotations(alert, input.runbookBaseUrl) },
  });
  const cpu = NODE_METRICS.cpuSecondsTotal;
  const fs = NODE_METRICS;
  return {
    groups: [
      {
        name: "host",
        rules: [
          rule(
            HOST_ALERT_NAMES.hostCpuSaturated,
            `1 - avg by (host, instance) (rate(${cpu.name}{${job},${cpu.labels.mode}="${NODE_CPU_IDLE_MODE}"}[${formatDuration(t.rateWindowSeconds)}])) > ${t.cpuBusyRatio}`,
            "The host's CPUs are saturated",
            `${ALERT_TARGET}: CPUs busy {{ $value | humanizePercentage }} of the time over ${formatDuration(t.rateWindowSeconds)} (threshold ${percent(t.cpuBusyRatio)}).`,
          ),
          rule(
            HOST_ALERT_NAMES.hostMemoryPressure,
            `${fs.memoryAvailableBytes.name}{${job}} / ${fs.memoryTotalBytes.name}{${job}} < ${t.memoryAvailableRatio}`,
            "The host is running out of memory",
            `${ALERT_TARGET}: only {{ $value | humanizePercentage }} of memory available (threshold ${percent(t.memoryAvailableRatio)}).`,
          ),
          rule(
            HOST_ALERT_NAMES.hostDiskFilling,
            `${fs.filesystemAvailBytes.name}{${disk}} / ${fs.filesystemSizeBytes.name}{${disk}} < ${t.filesystemAvailableRatio} and ${fs.filesystemReadonly.name}{${disk}} == 0`,
            "A filesystem of the host is almost full",
            `${ALERT_TARGET}: {{ $labels.mountpoint }} ({{ $labels.device }}) has {{ $value | humanizePercentage }} of its space left (threshold ${percent(t.filesystemAvailableRatio)}).`,
          ),
          rule(
            HOST_ALERT_NAMES.hostFilesystemReadOnly,
            `${fs.filesystemReadonly.name}{${disk}} == 1`,
            "A filesystem of the host is read-only",
            `${ALERT_TARGET}: {{ $labels.mountpoint }} ({{ $labels.device }}) is mounted read-only; writes to it fail.`,
          ),
        ],
      },
    ],
  };
}
