import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { HTTP_LABELS, HTTP_METRICS, NON_TRAFFIC_ENDPOINTS, RUNTIME_METRICS } from "@monitoring-stack/api/contract";
import { API_OVERVIEW_UID, API_SERIES_RULES, apiOverview, apiOverviewQueries } from "../constructs/api";
import { PLATFORM_OVERVIEW_UID, platformOverview } from "../constructs/platform-overview";
import { BLACKBOX_EXPORTER_CATALOG, PROBE_SERIES, PROBES_UID } from "../constructs/blackbox-exporter";
import { GRAFANA_CATALOG } from "../constructs/grafana/catalog";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana/datasource";
import { HOST_UID, NODE_EXPORTER_CATALOG } from "../constructs/node-exporter";
import { PROMETHEUS_CATALOG } from "../constructs/prometheus/catalog";
import { ALERT_SERIES } from "../dashboards/metrics";
import {
  analyzePromql,
  defaultVariableValues,
  panelQueries,
  renderDashboards,
  SCRAPE_SERIES,
  substituteVariables,
  type DashboardContext,
  type ImportedDashboardFile,
  type RenderedDashboard,
} from "../dashboards";
import { STACK_TAG } from "../dashboards/house-style";
import { buildMonitoringStack } from "../main";
import { SLO_RECORDED_SERIES } from "../constructs/core/slo";
import { SLO_DASHBOARD_UID } from "../constructs/core/slo-dashboard";
import { metricOwners, missingOwners } from "../scripts/verify/panel-queries";
import { synthMonitoringStack, testApp, testInputs } from "./support/stack";

type Json = Record<string, unknown>;

/** The JSON dashboards shipped in dashboards/json/, read the way main.ts reads them. */
function shippedFiles(): ImportedDashboardFile[] {
  const dir = join(__dirname, "..", "dashboards", "json");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((fileName) => ({ fileName, content: readFileSync(join(dir, fileName), "utf8") }));
}

function byUid(dashboards: readonly RenderedDashboard[], uid: string): RenderedDashboard {
  const found = dashboards.find((d) => d.uid === uid);
  if (found === undefined) throw new Error(`no dashboard ${uid}`);
  return found;
}

/** Every `datasource` value anywhere in a model, with its JSON path. */
function datasourceRefs(value: unknown, path = ""): { path: string; ref: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => datasourceRefs(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === "datasource" ? [{ path: `${path}.${key}`, ref: v }] : datasourceRefs(v, `${path}.${key}`),
  );
}

function topLevelPanels(model: Readonly<Json>): Json[] {
  return model.panels as Json[];
}

/** The stack main.ts deploys (every component it enables, the shipped JSON dashboards), synthesized. */
function deployedStack(): ReturnType<typeof buildMonitoringStack> {
  const { app, folder } = testApp();
  const stack = buildMonitoringStack(app, { ...testInputs(folder), importedDashboards: shippedFiles() });
  Testing.synth(stack);
  return stack;
}

const stack = deployedStack();
/** The context the stack builds and lints its dashboards with. */
const ctx: DashboardContext = stack.dashboardContext();
/** The stack's own dashboard and the demo API's, in the order the stack adds them. */
const API_MODULES = [platformOverview, apiOverview];
/** Every dashboard the stack deploys, built and imported. */
const deployed = stack.dashboards;
const allQueries = deployed.flatMap((d) => panelQueries(d.model));

