/**
 * Reading Grafana dashboard models as plain JSON: panels (including those nested in collapsed rows), their queries and
 * the values of their template variables. Used by the lint, the contract tests and the end-to-end suite, for built and
 * imported dashboards alike.
 */
import { analyzePromql, grafanaTimeVariables, type QueryTiming } from "./promql";

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A panel of a dashboard model and where it sits. */
export interface PanelLocation {
  readonly panel: JsonObject;
  /** JSON path of the panel in the model, e.g. `panels[3].panels[0]`. */
  readonly path: string;
  /** The collapsed row that holds the panel, if any. */
  readonly row: JsonObject | undefined;
}

/** Every panel of a model in order: top-level panels, and each row's nested panels right after the row. */
export function allPanels(model: JsonObject): PanelLocation[] {
  const out: PanelLocation[] = [];
  const panels = Array.isArray(model.panels) ? model.panels : [];
  panels.forEach((panel: unknown, i) => {
    if (!isJsonObject(panel)) return;
    out.push({ panel, path: `panels[${i}]`, row: undefined });
    const nested = Array.isArray(panel.panels) ? panel.panels : [];
    nested.forEach((child: unknown, j) => {
      if (isJsonObject(child)) out.push({ panel: child, path: `panels[${i}].panels[${j}]`, row: panel });
    });
  });
  return out;
}

/** How error messages name a panel: `panel "Request rate" (id 5)`. */
export function describePanel(panel: JsonObject): string {
  const title = typeof panel.title === "string" && panel.title !== "" ? panel.title : "(untitled)";
  const id = typeof panel.id === "number" ? String(panel.id) : "missing";
  return `panel "${title}" (id ${id})`;
}

/** One query of one panel, ready to run against Prometheus once its variables are substituted. */
export interface PanelQuery {
  readonly dashboardUid: string;
  readonly dashboardTitle: string;
  readonly panelId: number | undefined;
  readonly panelTitle: string;
  readonly refId: string;
  /** The query as written, Grafana variables included (see `substituteVariables`, `defaultVariableValues`). */
  readonly expr: string;
  /** Grafana runs it as an instant query (tables); otherwise as a range query. */
  readonly instant: boolean;
  /** The target is hidden in the panel (`hide: true`). */
  readonly hidden: boolean;
  /** Metric names the query reads (empty when it does not parse; the lint reports that). */
  readonly metricNames: readonly string[];
}

/**
 * Every Prometheus query of every panel (nested rows included) and target, in panel and target order.
 *
 * Targets without an `expr` string are left out (they are not Prometheus queries; the lint reports them).
 */
export function panelQueries(model: Readonly<Record<string, unknown>>): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const { panel } of allPanels(model)) {
    const targets = Array.isArray(panel.targets) ? panel.targets : [];
    for (const target of targets) {
      if (!isJsonObject(target) || typeof target.expr !== "string") continue;
      const metricNames = analyzePromql(target.expr).metricNames;
      out.push({
        dashboardUid: typeof model.uid === "string" ? model.uid : "",
        dashboardTitle: typeof model.title === "string" ? model.title : "",
        panelId: typeof panel.id === "number" ? panel.id : undefined,
        panelTitle: typeof panel.title === "string" ? panel.title : "",
        refId: typeof target.refId === "string" ? target.refId : "",
        expr: target.expr,
        instant: target.instant === true,
        hidden: target.hide === true,
        metricNames,
      });
    }
  }
  return out;
}

/** The template variables of a model (`templating.list`), objects only. */
export function templateVariables(model: Readonly<Record<string, unknown>>): JsonObject[] {
  const templating = model.templating;
  if (!isJsonObject(templating) || !Array.isArray(templating.list)) return [];
  return templating.list.filter(isJsonObject);
}

function currentValue(variable: JsonObject): string | undefined {
  const current = variable.current;
  if (!isJsonObject(current)) return undefined;
  const value = current.value;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join("|");
  return undefined;
}

/**
 * The value of every variable a query of this dashboard can use, as Grafana would substitute it when the dashboard
 * opens with its defaults: Grafana's interval variables for the given window, and each template variable's default
 * ("All" becomes its `allValue`, `.*` when none is set).
 * @example substituteVariables(q.expr, defaultVariableValues(model, { scrapeIntervalSeconds: 15, rangeSeconds: 3600 }))
 */
export function defaultVariableValues(
  model: Readonly<Record<string, unknown>>,
  timing: QueryTiming,
): Record<string, string> {
  const values = grafanaTimeVariables(timing);
  for (const variable of templateVariables(model)) {
    if (typeof variable.name !== "string") continue;
    const current = currentValue(variable);
    switch (variable.type) {
      case "query":
      case "custom":
        if (current === undefined || current === "$__all") {
          values[variable.name] = typeof variable.allValue === "string" ? variable.allValue : ".*";
        } else {
          values[variable.name] = current;
        }
        break;
      case "constant":
      case "textbox":
        values[variable.name] = current ?? (typeof variable.query === "string" ? variable.query : "");
        break;
      case "interval":
        if (current !== undefined) values[variable.name] = current;
        break;
      default:
        break; // datasource and ad hoc variables do not appear in query text
    }
  }
  return values;
}
