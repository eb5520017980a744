/**
 * The dashboard lint: the rules every dashboard the stack deploys passes, built or imported.
 *
 * A dashboard passes when Grafana will accept it and it can show data in this stack: no top-level `id`; a valid uid
 * and title unique across all dashboards; unique panel ids; grid rectangles inside the grid and not overlapping;
 * every panel, target, query variable and annotation on the provisioned datasource; no `${DS_...}` left; every query
 * valid PromQL over metrics the deployed services declare, every rate over `$__rate_interval`, and every selector
 * leaving out the label values its series' owner requires (the demo API's probe and scrape endpoints).
 */
import { allPanels, describePanel, isJsonObject, templateVariables, type JsonObject } from "./model";
import { analyzePromql, matcherAccepts, regexAlternation, type PromqlAnalysis } from "./promql";
import { jobsSelectedFor, TARGET_LABELS, unknownMetricFix } from "./metrics";
import type { DashboardContext, SeriesRule } from "./types";

/** One thing wrong with one dashboard. */
export interface LintProblem {
  /** Where the dashboard comes from: `module:<name>` or `json:<file>`. */
  readonly source: string;
  /** What in the dashboard: `dashboard`, `panel "Title" (id 3)`, `panel "Title" (id 3), target B`, ... */
  readonly where: string;
  readonly problem: string;
  /** What to do about it. */
  readonly fix: string;
}

/** A dashboard model to lint and where it comes from. */
export interface LintInput {
  readonly source: string;
  readonly model: Readonly<Record<string, unknown>>;
  /**
   * An imported Grafana export: a rate over a fixed window (`[5m]`) is accepted (the import warns), where a
   * TypeScript dashboard must use `$__rate_interval`. @default false
   */
  readonly imported?: boolean;
}

/** Longest uid Grafana accepts. */
export const MAX_UID_LENGTH = 40;
/** Grafana's dashboard grid is 24 columns wide. */
export const GRID_COLUMNS = 24;

const UID_PATTERN = /^[A-Za-z0-9_-]+$/;
const RATE_WINDOW = ["$__rate_interval", "${__rate_interval}"];
/** `increase` may also count over the whole dashboard range. */
const INCREASE_WINDOW = [...RATE_WINDOW, "$__range", "${__range}"];
const BUILT_IN_ANNOTATION_UIDS: ReadonlySet<string> = new Set(["grafana", "-- Grafana --"]);

/** The one datasource reference every panel and target must carry. */
function datasourceRef(ctx: DashboardContext): { type: string; uid: string } {
  return { type: ctx.datasource.type, uid: ctx.datasource.uid };
}

function isProvisionedDatasource(value: unknown, ctx: DashboardContext): boolean {
  return isJsonObject(value) && value.type === ctx.datasource.type && value.uid === ctx.datasource.uid;
}

function datasourceProblem(value: unknown, ctx: DashboardContext): { problem: string; fix: string } {
  const expected = JSON.stringify(datasourceRef(ctx));
  return {
    problem:
      value === undefined || value === null
        ? `has no datasource (expected ${expected})`
        : `datasource ${JSON.stringify(value)} is not the provisioned datasource ${expected}, and it is not a ` +
          'reference that can be rewritten (a "${DS_...}" input of a Prometheus datasource, a datasource name ' +
          'containing "prometheus" in any case, or an object of type "prometheus")',
    fix: `query Prometheus through ${expected}, or remove what uses another datasource`,
  };
}