describe("renderDashboards", () => {
  it("renders the built dashboards in module order, then the imported ones by file name", () => {
    expect(renderDashboards(ctx, shippedFiles(), API_MODULES).map((d) => [d.source, d.uid, d.title])).toEqual([
      ["module:platform-overview", PLATFORM_OVERVIEW_UID, "Platform Overview"],
      ["module:api-overview", API_OVERVIEW_UID, "API Overview"],
      ["json:api-status-codes.json", "monitoring-api-status-codes", "API Status Codes"],
    ]);
    // The stack: its own dashboard, each component's in the order main.ts adds the components, then dashboards/json/.
    expect(deployed.map((d) => [d.source, d.uid])).toEqual([
      ["module:platform-overview", PLATFORM_OVERVIEW_UID],
      ["module:api-overview", API_OVERVIEW_UID],
      ["module:host", HOST_UID],
      ["module:service-health", PROBES_UID],
      ["module:slo", SLO_DASHBOARD_UID],
      ["json:api-status-codes.json", "monitoring-api-status-codes"],
    ]);
  });

  it("is deterministic: same input, byte-identical output, whatever order the files come in", () => {
    const files = [...shippedFiles(), { fileName: "a-first.json", content: JSON.stringify(minimalImport()) }];
    const once = JSON.stringify(renderDashboards(ctx, files, API_MODULES));
    expect(JSON.stringify(renderDashboards(ctx, [...files].reverse(), API_MODULES))).toBe(once);
    expect(renderDashboards(ctx, files, API_MODULES).map((d) => d.source)).toEqual([
      "module:platform-overview",
      "module:api-overview",
      "json:a-first.json",
      "json:api-status-codes.json",
    ]);
  });

  it("gives every built dashboard a stable uid, title, tags, refresh and time range, and no top-level id", () => {
    for (const d of deployed.filter((r) => r.source.startsWith("module:"))) {
      expect(d.model).not.toHaveProperty("id");
      expect(d.uid.length).toBeLessThanOrEqual(40);
      expect(d.model).toMatchObject({
        uid: d.uid,
        title: d.title,
        refresh: "30s",
        time: { from: "now-1h", to: "now" },
        editable: false,
      });
      expect((d.model.tags as string[])[0]).toBe(STACK_TAG);
      expect(d.rewrites).toEqual([]);
    }
  });

  it("refreshes as often as Prometheus scrapes, but not more than every 30s", () => {
    const slow = synthMonitoringStack({ scrapeIntervalSeconds: 60 }).stack.dashboards;
    expect(slow.map((d) => [d.uid, d.model.refresh])).toEqual([
      [PLATFORM_OVERVIEW_UID, "60s"],
      [API_OVERVIEW_UID, "60s"],
      [HOST_UID, "60s"],
      [PROBES_UID, "60s"],
      [SLO_DASHBOARD_UID, "60s"],
    ]);
  });

  it("lays out the API Overview: stats on top, then traffic, errors and latency, saturation, runtime", () => {
    const panels = topLevelPanels(byUid(deployed, API_OVERVIEW_UID).model).map((p) => [
      p.id,
      p.type,
      p.title,
      p.gridPos,
    ]);
    expect(panels).toEqual([
      [1, "stat", "Request rate", { h: 4, w: 6, x: 0, y: 0 }],
      [2, "stat", "Error ratio (5xx)", { h: 4, w: 6, x: 6, y: 0 }],
      [3, "stat", "Latency p95", { h: 4, w: 6, x: 12, y: 0 }],
      [4, "stat", "In-flight requests", { h: 4, w: 6, x: 18, y: 0 }],
      [5, "row", "Traffic", { h: 1, w: 24, x: 0, y: 4 }],
      [6, "timeseries", "Request rate", { h: 8, w: 8, x: 0, y: 5 }],
      [7, "timeseries", "Request rate by endpoint", { h: 8, w: 8, x: 8, y: 5 }],
      [8, "timeseries", "Request rate by status class", { h: 8, w: 8, x: 16, y: 5 }],
      [9, "row", "Errors and latency", { h: 1, w: 24, x: 0, y: 13 }],
      [10, "timeseries", "5xx error ratio", { h: 8, w: 12, x: 0, y: 14 }],
      [11, "timeseries", "Latency by endpoint (p50 / p95 / p99)", { h: 8, w: 12, x: 12, y: 14 }],
      [12, "row", "Saturation", { h: 1, w: 24, x: 0, y: 22 }],
      [13, "timeseries", "In-flight requests", { h: 8, w: 24, x: 0, y: 23 }],
      [14, "row", "Runtime", { h: 1, w: 24, x: 0, y: 31 }],
      [15, "timeseries", "Event-loop lag", { h: 8, w: 12, x: 0, y: 32 }],
      [16, "timeseries", "Heap", { h: 8, w: 12, x: 12, y: 32 }],
    ]);
  });

  it("lays out the Platform Overview: targets, scrapes, processes, Prometheus, Grafana", () => {
    const panels = topLevelPanels(byUid(deployed, PLATFORM_OVERVIEW_UID).model);
    expect(panels.filter((p) => p.type === "row").map((p) => p.title)).toEqual([
      "Scrape targets",
      "Scrapes",
      "Processes",
      "Prometheus",
      "Grafana",
    ]);
    expect(panels.map((p) => p.id)).toEqual(panels.map((_p, i) => i + 1));
    expect(panels.find((p) => p.title === "Scrape targets" && p.type === "table")).toMatchObject({
      targets: [{ refId: "A", expr: 'up{job=~"$job"}', instant: true, format: "table" }],
    });
  });

  it("keeps the template variables few, each defaulting to All (.*)", () => {
    const variables = (d: RenderedDashboard): unknown =>
      ((d.model.templating as Json).list as Json[]).map((v) => [v.name, v.query, v.allValue, v.current]);
    const all = { selected: true, text: ["All"], value: ["$__all"] };
    expect(variables(byUid(deployed, API_OVERVIEW_UID))).toEqual([
      ["instance", 'label_values(up{job="api"}, instance)', ".*", all],
      [
        "endpoint",
        'label_values(http_requests_total{job="api", endpoint!~"/metrics|/health|/ready"}, endpoint)',
        ".*",
        all,
      ],
    ]);
    expect(variables(byUid(deployed, PLATFORM_OVERVIEW_UID))).toEqual([["job", "label_values(up, job)", ".*", all]]);
  });

  it("renders the error-ratio stat like this (for reviewers)", () => {
    const panel = topLevelPanels(byUid(deployed, API_OVERVIEW_UID).model).find((p) => p.title === "Error ratio (5xx)");
    expect(panel).toMatchInlineSnapshot(`
     {
       "datasource": {
         "type": "prometheus",
         "uid": "prometheus",
       },
       "description": "Share of responses with a 5xx status; 0 when there is traffic and no server error.",
       "fieldConfig": {
         "defaults": {
           "thresholds": {
             "mode": "absolute",
             "steps": [
               {
                 "color": "green",
                 "value": null,
               },
               {
                 "color": "orange",
                 "value": 0.01,
               },
               {
                 "color": "red",
                 "value": 0.05,
               },
             ],
           },
           "unit": "percentunit",
         },
         "overrides": [],
       },
       "gridPos": {
         "h": 4,
         "w": 6,
         "x": 6,
         "y": 0,
       },
       "id": 2,
       "options": {
         "colorMode": "value",
         "graphMode": "area",
         "justifyMode": "auto",
         "orientation": "auto",
         "percentChangeColorMode": "standard",
         "reduceOptions": {
           "calcs": [
             "lastNotNull",
           ],
           "values": false,
         },
         "showPercentChange": false,
         "textMode": "auto",
         "wideLayout": true,
       },
       "repeatDirection": "h",
       "targets": [
         {
           "datasource": {
             "type": "prometheus",
             "uid": "prometheus",
           },
           "expr": "(sum(rate(http_requests_total{job="api", instance=~"$instance", endpoint!~"/metrics|/health|/ready", endpoint=~"$endpoint", status=~"5.."}[$__rate_interval])) or vector(0)) / (sum(rate(http_requests_total{job="api", instance=~"$instance", endpoint!~"/metrics|/health|/ready", endpoint=~"$endpoint"}[$__rate_interval])) > 0)",
           "legendFormat": "5xx ratio",
           "refId": "A",
         },
       ],
       "title": "Error ratio (5xx)",
       "transparent": false,
       "type": "stat",
     }
    `);
  });

  it("rewrites the shipped example's foreign datasource references (input, name, foreign uid)", () => {
    const example = byUid(deployed, "monitoring-api-status-codes");
    const rewrites = example.rewrites ?? [];
    expect(rewrites.filter((r) => r.includes("-> {"))).toHaveLength(8);
    expect(rewrites.some((r) => r.includes("(exported datasource input)"))).toBe(true);
    expect(rewrites.some((r) => r.includes("(datasource name)"))).toBe(true);
    expect(rewrites.some((r) => r.includes("(foreign Prometheus uid)"))).toBe(true);
    expect(Object.keys(example.model).filter((k) => k.startsWith("__"))).toEqual([]);
  });

  it("takes job names and the datasource from the context, never from literals", () => {
    const jobs = { api: "svc-api", prometheus: "svc-prom", grafana: "svc-graf" };
    const other: DashboardContext = {
      ...ctx,
      datasource: { type: "prometheus", uid: "other-ds" },
      jobs,
      deployedJobs: Object.values(jobs),
    };
    const dashboards = renderDashboards(other, shippedFiles(), API_MODULES);
    const jobValues = dashboards
      .filter((d) => d.source.startsWith("module:"))
      .flatMap((d) => panelQueries(d.model))
      .flatMap((q) => analyzePromql(q.expr).selectors)
      .flatMap((s) => s.matchers.filter((m) => m.label === "job").map((m) => m.value));
    expect([...new Set(jobValues)].sort()).toEqual(["$job", "svc-api", "svc-graf", "svc-prom"]);
    for (const d of dashboards) {
      for (const { path, ref } of datasourceRefs(d.model)) {
        if (path.startsWith(".annotations")) continue;
        expect({ path, ref }).toEqual({ path, ref: { type: "prometheus", uid: "other-ds" } });
      }
    }
  });

  it("fails when the context is unusable, naming every field at once", () => {
    const bad: DashboardContext = {
      ...ctx,
      datasource: { type: "loki", uid: "" },
      jobs: { api: "api", prometheus: "api", grafana: "" },
      scrapeIntervalSeconds: 0,
    };
    const fix = "Fix: build the context from the stack.";
    expect(() => renderDashboards(bad, shippedFiles(), API_MODULES)).toThrow(
      [
        "Dashboards failed the lint with 5 problems:",
        `  - context, dashboard context: ctx.datasource.type must be "prometheus": every dashboard query is PromQL (got "loki"). ${fix}`,
        `  - context, dashboard context: ctx.datasource.uid must be the provisioned datasource's uid (got ""). ${fix}`,
        `  - context, dashboard context: ctx.jobs.grafana must be the service's Prometheus job name (got ""). ${fix}`,
        `  - context, dashboard context: ctx.jobs must name a different job for every service (got {"api":"api","prometheus":"api","grafana":""}). ${fix}`,
        `  - context, dashboard context: ctx.scrapeIntervalSeconds must be a whole number of seconds >= 1 (got 0). ${fix}`,
      ].join("\n"),
    );
  });
});

