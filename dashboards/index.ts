/**
 * The dashboard toolkit: house style (`house-style.ts`), the lint (`lint.ts`), JSON import (`imported.ts`), the
 * dashboard model helpers (`model.ts`), PromQL analysis on the real grammar (`promql.ts`) and the facts of the
 * Prometheus data model (`metrics.ts`). It knows no component and imports nothing from `constructs/`: each component
 * brings its own dashboards (`constructs/<component>/`), the stack renders and lints them all with `renderDashboards`.
 *
 * The Grafana construct deploys each result as a `grafana_dashboard` (`config_json: JSON.stringify(model)`); the
 * end-to-end suite runs every `panelQueries(model)` against a real Prometheus.
 */
import { importDashboard } from "./imported";
import { formatLintProblems, lintDashboards, type LintProblem } from "./lint";
import { PROMETHEUS_DATASOURCE_TYPE } from "./types";
import type { DashboardContext, DashboardModule, ImportedDashboardFile, RenderedDashboard } from "./types";

export { importDashboard, type ImportedDashboard } from "./imported";
export { formatLintProblems, lintDashboards, type LintInput, type LintProblem } from "./lint";
export { allPanels, defaultVariableValues, panelQueries, templateVariables, type PanelQuery } from "./model";
export {
  analyzePromql,
  grafanaTimeVariables,
  metricNamesInExpr,
  substituteVariables,
  type PromqlAnalysis,
  type QueryTiming,
} from "./promql";
export {
  HISTOGRAM_LABELS,
  PROCESS_METRICS,
  PROCESS_SERIES,
  SCRAPE_METRICS,
  SCRAPE_SERIES,
  TARGET_LABELS,
  histogramSeries,
  seriesList,
  seriesNames,
  type DeclaredMetric,
} from "./metrics";
export {
  jobOf,
  PROMETHEUS_DATASOURCE_TYPE,
  type DashboardContext,
  type DashboardModule,
  type ImportedDashboardFile,
  type RenderedDashboard,
  type SeriesRule,
} from "./types";

/** Problems with the dashboard context, one sentence each naming the field, the value and the rule. */
export function contextProblems(ctx: DashboardContext): string[] {
  const problems: string[] = [];
  if (ctx.datasource.type !== PROMETHEUS_DATASOURCE_TYPE) {
    problems.push(
      `ctx.datasource.type must be "${PROMETHEUS_DATASOURCE_TYPE}": every dashboard query is PromQL ` +
        `(got ${JSON.stringify(ctx.datasource.type)})`,
    );
  }
  if (typeof ctx.datasource.uid !== "string" || ctx.datasource.uid === "") {
    problems.push(
      `ctx.datasource.uid must be the provisioned datasource's uid (got ${JSON.stringify(ctx.datasource.uid)})`,
    );
  }
  const jobs = Object.entries(ctx.jobs);
  for (const [service, job] of jobs) {
    if (typeof job !== "string" || job === "") {
      problems.push(`ctx.jobs.${service} must be the service's Prometheus job name (got ${JSON.stringify(job)})`);
    }
  }
  const jobNames = jobs.map(([, job]) => job);
  if (new Set(jobNames).size !== jobNames.length) {
    problems.push(`ctx.jobs must name a different job for every service (got ${JSON.stringify(ctx.jobs)})`);
  }
  if (!Number.isInteger(ctx.scrapeIntervalSeconds) || ctx.scrapeIntervalSeconds < 1) {
    problems.push(
      `ctx.scrapeIntervalSeconds must be a whole number of seconds >= 1 (got ${JSON.stringify(ctx.scrapeIntervalSeconds)})`,
    );
  }
  return problems;
}

/** Thrown when dashboards cannot be rendered; the message lists every problem, each with its fix. */
export class DashboardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DashboardError";
  }
}

/**
 * Builds every TypeScript dashboard, reads and rewrites every imported one, lints them all together, and returns the
 * deployable ones with every problem found (file or module, panel title and id, problem, fix), without throwing.
 *
 * Pure and deterministic: built dashboards in `modules` order, then imported ones sorted by file name; models keep a
 * stable key order, so two synths are byte-identical.
 */
export function renderDashboardsWithProblems(
  ctx: DashboardContext,
  imported: readonly ImportedDashboardFile[],
  modules: readonly DashboardModule[],
): { readonly dashboards: RenderedDashboard[]; readonly problems: readonly LintProblem[] } {
  const ctxProblems = contextProblems(ctx);
  if (ctxProblems.length > 0) {
    return {
      dashboards: [],
      problems: ctxProblems.map((problem) => ({
        source: "context",
        where: "dashboard context",
        problem,
        fix: "build the context from the stack",
      })),
    };
  }

  const built = modules.map((m) => buildModule(m, ctx));
  const files = [...imported].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const duplicateFiles = files.filter((f, i) => i > 0 && files[i - 1].fileName === f.fileName);
  const imports = files.map((f) => importDashboard(f, ctx));

  const all = [...built, ...imports.map((d) => ({ ...d, imported: true }))];
  const deployable = all.flatMap((d) => (d.model === undefined ? [] : [{ ...d, model: d.model }]));
  const lint = lintDashboards(deployable, ctx);
  const problems: LintProblem[] = [
    ...duplicateFiles.map((f) => ({
      source: `json:${f.fileName}`,
      where: "file",
      problem: "is given more than once",
      fix: "add each file once",
    })),
    // Grouped per dashboard, in render order: what reading the file found, then the lint.
    ...[...new Set(all.map((d) => d.source))].flatMap((source) => [
      ...all.filter((d) => d.source === source).flatMap((d) => d.problems),
      ...lint.filter((p) => p.source === source),
    ]),
  ];
  return {
    dashboards: deployable.map((d) => ({
      uid: String(d.model.uid),
      title: String(d.model.title),
      source: d.source,
      model: d.model,
      rewrites: d.rewrites,
    })),
    problems,
  };
}

/**
 * {@link renderDashboardsWithProblems}, throwing when anything is wrong.
 * @throws DashboardError listing every problem at once.
 * @example renderDashboards(ctx, [{ fileName: "extra.json", content: readFileSync(...) }], [ordersDashboard]).map((d) => d.uid)
 */
export function renderDashboards(
  ctx: DashboardContext,
  imported: readonly ImportedDashboardFile[],
  modules: readonly DashboardModule[],
): RenderedDashboard[] {
  const { dashboards, problems } = renderDashboardsWithProblems(ctx, imported, modules);
  if (problems.length > 0) throw new DashboardError(formatLintProblems(problems));
  return dashboards;
}

/** Builds one module; a build that fails (a service it needs is not deployed) or a uid other than the declared one is a problem. */
function buildModule(
  m: DashboardModule,
  ctx: DashboardContext,
): {
  source: string;
  model: Record<string, unknown> | undefined;
  rewrites: readonly string[];
  problems: readonly LintProblem[];
} {
  const source = `module:${m.name}`;
  try {
    const model = m.build(ctx);
    const problems: LintProblem[] =
      model.uid === m.uid
        ? []
        : [
            {
              source,
              where: "dashboard",
              problem: `builds uid ${JSON.stringify(model.uid)} but declares uid ${JSON.stringify(m.uid)}`,
              fix: "declare the uid the dashboard builds",
            },
          ];
    return { source, model, rewrites: [], problems };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      source,
      model: undefined,
      rewrites: [],
      problems: [
        {
          source,
          where: "dashboard",
          problem: message,
          fix: "make the module build for the stack it is added to (the problem names what it needs)",
        },
      ],
    };
  }
}