/** Lints one dashboard on its own (uniqueness across dashboards is checked by `lintDashboards`). */
function lintOne(input: LintInput, ctx: DashboardContext, known: ReadonlySet<string>): LintProblem[] {
  const scope: QueryScope = {
    known,
    jobs: ctx.deployedJobs ?? Object.values(ctx.jobs),
    serviceJobs: ctx.jobs,
    rules: ctx.seriesRules ?? [],
    fixedWindows: input.imported === true,
  };
  const problems: LintProblem[] = [];
  const add = (where: string, problem: string, fix: string): void => {
    problems.push({ source: input.source, where, problem, fix });
  };
  const model = input.model;

  if (Object.prototype.hasOwnProperty.call(model, "id")) {
    add(
      "dashboard",
      `has a top-level "id" (${JSON.stringify(model.id)})`,
      'remove "id": Grafana assigns it, and a copied id can overwrite another dashboard',
    );
  }
  const uid = model.uid;
  const uidFix = `set "uid" to a stable id of 1 to ${MAX_UID_LENGTH} letters, digits, "-" or "_"`;
  if (typeof uid !== "string" || uid === "") {
    add("dashboard", "has no uid", uidFix);
  } else {
    if (uid.length > MAX_UID_LENGTH) {
      add("dashboard", `uid "${uid}" is ${uid.length} characters long (at most ${MAX_UID_LENGTH})`, uidFix);
    }
    if (!UID_PATTERN.test(uid)) {
      add("dashboard", `uid "${uid}" contains characters other than letters, digits, "-" and "_"`, uidFix);
    }
  }
  if (typeof model.title !== "string" || model.title.trim() === "") {
    add("dashboard", "has no title", 'set "title"');
  }
  if (Object.prototype.hasOwnProperty.call(model, "rows")) {
    add(
      "dashboard",
      'uses the pre-Grafana-5 "rows" layout',
      "open it in a current Grafana, save it, and export it again",
    );
  }
  for (const path of dsPlaceholderPaths(model, "")) {
    add(path, 'still contains a "${DS_...}" placeholder', "replace it with the value it stands for");
  }
  if (model.panels !== undefined && !Array.isArray(model.panels)) {
    add("dashboard", '"panels" is not a list', 'make "panels" a JSON array of panels');
  }

  lintPanels(model, ctx, scope, add);
  lintVariables(model, ctx, scope, add);
  lintAnnotations(model, ctx, add);
  return problems;
}

type AddProblem = (where: string, problem: string, fix: string) => void;

/** Paths of strings containing `${DS_`, outside datasource fields (the datasource rule reports those). */
function dsPlaceholderPaths(value: unknown, path: string): string[] {
  if (typeof value === "string") return value.includes("${DS_") ? [path === "" ? "dashboard" : path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => dsPlaceholderPaths(v, `${path}[${i}]`));
  if (!isJsonObject(value)) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === "datasource" ? [] : dsPlaceholderPaths(v, path === "" ? key : `${path}.${key}`),
  );
}

interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function readGridPos(panel: JsonObject): Rect | string {
  const g = panel.gridPos;
  if (!isJsonObject(g)) return "has no gridPos";
  const { x, y, w, h } = g;
  if (![x, y, w, h].every((n) => typeof n === "number" && Number.isInteger(n))) {
    return `gridPos ${JSON.stringify(g)} needs whole numbers x, y, w and h`;
  }
  const rect = { x, y, w, h } as Rect;
  if (rect.w < 1 || rect.h < 1 || rect.x < 0 || rect.y < 0 || rect.x + rect.w > GRID_COLUMNS) {
    return `gridPos ${gridText(rect)} is outside the ${GRID_COLUMNS}-column grid (w, h >= 1; x, y >= 0; x + w <= ${GRID_COLUMNS})`;
  }
  return rect;
}

