/**
 * Imported dashboards: JSON files from `dashboards/json/`, parsed with JSON.parse and made to use the provisioned
 * datasource before the lint judges them.
 *
 * Rewritten (each change recorded as one sentence):
 * - `${DS_NAME}` inputs of an exported dashboard whose `__inputs` declare a Prometheus datasource (or, with no
 *   `__inputs`, whose name contains "PROMETHEUS"), as a string or as an object's uid;
 * - `$name` references to a datasource template variable of type Prometheus (the variable is removed);
 * - a datasource given as a name string that names Prometheus (`"Prometheus"`, `"prometheus-main"`) or is our uid;
 * - an object of type `prometheus` with a foreign uid;
 * - a panel with queries but no datasource (Grafana's default), a target without one (inherits the panel's), and a
 *   `-- Mixed --` panel whose targets all end up on the provisioned datasource;
 * - export-only fields: `__inputs` (datasource inputs), `__requires`, `__elements` (its library panels inlined into
 *   their stubs), and the top-level `id` (`null` in "Export for sharing externally"; Grafana assigns its own);
 * - the pre-Grafana-5 `rows` layout, migrated to a flat `panels` grid with one row panel per titled row;
 * - targets without a `refId` (Grafana fills them in: A, B, ... in order), panels without an id (the next free one),
 *   and row panels' grid rectangles (a row spans the 24 columns, 1 high; exports often carry `w: 0`).
 * A `rate()`/`irate()`/`increase()` over a fixed window (`[5m]`) is kept, with a warning (`warning: ...` in the rewrites):
 * it may be shorter than 4 scrape intervals, where `$__rate_interval` never is.
 * Anything else stays as written, and the lint rejects it with a message naming the file, panel and problem.
 */
import type { LintProblem } from "./lint";
import { allPanels, describePanel, isJsonObject, templateVariables, type JsonObject } from "./model";
import { analyzePromql } from "./promql";
import type { DashboardContext, ImportedDashboardFile } from "./types";

/** An imported file after parsing and rewriting. */
export interface ImportedDashboard {
  /** `json:<file name>`. */
  readonly source: string;
  /** The rewritten model; undefined when the file could not be read as a dashboard (see `problems`). */
  readonly model: JsonObject | undefined;
  /** Every change made, one sentence each, in model order. */
  readonly rewrites: readonly string[];
  /** Problems found while reading the file (invalid JSON, not a dashboard, inputs that cannot be provided). */
  readonly problems: readonly LintProblem[];
}

/** The source of an imported file in messages and `RenderedDashboard.source`. */
export function importedSource(fileName: string): string {
  return `json:${fileName}`;
}

const VARIABLE_REF = /^\$\{(\w+)\}$|^\$(\w+)$|^\[\[(\w+)\]\]$/;

/** Rewrites datasource references of one dashboard to the provisioned datasource, recording each change. */
class DatasourceRewriter {
  public readonly rewrites: string[] = [];
  /** The provisioned datasource reference. */
  public readonly ours: { readonly type: string; readonly uid: string };

  constructor(
    ctx: DashboardContext,
    /** Datasource inputs of `__inputs` by name, with their plugin id; undefined when the file has no `__inputs`. */
    private readonly inputs: ReadonlyMap<string, string> | undefined,
    /** Datasource template variables by name, with their plugin id (`query`). */
    private readonly variables: ReadonlyMap<string, string>,
  ) {
    this.ours = { type: ctx.datasource.type, uid: ctx.datasource.uid };
  }

  /** A fresh copy of the provisioned datasource reference. */
  provisioned(): { type: string; uid: string } {
    return { ...this.ours };
  }

  isOurs(value: unknown): boolean {
    return isJsonObject(value) && value.type === this.ours.type && value.uid === this.ours.uid;
  }

  /** Sets `holder.datasource` to ours when the current value is a reference this stack can rewrite. */
  rewrite(holder: JsonObject, where: string): void {
    const value = holder.datasource;
    if (this.isOurs(value) || !this.refersToPrometheus(value)) return;
    holder.datasource = this.provisioned();
    const reason = this.describe(value);
    this.rewrites.push(`${where}: datasource ${JSON.stringify(value)} (${reason}) -> ${JSON.stringify(this.ours)}`);
  }

  /** Sets a missing datasource to ours, recording why. */
  fill(holder: JsonObject, where: string, reason: string): void {
    holder.datasource = this.provisioned();
    this.rewrites.push(`${where}: no datasource (${reason}) -> ${JSON.stringify(this.ours)}`);
  }

