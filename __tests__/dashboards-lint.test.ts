import { addDemoApi, API_CATALOG, API_SERIES_RULES, apiOverview } from "../constructs/api";
import { platformOverview } from "../constructs/platform-overview";
import { renderDashboards, SCRAPE_SERIES } from "../dashboards";
import { formatLintProblems, lintDashboards } from "../dashboards/lint";
import type { DashboardContext } from "../dashboards/types";
import { newTestStack, TEST_API } from "./support/stack";

/** The fix of a metric nobody declares, when the query names no job. */
const UNKNOWN_METRIC_FIX =
  "correct the metric name, deploy the component whose catalog has it, or list it in the metricNames of your service (addService(name, { metricNames: [...] })) or scrape job (addScrapeJob) that exposes it";

/** A stack of Prometheus, Grafana and the demo API, added as main.ts adds it. */
function apiStack(): ReturnType<typeof newTestStack> {
  const stack = newTestStack();
  addDemoApi(stack, TEST_API);
  return stack;
}

/** The context that stack builds and lints its dashboards with: its jobs, metric names and the API's series rule. */
const ctx: DashboardContext = apiStack().dashboardContext();
/** The dashboards the demo API adds, in its order. */
const API_MODULES = [apiOverview, platformOverview];
const DS = { type: "prometheus", uid: "prometheus" };

type Json = Record<string, unknown>;

function panel(id: number, title: string, gridPos: Json, expr = "up", extra: Json = {}): Json {
  return {
    type: "timeseries",
    id,
    title,
    gridPos,
    datasource: DS,
    targets: [{ refId: "A", datasource: DS, expr }],
    ...extra,
  };
}

/** A valid imported dashboard: two panels side by side. Tests break one thing at a time. */
function validDashboard(): Json {
  return {
    uid: "imported-ok",
    title: "Imported OK",
    panels: [
      panel(1, "Left", { x: 0, y: 0, w: 12, h: 8 }),
      panel(
        2,
        "Right",
        { x: 12, y: 0, w: 12, h: 8 },
        'sum(rate(process_cpu_seconds_total{job="api"}[$__rate_interval]))',
      ),
    ],
  };
}

/** The lines of the one Error renderDashboards throws for these imported dashboards. */
function renderErrorLines(...models: Json[]): string[] {
  const files = models.map((model, i) => ({ fileName: `bad-${i + 1}.json`, content: JSON.stringify(model) }));
  try {
    renderDashboards(ctx, files, API_MODULES);
  } catch (error) {
    return (error as Error).message.split("\n");
  }
  throw new Error("renderDashboards did not throw");
}

/**
 * The lines of the lint's problems for these models as TypeScript dashboards (`module:bad-<n>`): the rules an import
 * repairs (ids, refIds, the top-level id, rows, library panels, fixed rate windows) still hold for what is built.
 */
function moduleErrorLines(...models: Json[]): string[] {
  const problems = lintDashboards(
    models.map((model, i) => ({ source: `module:bad-${i + 1}`, model })),
    ctx,
  );
  return formatLintProblems(problems).split("\n");
}

function panels(model: Json): Json[] {
  return model.panels as Json[];
}

