/**
 * A small toolkit for writing `promtool test rules` cases next to the rules they prove (each component's
 * `rules.cases.ts`): input series in promtool's expanding notation, evaluation times, and Go's template formatting of
 * values as Prometheus' `humanize*` functions print them. Pure: the test suite writes the files and runs promtool.
 */
import { analyzePromql, matcherAccepts, type PromqlSelector } from "../../dashboards/promql";
import {
  isAlertingRule,
  type AlertRuleTest,
  type Rule,
  type RuleTestCase,
  type RuleTestGroup,
  type RuleTestSeries,
  type RulesDocument,
} from "./rules";
import { formatDuration } from "./validation";

/** Labels of a series. */
export type Labels = Readonly<Record<string, string>>;

/** An alert expected at one evaluation: its labels and annotations. */
export type ExpectedAlert = AlertRuleTest["exp_alerts"][number];

/**
 * A precondition of a case: the fixture only proves what its title says when `condition` holds (a threshold far from
 * the fixture's values, a window long enough...). Throws, so a case that no longer proves anything fails its test.
 */
export function requireThat(condition: boolean, what: string): void {
  if (!condition) throw new Error(`promtool case precondition failed: ${what}`);
}

/** One input series: `metric{labels}` and its values. */
export function series(metric: string, labels: Labels, values: string): RuleTestSeries {
  const matchers = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return { series: `${metric}{${matchers.join(",")}}`, values };
}

/** `samples` samples of the same value, in promtool's expanding notation. */
export function flat(value: number, samples: number): string {
  return `${value}+0x${samples - 1}`;
}

/** A counter starting at 0 and growing by `perStep` every step, `samples` samples. */
export function counter(perStep: number, samples: number): string {
  return `0+${perStep}x${samples - 1}`;
}

/** A counter growing by 1 every `everySteps` steps: sparse traffic. */
export function sparseCounter(everySteps: number, samples: number): string {
  return Array.from({ length: samples }, (_, index) => Math.floor(index / everySteps)).join(" ");
}

/** Number of samples from 0 s up to and including `seconds`, one every `stepSeconds`. */
export function samplesUntil(seconds: number, stepSeconds: number): number {
  requireThat(seconds % stepSeconds === 0, `${seconds} s is a whole number of ${stepSeconds} s steps`);
  return seconds / stepSeconds + 1;
}

/** A test group whose samples are `stepSeconds` apart. */
export function testGroup(
  name: string,
  stepSeconds: number,
  inputSeries: readonly RuleTestSeries[],
  tests: readonly AlertRuleTest[],
): RuleTestGroup {
  return { name, interval: formatDuration(stepSeconds), input_series: inputSeries, alert_rule_test: tests };
}

/** One evaluation: at `seconds`, `alertname` has exactly `alerts` firing (none: it must not fire; pending does not count). */
export function evaluation(seconds: number, alertname: string, alerts: readonly ExpectedAlert[]): AlertRuleTest {
  return { eval_time: formatDuration(seconds), alertname, exp_alerts: alerts };
}

/** Go's `%.4g` for values in [1e-4, 1e4), as the `humanize*` template functions print them. */
export function go4g(value: number): string {
  requireThat(
    Math.abs(value) >= 1e-4 && Math.abs(value) < 1e4,
    `${value} is in [1e-4, 1e4), where %.4g prints no exponent`,
  );
  return String(Number(value.toPrecision(4)));
}

/** What `humanizePercentage` prints for a ratio. */
export function humanizePercentage(ratio: number): string {
  return `${go4g(ratio * 100)}%`;
}

/** What `humanizeDuration` prints for a duration under a minute. */
export function humanizeDuration(seconds: number): string {
  requireThat(seconds < 60, `${seconds} s is under a minute`);
  return seconds >= 1 ? `${go4g(seconds)}s` : `${go4g(seconds * 1000)}ms`;
}

/** What `humanize` prints for a value under 1000. */
export function humanize(value: number): string {
  requireThat(value < 1000, `${value} is under 1000`);
  return go4g(value);
}

/** What {@link upCases} needs: an alert on an exporter's `*_up` gauge, which fires after its `for:` duration. */
export interface UpCasesInput {
  readonly alert: string;
  /** The gauge: 1 while the exporter reaches what it watches, 0 otherwise (`pg_up`, `redis_up`, `nginx_up`). */
  readonly metric: string;
  readonly stepSeconds: number;
  readonly samples: number;
  readonly forSeconds: number;
  /** The labels of the target that fails, and of one that keeps answering. */
  readonly failing: Labels;
  readonly other: Labels;
  /** The labels and annotations the alert carries for the failing target, beyond its own labels. */
  readonly expected: ExpectedAlert;
  readonly titles: { readonly fires: string; readonly quiet: string };
}

/**
 * The two cases of an "exporter cannot reach its server" alert: it fires for the failing target only, once its `for:`
 * has passed (and not one step before), and stays quiet while every target answers.
 */
export function upCases(input: UpCasesInput): [RuleTestCase, RuleTestCase] {
  const { alert, metric, stepSeconds: step, samples, forSeconds, failing, other, titles } = input;
  return [
    {
      alert,
      fires: true,
      title: titles.fires,
      group: testGroup(
        titles.fires,
        step,
        [series(metric, failing, flat(0, samples)), series(metric, other, flat(1, samples))],
        [evaluation(forSeconds + step, alert, [input.expected]), evaluation(forSeconds - step, alert, [])],
      ),
    },
    {
      alert,
      fires: false,
      title: titles.quiet,
      group: testGroup(
        titles.quiet,
        step,
        [series(metric, failing, flat(1, samples)), series(metric, other, flat(1, samples))],
        [evaluation(forSeconds + step, alert, [])],
      ),
    },
  ];
}

