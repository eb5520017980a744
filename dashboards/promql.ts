/**
 * PromQL as dashboards write it, read with the real PromQL grammar of the Prometheus project
 * (`@prometheus-io/lezer-promql`).
 *
 * Dashboard queries contain Grafana variables (`$__rate_interval`, `$job`, `${job:regex}`, `[[job]]`), which are not
 * PromQL. Before parsing, every variable outside a string literal is replaced by a placeholder of the same length
 * (a duration such as `1111s`, or a number), so positions in the parse tree are positions in the original text.
 * Variables inside string literals (label values) need no replacement: any text is a valid string.
 */
import { createRequire } from "node:module";
import type { SyntaxNode } from "@lezer/common";
import type { LRParser } from "@lezer/lr";

// The package's type declarations are ESM-only, which a CommonJS module cannot import under node16 resolution; its
// CommonJS build is loaded with require and typed with @lezer/lr's CommonJS declarations (the same parser class).
const lezerPromql = createRequire(__filename)("@prometheus-io/lezer-promql") as { readonly parser: LRParser };

/** A label matcher of a vector selector, with the string value unquoted. */
export interface PromqlMatcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

/** A vector selector (`metric{label="value"}`) found in a query. */
export interface PromqlSelector {
  /** The metric name, from the identifier or an `__name__="..."` matcher; undefined when the selector has none. */
  readonly metric: string | undefined;
  readonly matchers: readonly PromqlMatcher[];
}

/** A call of a function over a range (`rate`, `irate`, `increase`) and the range it uses, as written. */
export interface PromqlRangeCall {
  readonly fn: string;
  /** The range as written in the original query (`$__rate_interval`); undefined when the argument is no range. */
  readonly window: string | undefined;
}

/** What a query selects, parsed with the real PromQL grammar. */
export interface PromqlAnalysis {
  /** Syntax errors and unsupported constructs; when not empty, the other fields may be incomplete. */
  readonly errors: readonly string[];
  /** Metric names the query reads, sorted and unique. */
  readonly metricNames: readonly string[];
  readonly selectors: readonly PromqlSelector[];
  /** Every `rate`, `irate` and `increase` call, in query order. */
  readonly rangeCalls: readonly PromqlRangeCall[];
}

/** Grafana's built-in variables that stand for a duration (`[$__rate_interval]`). */
const DURATION_VARIABLES: ReadonlySet<string> = new Set(["__interval", "__rate_interval", "__range", "__auto"]);
/** Grafana's built-in variables that stand for a plain number (`/ $__range_s`). */
const NUMBER_VARIABLES: ReadonlySet<string> = new Set([
  "__interval_ms",
  "__rate_interval_ms",
  "__range_s",
  "__range_ms",
]);
/** Functions over a counter range that must use `$__rate_interval`. */
const RANGE_FUNCTIONS: ReadonlySet<string> = new Set(["rate", "irate", "increase"]);

/** A Grafana variable reference in a query. */
interface VariableRef {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly inString: boolean;
}

const VARIABLE_PATTERNS: readonly RegExp[] = [
  /\$\{(\w+)(?:\.[^:}]+)?(?::[^}]+)?\}/y, // ${name}, ${name.field}, ${name:format}
  /\$(\w+)/y, // $name
  /\[\[(\w+)(?::\w+)?\]\]/y, // [[name]], [[name:format]] (deprecated syntax)
];

/** Finds every Grafana variable reference, noting whether it sits inside a PromQL string literal. */
function scanVariables(expr: string): VariableRef[] {
  const refs: VariableRef[] = [];
  let quote: string | undefined;
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    if (quote === undefined && ch === "#") {
      const newline = expr.indexOf("\n", i);
      i = newline === -1 ? expr.length : newline;
      continue;
    }
    if (quote !== undefined && ch === "\\" && quote !== "`") {
      i += 2;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      if (quote === undefined) quote = ch;
      else if (quote === ch) quote = undefined;
      i += 1;
      continue;
    }
    const ref = matchVariableAt(expr, i);
    if (ref !== undefined) {
      refs.push({ ...ref, inString: quote !== undefined });
      i = ref.end;
      continue;
    }
    i += 1;
  }
  return refs;
}

function matchVariableAt(expr: string, at: number): { start: number; end: number; name: string } | undefined {
  for (const pattern of VARIABLE_PATTERNS) {
    pattern.lastIndex = at;
    const match = pattern.exec(expr);
    if (match !== null) return { start: at, end: at + match[0].length, name: match[1] };
  }
  return undefined;
}

/** True when the text before `at` puts a value in duration position: a range, a subquery step or an offset. */
function isDurationPosition(expr: string, at: number): boolean {
  const before = expr.slice(0, at).trimEnd();
  return before.endsWith("[") || before.endsWith(":") || /\boffset$/i.test(before);
}

