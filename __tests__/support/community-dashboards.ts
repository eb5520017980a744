/**
 * The exporter components' community dashboards: fetched from Debian's archive by `npm run fetch-dashboards` (jest's
 * global setup runs it) into `.cache/community-dashboards/`, as `scripts/community-dashboards.manifest.json` names
 * them (facts only; no dashboard is committed). Loading them as exported, and their panel queries with Grafana's
 * variables filled in as a fresh dashboard shows them (every query variable on "All": `.*`; interval variables as
 * Grafana computes them).
 */
import { existsSync, readFileSync } from "node:fs";
import { grafanaTimeVariables, metricNamesInExpr, substituteVariables } from "../../dashboards/promql";
import { templateVariables } from "../../dashboards/model";
import {
  type CommunityDashboardSource,
  dashboardFile,
  dashboardSources,
  dashboardUpToDate,
  FETCH_DASHBOARDS_COMMAND,
} from "../../scripts/fetch-dashboards";

/** One manifest entry: the dashboard, the component whose exporter it reads, and where it is fetched from. */
export type CommunityDashboardEntry = CommunityDashboardSource;

/** The manifest's entries. */
export function exporterDashboardEntries(): CommunityDashboardEntry[] {
  return dashboardSources();
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

/**
 * The dashboard model of a fetched dashboard, as exported.
 * @throws Error naming the missing file and the command that fetches it (a test that reads it fails, never skips)
 */
export function loadDashboard(entry: CommunityDashboardEntry): Json {
  const file = dashboardFile(entry);
  if (!existsSync(file) || !dashboardUpToDate(entry)) {
    throw new Error(
      `community dashboard ${entry.name} is not fetched (${file} missing or from another archive than ` +
        `${entry.archive.pool}): run \`${FETCH_DASHBOARDS_COMMAND}\` (it needs Debian's archive) and read its error.`,
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as Json;
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
