/**
 * The exporter components' community dashboards (`__tests__/fixtures/community-dashboards/exporters-manifest.json`):
 * loading them as exported, and their panel queries with Grafana's variables filled in as a fresh dashboard shows
 * them (every query variable on "All": `.*`; interval variables as Grafana computes them).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { grafanaTimeVariables, metricNamesInExpr, substituteVariables } from "../../dashboards/promql";
import { templateVariables } from "../../dashboards/model";

/** The folder of the community dashboard fixtures. */
export const COMMUNITY_DASHBOARDS_DIR = join(__dirname, "..", "fixtures", "community-dashboards");

/** One manifest entry: the file, the component whose exporter it reads, and where it comes from. */
export interface CommunityDashboardEntry {
  readonly file: string;
  readonly component: string;
  readonly title: string;
  readonly repository: string;
  readonly path: string;
  readonly commit: string;
  readonly licence: string;
}

/** The manifest's entries. */
export function exporterDashboardEntries(): CommunityDashboardEntry[] {
  const manifest = JSON.parse(readFileSync(join(COMMUNITY_DASHBOARDS_DIR, "exporters-manifest.json"), "utf8")) as {
    dashboards: CommunityDashboardEntry[];
  };
  return manifest.dashboards;
}

/** A panel's query: the panel, its refId (or index), its PromQL as exported. */
export interface CommunityQuery {
  readonly panel: string;
  readonly ref: string;
  readonly expr: string;
}

type Json = Record<string, unknown>;

function panelsOf(model: Json): Json[] {
  const top = [
    ...((model.panels as Json[] | undefined) ?? []),
    ...((model.rows as Json[] | undefined) ?? []).flatMap((r) => (r.panels as Json[] | undefined) ?? []),
  ];
  const walk = (panels: Json[]): Json[] =>
    panels.flatMap((panel) => [panel, ...walk((panel.panels as Json[] | undefined) ?? [])]);
  return walk(top);
}

/** The dashboard model of a fixture, as exported. */
export function loadDashboard(entry: CommunityDashboardEntry): Json {
  return JSON.parse(readFileSync(join(COMMUNITY_DASHBOARDS_DIR, entry.file), "utf8")) as Json;
}

/** Every Prometheus query of a dashboard's panels (rows' and collapsed rows' panels included). */
export function communityQueries(model: Json): CommunityQuery[] {
  return panelsOf(model).flatMap((panel) =>
    ((panel.targets as Json[] | undefined) ?? []).flatMap((target, index) =>
      typeof target.expr === "string" && target.expr.trim() !== ""
        ? [
            {
              panel: `${String(panel.title)} (panel ${String(panel.id)})`,
              ref: String(target.refId ?? index),
              expr: target.expr,
            },
          ]
        : [],
    ),
  );
}

/** A query with the dashboard's variables filled in: query/custom variables on "All" (`.*`), intervals computed. */
export function fillVariables(
  model: Json,
  expr: string,
  timing: { readonly scrapeIntervalSeconds: number; readonly rangeSeconds: number },
): string {
  const values: Record<string, string> = { ...grafanaTimeVariables(timing) };
  for (const variable of templateVariables(model)) {
    if (typeof variable.name !== "string") continue;
    if (variable.type === "query" || variable.type === "custom") {
      values[variable.name] =
        typeof variable.allValue === "string" && variable.allValue !== "" ? variable.allValue : ".*";
    }
  }
  return substituteVariables(expr, values);
}

/** The metric names a query selects, with its variables filled in. */
export function queryMetricNames(model: Json, expr: string): string[] {
  return metricNamesInExpr(fillVariables(model, expr, { scrapeIntervalSeconds: 15, rangeSeconds: 3600 }));
}
