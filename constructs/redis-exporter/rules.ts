/**
 * The Redis alert rules (redis-exporter) as a pure renderer: the job, the scrape interval and the thresholds
 * in, the rule file document (`rules/redis.yml`) out.
 */
import { promqlString } from "../../dashboards/promql";
import {
  ALERT_TARGET,
  AlertRulesDocument,
  durationProblems,
  minimumForSeconds,
  runbookAnnotations,
} from "../core/rules";
import { ConfigProblem, checkNumberBetween, formatDuration, joinPath } from "../core/validation";
import { REDIS_METRICS } from "./catalog";
import { REDIS_EXPORTER_DEFAULTS } from "./defaults";

/** The name of every Redis alert; runbook pages and promtool tests derive from these. */
export const REDIS_ALERT_NAMES = {
  /** The exporter cannot query the server (down, unreachable, or refusing the exporter's password). */
  redisDown: "RedisDown",
  /** Memory in use is above the threshold share of `maxmemory` (a server with a `maxmemory` only). */
  redisMemoryNearLimit: "RedisMemoryNearLimit",
} as const;

/** A ratio as the alert descriptions print a threshold: `0.8` -> `80%`. */
export function percentText(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** Thresholds of the Redis alerts. */
export interface RedisAlertThresholds {
  /** Share of `maxmemory` in use above which RedisMemoryNearLimit fires; in (0, 1). @default REDIS_EXPORTER_DEFAULTS.memoryRatio */
  readonly memoryRatio?: number;
  /** How long RedisMemoryNearLimit's condition must hold, in seconds. @default REDIS_EXPORTER_DEFAULTS.forSeconds, or 2 scrape intervals */
  readonly forSeconds?: number;
  /** How long RedisDown's condition must hold, in seconds. @default REDIS_EXPORTER_DEFAULTS.downForSeconds, or 2 scrape intervals */
  readonly downForSeconds?: number;
}

/** What the Redis rules are rendered from. */
export interface RedisAlertRulesInput {
  /** The redis-exporter job. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  readonly thresholds?: RedisAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation naming its page */
  readonly runbookBaseUrl?: string;
}

/** Every threshold with a value; durations raised to what the scrape interval allows. */
export function resolveRedisThresholds(
  thresholds: RedisAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<RedisAlertThresholds> {
  const d = REDIS_EXPORTER_DEFAULTS;
  const min = minimumForSeconds(scrapeIntervalSeconds);
  return {
    memoryRatio: thresholds?.memoryRatio ?? d.memoryRatio,
    forSeconds: thresholds?.forSeconds ?? Math.max(d.forSeconds, min),
    downForSeconds: thresholds?.downForSeconds ?? Math.max(d.downForSeconds, min),
  };
}

/** Problems with the thresholds, named under `path` (`redis-exporter.thresholds`). */
export function redisThresholdsProblems(
  path: string,
  thresholds: RedisAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const a = REDIS_ALERT_NAMES;
  return [
    ...(thresholds?.memoryRatio !== undefined
      ? checkNumberBetween(joinPath(path, "memoryRatio"), thresholds.memoryRatio, 0, 1)
      : []),
    ...durationProblems(path, scrapeIntervalSeconds, [
      { key: "forSeconds", value: thresholds?.forSeconds, alerts: a.redisMemoryNearLimit, kind: "for" },
      { key: "downForSeconds", value: thresholds?.downForSeconds, alerts: a.redisDown, kind: "for" },
    ]),
  ];
}

/** The Redis alert rules (group `redis`) over the exporter's job. */
export function renderRedisAlertRules(input: RedisAlertRulesInput): AlertRulesDocument {
  const t = resolveRedisThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const m = REDIS_METRICS;
  const a = REDIS_ALERT_NAMES;
  const job = `{job=${promqlString(input.jobName)}}`;
  return {
    groups: [
      {
        name: "redis",
        rules: [
          {
            alert: a.redisDown,
            expr: `${m.up.name}${job} == 0`,
            for: formatDuration(t.downForSeconds),
            labels: { severity: "critical" },
            annotations: {
              summary: "Redis cannot be queried",
              description: `${ALERT_TARGET}: redis_exporter cannot query its Redis server (down, unreachable, or refusing the exporter's password).`,
              ...runbookAnnotations(a.redisDown, input.runbookBaseUrl),
            },
          },
          {
            alert: a.redisMemoryNearLimit,
            expr: `${m.memoryUsedBytes.name}${job} / (${m.memoryMaxBytes.name}${job} > 0) > ${t.memoryRatio}`,
            for: formatDuration(t.forSeconds),
            labels: { severity: "warning" },
            annotations: {
              summary: "Redis is running out of memory",
              description: `${ALERT_TARGET}: {{ $value | humanizePercentage }} of maxmemory in use (threshold ${percentText(t.memoryRatio)}).`,
              ...runbookAnnotations(a.redisMemoryNearLimit, input.runbookBaseUrl),
            },
          },
        ],
      },
    ],
  };
}
