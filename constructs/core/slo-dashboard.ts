/**
 * The SLO dashboard: for every SLO the stack declares, a row with its objective, the error budget remaining over the
 * budget period, the current burn rate, and the burn rate over every window the alerts read, all from the recorded
 * series in sloth's naming (so the numbers are the ones the alerts judge).
 */
import { finishDashboard, newDashboard, row, statPanel, timeseriesPanel } from "../../dashboards/house-style";
import type { DashboardContext, DashboardModule } from "../../dashboards/types";
import { BURN_CONDITIONS, ResolvedSlo, SLI_WINDOWS, SLO_LABELS, sliErrorSeries, sloSeries } from "./slo";

/** Stable uid of the SLO dashboard. */
export const SLO_DASHBOARD_UID = "monitoring-slo";

/** The PromQL of one SLO's panels, exported so tests can assert the exact queries. */
export function sloDashboardQueries(slo: ResolvedSlo): {
  readonly objective: string;
  readonly budgetRemaining: string;
  readonly currentBurnRate: string;
  readonly burnRate: (window: string) => string;
} {
  return {
    objective: sloSeries("slo:objective:ratio", slo),
    budgetRemaining: sloSeries("slo:period_error_budget_remaining:ratio", slo),
    currentBurnRate: sloSeries("slo:current_burn_rate:ratio", slo),
    // The error ratio over a window divided by the budget: 1 spends the budget exactly over the period.
    burnRate: (window) =>
      `${sloSeries(sliErrorSeries(window), slo)}\n/ on(${SLO_LABELS.id}, ${SLO_LABELS.slo}, ${SLO_LABELS.service}) group_left\n${sloSeries("slo:error_budget:ratio", slo)}`,
  };
}

/** The SLO dashboard module over the SLOs `slos()` returns at synth (every valid declaration of the final set). */
export function sloDashboard(slos: () => readonly ResolvedSlo[]): DashboardModule {
  return {
    name: "slo",
    uid: SLO_DASHBOARD_UID,
    build: (ctx: DashboardContext) => build(ctx, slos()),
  };
}

function build(ctx: DashboardContext, slos: readonly ResolvedSlo[]): Record<string, unknown> {
  const page = BURN_CONDITIONS.page[0].factor;
  let dashboard = newDashboard(ctx, {
    uid: SLO_DASHBOARD_UID,
    title: "Service level objectives",
    description:
      "Every SLO the stack declares: objective, error budget remaining over its period, burn rate per alert window (1 spends the budget exactly over the period; the page fires above 14.4 over 1h and 5m).",
    tags: ["slo"],
  });
  for (const slo of slos) {
    const q = sloDashboardQueries(slo);
    const title = `${slo.service} ${slo.kind}`;
    dashboard = dashboard
      .withRow(row(`${title}: ${slo.objectivePercent}% over ${slo.window}`))
      .withPanel(
        statPanel(ctx, {
          title: "Objective",
          span: 8,
          unit: "percentunit",
          queries: [{ expr: q.objective, legend: "objective" }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Error budget remaining",
          span: 8,
          description: `Share of the error budget (${Number((slo.budget * 100).toPrecision(12))}% of requests over ${slo.window}) not yet spent; below 0 the SLO is missed.`,
          unit: "percentunit",
          thresholds: [
            { value: null, color: "red" },
            { value: 0, color: "orange" },
            { value: 0.25, color: "green" },
          ],
          queries: [{ expr: q.budgetRemaining, legend: "remaining" }],
        }),
      )
      .withPanel(
        statPanel(ctx, {
          title: "Current burn rate (5m)",
          span: 8,
          description: "Error ratio over 5 minutes divided by the budget: 1 spends the budget exactly over the period.",
          thresholds: [
            { value: null, color: "green" },
            { value: 1, color: "orange" },
            { value: page, color: "red" },
          ],
          queries: [{ expr: q.currentBurnRate, legend: "burn rate" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Error budget remaining over time",
          unit: "percentunit",
          queries: [{ expr: q.budgetRemaining, legend: "remaining" }],
        }),
      )
      .withPanel(
        timeseriesPanel(ctx, {
          title: "Burn rate per window",
          description:
            "The page fires when 1h and 5m are above 14.4, or 6h and 30m above 6; the ticket when 1d and 2h are above 3, or 3d and 6h above 1.",
          min: 0,
          queries: Object.keys(SLI_WINDOWS).map((window) => ({ expr: q.burnRate(window), legend: window })),
        }),
      );
  }
  return finishDashboard(dashboard);
}
