import { importDashboard } from "../dashboards/imported";
import type { DashboardContext } from "../dashboards/types";
import { newTestStack } from "./support/stack";

/** The context of a stack's Grafana: its provisioned Prometheus datasource is what imports are rewritten to. */
const ctx: DashboardContext = newTestStack().dashboardContext();
const OURS = { type: "prometheus", uid: "prometheus" };

/** A one-panel dashboard whose panel and target use the given datasource references. */
function dashboardWith(
  panelDatasource: unknown,
  targetDatasource: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const target: Record<string, unknown> = { refId: "A", expr: "up" };
  if (targetDatasource !== undefined) target.datasource = targetDatasource;
  const panel: Record<string, unknown> = {
    type: "timeseries",
    title: "Up",
    id: 1,
    gridPos: { x: 0, y: 0, w: 12, h: 8 },
    targets: [target],
  };
  if (panelDatasource !== undefined) panel.datasource = panelDatasource;
  return { uid: "imported-x", title: "X", panels: [panel], ...extra };
}

function importJson(model: unknown, fileName = "x.json"): ReturnType<typeof importDashboard> {
  return importDashboard({ fileName, content: JSON.stringify(model) }, ctx);
}

function panel0(model: Record<string, unknown> | undefined): Record<string, unknown> {
  return (model?.panels as Record<string, unknown>[])[0];
}

const PROMETHEUS_INPUT = { name: "DS_PROMETHEUS", label: "Prometheus", type: "datasource", pluginId: "prometheus" };

