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
 * - export-only fields: `__inputs` (datasource inputs), `__requires`, an empty `__elements`.
 * Anything else stays as written, and the lint rejects it with a message naming the file, panel and problem.
 */
import type { LintProblem } from "./lint";
import { allPanels, describePanel, isJsonObject, templateVariables, type JsonObject } from "./model";
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
    const elements = model.__elements;
    if (isJsonObject(elements) && Object.keys(elements).length > 0) {
      problems.push(
        problem(
          "__elements",
          `declares library panels (${Object.keys(elements).join(", ")})`,
          "export the dashboard with library panels unlinked (their models inlined)",
        ),
      );
    } else {
      delete model.__elements;
      removed.push("__elements: removed (export-only and empty)");
    }
  }

  return { source, model, rewrites: [...rewriter.rewrites, ...removed], problems };
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