/**
 * Replaces every variable outside a string literal with valid PromQL of the same length.
 *
 * @returns the text to parse, plus a message for each variable that cannot be replaced safely (a template variable
 *   outside a label value, e.g. standing for a metric name).
 */
function placeholderText(expr: string): { text: string; errors: string[] } {
  let text = "";
  let last = 0;
  const errors: string[] = [];
  for (const ref of scanVariables(expr)) {
    if (ref.inString) continue;
    const length = ref.end - ref.start;
    let replacement: string;
    if (NUMBER_VARIABLES.has(ref.name)) {
      replacement = "1".repeat(length);
    } else if (DURATION_VARIABLES.has(ref.name) || isDurationPosition(expr, ref.start)) {
      replacement = `${"1".repeat(length - 1)}s`;
    } else {
      errors.push(
        `variable ${expr.slice(ref.start, ref.end)} is used outside a label value at character ${ref.start + 1}; ` +
          "only Grafana's interval variables may stand for a duration or number",
      );
      replacement = "1".repeat(length);
    }
    text += expr.slice(last, ref.start) + replacement;
    last = ref.end;
  }
  return { text: text + expr.slice(last), errors };
}

/** Unquotes a PromQL string literal (double, single or backtick quotes). */
export function unquotePromqlString(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, literal.endsWith(quote) && literal.length > 1 ? -1 : undefined);
  if (quote === "`") return body;
  const escapes: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" };
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, seq: string) =>
    seq.length === 5 ? String.fromCharCode(parseInt(seq.slice(1), 16)) : (escapes[seq] ?? `\\${seq}`),
  );
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child);
  return out;
}

function readSelector(node: SyntaxNode, expr: string, errors: string[]): PromqlSelector {
  let metric: string | undefined;
  const matchers: PromqlMatcher[] = [];
  for (const child of children(node)) {
    if (child.type.name === "Identifier") metric = expr.slice(child.from, child.to);
    if (child.type.name !== "LabelMatchers") continue;
    for (const m of children(child)) {
      if (m.type.name === "QuotedLabelName") {
        // `{"metric.name"}`: a quoted metric name (UTF-8 names, Prometheus 3).
        metric = unquotePromqlString(expr.slice(m.from, m.to));
        continue;
      }
      const [name, op, value] = children(m);
      if (name === undefined || op === undefined || value === undefined) continue;
      const label =
        name.type.name === "QuotedLabelName"
          ? unquotePromqlString(expr.slice(name.from, name.to))
          : expr.slice(name.from, name.to);
      matchers.push({
        label,
        op: expr.slice(op.from, op.to) as PromqlMatcher["op"],
        value: unquotePromqlString(expr.slice(value.from, value.to)),
      });
    }
  }
  const nameMatcher = matchers.find((m) => m.label === "__name__");
  if (nameMatcher !== undefined && nameMatcher.op === "=") metric = nameMatcher.value;
  if (nameMatcher !== undefined && nameMatcher.op !== "=") {
    errors.push(
      `selector matches __name__ with ${nameMatcher.op} "${nameMatcher.value}"; its metrics cannot be checked`,
    );
  } else if (metric === undefined) {
    errors.push(`selector ${expr.slice(node.from, node.to)} has no metric name`);
  }
  return { metric, matchers };
}

function readRangeCall(node: SyntaxNode, expr: string): PromqlRangeCall | undefined {
  const [identifier, body] = children(node);
  if (identifier === undefined || body === undefined) return undefined;
  const fn = expr.slice(identifier.from, identifier.to);
  if (!RANGE_FUNCTIONS.has(fn)) return undefined;
  const argument = children(body)[0];
  if (argument?.type.name !== "MatrixSelector") return { fn, window: undefined };
  const duration = children(argument).find((c) => c.type.name === "DurationExpr");
  return { fn, window: duration === undefined ? undefined : expr.slice(duration.from, duration.to).trim() };
}

/**
 * Parses a dashboard query with the real PromQL grammar and reports what it selects.
 *
 * Never throws: syntax errors and unsupported constructs are returned in `errors`.
 * @example analyzePromql('sum(rate(http_requests_total{job="api"}[$__rate_interval]))').metricNames
 *   // ["http_requests_total"]
 */