  private refersToPrometheus(value: unknown): boolean {
    if (typeof value === "string") return this.stringRefersToPrometheus(value);
    if (!isJsonObject(value)) return false;
    const { type, uid } = value;
    if (typeof uid === "string" && VARIABLE_REF.test(uid)) {
      return (type === undefined || type === this.ours.type) && this.stringRefersToPrometheus(uid);
    }
    return type === this.ours.type || (type === undefined && uid === this.ours.uid);
  }

  private stringRefersToPrometheus(value: string): boolean {
    const ref = VARIABLE_REF.exec(value);
    if (ref === null) return value === this.ours.uid || /prometheus/i.test(value);
    const name = ref[1] ?? ref[2] ?? ref[3];
    const input = this.inputs?.get(name);
    if (input !== undefined) return input === this.ours.type;
    const variable = this.variables.get(name);
    if (variable !== undefined) return variable === this.ours.type;
    // An undeclared `${DS_PROMETHEUS}` (exports whose `__inputs` were stripped) names its plugin.
    return this.inputs === undefined && name.startsWith("DS_") && /PROMETHEUS/i.test(name);
  }

  private describe(value: unknown): string {
    const text = isJsonObject(value) ? value.uid : value;
    if (typeof text === "string" && VARIABLE_REF.test(text)) {
      return text.includes("DS_") ? "exported datasource input" : "datasource variable";
    }
    if (typeof value === "string") return "datasource name";
    if (isJsonObject(value) && value.type === undefined) return "uid without a type";
    return "foreign Prometheus uid";
  }
}

/**
 * Parses an imported dashboard file and rewrites its foreign datasource references to the provisioned datasource.
 *
 * Pure: the file's text in, a new model out. Never throws: what cannot be read is returned in `problems`.
 */