/** The series names an alerting rule writes besides its alerts: Prometheus' own, labelled with `alertname`. */
const ALERT_SERIES: ReadonlySet<string> = new Set(["ALERTS", "ALERTS_FOR_STATE"]);

/**
 * Whether `selector` may select a series `rule` writes; `false` only when the name, or an `=` or `!=` matcher on a
 * label the rule fixes, rules it out. Regex matchers never do: JavaScript's regexes are not Prometheus' RE2.
 */
function mayRead(selector: PromqlSelector, rule: Rule): boolean {
  // An alert's label values may be templates (`{{ $labels.job }}`): only the plain ones are fixed; Prometheus sets
  // `alertstate` on ALERTS itself.
  const fixed: Readonly<Record<string, string>> = isAlertingRule(rule)
    ? {
        ...Object.fromEntries(
          Object.entries(rule.labels).filter(([name, value]) => !value.includes("{{") && name !== "alertstate"),
        ),
        alertname: rule.alert,
      }
    : (rule.labels ?? {});
  if (selector.metric !== undefined) {
    if (isAlertingRule(rule) ? !ALERT_SERIES.has(selector.metric) : selector.metric !== rule.record) return false;
  }
  return selector.matchers.every(
    (matcher) =>
      (matcher.op !== "=" && matcher.op !== "!=") ||
      matcher.label === "__name__" ||
      !(matcher.label in fixed) ||
      matcherAccepts(matcher, fixed[matcher.label]),
  );
}

/** Whether a rule's label or annotation templates run queries of their own (`{{ query "..." }}`). */
function templatesQuery(rule: Rule): boolean {
  const templates = isAlertingRule(rule)
    ? [...Object.values(rule.labels), ...Object.values(rule.annotations)]
    : Object.values(rule.labels ?? {});
  return templates.some((text) => /\{\{[^}]*\bquery\b/.test(text));
}

/**
 * The rules of `document` that decide the alerts named `alerts` in a promtool case: every alerting rule of those names
 * and, transitively, every rule writing a series a kept rule may select (the series' name, and each label the rule
 * fixes accepted by the selector's `=` and `!=` matchers). A kept rule reads what it reads in the whole file: its
 * result depends only on the series stored when it runs, a rule left out writes nothing it can select, and the rules
 * within a group keep their order. promtool's cost grows with the rules it evaluates at every step: a case on the demo
 * API's SLO page alert (both of its SLOs have one by that name, and a case asserts on every alert of the name) runs 10
 * of its file's 34 rules. When a query cannot be read (a selector without a metric name, a syntax error) or a kept
 * rule's template runs a query, the whole document is kept; `document` itself is returned whenever nothing is left
 * out. What it cannot keep is the check that the rules left out
 * evaluate without error: promtool fails a run when any rule does, so run some case on the whole file as well.
 *
 * @throws Error naming an alert the document does not define: a case about it would pass without proving anything.
 */
export function rulesUnderTest(document: RulesDocument, alerts: readonly string[]): RulesDocument {
  const rules = document.groups.flatMap((group) => group.rules);
  const missing = alerts.filter((alert) => !rules.some((rule) => isAlertingRule(rule) && rule.alert === alert));
  if (missing.length > 0) {
    throw new Error(`promtool case: the rule file has no alert ${missing.join(", ")}; name an alert it defines`);
  }
  const kept = new Set<Rule>(rules.filter((rule) => isAlertingRule(rule) && alerts.includes(rule.alert)));
  const pending = [...kept];
  for (let rule = pending.pop(); rule !== undefined; rule = pending.pop()) {
    const analysis = analyzePromql(rule.expr);
    if (analysis.errors.length > 0 || templatesQuery(rule)) return document;
    for (const producer of rules) {
      if (kept.has(producer) || !analysis.selectors.some((selector) => mayRead(selector, producer))) continue;
      kept.add(producer);
      pending.push(producer);
    }
  }
  if (kept.size === rules.length) return document;
  return {
    ...document,
    groups: document.groups
      .map((group) => ({ ...group, rules: group.rules.filter((rule) => kept.has(rule)) }))
      .filter((group) => group.rules.length > 0),
  };
}

/** A `promtool test rules` file: `groups` on the rule files `ruleFiles`, evaluated every `intervalSeconds`. */
export interface RuleTestDocument {
  readonly rule_files: readonly string[];
  readonly evaluation_interval: string;
  readonly tests: readonly RuleTestGroup[];
}

/**
 * The test file promtool reads (`promtool test rules <file>`): the test groups, run on `ruleFiles` (paths relative to
 * the test file), with the rules evaluated at the stack's interval, as Prometheus evaluates them.
 */
export function ruleTestDocument(
  ruleFiles: readonly string[],
  groups: readonly RuleTestGroup[],
  intervalSeconds: number,
): RuleTestDocument {
  return { rule_files: [...ruleFiles], evaluation_interval: formatDuration(intervalSeconds), tests: [...groups] };
}
