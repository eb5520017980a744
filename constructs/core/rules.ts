/**
 * What every component's alert rules share: the rule file document as Prometheus reads it, the runbook annotations,
 * the durations derived from the scrape interval, and the synth-time check of a rule file (PromQL on the real grammar,
 * `job` selectors of jobs that are scraped). Pure: no cdktf import.
 *
 * A `for:` duration is never shorter than {@link FOR_SCRAPE_INTERVALS} scrape intervals (one missed scrape must not
 * fire an alert) and a rate window never shorter than {@link RATE_WINDOW_SCRAPE_INTERVALS} scrape intervals
 * (`rate()` needs several samples, and survives a missed one).
 */
import { ALERT_SERIES, jobsSelectedFor, unknownMetricFix } from "../../dashboards/metrics";
import { analyzePromql } from "../../dashboards/promql";
import { valueHoldsSecret } from "./secrets";
import { ConfigProblem, LABEL_NAME, joinPath, show } from "./validation";

/**
 * How urgent an alert is: `critical` pages, `warning` can wait for working hours, `none` is for the Watchdog, which is
 * not a problem. The stack's Alertmanager sends all but the Watchdog to one receiver; a user's routes may use it.
 */
export type AlertSeverity = "critical" | "warning" | "none";

/**
 * The target an alert is about, as its text names it: the instance, and the host when the series has one (a stack with
 * extra hosts labels every series `host`; their agents all scrape `node-exporter:9100`), `node-exporter:9100 on host
 * edge-1`.
 */
export const ALERT_TARGET = "{{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }}";

/** The annotations every alert carries. */
export interface AlertAnnotations {
  /** One line: what is wrong. */
  readonly summary: string;
  /** What is wrong, with the measured value and the threshold. */
  readonly description: string;
  /**
   * Where the alert's runbook is, as text: the stack's own rules name their page under docs/runbooks/ ({@link runbookLocation}).
   * @default none (a user's rule may link its runbook with `runbook_url` instead)
   */
  readonly runbook?: string;
  /** Link to the alert's runbook section; only with an absolute `runbookBaseUrl`. */
  readonly runbook_url?: string;
}

/** One alerting rule, with keys in the order Prometheus documents them. */
export interface AlertingRule {
  /** The alert's name. */
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  /** Its labels: `severity` always, others (an SLO's `sloth_severity`) as the rule needs. */
  readonly labels: { readonly severity: AlertSeverity; readonly [label: string]: string };
  readonly annotations: AlertAnnotations;
}

/** One rule group. */
export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}

/** The rule file document as Prometheus reads it, alerting rules only. */
export interface AlertRulesDocument {
  readonly groups: readonly AlertRuleGroup[];
}

/** One recording rule: `record` is the series it writes, with `labels` added to every sample. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  /** Labels added to the recorded series. @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Any rule of a rule group. */
export type Rule = AlertingRule | RecordingRule;

/** One rule group that may hold recording rules (an SLO's) as well as alerts. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

/** A rule file document with recording and alerting rules; every {@link AlertRulesDocument} is one. */
export interface RulesDocument {
  readonly groups: readonly RuleGroup[];
}

/** Whether a rule is an alerting rule (it has an `alert` name) rather than a recording rule. */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return "alert" in rule;
}

/** What a function rendering a rule file at synth gets: the final set of jobs and the stack's settings. */
export interface AlertRuleContext {
  /** How often Prometheus scrapes, in seconds: the unit of `for:` durations and rate windows. */
  readonly scrapeIntervalSeconds: number;
  /** The job of every service, by service name, from the final set of services. */
  readonly jobs: Readonly<Record<string, string>>;
  /** Every job prometheus.yml renders, sorted. */
  readonly deployedJobs: readonly string[];
  /** Absolute http(s) prefix of every `runbook_url`, when the stack sets one. @default none */
  readonly runbookBaseUrl?: string;
}

