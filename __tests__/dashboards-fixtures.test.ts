/**
 * Community Grafana dashboards (`__tests__/fixtures/grafana-dashboards`, sources and licences in its manifest.json),
 * each imported into the whole stack (every component enabled) the way a user adds a file: `addDashboard({ fileName,
 * content })`. What each gets is pinned here: accepted (with the repairs and warnings the import made), or refused for
 * exactly what is really missing in this stack (a metric no deployed catalog has, a job nobody deploys).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { buildMonitoringStack } from "../main";
import { testApp, testInputs } from "./support/stack";

const DIR = join(__dirname, "fixtures", "grafana-dashboards");

interface Fixture {
  readonly file: string;
  readonly title: string;
  readonly repository: string;
  readonly commit: string;
  readonly licence: string;
  readonly licenceFile: string;
}

const MANIFEST = (JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as { fixtures: Fixture[] }).fixtures;

/** The whole stack, every optional component on (cAdvisor, Alertmanager), as `npm run deploy` builds it. */
function wholeStack(): MonitoringStack {
  const { app, folder } = testApp();
  return buildMonitoringStack(app, testInputs(folder, { CADVISOR_ENABLED: "true", ALERTMANAGER_ENABLED: "true" }));
}

/** What importing one fixture into the whole stack gives. */
function importFixture(file: string): {
  readonly accepted: boolean;
  readonly unknownMetrics: readonly string[];
  readonly otherProblems: readonly string[];
  readonly warnings: number;
  readonly repairs: readonly string[];
  readonly fixes: readonly string[];
} {
  const stack = wholeStack();
  stack.addDashboard({ fileName: file, content: readFileSync(join(DIR, file), "utf8") });
  const problems = stack.configProblems().filter((problem) => problem.path === `dashboards.json:${file}`);
  const rewrites = stack.dashboards.find((d) => d.source === `json:${file}`)?.rewrites ?? [];
  const metricOf = (message: string) => /metric "([^"]+)" is in no deployed/.exec(message)?.[1];
  return {
    accepted: problems.length === 0,
    unknownMetrics: [...new Set(problems.flatMap((p) => metricOf(p.message) ?? []))].sort(),
    otherProblems: [...new Set(problems.filter((p) => metricOf(p.message) === undefined).map((p) => p.message))],
    warnings: rewrites.filter((r) => r.startsWith("warning:")).length,
    // The kinds of repairs (the text before the first ":" after the location).
    repairs: [
      ...new Set(
        rewrites
          .filter((r) => !r.startsWith("warning:"))
          .map(
            (r) =>
              /(no datasource|datasource|refId|id|uid|rows|row gridPos|library panel|__inputs|__requires|__elements)/.exec(
                r,
              )?.[1] ?? r,
          ),
      ),
    ].sort(),
    fixes: [...new Set(problems.map((p) => p.message.replace(/^.*Fix: /, "")))],
  };
}