export function importDashboard(file: ImportedDashboardFile, ctx: DashboardContext): ImportedDashboard {
  const source = importedSource(file.fileName);
  const problem = (where: string, text: string, fix: string): LintProblem => ({ source, where, problem: text, fix });
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.content);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      source,
      model: undefined,
      rewrites: [],
      problems: [
        problem("file", `is not valid JSON (${reason})`, "fix the JSON syntax, or export the dashboard again"),
      ],
    };
  }
  if (!isJsonObject(parsed)) {
    return {
      source,
      model: undefined,
      rewrites: [],
      problems: [problem("file", "is not a JSON object", "export the dashboard model (Share > Export > Save to file)")],
    };
  }
  if (isJsonObject(parsed.dashboard) && parsed.panels === undefined) {
    return {
      source,
      model: undefined,
      rewrites: [],
      problems: [
        problem(
          "file",
          'is an API envelope ({"dashboard": ...}), not a dashboard model',
          'save only the object under "dashboard"',
        ),
      ],
    };
  }
  const model = parsed;
  const problems: LintProblem[] = [];
  const removed: string[] = [];
  const layout: string[] = [];

  if (model.uid === undefined || model.uid === null || model.uid === "") {
    // Grafana's import gives such a file a random uid; a deployment needs a stable one: the file's name.
    const uid = uidFromFileName(file.fileName);
    removed.push(
      `uid: ${JSON.stringify(model.uid ?? null)} -> ${JSON.stringify(uid)} (from the file name: a stable uid)`,
    );
    model.uid = uid;
  }
  if ("id" in model) {
    removed.push(`id: removed (${JSON.stringify(model.id)}; Grafana assigns a dashboard's numeric id itself)`);
    delete model.id;
  }
  if (Array.isArray(model.rows)) {
    if (model.panels !== undefined && !(Array.isArray(model.panels) && model.panels.length === 0)) {
      problems.push(
        problem(
          "dashboard",
          'has both the pre-Grafana-5 "rows" and "panels"',
          'keep one layout: open it in a current Grafana, save it, and export it again (it writes "panels" only)',
        ),
      );
    } else {
      layout.push(...migrateRows(model));
    }
  }
  layout.push(...inlineLibraryPanels(model, (where, text, fix) => problems.push(problem(where, text, fix))));
  layout.push(...normalizePanels(model));
  layout.push(...resolveOverlaps(model));

  const inputs = readInputs(model, (where, text, fix) => problems.push(problem(where, text, fix)));
  const variables = new Map<string, string>();
  for (const v of templateVariables(model)) {
    if (v.type === "datasource" && typeof v.name === "string" && typeof v.query === "string") {
      variables.set(v.name, v.query);
    }
  }
  const rewriter = new DatasourceRewriter(ctx, inputs, variables);

  for (const { panel, path } of allPanels(model)) {
    const where = `${describePanel(panel)} at ${path}`;
    const targets = (Array.isArray(panel.targets) ? panel.targets : []).filter(isJsonObject);
    if (panel.datasource === undefined || panel.datasource === null) {
      if (targets.length > 0) rewriter.fill(panel, where, "Grafana's default datasource");
    } else {
      rewriter.rewrite(panel, where);
    }
    for (const target of targets) {
      const targetWhere = `${where}, target ${typeof target.refId === "string" ? target.refId : "(no refId)"}`;
      if (target.datasource === undefined || target.datasource === null) {
        if (rewriter.isOurs(panel.datasource)) rewriter.fill(target, targetWhere, "inherits the panel's");
      } else {
        rewriter.rewrite(target, targetWhere);
      }
    }
    const mixed = isJsonObject(panel.datasource) && panel.datasource.uid === "-- Mixed --";
    if (mixed && targets.length > 0 && targets.every((t) => rewriter.isOurs(t.datasource))) {
      const before = JSON.stringify(panel.datasource);
      panel.datasource = rewriter.provisioned();
      const after = JSON.stringify(rewriter.ours);
      rewriter.rewrites.push(`${where}: datasource ${before} (every target queries Prometheus) -> ${after}`);
    }
  }

  const templating = model.templating;
  if (isJsonObject(templating) && Array.isArray(templating.list)) {
    templating.list = templating.list.filter((v: unknown) => {
      if (!isJsonObject(v)) return true;
      const where = `template variable "${String(v.name)}"`;
      if (v.type === "datasource" && v.query === ctx.datasource.type) {
        removed.push(`${where}: removed (a Prometheus datasource variable; references use the provisioned one)`);
        return false;
      }
      if (v.type !== "query") return true;
      if (v.datasource === undefined || v.datasource === null) rewriter.fill(v, where, "Grafana's default datasource");
      else rewriter.rewrite(v, where);
      return true;
    });
  }

  const annotations = model.annotations;
  if (isJsonObject(annotations) && Array.isArray(annotations.list)) {
    annotations.list.forEach((a: unknown, i) => {
      if (!isJsonObject(a) || a.builtIn === 1 || a.datasource === undefined || a.datasource === null) return;
      rewriter.rewrite(a, `annotation "${typeof a.name === "string" ? a.name : `#${i + 1}`}"`);
    });
  }

  if ("__inputs" in model) {
    delete model.__inputs;
    removed.push("__inputs: removed (export-only; its datasource inputs were rewritten)");
  }
  if ("__requires" in model) {
    delete model.__requires;
    removed.push("__requires: removed (export-only; lists the plugins the export was made with)");
  }
  if ("__elements" in model) {
    delete model.__elements;
    removed.push("__elements: removed (export-only; its library panels are inlined into their stubs)");
  }

  return {
    source,
    model,
    rewrites: [...layout, ...rewriter.rewrites, ...removed, ...fixedWindowWarnings(model)],
    problems,
  };
}

/** Datasource inputs of an exported dashboard's `__inputs`; other inputs cannot be provided and are problems. */
function readInputs(
  model: JsonObject,
  report: (where: string, problem: string, fix: string) => void,
): Map<string, string> | undefined {
  if (!Array.isArray(model.__inputs)) return undefined;
  const inputs = new Map<string, string>();
  model.__inputs.forEach((input: unknown, i) => {
    if (!isJsonObject(input) || typeof input.name !== "string") {
      report(`__inputs[${i}]`, "is not an input with a name", "remove it");
      return;
    }
    if (input.type === "datasource" && typeof input.pluginId === "string") {
      inputs.set(input.name, input.pluginId);
      return;
    }
    report(
      `__inputs[${i}]`,
      `declares a ${JSON.stringify(input.type)} input ${input.name}, which a deployment cannot provide`,
      `replace every \${${input.name}} with its value and remove the input`,
    );
  });
  return inputs;
}

/** Grafana's row height unit: a grid row is 30 px. */
const GRID_ROW_PX = 30;

/**
 * The pre-Grafana-5 layout (`rows: [{ title, height, panels: [{ span }] }]`) as Grafana 5 migrates it: a row panel per
 * row with a shown title, then its panels left to right, `span` of 12 becoming `w` of 24, `height` (px) becoming `h`.
 */