/** Alert rules as a document, or a function rendering it at synth from the final set of services. */
export type AlertRulesSource = RulesDocument | ((ctx: AlertRuleContext) => RulesDocument);

/** A `for:` duration must span at least this many scrape intervals, so a single missed scrape never fires. */
export const FOR_SCRAPE_INTERVALS = 2;

/** A rate window must span at least this many scrape intervals (the same rule as Grafana's `$__rate_interval`). */
export const RATE_WINDOW_SCRAPE_INTERVALS = 4;

/** The longest `for:` duration or rate window accepted, in seconds (one day). */
export const MAX_ALERT_DURATION_SECONDS = 86_400;

/** The shortest `for:` duration the scrape interval allows, in seconds. */
export function minimumForSeconds(scrapeIntervalSeconds: number): number {
  return FOR_SCRAPE_INTERVALS * scrapeIntervalSeconds;
}

/** The shortest rate window the scrape interval allows, in seconds. */
export function minimumRateWindowSeconds(scrapeIntervalSeconds: number): number {
  return RATE_WINDOW_SCRAPE_INTERVALS * scrapeIntervalSeconds;
}

/**
 * Where an alert's runbook is, as text every alert of the stack carries in its `runbook` annotation: its page in the
 * project (`docs/runbooks/<AlertName>.md`), which Prometheus' and Alertmanager's UIs show as it is. A relative link
 * would not open from either UI, so `runbook_url` is only set from an absolute base URL.
 */
export function runbookLocation(alertName: string): string {
  return `docs/runbooks/${alertName}.md`;
}

/** The `runbook_url` of an alert: the base URL plus the alert's page, `<AlertName>.md`. */
export function runbookUrl(alertName: string, runbookBaseUrl: string): string {
  return `${runbookBaseUrl}${alertName}.md`;
}

/** The runbook annotations of one of the stack's alerts: its page always, a link only from a base URL. */
export function runbookAnnotations(
  alertName: string,
  runbookBaseUrl: string | undefined,
): Pick<AlertAnnotations, "runbook" | "runbook_url"> {
  return runbookBaseUrl === undefined
    ? { runbook: runbookLocation(alertName) }
    : { runbook: runbookLocation(alertName), runbook_url: runbookUrl(alertName, runbookBaseUrl) };
}

