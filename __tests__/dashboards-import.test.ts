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
      "__elements: removed (export-only and empty)",
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

  it("fails when __elements declare library panels", () => {
    const result = importJson(dashboardWith(undefined, undefined, { __elements: { abc: { name: "Lib" } } }));
    expect(result.problems).toEqual([
      {
        source: "json:x.json",
        where: "__elements",
        problem: "declares library panels (abc)",
        fix: "export the dashboard with library panels unlinked (their models inlined)",
      },
    ]);
  });
});