function gridText(r: Rect): string {
  return `{x: ${r.x}, y: ${r.y}, w: ${r.w}, h: ${r.h}}`;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function lintPanels(model: JsonObject, ctx: DashboardContext, scope: QueryScope, add: AddProblem): void {
  const idOwners = new Map<number, JsonObject>();
  // Panels of a collapsed row are laid out inside the row; they overlap only each other.
  const layers = new Map<JsonObject | undefined, { panel: JsonObject; rect: Rect }[]>();
  for (const { panel, row } of allPanels(model)) {
    const where = describePanel(panel);
    const id = panel.id;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1) {
      add(where, `has no valid id (got ${JSON.stringify(id)})`, "give every panel a unique whole-number id >= 1");
    } else {
      const owner = idOwners.get(id);
      if (owner !== undefined) {
        add(where, `id ${id} is also used by ${describePanel(owner)}`, "give every panel a unique id");
      } else {
        idOwners.set(id, panel);
      }
    }

    const rect = readGridPos(panel);
    if (typeof rect === "string") {
      add(where, rect, "set gridPos to a rectangle inside the grid");
    } else {
      const layer = layers.get(row) ?? [];
      for (const other of layer) {
        if (overlaps(rect, other.rect)) {
          add(
            where,
            `gridPos ${gridText(rect)} overlaps ${describePanel(other.panel)} at ${gridText(other.rect)}`,
            "move or resize one of them so their rectangles do not intersect",
          );
        }
      }
      layer.push({ panel, rect });
      layers.set(row, layer);
    }

    if (panel.libraryPanel !== undefined) {
      add(where, "is a library panel reference", "replace it with the panel itself (library panels are not deployed)");
    }
    const nested = Array.isArray(panel.panels) ? panel.panels : [];
    if (panel.type === "row" && panel.collapsed !== true && nested.length > 0) {
      add(
        where,
        `is an expanded row holding ${nested.length} nested panel(s), which Grafana does not show`,
        'set "collapsed": true, or move the panels after the row at top level',
      );
    }

    const targets = Array.isArray(panel.targets) ? panel.targets : [];
    const hasDatasource = panel.datasource !== undefined && panel.datasource !== null;
    if ((targets.length > 0 || hasDatasource) && !isProvisionedDatasource(panel.datasource, ctx)) {
      const { problem, fix } = datasourceProblem(panel.datasource, ctx);
      add(where, problem, fix);
    }
    const refIds = new Set<string>();
    targets.forEach((target: unknown, i) => {
      if (!isJsonObject(target)) {
        add(`${where}, target ${i + 1}`, "is not an object", "make every target a JSON object");
        return;
      }
      const refId = typeof target.refId === "string" ? target.refId : "";
      const targetWhere = `${where}, target ${refId === "" ? `#${i + 1}` : refId}`;
      if (refId === "" || refIds.has(refId)) {
        add(
          targetWhere,
          refId === "" ? "has no refId" : `refId ${refId} is used twice`,
          "give every target a unique refId",
        );
      }
      refIds.add(refId);
      if (!isProvisionedDatasource(target.datasource, ctx)) {
        const { problem, fix } = datasourceProblem(target.datasource, ctx);
        add(targetWhere, problem, fix);
      }
      if (typeof target.expr !== "string") {
        add(targetWhere, "has no PromQL expr", 'set "expr", or remove the target');
        return;
      }
      lintQuery(target.expr, targetWhere, scope, add);
    });
  }
}

/** What a query may read: the known metric names, the jobs the stack renders, the series rules. */
interface QueryScope {
  readonly known: ReadonlySet<string>;
  readonly jobs: readonly string[];
  /** The job of every service, by service name (the fix of an unknown metric names the service). */
  readonly serviceJobs: Readonly<Record<string, string>>;
  /** Fixed rate windows (`[5m]`) are accepted: an imported export (its import warns). */
  readonly fixedWindows: boolean;
  readonly rules: readonly SeriesRule[];
}

