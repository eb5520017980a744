/**
 * The probe alert rule (blackbox-exporter) as a pure renderer: the probe job, the scrape interval in, the rule file
 * document (`rules/probes.yml`) out.
 */
import { promqlString } from "../../dashboards/promql";
import { ALERT_TARGET, AlertRulesDocument, minimumForSeconds, runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { PROBE_METRICS } from "./catalog";

/** The name of the probe alert; runbook anchors and promtool tests derive from it. */
export const PROBE_ALERT_NAMES = {
  /** A health endpoint or an external URL fails its probe from inside the network (no answer, or not 2xx). */
  probeFailed: "ProbeFailed",
} as const;

/** What the probe rule is rendered from. */
export interface ProbeAlertRulesInput {
  /** The job scraping the blackbox exporter's `/probe`. */
  readonly jobName: string;
  readonly scrapeIntervalSeconds: number;
  /** How long a probe must keep failing before ProbeFailed fires, in seconds. @default 60, or 2 scrape intervals */
  readonly forSeconds?: number;
  /** Absolute http(s) prefix of `runbook_url`. @default none: only the `runbook` annotation naming its page (docs/runbooks/) */
  readonly runbookBaseUrl?: string;
}

/** The `for:` of ProbeFailed, in seconds. */
export function probeFailedForSeconds(
  input: Pick<ProbeAlertRulesInput, "forSeconds" | "scrapeIntervalSeconds">,
): number {
  return input.forSeconds ?? Math.max(60, minimumForSeconds(input.scrapeIntervalSeconds));
}

/** The probe alert rule (group `probes`) over the blackbox exporter's probe job. */
export function renderProbeAlertRules(input: ProbeAlertRulesInput): AlertRulesDocument {
  const alert = PROBE_ALERT_NAMES.probeFailed;
  return {
    groups: [
      {
        name: "probes",
        rules: [
          {
            alert,
            expr: `${PROBE_METRICS.success.name}{job=${promqlString(input.jobName)}} == 0`,
            for: formatDuration(probeFailedForSeconds(input)),
            labels: { severity: "critical" },
            annotations: {
              summary: "A probed URL (a health endpoint or an external URL) fails its probe",
              description: `${ALERT_TARGET} ({{ $labels.service }}) fails its probe from inside the network: no answer, or not 2xx.`,
              ...runbookAnnotations(alert, input.runbookBaseUrl),
            },
          },
        ],
      },
    ],
  };
}
