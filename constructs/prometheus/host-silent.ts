/**
 * HostSilent as a pure renderer: the extra hosts and the scrape interval in, the rule file (`rules/hosts.yml`) out.
 * The central Prometheus alone evaluates it, over what the agents remote-write: a host whose `up` series (every
 * target its agent scrapes, the agent's own included) stopped arriving is down, cut off, or its agent is.
 */
import { AlertRulesDocument, runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { SCRAPE_METRICS } from "../../dashboards/metrics";

/** The rule file's name: `rules/hosts.yml`. */
export const HOST_RULES_NAME = "hosts";

/** The alert's name; its runbook is docs/runbooks/HostSilent.md. */
export const HOST_SILENT_ALERT = "HostSilent";

/** How many scrape intervals without any sample from a host make it silent. */
export const HOST_SILENT_WINDOW_INTERVALS = 4;

/** How many scrape intervals a host must stay silent before the alert fires. */
export const HOST_SILENT_FOR_INTERVALS = 2;

/** What `rules/hosts.yml` is rendered from. */
export interface HostSilentInput {
  /** The extra hosts' names (the `host` label their agents write). */
  readonly hosts: readonly string[];
  readonly scrapeIntervalSeconds: number;
  readonly runbookBaseUrl?: string;
}

/** The window and `for:` of HostSilent, in seconds, from the scrape interval. */
export function hostSilentDurations(scrapeIntervalSeconds: number): { windowSeconds: number; forSeconds: number } {
  return {
    windowSeconds: HOST_SILENT_WINDOW_INTERVALS * scrapeIntervalSeconds,
    forSeconds: HOST_SILENT_FOR_INTERVALS * scrapeIntervalSeconds,
  };
}

/**
 * `absent_over_time(up{host="<name>"}[window])` for every host, joined with `or`: each term carries its host's label,
 * so one alert per silent host. Hosts are known at synth, so a host that never sent anything fires as well.
 */
export function hostSilentExpr(hosts: readonly string[], windowSeconds: number): string {
  return hosts
    .map(
      (host) =>
        `absent_over_time(${SCRAPE_METRICS.up.name}{host=${JSON.stringify(host)}}[${formatDuration(windowSeconds)}])`,
    )
    .join(" or ");
}

/** The rule file document. */
export function renderHostSilentRules(input: HostSilentInput): AlertRulesDocument {
  const { windowSeconds, forSeconds } = hostSilentDurations(input.scrapeIntervalSeconds);
  return {
    groups: [
      {
        name: "hosts",
        rules: [
          {
            alert: HOST_SILENT_ALERT,
            expr: hostSilentExpr([...input.hosts].sort(), windowSeconds),
            for: formatDuration(forSeconds),
            labels: { severity: "critical" },
            annotations: {
              summary: "A host's series stopped arriving",
              description: `{{ $labels.host }}: no sample from its agent for ${formatDuration(windowSeconds + forSeconds)}: the host, its link to the central Prometheus or its agent is down.`,
              ...runbookAnnotations(HOST_SILENT_ALERT, input.runbookBaseUrl),
            },
          },
        ],
      },
    ],
  };
}