/** Checks one PromQL query: syntax, metric names, jobs, rate windows, series rules. */
function lintQuery(expr: string, where: string, scope: QueryScope, add: AddProblem): void {
  const known = scope.known;
  const analysis = analyzePromql(expr);
  for (const error of analysis.errors) {
    add(
      where,
      `${error} in ${JSON.stringify(expr)}`,
      "write valid PromQL; Grafana variables may stand only for label values and ranges",
    );
  }
  lintMetricNames(analysis, expr, where, known, scope.serviceJobs, scope.jobs, add);
  lintJobs(analysis, expr, where, scope.jobs, add);
  for (const call of analysis.rangeCalls) {
    const allowed = call.fn === "increase" ? INCREASE_WINDOW : RATE_WINDOW;
    const fixedAccepted = scope.fixedWindows && call.window !== undefined && /^(\d+(ms|[smhdwy]))+$/.test(call.window);
    if (!fixedAccepted && (call.window === undefined || !allowed.includes(call.window))) {
      add(
        where,
        `${call.fn}() runs over ${call.window === undefined ? "no plain range" : `[${call.window}]`} in ${JSON.stringify(expr)}`,
        `use [$__rate_interval]${call.fn === "increase" ? " (or [$__range] for a total over the time range)" : ""}`,
      );
    }
  }
  lintSeriesRules(analysis, expr, where, scope.rules, add);
}

/** Every selector over a series a rule covers must leave out the rule's label values. */
function lintSeriesRules(
  analysis: PromqlAnalysis,
  expr: string,
  where: string,
  rules: readonly SeriesRule[],
  add: AddProblem,
): void {
  for (const selector of analysis.selectors) {
    for (const rule of rules) {
      if (selector.metric === undefined || !rule.series.includes(selector.metric)) continue;
      const matchers = selector.matchers.filter((m) => m.label === rule.label);
      const leaked = rule.values.filter((value) => matchers.every((m) => matcherAccepts(m, value)));
      if (leaked.length > 0) {
        add(
          where,
          `${selector.metric} is selected without excluding the ${rule.label} values ${leaked.join(", ")} (${rule.reason}) in ${JSON.stringify(expr)}`,
          `add ${rule.label}!~"${regexAlternation(rule.values)}" to the selector`,
        );
      }
    }
  }
}

/**
 * Every `job` a selector asks for must be a job the stack renders: a panel over an undeployed job (the original stack's
 * kafka and spark) can only ever show nothing.
 */