describe("API Overview queries", () => {
  const q = apiOverviewQueries(ctx);
  const traffic = 'job="api", instance=~"$instance", endpoint!~"/metrics|/health|/ready", endpoint=~"$endpoint"';

  it("computes the 5xx ratio as 0 with traffic and no errors, without the non-traffic endpoints", () => {
    expect(q.errorRatio).toBe(
      `(sum(rate(http_requests_total{${traffic}, status=~"5.."}[$__rate_interval])) or vector(0)) / ` +
        `(sum(rate(http_requests_total{${traffic}}[$__rate_interval])) > 0)`,
    );
  });

  it("derives the status class from the status label and the latency from the histogram buckets", () => {
    expect(q.requestRateByStatusClass).toBe(
      `sum by (status_class) (label_replace(rate(http_requests_total{${traffic}}[$__rate_interval]), ` +
        `"status_class", "\${1}xx", "status", "(.).."))`,
    );
    expect(q.latency(0.99, ["endpoint"])).toBe(
      `histogram_quantile(0.99, sum by (le, endpoint) (rate(http_request_duration_seconds_bucket{${traffic}}[$__rate_interval])))`,
    );
    expect(q.inFlight).toBe('sum(http_requests_in_flight{job="api", instance=~"$instance"})');
  });
});