function migrateRows(model: JsonObject): string[] {
  const rows = (Array.isArray(model.rows) ? model.rows : []).filter(isJsonObject);
  const panels: JsonObject[] = [];
  let y = 0;
  let nextId =
    1 + Math.max(0, ...rows.flatMap((row) => rowPanels(row).map((p) => (typeof p.id === "number" ? p.id : 0))));
  for (const row of rows) {
    const title = typeof row.title === "string" ? row.title : "";
    if (row.showTitle === true || (row.showTitle === undefined && title !== "" && rows.length > 1)) {
      panels.push({
        id: nextId++,
        type: "row",
        title,
        collapsed: false,
        panels: [],
        gridPos: { x: 0, y, w: 24, h: 1 },
      });
      y += 1;
    }
    const heightPx = typeof row.height === "number" ? row.height : Number.parseInt(String(row.height ?? "250"), 10);
    const h = Math.max(1, Math.ceil((Number.isFinite(heightPx) ? heightPx : 250) / GRID_ROW_PX));
    let x = 0;
    for (const panel of rowPanels(row)) {
      const span = typeof panel.span === "number" && panel.span > 0 ? panel.span : 12;
      const w = Math.min(24, Math.max(1, Math.round(span * 2)));
      if (x + w > 24) {
        x = 0;
        y += h;
      }
      const { span: _span, ...rest } = panel;
      void _span;
      panels.push({ ...rest, gridPos: { x, y, w, h } });
      x += w;
    }
    y += h;
  }
  delete model.rows;
  model.panels = panels;
  return [
    `rows: migrated the pre-Grafana-5 layout (${rows.length} row(s)) to ${panels.length} panel(s) on the 24-column grid, as Grafana 5 does`,
  ];
}

function rowPanels(row: JsonObject): JsonObject[] {
  return (Array.isArray(row.panels) ? row.panels : []).filter(isJsonObject);
}

/**
 * Library-panel stubs (`{ id, gridPos, libraryPanel: { uid, name } }`) replaced with the model `__elements` holds for
 * their uid, keeping the stub's id and place; a stub whose model is not in the file is a problem.
 */
function inlineLibraryPanels(
  model: JsonObject,
  report: (where: string, problem: string, fix: string) => void,
): string[] {
  const elements = isJsonObject(model.__elements) ? model.__elements : {};
  const done: string[] = [];
  const inline = (list: unknown[], path: string): void => {
    list.forEach((panel, i) => {
      if (!isJsonObject(panel)) return;
      if (Array.isArray(panel.panels)) inline(panel.panels, `${path}[${i}].panels`);
      const ref = panel.libraryPanel;
      if (!isJsonObject(ref)) return;
      const uid = typeof ref.uid === "string" ? ref.uid : "";
      const element = elements[uid];
      const libraryModel = isJsonObject(element) && isJsonObject(element.model) ? element.model : undefined;
      if (libraryModel === undefined) {
        report(
          `${describePanel(panel)} at ${path}[${i}]`,
          `is a library panel reference (uid ${JSON.stringify(uid)}) whose model the file does not hold`,
          'export the dashboard with "Export for sharing externally" (it writes the library panels into __elements), or unlink the library panel',
        );
        return;
      }
      const { libraryPanel: _ref, ...stub } = panel;
      void _ref;
      list[i] = { ...JSON.parse(JSON.stringify(libraryModel)), ...stub };
      done.push(
        `${describePanel(panel)} at ${path}[${i}]: library panel ${JSON.stringify(uid)} inlined from __elements`,
      );
    });
  };
  if (Array.isArray(model.panels)) inline(model.panels, "panels");
  return done;
}

/** Fills what Grafana fills in when it loads a dashboard: panel ids, target refIds, row panels' grid rectangles. */
function normalizePanels(model: JsonObject): string[] {
  const done: string[] = [];
  const located = allPanels(model);
  let nextId = 1 + Math.max(0, ...located.map(({ panel }) => (typeof panel.id === "number" ? panel.id : 0)));
  const seen = new Set<number>();
  for (const { panel, path } of located) {
    if (typeof panel.id !== "number" || !Number.isInteger(panel.id) || panel.id < 1 || seen.has(panel.id)) {
      const before = panel.id;
      panel.id = nextId++;
      done.push(
        `${describePanel(panel)} at ${path}: id ${JSON.stringify(before ?? null)} -> ${panel.id} (missing or taken)`,
      );
    }
    seen.add(panel.id as number);
    if (panel.type === "row" && isJsonObject(panel.gridPos)) {
      const g = panel.gridPos;
      if (g.x !== 0 || g.w !== 24 || g.h !== 1) {
        const before = JSON.stringify(g);
        panel.gridPos = { x: 0, y: typeof g.y === "number" ? g.y : 0, w: 24, h: 1 };
        done.push(`${describePanel(panel)} at ${path}: row gridPos ${before} -> ${JSON.stringify(panel.gridPos)}`);
      }
    }
    const targets = (Array.isArray(panel.targets) ? panel.targets : []).filter(isJsonObject);
    const used = new Set(targets.map((t) => t.refId).filter((r): r is string => typeof r === "string" && r !== ""));
    for (const target of targets) {
      if (typeof target.refId === "string" && target.refId !== "") continue;
      const refId = nextRefId(used);
      used.add(refId);
      target.refId = refId;
      done.push(`${describePanel(panel)} at ${path}: target without refId -> refId ${refId} (as Grafana fills it)`);
    }
  }
  return done;
}

