import { TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { Grafana, GrafanaProps } from "../constructs/grafana";
import { PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana/datasource";
import { MonitoringNetwork } from "../constructs/core/network";
import { Prometheus } from "../constructs/prometheus";
import { IMAGES } from "./support/versions";
import type { RenderedDashboard } from "../dashboards/types";

// What the variable reference synthesizes to; the construct only ever sees the token.
const PASSWORD_EXPRESSION = "${var.grafana_admin_password}";

const dashboard: RenderedDashboard = {
  uid: "test-dashboard",
  title: "Test",
  source: "module:test",
  model: { uid: "test-dashboard", title: "Test", panels: [] },
};

function synthGrafana(
  props: Partial<GrafanaProps> = {},
  extend: (grafana: Grafana) => void = () => undefined,
): { json: SynthJson; grafana: Grafana; synthesized: string } {
  let grafana: Grafana | undefined;
  const synthesized = Testing.synthScope((scope: Construct) => {
    const network = new MonitoringNetwork(scope, "Network");
    const prometheus = new Prometheus(scope, "Prometheus", { network, scrapeIntervalSeconds: 30 });
    const password = new TerraformVariable(scope, "grafana_admin_password", { type: "string", sensitive: true });
    grafana = new Grafana(scope, "Grafana", { network, prometheus, adminPassword: password.stringValue, ...props });
    extend(grafana);
  });
  return { json: JSON.parse(synthesized) as SynthJson, grafana: grafana as Grafana, synthesized };
}

interface SynthJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, Record<string, unknown>[]>;
}

function grafanaContainer(json: SynthJson): Record<string, unknown> {
  return Object.values(json.resource.docker_container).find((c) => c.name === "monitoring-grafana") as Record<
    string,
    unknown
  >;
}

function containerAddress(json: SynthJson): string {
  const key = Object.entries(json.resource.docker_container).find(([, c]) => c.name === "monitoring-grafana")?.[0];
  return `docker_container.${key}`;
}

describe("Grafana", () => {
  it("pulls the pinned image", () => {
    expect(synthGrafana().synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      { name: IMAGES.grafana, keep_locally: true },
    );
  });

  it("turns anonymous access, sign-up and phoning home off", () => {
    const env = grafanaContainer(synthGrafana().json).env as string[];
    expect(env).toEqual(
      expect.arrayContaining([
        "GF_AUTH_ANONYMOUS_ENABLED=false",
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_USERS_ALLOW_ORG_CREATE=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
      ]),
    );
  });

  it("takes the admin password from the Terraform expression, never a literal", () => {
    const { json } = synthGrafana();
    // The container never gets the value (docker inspect and the state would show it): it reads a mounted file.
    expect(JSON.stringify(grafanaContainer(json))).not.toContain(PASSWORD_EXPRESSION);
    expect(json.provider.grafana[0].auth).toBe(`admin:${PASSWORD_EXPRESSION}`);
  });

  it("points the provider at the host-published port on 127.0.0.1", () => {
    expect(synthGrafana().json.provider.grafana[0]).toMatchObject({ url: "http://127.0.0.1:3000" });
    expect(synthGrafana({ hostPort: 13000 }).json.provider.grafana[0]).toMatchObject({
      url: "http://127.0.0.1:13000",
    });
  });

  it("keeps its database on a named volume", () => {
    expect(grafanaContainer(synthGrafana().json).mounts).toEqual([
      { type: "volume", source: "monitoring-grafana-data", target: "/var/lib/grafana" },
    ]);
    expect(grafanaContainer(synthGrafana({ dataVolumeName: "gdb" }).json).mounts).toEqual([
      { type: "volume", source: "gdb", target: "/var/lib/grafana" },
    ]);
  });

  it("provisions the Prometheus datasource with the fixed uid and timeInterval = the scrape interval", () => {
    const { synthesized } = synthGrafana();
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "grafana_data_source" },
      {
        name: "Prometheus",
        type: "prometheus",
        uid: PROMETHEUS_DATASOURCE_UID,
        url: "http://prometheus:9090",
        access_mode: "proxy",
        is_default: true,
        json_data_encoded: JSON.stringify({
          httpMethod: "POST",
          timeInterval: "30s",
          prometheusType: "Prometheus",
          prometheusVersion: IMAGES.prometheus.split(":v")[1],
        }),
      },
    );
  });

  it("creates the folder", () => {
    expect(synthGrafana().synthesized).toHaveResourceWithProperties(
      { tfResourceType: "grafana_folder" },
      { title: "Monitoring stack", uid: "monitoring-stack" },
    );
    expect(synthGrafana({ folderTitle: "Ops" }).synthesized).toHaveResourceWithProperties(
      { tfResourceType: "grafana_folder" },
      { title: "Ops" },
    );
  });

  it("deploys each added dashboard into the folder, after the datasource", () => {
    const { json } = synthGrafana({}, (grafana) => grafana.addDashboard(dashboard));
    const dashboards = Object.values(json.resource.grafana_dashboard);
    expect(dashboards).toHaveLength(1);
    const folderKey = Object.keys(json.resource.grafana_folder)[0];
    const datasourceKey = Object.keys(json.resource.grafana_data_source)[0];
    expect(dashboards[0]).toMatchObject({
      config_json: JSON.stringify(dashboard.model),
      folder: `\${grafana_folder.${folderKey}.uid}`,
      overwrite: true,
      depends_on: [containerAddress(json), `grafana_data_source.${datasourceKey}`],
    });
  });

  it("makes every Grafana resource depend on the Grafana container and use its provider", () => {
    const { json } = synthGrafana({}, (grafana) => grafana.addDashboard(dashboard));
    for (const type of ["grafana_data_source", "grafana_folder", "grafana_dashboard"]) {
      for (const resource of Object.values(json.resource[type])) {
        expect(resource.depends_on).toContain(containerAddress(json));
        expect(resource.provider).toBe("grafana");
      }
    }
  });

  it("checks health with the image's busybox wget against /api/health", () => {
    expect((grafanaContainer(synthGrafana().json).healthcheck as { test: string[] }).test).toEqual([
      "CMD",
      "wget",
      "-q",
      "-O",
      "/dev/null",
      "http://127.0.0.1:3000/api/health",
    ]);
  });

  it("exposes its own /metrics as a scrape target", () => {
    expect(synthGrafana().grafana.scrapeTarget).toEqual({
      jobName: "grafana",
      host: "grafana",
      port: 3000,
      metricsPath: "/metrics",
    });
  });

  it("fails when a dashboard uid is added twice", () => {
    expect(() =>
      synthGrafana({}, (grafana) => {
        grafana.addDashboard(dashboard);
        grafana.addDashboard(dashboard);
      }),
    ).toThrow('Grafana "Grafana": a dashboard with uid "test-dashboard" was already added');
  });

  it("fails when the admin password expression is empty", () => {
    expect(() => synthGrafana({ adminPassword: "" })).toThrow(
      'adminPassword must be a Terraform expression holding the password (got "")',
    );
  });

  it("fails when the folder title is empty", () => {
    expect(() => synthGrafana({ folderTitle: "  " })).toThrow('folderTitle must not be empty (got "")');
  });

  it("fails when the image tag is latest", () => {
    expect(() => synthGrafana({ image: "grafana/grafana:latest" })).toThrow(
      'image must be pinned to a version tag, not "latest"',
    );
  });
});
