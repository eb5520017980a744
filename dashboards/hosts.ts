/**
 * Dashboards of a stack with extra hosts: every series carries a `host` label (`central` for the stack's own, the
 * host's name for what its agent sends), so a dashboard filters on a `host` variable (every host by default) and
 * tells the hosts apart in its breakdowns and legends. Without extra hosts (`ctx.hosts` unset) every helper is the
 * identity: the dashboards are exactly as before.
 */
import { labelLegend, labelValues, matcher, queryVariable, variableRef } from "./house-style";
import type { PromqlMatcher } from "./promql";
import type { DashboardContext } from "./types";

/** The label every series carries once the stack has extra hosts, and the variable over it. */
export const HOST_LABEL = "host";

/** `host=~"$host"` with extra hosts, else nothing. */
export function hostMatchers(ctx: DashboardContext): PromqlMatcher[] {
  return ctx.hosts === undefined ? [] : [matcher(HOST_LABEL, "=~", variableRef(HOST_LABEL))];
}

/** `labels` with `host` first with extra hosts (a breakdown per host), else `labels`. */
export function perHost(ctx: DashboardContext, labels: readonly string[]): string[] {
  return ctx.hosts === undefined ? [...labels] : [HOST_LABEL, ...labels];
}

/** `legend` prefixed with `{{host}}` with extra hosts, else `legend`. */
export function hostLegend(ctx: DashboardContext, legend: string): string {
  return ctx.hosts === undefined ? legend : `${labelLegend(HOST_LABEL)} ${legend}`;
}

/** Adds the `host` variable (values of `host` on `series`, every host by default) with extra hosts. */
export function withHostVariable<D extends { withVariable(variable: ReturnType<typeof queryVariable>): D }>(
  ctx: DashboardContext,
  dashboard: D,
  series: string,
): D {
  if (ctx.hosts === undefined) return dashboard;
  return dashboard.withVariable(
    queryVariable(ctx, { name: HOST_LABEL, label: "Host", query: labelValues(series, HOST_LABEL) }),
  );
}