describe("community dashboards as fixtures", () => {
  it("has a manifest entry with source, commit and a permissive licence for every file, and a file for every entry", () => {
    const files = readdirJson();
    expect(MANIFEST.map((f) => f.file).sort()).toEqual(files);
    for (const fixture of MANIFEST) {
      expect(fixture.repository).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
      expect(fixture.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(["Apache-2.0", "MIT"]).toContain(fixture.licence);
      expect(readFileSync(join(DIR, fixture.licenceFile), "utf8")).toMatch(
        fixture.licence === "MIT" ? /^MIT License/ : /Apache License\s+Version 2\.0/,
      );
      expect((JSON.parse(readFileSync(join(DIR, fixture.file), "utf8")) as { title: string }).title).toBe(
        fixture.title,
      );
    }
  });
});

function readdirJson(): string[] {
  return readdirSync(DIR)
    .filter((name) => name.endsWith(".json") && name !== "manifest.json")
    .sort();
}

/** A series of a node-exporter collector the stack's node-exporter does not run (off upstream, or systemd: no D-Bus). */
const NODE_EXPORTER_OFF_COLLECTOR_SERIES = [
  "node_interrupts_total", // interrupts
  "node_kernel_hung_tasks", // kernel_hung
  "node_netstat_Tcp_MaxConn", // netstat, a field outside the default --collector.netstat.fields
  "node_processes_max_processes", // processes
  "node_processes_max_threads",
  "node_processes_pids",
  "node_processes_state",
  "node_processes_threads",
  "node_systemd_socket_accepted_connections_total", // systemd (--no-collector.systemd)
  "node_systemd_socket_current_connections",
  "node_systemd_socket_refused_connections_total",
  "node_systemd_units",
  "node_tcp_connection_states", // tcpstat
];

/** What each fixture gets in the whole stack. */
const EXPECTED: Readonly<
  Record<string, { accepted: boolean; unknownMetrics: readonly string[]; otherProblems: number; warnings: number }>
> = {
  // The node mixin: accepted as exported.
  "node-mixin-nodes.json": { accepted: true, unknownMetrics: [], otherProblems: 0, warnings: 0 },
  // dockprom: the pre-Grafana-5 rows layout migrated, a uid from the file name, fixed [1m]/[5m] windows warned about.
  "dockprom-docker-containers.json": { accepted: true, unknownMetrics: [], otherProblems: 0, warnings: 7 },
  "dockprom-docker-host.json": { accepted: true, unknownMetrics: [], otherProblems: 0, warnings: 10 },
  // Node Exporter Full: every series the stack's node-exporter exposes is known; refused only for the panels of
  // collectors it does not run.
  "node-exporter-full.json": {
    accepted: false,
    unknownMetrics: NODE_EXPORTER_OFF_COLLECTOR_SERIES,
    otherProblems: 0,
    warnings: 0,
  },
  // Written for Prometheus 1.x and node-exporter < 0.16: series that no longer exist.
  "dockprom-monitor-services.json": {
    accepted: false,
    unknownMetrics: [
      "node_cpu",
      "prometheus_local_storage_target_heap_size_bytes",
      "prometheus_tsdb_head_series_not_found",
      "prometheus_tsdb_retention_cutoffs_failures_total",
      "prometheus_tsdb_retention_cutoffs_total",
    ],
    otherProblems: 0,
    warnings: 27,
  },
  // Its metrics are all known; its "cluster" variable selects kube-prometheus' job "prometheus-k8s", not deployed here.
  "prometheus-mixin-overview.json": { accepted: false, unknownMetrics: [], otherProblems: 1, warnings: 9 },
  // The Alertmanager component declares no catalog yet: its series are unknown to the lint.
  "alertmanager-mixin-overview.json": {
    accepted: false,
    unknownMetrics: [
      "alertmanager_alerts",
      "alertmanager_alerts_invalid_total",
      "alertmanager_alerts_received_total",
      "alertmanager_notification_latency_seconds_bucket",
      "alertmanager_notification_latency_seconds_count",
      "alertmanager_notification_latency_seconds_sum",
      "alertmanager_notifications_failed_total",
      "alertmanager_notifications_total",
    ],
    otherProblems: 0,
    warnings: 0,
  },
};

describe.each(MANIFEST.map((fixture) => [fixture.file] as const))("%s in the whole stack", (file) => {
  it("is accepted, or refused for exactly what this stack lacks", () => {
    const result = importFixture(file);
    expect({
      accepted: result.accepted,
      unknownMetrics: result.unknownMetrics,
      otherProblems: result.otherProblems.length,
      warnings: result.warnings,
    }).toEqual(EXPECTED[file]);
  });
});

describe("what a user reads for a refused fixture", () => {
  it("names the dashboard, the panel and the metric; the fix names the service's metricNames when the query names its job", () => {
    const result = importFixture("dockprom-monitor-services.json");
    expect(result.fixes).toContain(
      'add "prometheus_local_storage_target_heap_size_bytes" to the metricNames of the service "prometheus" (addService("prometheus", { metricNames: [...] })) if it exposes it, or correct the metric name.',
    );
    expect(result.otherProblems).toEqual([]);
  });

  it("refuses a job nobody deploys, naming it and the jobs deployed", () => {
    expect(importFixture("prometheus-mixin-overview.json").otherProblems[0]).toMatch(
      /^json:prometheus-mixin-overview\.json, template variable "cluster": selects job "prometheus-k8s", which the stack does not deploy \(deployed jobs: alertmanager, api, blackbox-exporter, cadvisor, grafana, node-exporter, probes, prometheus\)/,
    );
  });
});