describe("panelQueries and the e2e helpers", () => {
  it("lists every target of every panel, nested rows included, with its flags", () => {
    const model = {
      uid: "u",
      title: "T",
      panels: [
        { type: "stat", id: 1, title: "Grafana", targets: [{ refId: "A", expr: "grafana_http_request_in_flight" }] },
        {
          type: "row",
          id: 2,
          title: "Row",
          collapsed: true,
          panels: [
            {
              type: "table",
              id: 3,
              title: "Nested",
              targets: [
                { refId: "A", expr: "up", instant: true, format: "table" },
                { refId: "B", expr: "up + grafana_http_request_in_flight", hide: true },
                { refId: "C", queryType: "not-promql" },
              ],
            },
          ],
        },
      ],
    };
    expect(panelQueries(model)).toEqual([
      {
        dashboardUid: "u",
        dashboardTitle: "T",
        panelId: 1,
        panelTitle: "Grafana",
        refId: "A",
        expr: "grafana_http_request_in_flight",
        instant: false,
        hidden: false,
        metricNames: ["grafana_http_request_in_flight"],
      },
      {
        dashboardUid: "u",
        dashboardTitle: "T",
        panelId: 3,
        panelTitle: "Nested",
        refId: "A",
        expr: "up",
        instant: true,
        hidden: false,
        metricNames: ["up"],
      },
      {
        dashboardUid: "u",
        dashboardTitle: "T",
        panelId: 3,
        panelTitle: "Nested",
        refId: "B",
        expr: "up + grafana_http_request_in_flight",
        instant: false,
        hidden: true,
        metricNames: ["grafana_http_request_in_flight", "up"],
      },
    ]);
  });

  it("names the services a query needs that do not run, from the catalogs the services declare", () => {
    const owners = metricOwners(stack.services.values(), stack.prometheus.name, SCRAPE_SERIES, stack.scrapeJobs);
    const grafana = stack.grafana.name;
    const withoutGrafana = (service: string): boolean => service !== grafana;
    const [onlyGrafana, up, upPlusGrafana] = panelQueries({
      uid: "u",
      title: "T",
      panels: [
        {
          type: "stat",
          id: 1,
          title: "P",
          targets: [
            { refId: "A", expr: "grafana_http_request_in_flight" },
            { refId: "B", expr: "up" },
            { refId: "C", expr: "up + grafana_http_request_in_flight" },
          ],
        },
      ],
    });
    expect(missingOwners(onlyGrafana, owners, withoutGrafana)).toEqual([grafana]);
    // Prometheus records `up` for every target itself.
    expect(owners.up).toEqual([stack.prometheus.name]);
    expect(missingOwners(up, owners, withoutGrafana)).toEqual([]);
    // A binary operation over a series that is absent is empty: the query needs Grafana too.
    expect(missingOwners(upPlusGrafana, owners, withoutGrafana)).toEqual([grafana]);
    expect(missingOwners(onlyGrafana, owners, () => true)).toEqual([]);
  });

  it("needs a real Grafana for exactly the Grafana panels", () => {
    const owners = metricOwners(stack.services.values(), stack.prometheus.name, SCRAPE_SERIES, stack.scrapeJobs);
    const grafana = stack.grafana.name;
    const needing = allQueries.flatMap((q) => {
      const missing = missingOwners(q, owners, (service) => service !== grafana);
      return missing.length > 0 ? [[q.dashboardUid, q.panelTitle, missing]] : [];
    });
    expect(needing).toEqual([
      [PLATFORM_OVERVIEW_UID, "Grafana HTTP requests by status", [grafana]],
      [PLATFORM_OVERVIEW_UID, "Grafana HTTP latency p95", [grafana]],
      [PLATFORM_OVERVIEW_UID, "Grafana in-flight requests", [grafana]],
      [PLATFORM_OVERVIEW_UID, "Grafana datasource requests", [grafana]],
    ]);
  });

  it("gives every variable a default, so every query becomes plain PromQL", () => {
    const timing = { scrapeIntervalSeconds: 15, rangeSeconds: 3600 };
    expect(defaultVariableValues(byUid(deployed, API_OVERVIEW_UID).model, timing)).toEqual({
      __interval: "15s",
      __interval_ms: "15000",
      __rate_interval: "60s",
      __rate_interval_ms: "60000",
      __range: "3600s",
      __range_s: "3600",
      __range_ms: "3600000",
      instance: ".*",
      endpoint: ".*",
    });
    for (const d of deployed) {
      const values = defaultVariableValues(d.model, timing);
      for (const query of panelQueries(d.model)) {
        const plain = substituteVariables(query.expr, values);
        expect({ query: plain, errors: analyzePromql(plain).errors }).toEqual({ query: plain, errors: [] });
        // Only label_replace's "${1}" capture reference may keep a "$".
        expect(plain.replace(/"\$\{1\}xx"/g, "")).not.toContain("$");
      }
    }
  });
});