describe("importDashboard rewrites foreign datasource references", () => {
  it("rewrites to the stack's provisioned datasource", () => {
    expect(ctx.datasource).toEqual(OURS);
  });

  it("rewrites a ${DS_...} input string declared in __inputs as Prometheus, and drops the export-only fields", () => {
    // given an export "for sharing externally"
    const file = dashboardWith("${DS_PROMETHEUS}", "${DS_PROMETHEUS}", {
      __inputs: [PROMETHEUS_INPUT],
      __requires: [{ type: "datasource", id: "prometheus" }],
      __elements: {},
    });
    // when
    const result = importJson(file);
    // then
    expect(result.problems).toEqual([]);
    expect(result.model).toEqual({
      uid: "imported-x",
      title: "X",
      panels: [
        {
          type: "timeseries",
          title: "Up",
          id: 1,
          gridPos: { x: 0, y: 0, w: 12, h: 8 },
          targets: [{ refId: "A", expr: "up", datasource: OURS }],
          datasource: OURS,
        },
      ],
    });
    expect(result.rewrites).toEqual([
      'panel "Up" (id 1) at panels[0]: datasource "${DS_PROMETHEUS}" (exported datasource input) -> {"type":"prometheus","uid":"prometheus"}',
      'panel "Up" (id 1) at panels[0], target A: datasource "${DS_PROMETHEUS}" (exported datasource input) -> {"type":"prometheus","uid":"prometheus"}',
      "__inputs: removed (export-only; its datasource inputs were rewritten)",
      "__requires: removed (export-only; lists the plugins the export was made with)",
      "__elements: removed (export-only; its library panels are inlined into their stubs)",
    ]);
  });

  it("rewrites an object whose uid is a ${DS_...} input", () => {
    const ref = { type: "prometheus", uid: "${DS_PROMETHEUS}" };
    const result = importJson(dashboardWith(ref, ref, { __inputs: [PROMETHEUS_INPUT] }));
    expect(panel0(result.model).datasource).toEqual(OURS);
    expect((panel0(result.model).targets as Record<string, unknown>[])[0].datasource).toEqual(OURS);
  });

  it("rewrites an undeclared ${DS_PROMETHEUS} (an export whose __inputs were stripped)", () => {
    const result = importJson(dashboardWith("${DS_PROMETHEUS}", undefined));
    expect(panel0(result.model).datasource).toEqual(OURS);
  });

  it("rewrites a datasource given as a name string naming Prometheus, or as our uid", () => {
    for (const name of ["Prometheus", "prometheus", "Prometheus (prod)", "prometheus-main"]) {
      const result = importJson(dashboardWith(name, name));
      expect(panel0(result.model).datasource).toEqual(OURS);
      expect(result.rewrites[0]).toBe(
        `panel "Up" (id 1) at panels[0]: datasource ${JSON.stringify(name)} (datasource name) -> {"type":"prometheus","uid":"prometheus"}`,
      );
    }
  });

  it("rewrites a foreign Prometheus uid, and a bare uid that is ours", () => {
    const foreign = importJson(dashboardWith({ type: "prometheus", uid: "P1809F7CD0C75ACF3" }, undefined));
    expect(panel0(foreign.model).datasource).toEqual(OURS);
    expect(foreign.rewrites[0]).toBe(
      'panel "Up" (id 1) at panels[0]: datasource {"type":"prometheus","uid":"P1809F7CD0C75ACF3"} (foreign Prometheus uid) -> {"type":"prometheus","uid":"prometheus"}',
    );
    const bare = importJson(dashboardWith({ uid: "prometheus" }, undefined));
    expect(panel0(bare.model).datasource).toEqual(OURS);
    expect(bare.rewrites[0]).toContain("(uid without a type)");
  });

  it("fills a missing panel datasource (Grafana's default) and targets that inherit it", () => {
    const result = importJson(dashboardWith(undefined, undefined));
    expect(panel0(result.model).datasource).toEqual(OURS);
    expect(result.rewrites).toEqual([
      'panel "Up" (id 1) at panels[0]: no datasource (Grafana\'s default datasource) -> {"type":"prometheus","uid":"prometheus"}',
      'panel "Up" (id 1) at panels[0], target A: no datasource (inherits the panel\'s) -> {"type":"prometheus","uid":"prometheus"}',
    ]);
  });

  it("turns a -- Mixed -- panel into ours when every target ends up on Prometheus", () => {
    const result = importJson(dashboardWith({ type: "datasource", uid: "-- Mixed --" }, "Prometheus"));
    expect(panel0(result.model).datasource).toEqual(OURS);
    expect(result.rewrites[1]).toBe(
      'panel "Up" (id 1) at panels[0]: datasource {"type":"datasource","uid":"-- Mixed --"} (every target queries Prometheus) -> {"type":"prometheus","uid":"prometheus"}',
    );
  });

  it("rewrites references to a Prometheus datasource variable and removes the variable", () => {
    const file = dashboardWith(
      "$datasource",
      { type: "prometheus", uid: "${datasource}" },
      {
        templating: {
          list: [
            { type: "datasource", name: "datasource", query: "prometheus" },
            { type: "query", name: "job", datasource: "$datasource", query: "label_values(up, job)" },
          ],
        },
      },
    );
    const result = importJson(file);
    expect(panel0(result.model).datasource).toEqual(OURS);
    expect(result.model?.templating).toEqual({
      list: [{ type: "query", name: "job", datasource: OURS, query: "label_values(up, job)" }],
    });
    expect(result.rewrites).toContain(
      'template variable "datasource": removed (a Prometheus datasource variable; references use the provisioned one)',
    );
  });

  it("rewrites panels nested in a collapsed row and non-built-in annotations, and keeps the built-in one", () => {
    const builtIn = { builtIn: 1, datasource: { type: "grafana", uid: "-- Grafana --" }, name: "Annotations & Alerts" };
    const file = {
      uid: "imported-x",
      title: "X",
      annotations: { list: [builtIn, { name: "Deploys", datasource: "Prometheus", expr: "up" }] },
      panels: [
        { type: "row", title: "R", id: 1, collapsed: true, panels: [panel0(dashboardWith("Prometheus", undefined))] },
      ],
    };
    const result = importJson(file);
    const row = panel0(result.model);
    expect((row.panels as Record<string, unknown>[])[0].datasource).toEqual(OURS);
    expect(row.datasource).toBeUndefined();
    expect(result.model?.annotations).toEqual({ list: [builtIn, { name: "Deploys", datasource: OURS, expr: "up" }] });
  });

  it("leaves what it cannot rewrite as written, for the lint to reject", () => {
    const cases: unknown[] = [{ type: "loki", uid: "abc" }, "Loki", "default", { type: "datasource", uid: "grafana" }];
    for (const ref of cases) {
      const result = importJson(dashboardWith(ref, ref));
      expect(panel0(result.model).datasource).toEqual(ref);
      expect(result.rewrites).toEqual([]);
    }
    const loki = importJson(
      dashboardWith("${DS_LOKI}", undefined, {
        __inputs: [{ name: "DS_LOKI", type: "datasource", pluginId: "loki" }],
      }),
    );
    expect(panel0(loki.model).datasource).toBe("${DS_LOKI}");
  });

  it("is pure: the same text gives the same model and rewrites", () => {
    const content = JSON.stringify(dashboardWith("${DS_PROMETHEUS}", undefined));
    const a = importDashboard({ fileName: "a.json", content }, ctx);
    const b = importDashboard({ fileName: "a.json", content }, ctx);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe("importDashboard reports files it cannot read as a dashboard", () => {
  it("fails when the file is not valid JSON, naming the file", () => {
    const result = importDashboard({ fileName: "broken.json", content: '{"title": "X",' }, ctx);
    expect(result.model).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ source: "json:broken.json", where: "file" });
    expect(result.problems[0].problem).toMatch(/^is not valid JSON \(.+\)$/);
  });

  it("fails when the file is not an object, or is an API envelope", () => {
    expect(importDashboard({ fileName: "a.json", content: "[]" }, ctx).problems[0].problem).toBe(
      "is not a JSON object",
    );
    expect(importJson({ dashboard: { title: "X" }, overwrite: true }).problems[0].problem).toBe(
      'is an API envelope ({"dashboard": ...}), not a dashboard model',
    );
  });

  it("fails when __inputs declare an input a deployment cannot provide", () => {
    const result = importJson(
      dashboardWith(undefined, undefined, { __inputs: [{ name: "VAR_ENV", type: "constant", value: "prod" }] }),
    );
    expect(result.problems).toEqual([
      {
        source: "json:x.json",
        where: "__inputs[0]",
        problem: 'declares a "constant" input VAR_ENV, which a deployment cannot provide',
        fix: "replace every ${VAR_ENV} with its value and remove the input",
      },
    ]);
  });

  it("fails when a library panel stub's model is not in the file", () => {
    const stub = { id: 1, gridPos: { x: 0, y: 0, w: 12, h: 8 }, libraryPanel: { uid: "abc", name: "Lib" } };
    const result = importJson({ uid: "imported-x", title: "X", panels: [stub], __elements: {} });
    expect(result.problems).toEqual([
      {
        source: "json:x.json",
        where: 'panel "(untitled)" (id 1) at panels[0]',
        problem: 'is a library panel reference (uid "abc") whose model the file does not hold',
        fix: 'export the dashboard with "Export for sharing externally" (it writes the library panels into __elements), or unlink the library panel',
      },
    ]);
  });
});

describe("importDashboard repairs what Grafana's own exports carry", () => {
  it('drops the top-level "id": null of "Export for sharing externally"', () => {
    const result = importJson({ id: null, ...dashboardWith(OURS, OURS) });
    expect(result.problems).toEqual([]);
    expect(result.model).not.toHaveProperty("id");
    expect(result.rewrites).toContain("id: removed (null; Grafana assigns a dashboard's numeric id itself)");
  });

  it("gives a file without uid a stable one from its file name", () => {
    const model = dashboardWith(OURS, OURS);
    delete model.uid;
    const result = importJson(model, "Docker Host (cAdvisor).json");
    expect(result.model?.uid).toBe("docker-host-cadvisor");
    expect(result.rewrites).toContain('uid: null -> "docker-host-cadvisor" (from the file name: a stable uid)');
  });

  it("fills missing refIds in order, skipping those taken, as Grafana does", () => {
    const model = dashboardWith(OURS, OURS);
    panel0(model).targets = [{ expr: "up" }, { refId: "A", expr: "up" }, { expr: "up" }];
    const result = importJson(model);
    expect((panel0(result.model).targets as { refId: string }[]).map((t) => t.refId)).toEqual(["B", "A", "C"]);
    expect(result.rewrites.filter((r) => r.includes("refId"))).toHaveLength(2);
  });

  it("accepts row panels with w: 0 (spanning the grid) and renumbers missing or duplicate panel ids", () => {
    const model = dashboardWith(OURS, OURS);
    const rows = [
      { type: "row", title: "Top", id: 7, collapsed: false, panels: [], gridPos: { x: 0, y: 8, w: 0, h: 0 } },
      { ...panel0(model), id: 1, gridPos: { x: 0, y: 9, w: 12, h: 8 } },
    ];
    const result = importJson({ ...model, panels: [...(model.panels as unknown[]), ...rows] });
    expect(result.problems).toEqual([]);
    const panels = result.model?.panels as { id: number; gridPos: unknown }[];
    expect(panels[1].gridPos).toEqual({ x: 0, y: 8, w: 24, h: 1 });
    expect(panels.map((p) => p.id)).toEqual([1, 7, 8]);
  });

  it("keeps a fixed rate window such as [5m], with a warning", () => {
    const model = dashboardWith(OURS, OURS);
    (panel0(model).targets as Record<string, unknown>[])[0].expr = "sum(rate(process_cpu_seconds_total[5m]))";
    const result = importJson(model);
    expect((panel0(result.model).targets as { expr: string }[])[0].expr).toBe(
      "sum(rate(process_cpu_seconds_total[5m]))",
    );
    expect(result.rewrites.filter((r) => r.startsWith("warning:"))).toEqual([
      'warning: panel "Up" (id 1) at panels[0], target A: rate()[5m] over a fixed window, kept as written; it shows no data if shorter than 2 scrape intervals ($__rate_interval adapts)',
    ]);
  });

  it("inlines library panels from __elements into their stubs and rewrites their datasources", () => {
    const libraryModel = {
      type: "stat",
      title: "From the library",
      datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" },
      targets: [{ refId: "A", expr: "up", datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" } }],
    };
    const result = importJson({
      __inputs: [PROMETHEUS_INPUT],
      __elements: { lib1: { name: "From the library", uid: "lib1", kind: 1, model: libraryModel } },
      uid: "imported-x",
      title: "X",
      panels: [{ id: 3, gridPos: { x: 0, y: 0, w: 6, h: 4 }, libraryPanel: { uid: "lib1", name: "From the library" } }],
    });
    expect(result.problems).toEqual([]);
    expect(panel0(result.model)).toEqual({
      id: 3,
      gridPos: { x: 0, y: 0, w: 6, h: 4 },
      type: "stat",
      title: "From the library",
      datasource: OURS,
      targets: [{ refId: "A", expr: "up", datasource: OURS }],
    });
    expect(result.model).not.toHaveProperty("__elements");
  });

  it("rewrites datasources of annotations and query variables given as ${DS_...} inputs", () => {
    const result = importJson(
      dashboardWith("${DS_PROMETHEUS}", undefined, {
        __inputs: [PROMETHEUS_INPUT],
        annotations: { list: [{ name: "Deploys", datasource: "${DS_PROMETHEUS}", expr: "up", enable: true }] },
        templating: {
          list: [
            { name: "instance", type: "query", datasource: "${DS_PROMETHEUS}", query: "label_values(up, instance)" },
          ],
        },
      }),
    );
    expect(result.problems).toEqual([]);
    const model = result.model as {
      annotations: { list: { datasource: unknown }[] };
      templating: { list: { datasource: unknown }[] };
    };
    expect(model.annotations.list[0].datasource).toEqual(OURS);
    expect(model.templating.list[0].datasource).toEqual(OURS);
  });

  it("migrates the pre-Grafana-5 rows layout as Grafana 5 does: a row panel per titled row, span 12 -> w 24", () => {
    const legacy = {
      uid: "legacy",
      title: "Legacy",
      rows: [
        {
          title: "CPU",
          showTitle: true,
          height: "250px",
          panels: [
            {
              id: 1,
              type: "graph",
              title: "Busy",
              span: 6,
              datasource: "Prometheus",
              targets: [{ refId: "A", expr: "up" }],
            },
            {
              id: 2,
              type: "graph",
              title: "Load",
              span: 6,
              datasource: "Prometheus",
              targets: [{ refId: "A", expr: "up" }],
            },
          ],
        },
        {
          title: "Memory",
          showTitle: false,
          height: 300,
          panels: [{ id: 3, type: "graph", title: "Used", span: 12, targets: [{ expr: "up" }] }],
        },
      ],
    };
    const result = importJson(legacy);
    expect(result.problems).toEqual([]);
    expect(result.model).not.toHaveProperty("rows");
    const panels = result.model?.panels as { id: number; type: string; title: string; gridPos: unknown }[];
    expect(panels.map((p) => [p.type, p.title, p.gridPos])).toEqual([
      ["row", "CPU", { x: 0, y: 0, w: 24, h: 1 }],
      ["graph", "Busy", { x: 0, y: 1, w: 12, h: 9 }],
      ["graph", "Load", { x: 12, y: 1, w: 12, h: 9 }],
      ["graph", "Used", { x: 0, y: 10, w: 24, h: 10 }],
    ]);
    expect(new Set(panels.map((p) => p.id)).size).toBe(4);
    expect(result.rewrites[0]).toBe(
      "rows: migrated the pre-Grafana-5 layout (2 row(s)) to 4 panel(s) on the 24-column grid, as Grafana 5 does",
    );
  });

  it('fails when a dashboard has both the pre-Grafana-5 "rows" and "panels"', () => {
    const result = importJson({ ...dashboardWith(OURS, OURS), rows: [{ panels: [] }] });
    expect(result.problems.map((p) => p.problem)).toEqual(['has both the pre-Grafana-5 "rows" and "panels"']);
  });
});