/**
 * Panels whose rectangles intersect, moved down until they do not, as Grafana's grid pushes a colliding panel below
 * the one it collides with when it loads the dashboard. The top level and each collapsed row are laid out apart.
 */
function resolveOverlaps(model: JsonObject): string[] {
  const done: string[] = [];
  const layOut = (list: unknown[], path: string): void => {
    const placed: { x: number; y: number; w: number; h: number }[] = [];
    const panels = list
      .map((panel, index) => ({ panel, index }))
      .filter((entry): entry is { panel: JsonObject; index: number } => isJsonObject(entry.panel))
      .filter(({ panel }) => {
        const g = panel.gridPos;
        return isJsonObject(g) && [g.x, g.y, g.w, g.h].every((n) => typeof n === "number" && Number.isFinite(n));
      })
      .sort((a, b) => {
        const ga = a.panel.gridPos as { x: number; y: number };
        const gb = b.panel.gridPos as { x: number; y: number };
        return ga.y - gb.y || ga.x - gb.x || a.index - b.index;
      });
    for (const { panel, index } of panels) {
      const g = panel.gridPos as { x: number; y: number; w: number; h: number };
      const before = g.y;
      for (;;) {
        const hit = placed.find((r) => g.x < r.x + r.w && r.x < g.x + g.w && g.y < r.y + r.h && r.y < g.y + g.h);
        if (hit === undefined) break;
        g.y = hit.y + hit.h;
      }
      if (g.y !== before) {
        done.push(
          `${describePanel(panel)} at ${path}[${index}]: overlapped another panel, moved down y ${before} -> ${g.y} (as Grafana's grid does)`,
        );
      }
      placed.push({ ...g });
      if (panel.type === "row" && Array.isArray(panel.panels) && panel.panels.length > 0) {
        layOut(panel.panels, `${path}[${index}].panels`);
      }
    }
  };
  if (Array.isArray(model.panels)) layOut(model.panels, "panels");
  return done;
}

/** Grafana's next refId: A..Z, then AA, AB, ... */
function nextRefId(used: ReadonlySet<string>): string {
  for (let n = 0; ; n++) {
    let id = "";
    let k = n;
    do {
      id = String.fromCharCode(65 + (k % 26)) + id;
      k = Math.floor(k / 26) - 1;
    } while (k >= 0);
    if (!used.has(id)) return id;
  }
}

/** A fixed duration as PromQL writes one (`5m`, `1h30m`). */
export const FIXED_DURATION = /^(\d+(ms|[smhdwy]))+$/;

/** One warning per query reading a counter over a fixed window. */
function fixedWindowWarnings(model: JsonObject): string[] {
  const warnings: string[] = [];
  for (const { panel, path } of allPanels(model)) {
    for (const target of (Array.isArray(panel.targets) ? panel.targets : []).filter(isJsonObject)) {
      if (typeof target.expr !== "string") continue;
      const fixed = analyzePromql(target.expr).rangeCalls.filter(
        (call) => call.window !== undefined && FIXED_DURATION.test(call.window),
      );
      if (fixed.length === 0) continue;
      const windows = [...new Set(fixed.map((call) => `${call.fn}()[${call.window}]`))].join(", ");
      warnings.push(
        `warning: ${describePanel(panel)} at ${path}, target ${String(target.refId)}: ${windows} over a fixed window, kept as written; it shows no data if shorter than 2 scrape intervals ($__rate_interval adapts)`,
      );
    }
  }
  return warnings;
}

/** A stable dashboard uid from a file name: `Docker Host.json` -> `docker-host` (at most 40 characters). */
export function uidFromFileName(fileName: string): string {
  const base = fileName.replace(/^.*\//, "").replace(/\.json$/i, "");
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return slug === "" ? "imported" : slug;
}