export function analyzePromql(expr: string): PromqlAnalysis {
  if (expr.trim() === "") return { errors: ["the query is empty"], metricNames: [], selectors: [], rangeCalls: [] };
  const { text, errors } = placeholderText(expr);
  const selectors: PromqlSelector[] = [];
  const rangeCalls: PromqlRangeCall[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.type.isError) {
      const near = expr.slice(node.from, node.from + 20);
      errors.push(`PromQL syntax error at character ${node.from + 1}${near === "" ? "" : ` near "${near}"`}`);
    } else if (node.type.name === "VectorSelector") {
      selectors.push(readSelector(node, expr, errors));
    } else if (node.type.name === "FunctionCall") {
      const call = readRangeCall(node, expr);
      if (call !== undefined) rangeCalls.push(call);
    }
    for (const child of children(node)) visit(child);
  };
  visit(lezerPromql.parser.parse(text).topNode);
  const names = selectors.map((s) => s.metric).filter((m): m is string => m !== undefined);
  return { errors, metricNames: [...new Set(names)].sort(), selectors, rangeCalls };
}

/**
 * The metric names a dashboard query reads, found with the real PromQL parser; Grafana variables are allowed.
 *
 * @throws Error naming the problem and quoting the query when it is not valid PromQL.
 * @example metricNamesInExpr('histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))') // ["x_bucket"]
 */
export function metricNamesInExpr(expr: string): string[] {
  const analysis = analyzePromql(expr);
  if (analysis.errors.length > 0) throw new Error(`${analysis.errors.join("; ")} in query ${JSON.stringify(expr)}`);
  return [...analysis.metricNames];
}

/**
 * Replaces Grafana variables with values, the way Grafana does before it sends a query to Prometheus.
 *
 * `$name`, `${name}`, `${name:format}` and `[[name]]` are replaced everywhere, string literals included; the format is
 * ignored (values are inserted as given). A variable without a value is left as written, as Grafana leaves it (which
 * keeps `label_replace(..., "${1}xx", ...)` intact).
 * @example substituteVariables('rate(x{job=~"$job"}[$__rate_interval])', { job: ".*", __rate_interval: "60s" })
 *   // 'rate(x{job=~".*"}[60s])'
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  let out = "";
  let last = 0;
  for (const ref of scanVariables(expr)) {
    const value = Object.prototype.hasOwnProperty.call(values, ref.name) ? values[ref.name] : undefined;
    if (value === undefined) continue;
    out += expr.slice(last, ref.start) + value;
    last = ref.end;
  }
  return out + expr.slice(last);
}

/** The time window a query runs over, as Grafana computes its interval variables. */
export interface QueryTiming {
  /** The datasource's `timeInterval`: Prometheus' scrape interval. */
  readonly scrapeIntervalSeconds: number;
  /** The dashboard's time range. */
  readonly rangeSeconds: number;
  /** The query step (`$__interval`). @default scrapeIntervalSeconds (Grafana never goes below `timeInterval`) */
  readonly intervalSeconds?: number;
}

/**
 * Values of Grafana's built-in interval variables for a query window.
 *
 * `$__rate_interval` is `max($__interval + scrape interval, 4 * scrape interval)`, as Grafana defines it.
 * @example grafanaTimeVariables({ scrapeIntervalSeconds: 15, rangeSeconds: 3600 }).__rate_interval // "60s"
 */
export function grafanaTimeVariables(timing: QueryTiming): Record<string, string> {
  const interval = Math.max(timing.intervalSeconds ?? timing.scrapeIntervalSeconds, timing.scrapeIntervalSeconds);
  const rateInterval = Math.max(interval + timing.scrapeIntervalSeconds, 4 * timing.scrapeIntervalSeconds);
  return {
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    __rate_interval: `${rateInterval}s`,
    __rate_interval_ms: String(rateInterval * 1000),
    __range: `${timing.rangeSeconds}s`,
    __range_s: String(timing.rangeSeconds),
    __range_ms: String(timing.rangeSeconds * 1000),
  };
}

/**
 * Quotes a string as a PromQL string literal.
 * @example promqlString('a"b') // '"a\\"b"'
 */
export function promqlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * A regular expression (RE2, as Prometheus uses) that matches exactly the given values.
 * @example regexAlternation(["/metrics", "/health"]) // "/metrics|/health"
 */
export function regexAlternation(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/**
 * Whether a label matcher lets a label value through, evaluated as Prometheus does (regexes fully anchored).
 *
 * A matcher whose value holds a Grafana variable is assumed to let everything through (the "All" default).
 */
export function matcherAccepts(matcher: PromqlMatcher, labelValue: string): boolean {
  if (/\$\w|\$\{|\[\[/.test(matcher.value)) return true;
  switch (matcher.op) {
    case "=":
      return labelValue === matcher.value;
    case "!=":
      return labelValue !== matcher.value;
    case "=~":
    case "!~": {
      let matches: boolean;
      try {
        matches = new RegExp(`^(?:${matcher.value})$`).test(labelValue);
      } catch {
        return true; // a regex JavaScript cannot read is not proven to exclude anything
      }
      return matcher.op === "=~" ? matches : !matches;
    }
  }
}