describe("dashboard lint", () => {
  it("passes a valid imported dashboard (the baseline every failing case breaks once)", () => {
    const rendered = renderDashboards(
      ctx,
      [{ fileName: "ok.json", content: JSON.stringify(validDashboard()) }],
      API_MODULES,
    );
    expect(rendered.map((d) => d.source)).toEqual(["module:api-overview", "module:platform-overview", "json:ok.json"]);
  });

  it("fails when gridPos rectangles of a built dashboard overlap", () => {
    const model = validDashboard();
    panels(model)[1].gridPos = { x: 6, y: 4, w: 12, h: 8 };
    expect(moduleErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - module:bad-1, panel "Right" (id 2): gridPos {x: 6, y: 4, w: 12, h: 8} overlaps panel "Left" (id 1) at ' +
        "{x: 0, y: 0, w: 12, h: 8}. Fix: move or resize one of them so their rectangles do not intersect.",
    ]);
  });

  it("moves an imported panel that overlaps another below it, as Grafana's grid does", () => {
    const model = validDashboard();
    panels(model)[1].gridPos = { x: 6, y: 4, w: 12, h: 8 };
    const dashboards = renderDashboards(
      ctx,
      [{ fileName: "overlap.json", content: JSON.stringify(model) }],
      API_MODULES,
    );
    const imported = dashboards.find((d) => d.source === "json:overlap.json");
    const right = (imported?.model.panels as Json[]).find((p) => p.title === "Right");
    expect(right?.gridPos).toEqual({ x: 6, y: 8, w: 12, h: 8 });
    expect(imported?.rewrites).toContainEqual(expect.stringMatching(/overlapped another panel, moved down y 4 -> 8/));
  });

  it("fails when a gridPos leaves the 24-column grid or is missing", () => {
    const model = validDashboard();
    panels(model)[1].gridPos = { x: 20, y: 0, w: 12, h: 8 };
    delete panels(model)[0].gridPos;
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 2 problems:",
      '  - json:bad-1.json, panel "Left" (id 1): has no gridPos. Fix: set gridPos to a rectangle inside the grid.',
      '  - json:bad-1.json, panel "Right" (id 2): gridPos {x: 20, y: 0, w: 12, h: 8} is outside the 24-column grid ' +
        "(w, h >= 1; x, y >= 0; x + w <= 24). Fix: set gridPos to a rectangle inside the grid.",
    ]);
  });

  it("fails when the uid duplicates another dashboard's, built or imported", () => {
    const copy = validDashboard();
    const clash = { ...validDashboard(), uid: "monitoring-api-overview", title: "Other" };
    copy.title = "Copy";
    expect(renderErrorLines(validDashboard(), copy, clash)).toEqual([
      "Dashboards failed the lint with 2 problems:",
      '  - json:bad-2.json, dashboard: uid "imported-ok" is also used by json:bad-1.json. Fix: give every dashboard its own uid.',
      '  - json:bad-3.json, dashboard: uid "monitoring-api-overview" is also used by module:api-overview. Fix: give every ' +
        "dashboard its own uid.",
    ]);
  });

  it("fails when two dashboards share a title", () => {
    const other = { ...validDashboard(), uid: "imported-other", title: "api overview" };
    expect(renderErrorLines(other)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, dashboard: title "api overview" is also used by module:api-overview (Grafana refuses two ' +
        "dashboards with one title in a folder). Fix: give every dashboard its own title.",
    ]);
  });

  it("fails when two panels of a built dashboard share an id, or a panel has none", () => {
    const model = validDashboard();
    panels(model)[1].id = 1;
    panels(model).push(panel(0, "Third", { x: 0, y: 8, w: 24, h: 8 }));
    expect(moduleErrorLines(model)).toEqual([
      "Dashboards failed the lint with 2 problems:",
      '  - module:bad-1, panel "Right" (id 1): id 1 is also used by panel "Left" (id 1). Fix: give every panel a unique id.',
      '  - module:bad-1, panel "Third" (id 0): has no valid id (got 0). Fix: give every panel a unique whole-number id >= 1.',
    ]);
  });

  it("fails when a built dashboard has a top-level id", () => {
    const model = { id: 12, ...validDashboard() };
    expect(moduleErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - module:bad-1, dashboard: has a top-level "id" (12). Fix: remove "id": Grafana assigns it, and a copied id ' +
        "can overwrite another dashboard.",
    ]);
    expect(moduleErrorLines({ id: null, ...validDashboard() })[1]).toContain('has a top-level "id" (null)');
  });

  it("fails when a ${DS_...} placeholder is left outside a datasource field", () => {
    const model = validDashboard();
    panels(model)[0].description = "Queries ${DS_PROMETHEUS}";
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, panels[0].description: still contains a "${DS_...}" placeholder. Fix: replace it with the ' +
        "value it stands for.",
    ]);
  });

  it("fails when a datasource object cannot be rewritten (not Prometheus)", () => {
    const model = validDashboard();
    panels(model)[0].datasource = { type: "loki", uid: "logs" };
    const lines = renderErrorLines(model);
    expect(lines).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, panel "Left" (id 1): datasource {"type":"loki","uid":"logs"} is not the provisioned ' +
        'datasource {"type":"prometheus","uid":"prometheus"}, and it is not a reference that can be rewritten (a ' +
        '"${DS_...}" input of a Prometheus datasource, a datasource name containing "prometheus" in any case, or an object of type "prometheus"). ' +
        'Fix: query Prometheus through {"type":"prometheus","uid":"prometheus"}, or remove what uses another datasource.',
    ]);
  });

  it("fails when a ${DS_...} input is declared as another plugin, or a datasource name is not Prometheus", () => {
    const model = validDashboard();
    model.__inputs = [{ name: "DS_LOKI", type: "datasource", pluginId: "loki" }];
    panels(model)[0].datasource = "${DS_LOKI}";
    (panels(model)[1].targets as Json[])[0].datasource = "Loki";
    const lines = renderErrorLines(model);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^ {2}- json:bad-1\.json, panel "Left" \(id 1\): datasource "\$\{DS_LOKI\}" is not the provisioned/,
    );
    expect(lines[2]).toMatch(
      /^ {2}- json:bad-1\.json, panel "Right" \(id 2\), target A: datasource "Loki" is not the provisioned/,
    );
  });

  it("fails when a query uses a metric the stack does not expose", () => {
    const model = validDashboard();
    (panels(model)[0].targets as Json[])[0].expr = "sum(rate(kafka_messages_in_total[$__rate_interval]))";
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, panel "Left" (id 1), target A: metric "kafka_messages_in_total" is in no deployed ' +
        "component's catalog nor any declared metricNames (query " +
        '"sum(rate(kafka_messages_in_total[$__rate_interval]))"). Fix: ' +
        UNKNOWN_METRIC_FIX +
        ".",
    ]);
  });

  it("fails when a query selects a job the stack does not deploy (the original kafka and spark)", () => {
    const model = validDashboard();
    (panels(model)[0].targets as Json[])[0].expr = 'up{job="kafka"}';
    (panels(model)[1].targets as Json[])[0].expr = 'up{job=~"api|spark"}';
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 2 problems:",
      '  - json:bad-1.json, panel "Left" (id 1), target A: selects job "kafka", which the stack does not deploy ' +
        '(deployed jobs: api, grafana, prometheus), in "up{job=\\"kafka\\"}". Fix: query only the jobs the stack ' +
        "deploys, or deploy the service first (its job then appears in prometheus.yml).",
      '  - json:bad-1.json, panel "Right" (id 2), target A: selects job "spark", which the stack does not deploy ' +
        '(deployed jobs: api, grafana, prometheus), in "up{job=~\\"api|spark\\"}". Fix: query only the jobs the ' +
        "stack deploys, or deploy the service first (its job then appears in prometheus.yml).",
    ]);
  });

  it("accepts job selectors of deployed jobs, regexes matching one, and variables", () => {
    const model = validDashboard();
    (panels(model)[0].targets as Json[])[0].expr = 'sum(up{job=~"api|grafana"}) + sum(up{job=~"prom.*"})';
    (panels(model)[1].targets as Json[])[0].expr = 'up{job=~"$job", job!="kafka"}';
    const [rendered] = renderDashboards(
      ctx,
      [{ fileName: "good.json", content: JSON.stringify(model) }],
      API_MODULES,
    ).slice(-1);
    expect(rendered.source).toBe("json:good.json");
  });

  it("fails when the uid is longer than 40 characters", () => {
    const model = { ...validDashboard(), uid: "a".repeat(41) };
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      `  - json:bad-1.json, dashboard: uid "${"a".repeat(41)}" is 41 characters long (at most 40). Fix: set "uid" to a ` +
        'stable id of 1 to 40 letters, digits, "-" or "_".',
    ]);
  });

  it("fails when the uid has invalid characters, or is missing", () => {
    expect(renderErrorLines({ ...validDashboard(), uid: "my dashboard/1" })[1]).toBe(
      '  - json:bad-1.json, dashboard: uid "my dashboard/1" contains characters other than letters, digits, "-" and "_". ' +
        'Fix: set "uid" to a stable id of 1 to 40 letters, digits, "-" or "_".',
    );
    // A built dashboard without uid; an imported file without one gets its file name's (dashboards-import.test.ts).
    const noUid = validDashboard();
    delete noUid.uid;
    expect(moduleErrorLines(noUid)[1]).toBe(
      '  - module:bad-1, dashboard: has no uid. Fix: set "uid" to a stable id of 1 to 40 letters, digits, "-" or "_".',
    );
  });

  it("fails when a file is malformed JSON, naming the file", () => {
    let message = "";
    try {
      renderDashboards(
        ctx,
        [{ fileName: "big-data.json", content: '{ "title": "Big Data Ecosystem Overview", }' }],
        API_MODULES,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^Dashboards failed the lint with 1 problem:\n {2}- json:big-data\.json, file: is not valid JSON \(.+\)\. Fix: fix the JSON syntax, or export the dashboard again\.$/,
    );
  });

  it("fails when a rate of a built dashboard does not use $__rate_interval", () => {
    const model = validDashboard();
    (panels(model)[1].targets as Json[])[0].expr = "sum(irate(process_cpu_seconds_total[5m]))";
    expect(moduleErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - module:bad-1, panel "Right" (id 2), target A: irate() runs over [5m] in ' +
        '"sum(irate(process_cpu_seconds_total[5m]))". Fix: use [$__rate_interval].',
    ]);
  });

  it("accepts increase over $__range, a total over the dashboard's time range", () => {
    const model = validDashboard();
    (panels(model)[1].targets as Json[])[0].expr = "sum(increase(process_cpu_seconds_total[$__range]))";
    expect(() =>
      renderDashboards(ctx, [{ fileName: "ok.json", content: JSON.stringify(model) }], API_MODULES),
    ).not.toThrow();
  });

  it("fails when a traffic query does not exclude the non-traffic endpoints", () => {
    const model = validDashboard();
    (panels(model)[1].targets as Json[])[0].expr =
      'sum(rate(http_requests_total{endpoint!~"/metrics"}[$__rate_interval]))';
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, panel "Right" (id 2), target A: http_requests_total is selected without excluding the ' +
        "endpoint values /health, /ready (they serve probes and scrapes, not user traffic) in " +
        '"sum(rate(http_requests_total{endpoint!~\\"/metrics\\"}' +
        '[$__rate_interval]))". Fix: add endpoint!~"/metrics|/health|/ready" to the selector.',
    ]);
  });

  it("fails when a query is not valid PromQL", () => {
    const model = validDashboard();
    (panels(model)[0].targets as Json[])[0].expr = "sum(up";
    expect(renderErrorLines(model)[1]).toBe(
      '  - json:bad-1.json, panel "Left" (id 1), target A: PromQL syntax error at character 7 in "sum(up". Fix: write ' +
        "valid PromQL; Grafana variables may stand only for label values and ranges.",
    );
  });

  it("fails when an expanded row holds nested panels (Grafana would not show them)", () => {
    const model = validDashboard();
    panels(model).push({
      type: "row",
      id: 3,
      title: "Hidden",
      collapsed: false,
      gridPos: { x: 0, y: 8, w: 24, h: 1 },
      panels: [panel(4, "Nested", { x: 0, y: 9, w: 24, h: 8 })],
    });
    expect(renderErrorLines(model)[1]).toBe(
      '  - json:bad-1.json, panel "Hidden" (id 3): is an expanded row holding 1 nested panel(s), which Grafana does not ' +
        'show. Fix: set "collapsed": true, or move the panels after the row at top level.',
    );
  });

  it("checks the panels of a collapsed row, which overlap only each other", () => {
    const model = validDashboard();
    panels(model).push({
      type: "row",
      id: 3,
      title: "Details",
      collapsed: true,
      gridPos: { x: 0, y: 8, w: 24, h: 1 },
      panels: [panel(4, "Nested", { x: 0, y: 0, w: 24, h: 8 }, "nope_total")],
    });
    expect(renderErrorLines(model)).toEqual([
      "Dashboards failed the lint with 1 problem:",
      '  - json:bad-1.json, panel "Nested" (id 4), target A: metric "nope_total" is in no deployed component\'s ' +
        'catalog nor any declared metricNames (query "nope_total"). Fix: ' +
        UNKNOWN_METRIC_FIX +
        ".",
    ]);
  });

  it("fails when template variables use another datasource, a datasource variable, or unknown metrics", () => {
    const model = {
      ...validDashboard(),
      templating: {
        list: [
          { type: "datasource", name: "ds", query: "loki" },
          { type: "query", name: "job", datasource: { type: "loki", uid: "x" }, query: "label_values(up, job)" },
          { type: "query", name: "topic", datasource: DS, query: { query: "label_values(kafka_topic_info, topic)" } },
          { type: "custom", name: "size", query: "1,2" },
        ],
      },
    };
    const lines = renderErrorLines(model);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(
      '  - json:bad-1.json, template variable "ds": is a datasource variable ("loki"). Fix: remove it and use the ' +
        'provisioned datasource {"type":"prometheus","uid":"prometheus"}.',
    );
    expect(lines[2]).toMatch(
      /^ {2}- json:bad-1\.json, template variable "job": datasource \{"type":"loki","uid":"x"\} is not/,
    );
    expect(lines[3]).toMatch(
      /^ {2}- json:bad-1\.json, template variable "topic": metric "kafka_topic_info" is in no deployed component's catalog/,
    );
  });

  it("fails when a non-built-in annotation uses another datasource", () => {
    const model = {
      ...validDashboard(),
      annotations: {
        list: [
          { builtIn: 1, name: "Annotations & Alerts", datasource: { type: "grafana", uid: "-- Grafana --" } },
          { name: "Deploys", datasource: { type: "loki", uid: "logs" } },
        ],
      },
    };
    const lines = renderErrorLines(model);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^ {2}- json:bad-1\.json, annotation "Deploys": datasource \{"type":"loki","uid":"logs"\}/,
    );
  });

  it("fails when a built panel is a library panel reference, or a target lacks a refId or expr", () => {
    const model = validDashboard();
    panels(model)[0].libraryPanel = { uid: "lib", name: "Lib" };
    panels(model)[1].targets = [
      { datasource: DS, expr: "up" },
      { refId: "B", datasource: DS },
    ];
    const lines = moduleErrorLines(model);
    expect(lines.slice(1)).toEqual([
      '  - module:bad-1, panel "Left" (id 1): is a library panel reference. Fix: replace it with the panel itself ' +
        "(library panels are not deployed).",
      '  - module:bad-1, panel "Right" (id 2), target #1: has no refId. Fix: give every target a unique refId.',
      '  - module:bad-1, panel "Right" (id 2), target B: has no PromQL expr. Fix: set "expr", or remove the target.',
    ]);
  });

  it("fails when a built dashboard uses the pre-Grafana-5 rows layout or has no title", () => {
    const model = { ...validDashboard(), rows: [], title: "" };
    expect(moduleErrorLines(model).slice(1)).toEqual([
      '  - module:bad-1, dashboard: has no title. Fix: set "title".',
      '  - module:bad-1, dashboard: uses the pre-Grafana-5 "rows" layout. Fix: open it in a current Grafana, save it, ' +
        "and export it again.",
    ]);
  });

  it("lists every problem of every dashboard in one error, grouped per dashboard", () => {
    const first = { id: 1, ...validDashboard() };
    panels(first)[1].gridPos = { x: 0, y: 0, w: 12, h: 8 };
    const second = { ...validDashboard(), uid: "imported-two", title: "Two" };
    (panels(second)[0].targets as Json[])[0].expr = "rate(up[1m])";
    const lines = moduleErrorLines(first, second);
    expect(lines[0]).toBe("Dashboards failed the lint with 3 problems:");
    expect(lines.slice(1).map((l) => /module:(bad-\d)/.exec(l)?.[1])).toEqual(["bad-1", "bad-1", "bad-2"]);
  });
});