/** A small valid imported dashboard. */
function minimalImport(): Json {
  return {
    uid: "a-first",
    title: "A first",
    panels: [
      {
        type: "timeseries",
        id: 1,
        title: "Up",
        gridPos: { x: 0, y: 0, w: 24, h: 8 },
        datasource: "Prometheus",
        targets: [{ refId: "A", expr: "up" }],
      },
    ],
  };
}

describe("contract: every deployed dashboard, built and imported", () => {
  /** The API's series from its metrics contract, derived here independently of the lint. */
  const apiSeries = new Set<string>([
    ...Object.values(HTTP_METRICS).flatMap((m) =>
      m.type === "histogram" ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name],
    ),
    ...Object.values(RUNTIME_METRICS),
    // What the API's SLO rules record from those series (sloth's names).
    ...SLO_RECORDED_SERIES,
  ]);
  /** What the other deployed services and the probe job declare, from their catalogs, and the scrape series. */
  const declared = new Set<string>([
    ...SCRAPE_SERIES,
    ...ALERT_SERIES,
    ...PROMETHEUS_CATALOG,
    ...GRAFANA_CATALOG,
    ...NODE_EXPORTER_CATALOG,
    ...BLACKBOX_EXPORTER_CATALOG,
    ...PROBE_SERIES,
  ]);

  it("covers every dashboard and has queries to check", () => {
    expect(deployed.filter((d) => d.source.startsWith("module:"))).toHaveLength(
      deployed.length - shippedFiles().length,
    );
    expect(deployed.filter((d) => d.source.startsWith("module:")).length).toBeGreaterThan(0);
    expect(deployed.filter((d) => d.source.startsWith("json:")).map((d) => d.source)).toEqual(
      shippedFiles().map((file) => `json:${file.fileName}`),
    );
    expect(allQueries.length).toBeGreaterThan(30);
  });

  it("uses only metrics the deployed services and scrape jobs declare in their catalogs", () => {
    const unknown = allQueries.flatMap((q) =>
      analyzePromql(q.expr)
        .metricNames.filter((m) => !apiSeries.has(m) && !declared.has(m))
        .map((m) => `${q.dashboardUid} / ${q.panelTitle} / ${q.refId}: ${m}`),
    );
    expect(unknown).toEqual([]);
    // The lint reads the same list from the stack.
    expect(ctx.metricNames).toEqual([...new Set([...apiSeries, ...declared])].sort());
    const used = new Set(allQueries.flatMap((q) => q.metricNames));
    expect(used.has(HTTP_METRICS.requestsTotal.name)).toBe(true);
    expect([...declared].filter((m) => used.has(m) && !apiSeries.has(m)).length).toBeGreaterThan(5);
  });

  it("references only the provisioned datasource (panels, targets, variables)", () => {
    const expected = { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID };
    for (const d of deployed) {
      const refs = datasourceRefs(d.model).filter(({ path }) => !path.startsWith(".annotations"));
      expect(refs.length).toBeGreaterThan(0);
      for (const { path, ref } of refs) expect({ uid: d.uid, path, ref }).toEqual({ uid: d.uid, path, ref: expected });
      expect(JSON.stringify(d.model)).not.toContain("${DS_");
    }
  });

  it("runs every rate, irate and increase over $__rate_interval (increase may total over $__range)", () => {
    const calls = allQueries.flatMap((q) =>
      analyzePromql(q.expr).rangeCalls.map((c) => ({ ...c, panel: q.panelTitle })),
    );
    expect(calls.length).toBeGreaterThan(10);
    for (const call of calls) {
      const allowed = call.fn === "increase" ? ["$__rate_interval", "$__range"] : ["$__rate_interval"];
      expect({ ...call, ok: allowed.includes(call.window ?? "") }).toEqual({ ...call, ok: true });
    }
  });

  it("leaves the non-traffic endpoints out of every traffic query", () => {
    const trafficMetrics = Object.values(HTTP_METRICS)
      .filter((m) => (m.labels as readonly string[]).includes(HTTP_LABELS.endpoint))
      .flatMap((m) => (m.type === "histogram" ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name]));
    // The lint enforces the rule the API service declares (seriesExclusions), over these same series.
    expect(ctx.seriesRules).toEqual(API_SERIES_RULES);
    expect([...API_SERIES_RULES[0].series].sort()).toEqual([...trafficMetrics].sort());
    expect(API_SERIES_RULES[0]).toMatchObject({ label: HTTP_LABELS.endpoint, values: NON_TRAFFIC_ENDPOINTS });
    let checked = 0;
    for (const q of allQueries) {
      for (const s of analyzePromql(q.expr).selectors) {
        if (s.metric === undefined || !trafficMetrics.includes(s.metric)) continue;
        checked += 1;
        const exclusions = s.matchers.filter((m) => m.label === HTTP_LABELS.endpoint && m.op === "!~");
        for (const endpoint of NON_TRAFFIC_ENDPOINTS) {
          const excluded = exclusions.some((m) => new RegExp(`^(?:${m.value})$`).test(endpoint));
          expect({ panel: q.panelTitle, endpoint, excluded }).toEqual({
            panel: q.panelTitle,
            endpoint,
            excluded: true,
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
