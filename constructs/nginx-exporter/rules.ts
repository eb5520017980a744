/**
 * The NGINX alert rules (nginx-exporter) as a pure renderer: the job, the scrape interval and the thresholds in, the
 * rule file document (`rules/nginx.yml`) out.
 */
import { promqlString } from "../../dashboards/promql";
import {
  ALERT_TARGET,
  AlertRulesDocument,
  durationProblems,
  minimumForSeconds,
  minimumRateWindowSeconds,
  runbookAnnotations,
} from "../core/rules";
import { ConfigProblem, formatDuration } from "../core/validation";
import { NGINX_METRICS } from "./catalog";
import { NGINX_EXPORTER_DEFAULTS } from "./defaults";

/** The name of every NGINX alert; runbook pages and promtool tests derive from these. */
export const NGINX_ALERT_NAMES = {
  /** The exporter cannot read NGINX's stub_status (NGINX down, unreachable, or no stub_status at that URL). */
  nginxDown: "NginxDown",
  /** NGINX accepts connections it does not handle (worker_connections or a resource limit reached). */
  nginxDroppingConnections: "NginxDroppingConnections",
} as const;

/** Thresholds of the NGINX alerts. */
export interface NginxAlertThresholds {
  /** Window of the dropped-connections rate, in seconds. @default NGINX_EXPORTER_DEFAULTS.rateWindowSeconds, or 4 scrape intervals */
  readonly rateWindowSeconds?: number;
  /** How long NginxDroppingConnections' condition must hold, in seconds. @default NGINX_EXPORTER_DEFAULTS.forSeconds, or 2 scrape intervals */
  readonly forSeconds?: number;
  /** How long NginxDown's condition must hold, in seconds. @default NGINX_EXPORTER_DEFAULTS.downForSeconds, or 2 scrape intervals */
  readonly downForSeconds?: number;
}

/** What the NGINX rules are rendered from. */
export interface NginxAlertRulesInput {
  /** The nginx-exporter job. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  readonly thresholds?: NginxAlertThresholds;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation naming its page */
  readonly runbookBaseUrl?: string;
}

/** Every threshold with a value; durations raised to what the scrape interval allows. */
export function resolveNginxThresholds(
  thresholds: NginxAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): Required<NginxAlertThresholds> {
  const d = NGINX_EXPORTER_DEFAULTS;
  const min = minimumForSeconds(scrapeIntervalSeconds);
  return {
    rateWindowSeconds:
      thresholds?.rateWindowSeconds ?? Math.max(d.rateWindowSeconds, minimumRateWindowSeconds(scrapeIntervalSeconds)),
    forSeconds: thresholds?.forSeconds ?? Math.max(d.forSeconds, min),
    downForSeconds: thresholds?.downForSeconds ?? Math.max(d.downForSeconds, min),
  };
}

/** Problems with the thresholds, named under `path` (`nginx-exporter.thresholds`). */
export function nginxThresholdsProblems(
  path: string,
  thresholds: NginxAlertThresholds | undefined,
  scrapeIntervalSeconds: number,
): ConfigProblem[] {
  const a = NGINX_ALERT_NAMES;
  return durationProblems(path, scrapeIntervalSeconds, [
    {
      key: "rateWindowSeconds",
      value: thresholds?.rateWindowSeconds,
      alerts: a.nginxDroppingConnections,
      kind: "window",
    },
    { key: "forSeconds", value: thresholds?.forSeconds, alerts: a.nginxDroppingConnections, kind: "for" },
    { key: "downForSeconds", value: thresholds?.downForSeconds, alerts: a.nginxDown, kind: "for" },
  ]);
}

/** The NGINX alert rules (group `nginx`) over the exporter's job. */
export function renderNginxAlertRules(input: NginxAlertRulesInput): AlertRulesDocument {
  const t = resolveNginxThresholds(input.thresholds, input.scrapeIntervalSeconds);
  const m = NGINX_METRICS;
  const a = NGINX_ALERT_NAMES;
  const job = `{job=${promqlString(input.jobName)}}`;
  const window = formatDuration(t.rateWindowSeconds);
  return {
    groups: [
      {
        name: "nginx",
        rules: [
          {
            alert: a.nginxDown,
            expr: `${m.up.name}${job} == 0`,
            for: formatDuration(t.downForSeconds),
            labels: { severity: "critical" },
            annotations: {
              summary: "NGINX's status cannot be read",
              description: `${ALERT_TARGET}: nginx-prometheus-exporter cannot read NGINX's stub_status (NGINX down, unreachable, or no stub_status at that URL).`,
              ...runbookAnnotations(a.nginxDown, input.runbookBaseUrl),
            },
          },
          {
            alert: a.nginxDroppingConnections,
            expr: `rate(${m.connectionsAccepted.name}${job}[${window}]) - rate(${m.connectionsHandled.name}${job}[${window}]) > 0`,
            for: formatDuration(t.forSeconds),
            labels: { severity: "warning" },
            annotations: {
              summary: "NGINX drops connections",
              description: `${ALERT_TARGET}: NGINX accepts connections it does not handle (worker_connections or a resource limit reached).`,
              ...runbookAnnotations(a.nginxDroppingConnections, input.runbookBaseUrl),
            },
          },
        ],
      },
    ],
  };
}
