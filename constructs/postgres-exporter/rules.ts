/**
 * The PostgreSQL alert rules (postgres-exporter) as a pure renderer: the job, the scrape interval and the thresholds
 * in, the rule file document (`rules/postgres.yml`) out.
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
import { POSTGRES_METRICS } from "./catalog";
import { POSTGRES_EXPORTER_DEFAULTS } from "./defaults";

/** The name of every PostgreSQL alert; runbook pages and promtool tests derive from these. */
export const POSTGRES_ALERT_NAMES = {
  /** The exporter cannot query the server (down, unreachable, or refusing the exporter's login). */
  postgresDown: "PostgresDown",
  /** Connections in use are above the threshold share of `max_connections`. */
  postgresConnectionsNearLimit: "PostgresConnectionsNearLimit",
} as const;

/** A ratio as the alert descriptions print a threshold: `0.8` -> `80%`. */
export function percentText(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** Thresholds of the PostgreSQL alerts. */
export interface PostgresAlertThresholds {
  /** Share of `max_connections` in use above which PostgresConnectionsNearLimit fires; in (0, 1). @default POSTGRES_EXPORTER_DEFAULTS.connectionsRatio */
  readonly connectionsRatio?: number;
  /** How long PostgresConnectionsNearLimit's condition must hold, in seconds. @default POSTGRES_EXPORTER_DEFAULTS.forSeconds, or 2 scrape intervals */
  readonly forSeconds?: number;
  /** How long PostgresDown's condition must hold, in seconds. @default POSTGRES_EXPORTER_DEFAULTS.downForSeconds, or 2 scrape intervals */
  readonly downForSeconds?: number;
}

/** What the PostgreSQL rules are rendered from. */
export interface PostgresAlertRulesInput {
  /** The postgres-exporter job. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  readonly thresholds?: PostgresAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation naming its page */
  readonly runbookBaseUrl?: string;
}

/** Every threshold with a value; durations raised to what the scrape interval allows. */
export function resolvePostgresThresholds(
  thresholds: PostgresAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<PostgresAlertThresholds> {
  const d = POSTGRES_EXPORTER_DEFAULTS;
  const min = minimumForSeconds(scrapeIntervalSeconds);
  return {
    connectionsRatio: thresholds?.connectionsRatio ?? d.connectionsRatio,
    forSeconds: thresholds?.forSeconds ?? Math.max(d.forSeconds, min),
    downForSeconds: thresholds?.downForSeconds ?? Math.max(d.downForSeconds, min),
  };
}

/** Problems with the thresholds, named under `path` (`postgres-exporter.thresholds`). */
export function postgresThresholdsProblems(
  path: string,
  thresholds: PostgresAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const a = POSTGRES_ALERT_NAMES;
  return [
    ...(thresholds?.connectionsRatio !== undefined
      ? checkNumberBetween(joinPath(path, "connectionsRatio"), thresholds.connectionsRatio, 0, 1)
      : []),
    ...durationProblems(path, scrapeIntervalSeconds, [
      { key: "forSeconds", value: thresholds?.forSeconds, alerts: a.postgresConnectionsNearLimit, kind: "for" },
      { key: "downForSeconds", value: thresholds?.downForSeconds, alerts: a.postgresDown, kind: "for" },
    ]),
  ];
}

/** The PostgreSQL alert rules (group `postgres`) over the exporter's job. */
export function renderPostgresAlertRules(input: PostgresAlertRulesInput): AlertRulesDocument {
  const t = resolvePostgresThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const m = POSTGRES_METRICS;
  const a = POSTGRES_ALERT_NAMES;
  const job = `{job=${promqlString(input.jobName)}}`;
  return {
    groups: [
      {
        name: "postgres",
        rules: [
          {
            alert: a.postgresDown,
            expr: `${m.up.name}${job} == 0`,
            for: formatDuration(t.downForSeconds),
            labels: { severity: "critical" },
            annotations: {
              summary: "PostgreSQL cannot be queried",
              description: `${ALERT_TARGET}: postgres_exporter cannot query its PostgreSQL server (down, unreachable, or refusing the exporter's login).`,
              ...runbookAnnotations(a.postgresDown, input.runbookBaseUrl),
            },
          },
          {
            alert: a.postgresConnectionsNearLimit,
            expr: `sum by (instance) (${m.activityCount.name}${job}) / max by (instance) (${m.maxConnections.name}${job}) > ${t.connectionsRatio}`,
            for: formatDuration(t.forSeconds),
            labels: { severity: "warning" },
            annotations: {
              summary: "PostgreSQL is running out of connections",
              description: `${ALERT_TARGET}: {{ $value | humanizePercentage }} of max_connections in use (threshold ${percentText(t.connectionsRatio)}).`,
              ...runbookAnnotations(a.postgresConnectionsNearLimit, input.runbookBaseUrl),
            },
          },
        ],
      },
    ],
  };
}
