/**
 * Community Grafana dashboards imported into the whole stack the way a user adds a file: `addDashboard({ fileName,
 * content })`. They are the exporters' own dashboards, fetched from Debian's archive at the versions the components
 * pin (`npm run fetch-dashboards`, jest's global setup; `scripts/community-dashboards.manifest.json`), never
 * committed. What each gets is pinned here: accepted (with the repairs the import made), or refused for exactly what
 * is wrong with it. A dashboard that is not fetched fails here with the command to run (never skipped).
 */
import { readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { buildMonitoringStack } from "../main";
import { dashboardFile } from "../scripts/fetch-dashboards";
import { type CommunityDashboardEntry, exporterDashboardEntries, loadDashboard } from "./support/community-dashboards";
import { testApp, testInputs } from "./support/stack";

const ENTRIES = exporterDashboardEntries();

/** A password file for the exporters (its content is never read by synth). */
const passwordFile = join(mkdtempSync(join(tmpdir(), "dashboards-fixtures-")), "password");
writeFileSync(passwordFile, "not-a-secret\n", { mode: 0o600 });

/** The whole stack, every optional component on (cAdvisor, Alertmanager, the PostgreSQL and Redis exporters). */
function wholeStack(): MonitoringStack {
  const { app, folder } = testApp();
  return buildMonitoringStack(
    app,
    testInputs(folder, {
      CADVISOR_ENABLED: "true",
      ALERTMANAGER_ENABLED: "true",
      POSTGRES_EXPORTER_ENABLED: "true",
      POSTGRES_EXPORTER_TARGET: "postgres:5432",
      POSTGRES_EXPORTER_USER: "monitoring",
      POSTGRES_EXPORTER_PASSWORD_FILE: passwordFile,
      REDIS_EXPORTER_ENABLED: "true",
      REDIS_EXPORTER_TARGET: "redis:6379",
      REDIS_EXPORTER_PASSWORD_FILE: passwordFile,
    }),
  );
}

/** The kinds of repairs the import makes, most specific first, as its rewrites name them. */
const REPAIR_KINDS = [
  "(exported datasource input)",
  "(datasource variable)",
  "a Prometheus datasource variable",
  "row gridPos",
  "moved down",
  "id null",
  "id: removed",
  "uid:",
  "__inputs",
  "__requires",
  "__elements",
];

/** What importing one fetched dashboard into the whole stack gives. */
function importFetched(entry: CommunityDashboardEntry): {
  readonly stackProblems: readonly string[];
  readonly problems: readonly string[];
  readonly repairs: readonly string[];
} {
  // Fails with the fetch command when the dashboard is not fetched.
  loadDashboard(entry);
  const fileName = `${entry.name}.json`;
  const stack = wholeStack();
  stack.addDashboard({ fileName, content: readFileSync(dashboardFile(entry), "utf8") });
  const all = stack.configProblems();
  const rewrites = stack.dashboards.find((d) => d.source === `json:${fileName}`)?.rewrites ?? [];
  return {
    stackProblems: all.filter((p) => p.path !== `dashboards.json:${fileName}`).map((p) => p.message),
    problems: all.filter((p) => p.path === `dashboards.json:${fileName}`).map((p) => p.message),
    // The kinds of repairs: the first of REPAIR_KINDS a rewrite names.
    repairs: [
      ...new Set(
        rewrites
          .filter((r) => !r.startsWith("warning:"))
          .map((r) => REPAIR_KINDS.find((kind) => r.includes(kind)) ?? r),
      ),
    ].sort(),
  };
}

/** What each fetched dashboard gets in the whole stack. */
const EXPECTED: Readonly<Record<string, { problems: readonly RegExp[]; repairs: readonly string[] }>> = {
  // Accepted: its row panel and its first two panels all sit at y 0 as published, so the panels under the row are
  // moved down as Grafana's grid moves them (every metric it reads is in the postgres-exporter catalog); the
  // `$datasource` variable is replaced by the provisioned one.
  "postgres-exporter-postgres-overview": {
    problems: [],
    repairs: [
      "(datasource variable)",
      "a Prometheus datasource variable",
      "id null",
      "id: removed",
      "moved down",
      "row gridPos",
    ],
  },
  // Accepted: its `${DS_PROM}` input and variable are bound to the provisioned Prometheus, the export's
  // `__inputs`/`__requires`/`__elements` dropped.
  "redis-exporter-redis-dashboard": {
    problems: [],
    repairs: [
      "(exported datasource input)",
      "__elements",
      "__inputs",
      "__requires",
      "a Prometheus datasource variable",
      "id: removed",
    ],
  },
};

describe.each(ENTRIES.map((entry) => [entry.name, entry] as const))("%s in the whole stack", (name, entry) => {
  it("is accepted, or refused for exactly what is wrong with it", () => {
    const result = importFetched(entry);
    expect(result.stackProblems).toEqual([]);
    expect(result.problems).toHaveLength(EXPECTED[name].problems.length);
    EXPECTED[name].problems.forEach((pattern, index) => expect(result.problems[index]).toMatch(pattern));
    expect(result.repairs).toEqual(EXPECTED[name].repairs);
  });
});

it("pins an outcome for every fetched dashboard and only those", () => {
  expect(ENTRIES.map((entry) => entry.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});