/** Problems with `runbookBaseUrl`: it must be an absolute http(s) prefix, or unset. */
export function runbookBaseUrlProblems(path: string, value: string | undefined): ConfigProblem[] {
  if (value !== undefined && isAbsoluteHttpUrl(value) && valueHoldsSecret(value)) {
    return [
      {
        path,
        message: `${path} must not carry a credential (got ${show(value)}): it is in every alert's runbook_url, so in prometheus.yml's image and every notification; link a page readers open with their own login`,
      },
    ];
  }
  if (value !== undefined && isAbsoluteHttpUrl(value) && !/[/=#]$/.test(value)) {
    return [
      {
        path,
        message: `${path} must end with "/" (the folder the pages are in), "=" or "#": each alert's runbook_url is this prefix plus "<AlertName>.md", so ${show(value)} would give ${show(runbookUrl("TargetDown", value))}; add the "/"`,
      },
    ];
  }
  if (value === undefined || isAbsoluteHttpUrl(value)) return [];
  return [
    {
      path,
      message: `${path} must be an absolute http(s) URL prefix without spaces, such as "https://git.example.com/acme/monitoring/blob/main/docs/runbooks/", so Prometheus and Alertmanager can open every alert's runbook_url (this prefix plus "<AlertName>.md"); leave it unset for no link (got ${show(value)})`,
    },
  ];
}

function isAbsoluteHttpUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** One duration setting of a component's alerts, for {@link durationProblems}. */
export interface DurationSetting {
  /** The setting's name under the component's thresholds (`targetDownForSeconds`). */
  readonly key: string;
  /** The value given, or undefined when it is left to its default. */
  readonly value: number | undefined;
  /** The alerts it belongs to, for the message (`TargetDown`). */
  readonly alerts: string;
  /** A `for:` duration or a rate window. */
  readonly kind: "for" | "window";
}

/**
 * Every duration given below what the scrape interval allows (2 intervals for a `for:`, 4 for a rate window) or above
 * a day, named under `path` (`prometheus.alertThresholds`), with what a bad value would break.
 */
export function durationProblems(
  path: string,
  scrapeIntervalSeconds: number,
  durations: readonly DurationSetting[],
): ConfigProblem[] {
  const scrapeIsValid = Number.isInteger(scrapeIntervalSeconds) && scrapeIntervalSeconds >= 1;
  return durations.flatMap((duration) => {
    const value = duration.value;
    if (value === undefined) return [];
    const multiple = duration.kind === "for" ? FOR_SCRAPE_INTERVALS : RATE_WINDOW_SCRAPE_INTERVALS;
    // Without a valid scrape interval the minimum is unknown; the interval's own problem is reported by the stack.
    const minimum = scrapeIsValid ? multiple * scrapeIntervalSeconds : 1;
    if (Number.isInteger(value) && value >= minimum && value <= MAX_ALERT_DURATION_SECONDS) return [];
    const settingPath = joinPath(path, duration.key);
    const why =
      duration.kind === "for"
        ? `the for: duration of ${duration.alerts} must span at least ${multiple} scrape intervals (${multiple} × ${scrapeIntervalSeconds}s) so one missed scrape cannot fire it`
        : `the rate window of ${duration.alerts} must span at least ${multiple} scrape intervals (${multiple} × ${scrapeIntervalSeconds}s) so rate() always has enough samples`;
    return [
      {
        path: settingPath,
        message: `${settingPath} must be a whole number of seconds between ${minimum} and ${MAX_ALERT_DURATION_SECONDS}; ${why} (got ${show(value)})`,
      },
    ];
  });
}

/**
 * Problems with a rule file: at least one group, unique group names, every alert named (every recording rule a valid
 * series name), with PromQL that parses on the real grammar, no `job=` selector of a job that is not scraped, and an
 * alert's other fields as Prometheus and Alertmanager need them ({@link alertFieldProblems}).
 */
export function ruleDocumentProblems(
  path: string,
  document: RulesDocument,
  deployedJobs: readonly string[],
  metrics?: RuleMetricVocabulary,
): ConfigProblem[] {
  const known = metrics !== undefined ? new Set([...metrics.metricNames, ...ALERT_SERIES]) : undefined;
  const problems: ConfigProblem[] = [];
  const groups = Array.isArray(document.groups) ? document.groups : [];
  if (groups.length === 0) {
    problems.push({ path, message: `${path} must have at least one rule group (got ${show(document)})` });
  }
  const seen = new Set<string>();
  groups.forEach((group, g) => {
    const groupPath = `${path}.groups[${g}]`;
    if (typeof group.name !== "string" || group.name.trim() === "" || seen.has(group.name)) {
      problems.push({
        path: groupPath,
        message: `${groupPath}.name must be a unique, non-empty group name (got ${show(group.name)})`,
      });
    }
    seen.add(group.name);
    const rules: readonly Rule[] = group.rules ?? [];
    rules.forEach((rule, r) => {
      const rulePath = `${groupPath}.rules[${r}]`;
      if (isAlertingRule(rule) && (typeof rule.alert !== "string" || rule.alert.trim() === "")) {
        problems.push({ path: rulePath, message: `${rulePath}.alert must name the alert (got ${show(rule.alert)})` });
      }
      if (!isAlertingRule(rule) && !RECORD_NAME.test(String(rule.record))) {
        problems.push({
          path: rulePath,
          message: `${rulePath}.record must be a series name of letters, digits, "_" and ":" (got ${show(rule.record)})`,
        });
      }
      if (isAlertingRule(rule)) problems.push(...alertFieldProblems(rulePath, rule));
      const analysis = analyzePromql(typeof rule.expr === "string" ? rule.expr : "");
      for (const error of analysis.errors) {
        problems.push({
          path: `${rulePath}.expr`,
          message: `${rulePath}.expr is not valid PromQL: ${error} (got ${show(rule.expr)})`,
        });
      }
      // One problem per job the rule asks for, however many selectors name it.
      const unknownJobs = new Set(
        analysis.selectors.flatMap((selector) =>
          selector.matchers
            .filter((m) => m.label === "job" && m.op === "=" && !deployedJobs.includes(m.value))
            .map((m) => m.value),
        ),
      );
      for (const job of unknownJobs) {
        problems.push({
          path: `${rulePath}.expr`,
          message: `${rulePath}.expr selects job ${show(job)}, which is not scraped (jobs: ${deployedJobs.join(", ")}); add the service or scrape job, or fix the selector`,
        });
      }
      // A misspelled metric never fires: refused like a dashboard's. A parse error or a job nobody scrapes is reported
      // above already (that service's metrics are unknown because it is missing).
      if (known !== undefined && metrics !== undefined && analysis.errors.length === 0 && unknownJobs.size === 0) {
        for (const name of analysis.metricNames.filter((metric) => !known.has(metric))) {
          problems.push({
            path: `${rulePath}.expr`,
            message: `${rulePath}.expr (${isAlertingRule(rule) ? `alert ${show(rule.alert)}` : `record ${show(rule.record)}`}) selects the metric ${show(name)}, which is in no deployed component's catalog nor any declared metricNames, so the ${isAlertingRule(rule) ? "alert would never fire" : "recorded series would stay empty"}; ${unknownMetricFix(name, jobsSelectedFor(analysis.selectors, name), metrics.serviceJobs, deployedJobs)}`,
          });
        }
      }
    });
  });
  return problems;
}

/** A Prometheus duration as its rule files take it (`5m`, `1h30m`, `90s`, `0`): units from y to ms, largest first. */
const PROMETHEUS_DURATION = /^(?:0|(?=\d)(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;
const SEVERITIES: readonly AlertSeverity[] = ["critical", "warning", "none"];

/**
 * Where a Go template in `text` opens an action `{{` it never closes; undefined when none. Outside an action `}}` is
 * text, as Go reads it; inside one, quoted strings ("…", `…`, '…') are skipped, so `{{ "}}" }}` is one action.
 */
function unbalancedTemplate(text: string): string | undefined {
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    if (open < 0) {
      if (text.startsWith("{{", i)) {
        open = i;
        i++;
      }
      continue;
    }
    const quote = text[i];
    if (quote === '"' || quote === "`" || quote === "'") {
      let end = i + 1;
      while (end < text.length && text[end] !== quote) end += quote !== "`" && text[end] === "\\" ? 2 : 1;
      i = end;
    } else if (text.startsWith("}}", i)) {
      open = -1;
      i++;
    }
  }
  return open >= 0 ? `the action opened at character ${open + 1} is never closed with "}}"` : undefined;
}

/**
 * What Prometheus would refuse in an alerting rule besides its expression, or what the stack relies on: `for` and
 * `keep_firing_for`, when given, Prometheus durations; a `severity` of the stack's three ({@link AlertSeverity}); a
 * summary and a description; classic label names; label and annotation values whose template actions close.
 */
function alertFieldProblems(rulePath: string, rule: AlertingRule): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (at: string, message: string): void => {
    problems.push({ path: rulePath, message: `${rulePath}.${at} ${message}` });
  };
  const raw = rule as unknown as Record<string, unknown>;
  for (const key of ["for", "keep_firing_for"] as const) {
    const value = raw[key];
    // Both optional, as in Prometheus (no `for`: the alert fires at its first evaluation).
    if (value !== undefined && (typeof value !== "string" || !PROMETHEUS_DURATION.test(value))) {
      add(key, `must be a Prometheus duration such as "5m", "1h30m" or "90s" (got ${show(value)})`);
    }
  }
  const maps = { labels: raw.labels, annotations: raw.annotations } as const;
  for (const [name, map] of Object.entries(maps)) {
    if (map === undefined || map === null || typeof map !== "object" || Array.isArray(map)) {
      add(
        name,
        name === "annotations"
          ? `must be an object with a summary and a description (got ${show(map)})`
          : `must be an object of strings with a severity (got ${show(map)})`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      if (!LABEL_NAME.test(key))
        add(
          `${name}`,
          `name ${show(key)} must be letters, digits and "_", not starting with a digit (the classic label names every Prometheus client and Alertmanager matcher takes)`,
        );
      if (typeof value !== "string") {
        add(`${name}.${key}`, `must be a string (got ${show(value)})`);
        continue;
      }
      const template = unbalancedTemplate(value);
      if (template !== undefined) add(`${name}.${key}`, `is not a valid template: ${template} (got ${show(value)})`);
    }
  }
  const labels = (maps.labels ?? {}) as Record<string, unknown>;
  const annotations = (maps.annotations ?? {}) as Record<string, unknown>;
  const isObject = (value: unknown): boolean => value !== null && typeof value === "object" && !Array.isArray(value);
  if (isObject(maps.labels) && !SEVERITIES.includes(labels.severity as AlertSeverity)) {
    add(
      "labels.severity",
      `must be one of ${SEVERITIES.map((severity) => show(severity)).join(", ")}, the severities every alert of the stack uses (got ${show(labels.severity)})`,
    );
  }
  for (const key of isObject(maps.annotations) ? (["summary", "description"] as const) : []) {
    if (typeof annotations[key] !== "string" || (annotations[key] as string).trim() === "") {
      add(
        `annotations.${key}`,
        `must say ${key === "summary" ? "in one line what is wrong" : "what is wrong, with the value and the threshold"} (got ${show(annotations[key])})`,
      );
    }
  }
  return problems;
}

/** A valid name for a recorded series (Prometheus' metric name grammar). */
const RECORD_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** What an alert rule may read: the deployed catalogs and declared metricNames, and the job of every service. */
export interface RuleMetricVocabulary {
  /** Every series name a deployed component's catalog or a service's / scrape job's `metricNames` declares. */
  readonly metricNames: readonly string[];
  /** The job of every service, by service name (the fix names the service whose `metricNames` to extend). */
  readonly serviceJobs: Readonly<Record<string, string>>;
}

/** One input series of a promtool test: a selector and its samples in promtool's expanding notation. */
export interface RuleTestSeries {
  readonly series: string;
  readonly values: string;
}

/** One alert expectation of a promtool test at one evaluation time; `exp_alerts: []` means "must not be firing". */
export interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly {
    readonly exp_labels: Readonly<Record<string, string>>;
    readonly exp_annotations?: Readonly<Record<string, string>>;
  }[];
}

/** One test group of promtool's unit-test format (`promtool test rules`). */
export interface RuleTestGroup {
  readonly name: string;
  /** The interval between the input samples (`15s`). */
  readonly interval: string;
  readonly input_series: readonly RuleTestSeries[];
  readonly alert_rule_test: readonly AlertRuleTest[];
}

/** One promtool case of a rule file: what it proves, and the test group that proves it. */
export interface RuleTestCase {
  /** The alert it is about. */
  readonly alert: string;
  /** Whether it shows the alert firing (`true`) or shows that it must not fire (`false`). */
  readonly fires: boolean;
  /** What it proves, as a test title (`HostCpuSaturated fires above the threshold for its for: duration`). */
  readonly title: string;
  readonly group: RuleTestGroup;
}

/**
 * The promtool cases of a rule file, rendered at synth from the same context as its rules (so a threshold or the
 * scrape interval changes both sides): every alert needs a case where it fires and one where it must not.
 */
export type RuleTests = (ctx: AlertRuleContext) => readonly RuleTestCase[];