describe("lint building blocks", () => {
  it("knows the series the stack's services declare: the API's (histograms as _bucket/_count/_sum), runtime, scrape and self metrics", () => {
    const known = new Set(ctx.metricNames);
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "http_request_duration_seconds_count",
      "http_request_duration_seconds_sum",
      "http_requests_in_flight",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_p99_seconds",
      "up",
      "prometheus_tsdb_head_series",
      "grafana_http_request_duration_seconds_bucket",
    ]) {
      expect(known.has(name)).toBe(true);
    }
    expect(known.has("http_request_duration_seconds")).toBe(false);
    expect(known.has("kafka_messages_in_total")).toBe(false);
    expect([...known].filter((name) => API_CATALOG.includes(name))).toEqual([...API_CATALOG].sort());
  });

  it("fails when a query reads a metric of a service the stack does not deploy (no API, no API series)", () => {
    const withoutApi = newTestStack().dashboardContext();
    expect(withoutApi.metricNames).toEqual(expect.arrayContaining([...SCRAPE_SERIES, "prometheus_tsdb_head_series"]));
    const model = validDashboard();
    (panels(model)[1].targets as Json[])[0].expr = 'sum(rate(http_requests_total{job="prometheus"}[$__rate_interval]))';
    expect(lintDashboards([{ source: "json:a.json", model }], withoutApi)).toEqual([
      {
        source: "json:a.json",
        where: 'panel "Right" (id 2), target A',
        problem:
          'metric "http_requests_total" is in no deployed component\'s catalog nor any declared metricNames (query ' +
          '"sum(rate(http_requests_total{job=\\"prometheus\\"}[$__rate_interval]))")',
        // The query names the job: the fix names that service's own setting, not the library's files.
        fix:
          'add "http_requests_total" to the metricNames of the service "prometheus" (addService("prometheus", ' +
          "{ metricNames: [...] })) if it exposes it, or correct the metric name",
      },
    ]);
  });

  it("takes the traffic rule from the API service: its HTTP series with an endpoint label exclude the non-traffic endpoints", () => {
    expect(ctx.seriesRules).toEqual(API_SERIES_RULES);
    expect(API_SERIES_RULES.map((rule) => [[...rule.series].sort(), rule.label, rule.values])).toEqual([
      [
        [
          "http_request_duration_seconds_bucket",
          "http_request_duration_seconds_count",
          "http_request_duration_seconds_sum",
          "http_requests_total",
        ],
        "endpoint",
        ["/metrics", "/health", "/ready"],
      ],
    ]);
    expect(newTestStack().dashboardContext().seriesRules).toEqual([]);
  });

  it("fails when a selector keeps a label value a user's service excludes (seriesExclusions)", () => {
    const stack = newTestStack();
    stack.addService("orders", {
      image: "ghcr.io/acme/orders:1.4.2",
      port: 8080,
      metricNames: ["orders_requests_total"],
      seriesExclusions: [
        { series: ["orders_requests_total"], label: "path", values: ["/healthz"], reason: "the probe, not orders" },
      ],
    });
    const model = validDashboard();
    (panels(model)[0].targets as Json[])[0].expr =
      'sum(rate(orders_requests_total{path!="/healthz"}[$__rate_interval]))';
    (panels(model)[1].targets as Json[])[0].expr = 'sum(rate(orders_requests_total{job="orders"}[$__rate_interval]))';
    expect(lintDashboards([{ source: "json:a.json", model }], stack.dashboardContext())).toEqual([
      {
        source: "json:a.json",
        where: 'panel "Right" (id 2), target A',
        problem:
          "orders_requests_total is selected without excluding the path values /healthz (the probe, not orders) in " +
          '"sum(rate(orders_requests_total{job=\\"orders\\"}[$__rate_interval]))"',
        fix: 'add path!~"/healthz" to the selector',
      },
    ]);
  });

  it("returns structured problems and formats them one per line", () => {
    const problems = lintDashboards([{ source: "json:a.json", model: { uid: "a", title: "A", id: 3 } }], ctx);
    expect(problems).toEqual([
      {
        source: "json:a.json",
        where: "dashboard",
        problem: 'has a top-level "id" (3)',
        fix: 'remove "id": Grafana assigns it, and a copied id can overwrite another dashboard',
      },
    ]);
    expect(formatLintProblems(problems)).toBe(
      "Dashboards failed the lint with 1 problem:\n" +
        '  - json:a.json, dashboard: has a top-level "id" (3). Fix: remove "id": Grafana assigns it, and a copied id can ' +
        "overwrite another dashboard.",
    );
  });
});
