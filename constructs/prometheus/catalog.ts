/**
 * Prometheus' own metrics (its `/metrics`, scraped under its job) that its rules and the dashboards read: its metric
 * catalog. The end-to-end suite checks every name against the real `prometheus` binary's exposition.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";
import { PROMETHEUS_EXPOSITION } from "./exposition";

/** Prometheus' own metrics the stack's rules and dashboards query. */
export const PROMETHEUS_METRICS = {
  configLastReloadSuccessful: { name: "prometheus_config_last_reload_successful", type: "gauge" },
  /** Failed rule evaluations, by `rule_group`; the alert rules watch it. */
  ruleEvaluationFailuresTotal: { name: "prometheus_rule_evaluation_failures_total", type: "counter" },
  /** Has a `type` label (`float`, `histogram`). */
  headSamplesAppendedTotal: { name: "prometheus_tsdb_head_samples_appended_total", type: "counter" },
  headSeries: { name: "prometheus_tsdb_head_series", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** Labels of Prometheus' own metrics: the rule group on the rule metrics. */
export const PROMETHEUS_LABELS = { ruleGroup: "rule_group" } as const;

/** Every series name of {@link PROMETHEUS_METRICS}, sorted: each must appear on the real Prometheus' `/metrics`. */
export const PROMETHEUS_SELF_METRICS: readonly string[] = seriesList(PROMETHEUS_METRICS);

/**
 * What the Prometheus service declares it exposes: the metrics its rules and dashboards read, the process metrics, and
 * everything the real binary exposes ({@link PROMETHEUS_EXPOSITION}, checked by scraping it).
 */
export const PROMETHEUS_CATALOG: readonly string[] = [
  ...new Set([...PROMETHEUS_SELF_METRICS, ...PROCESS_SERIES, ...PROMETHEUS_EXPOSITION]),
].sort();
