/**
 * The promtool cases of the PostgreSQL rules (`rules/postgres.yml`), rendered from the same input as the rules:
 * each alert fires after its `for:` for the failing server only, and stays quiet when all is well.
 */
import { evaluation, flat, humanizePercentage, requireThat, series, testGroup, upCases } from "../core/rule-tests";
import type { RuleTestCase } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { POSTGRES_METRICS } from "./catalog";
import { POSTGRES_ALERT_NAMES, PostgresAlertRulesInput, percentText, resolvePostgresThresholds } from "./rules";

/** The promtool cases of `rules/postgres.yml`. */
export function postgresRuleTests(input: PostgresAlertRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolvePostgresThresholds(input.thresholds, step);
  const a = POSTGRES_ALERT_NAMES;
  const m = POSTGRES_METRICS;
  const down = { job: input.jobName, instance: "postgres-exporter:9187" };
  const other = { job: input.jobName, instance: "postgres-exporter-2:9187" };
  const longest = Math.max(t.forSeconds, t.downForSeconds);
  const samples = longest / step + 4;
  const maxConnections = 100;
  // Connections as a ratio of max_connections: above and below the threshold, far from it on both sides.
  const busy = Math.min(maxConnections, Math.ceil(((1 + t.connectionsRatio) / 2) * maxConnections));
  const calm = Math.floor((t.connectionsRatio / 2) * maxConnections);
  requireThat(busy / maxConnections > t.connectionsRatio, `${busy} connections are above the threshold`);
  const connections = (instance: typeof down, count: number) => [
    series(m.activityCount.name, { ...instance, datname: "orders", state: "active" }, flat(count, samples)),
    series(m.maxConnections.name, instance, flat(maxConnections, samples)),
  ];
  const titles = {
    downFires: "PostgresDown fires for a server the exporter cannot query, after its for: duration, and only for it",
    downQuiet: "PostgresDown stays quiet while every server answers",
    connFires: "PostgresConnectionsNearLimit fires above the share of max_connections",
    connQuiet: "PostgresConnectionsNearLimit stays quiet below it",
  };
  return [
    ...upCases({
      alert: a.postgresDown,
      metric: m.up.name,
      stepSeconds: step,
      samples,
      forSeconds: t.downForSeconds,
      failing: down,
      other,
      expected: {
        exp_labels: { ...down, severity: "critical" },
        exp_annotations: {
          summary: "PostgreSQL cannot be queried",
          description: `${down.instance}: postgres_exporter cannot query its PostgreSQL server (down, unreachable, or refusing the exporter's login).`,
          ...runbookAnnotations(a.postgresDown, input.runbookBaseUrl),
        },
      },
      titles: { fires: titles.downFires, quiet: titles.downQuiet },
    }),
    {
      alert: a.postgresConnectionsNearLimit,
      fires: true,
      title: titles.connFires,
      group: testGroup(
        titles.connFires,
        step,
        [...connections(down, busy), ...connections(other, calm)],
        [
          evaluation(t.forSeconds + step, a.postgresConnectionsNearLimit, [
            {
              exp_labels: { instance: down.instance, severity: "warning" },
              exp_annotations: {
                summary: "PostgreSQL is running out of connections",
                description: `${down.instance}: ${humanizePercentage(busy / maxConnections)} of max_connections in use (threshold ${percentText(t.connectionsRatio)}).`,
                ...runbookAnnotations(a.postgresConnectionsNearLimit, input.runbookBaseUrl),
              },
            },
          ]),
          evaluation(t.forSeconds - step, a.postgresConnectionsNearLimit, []),
        ],
      ),
    },
    {
      alert: a.postgresConnectionsNearLimit,
      fires: false,
      title: titles.connQuiet,
      group: testGroup(
        titles.connQuiet,
        step,
        [...connections(down, calm), ...connections(other, calm)],
        [evaluation(t.forSeconds + step, a.postgresConnectionsNearLimit, [])],
      ),
    },
  ];
}