function lintJobs(
  analysis: PromqlAnalysis,
  expr: string,
  where: string,
  jobs: readonly string[],
  add: AddProblem,
): void {
  for (const selector of analysis.selectors) {
    for (const m of selector.matchers) {
      if (m.label !== TARGET_LABELS.job || (m.op !== "=" && m.op !== "=~")) continue;
      // A Grafana variable takes its values from the data, which only holds deployed jobs.
      if (/\$\w|\$\{|\[\[/.test(m.value)) continue;
      const literalNames =
        m.op === "=" ? [m.value] : /^[\w.-]+(\|[\w.-]+)*$/.test(m.value) ? m.value.split("|") : undefined;
      const unknown =
        literalNames !== undefined
          ? literalNames.filter((job) => !jobs.includes(job))
          : jobs.some((job) => matcherAccepts(m, job))
            ? []
            : [m.value];
      if (unknown.length > 0) {
        add(
          where,
          `selects ${unknown.map((job) => `job "${job}"`).join(", ")}, which the stack does not deploy (deployed jobs: ${jobs.join(", ")}), in ${JSON.stringify(expr)}`,
          "query only the jobs the stack deploys, or deploy the service first (its job then appears in prometheus.yml)",
        );
      }
    }
  }
}

function lintMetricNames(
  analysis: PromqlAnalysis,
  expr: string,
  where: string,
  known: ReadonlySet<string>,
  serviceJobs: Readonly<Record<string, string>>,
  jobs: readonly string[],
  add: AddProblem,
): void {
  for (const name of analysis.metricNames) {
    if (known.has(name)) continue;
    add(
      where,
      `metric "${name}" is in no deployed component's catalog nor any declared metricNames (query ${JSON.stringify(expr)})`,
      unknownMetricFix(name, jobsSelectedFor(analysis.selectors, name), serviceJobs, jobs),
    );
  }
}

function lintVariables(model: JsonObject, ctx: DashboardContext, scope: QueryScope, add: AddProblem): void {
  for (const variable of templateVariables(model)) {
    const where = `template variable "${typeof variable.name === "string" ? variable.name : "(unnamed)"}"`;
    if (variable.type === "datasource") {
      add(
        where,
        `is a datasource variable (${JSON.stringify(variable.query)})`,
        `remove it and use the provisioned datasource ${JSON.stringify(datasourceRef(ctx))}`,
      );
    }
    if (variable.type !== "query") continue;
    if (!isProvisionedDatasource(variable.datasource, ctx)) {
      const { problem, fix } = datasourceProblem(variable.datasource, ctx);
      add(where, problem, fix);
    }
    const query = isJsonObject(variable.query) ? variable.query.query : variable.query;
    if (typeof query !== "string") continue;
    // Grafana's Prometheus variable functions: label_values(selector, label) and query_result(expr) contain PromQL.
    const labelValuesMatch = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
    const queryResultMatch = /^\s*query_result\(\s*(.+)\s*\)\s*$/s.exec(query);
    const promql = labelValuesMatch?.[1] ?? queryResultMatch?.[1];
    if (promql !== undefined) lintQuery(promql, where, scope, add);
  }
}

function lintAnnotations(model: JsonObject, ctx: DashboardContext, add: AddProblem): void {
  const annotations = model.annotations;
  if (!isJsonObject(annotations) || !Array.isArray(annotations.list)) return;
  annotations.list.forEach((annotation: unknown, i) => {
    if (!isJsonObject(annotation)) return;
    const ds = annotation.datasource;
    const builtIn =
      annotation.builtIn === 1 &&
      (ds === "-- Grafana --" ||
        (isJsonObject(ds) && typeof ds.uid === "string" && BUILT_IN_ANNOTATION_UIDS.has(ds.uid)));
    if (builtIn || isProvisionedDatasource(ds, ctx)) return;
    const name = typeof annotation.name === "string" ? annotation.name : `#${i + 1}`;
    const { problem, fix } = datasourceProblem(ds, ctx);
    add(`annotation "${name}"`, problem, fix);
  });
}

/**
 * Lints dashboards together: each on its own, then uids and titles unique across all of them.
 *
 * @returns every problem found, in input order; empty when all pass.
 */
export function lintDashboards(dashboards: readonly LintInput[], ctx: DashboardContext): LintProblem[] {
  const known: ReadonlySet<string> = new Set(ctx.metricNames);
  const problems = dashboards.flatMap((d) => lintOne(d, ctx, known));
  const uidOwners = new Map<string, string>();
  const titleOwners = new Map<string, string>();
  for (const { source, model } of dashboards) {
    if (typeof model.uid === "string" && model.uid !== "") {
      const owner = uidOwners.get(model.uid);
      if (owner === undefined) uidOwners.set(model.uid, source);
      else {
        problems.push({
          source,
          where: "dashboard",
          problem: `uid "${model.uid}" is also used by ${owner}`,
          fix: "give every dashboard its own uid",
        });
      }
    }
    if (typeof model.title === "string" && model.title.trim() !== "") {
      const key = model.title.trim().toLowerCase();
      const owner = titleOwners.get(key);
      if (owner === undefined) titleOwners.set(key, source);
      else {
        problems.push({
          source,
          where: "dashboard",
          problem: `title "${model.title}" is also used by ${owner} (Grafana refuses two dashboards with one title in a folder)`,
          fix: "give every dashboard its own title",
        });
      }
    }
  }
  return problems;
}

/**
 * One message listing every problem, one per line: source, what, problem and fix.
 * @example formatLintProblems(problems)
 *   // 'Dashboards failed the lint with 1 problem:\n  - json:x.json, dashboard: has no uid. Fix: set "uid" ...'
 */
export function formatLintProblems(problems: readonly LintProblem[]): string {
  const lines = problems.map((p) => `  - ${p.source}, ${p.where}: ${p.problem}. Fix: ${p.fix}.`);
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return [`Dashboards failed the lint with ${count}:`, ...lines].join("\n");
}
