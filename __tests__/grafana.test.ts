import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { Grafana, GrafanaProps } from "../constructs/grafana";
import { PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana/datasource";
import { MonitoringNetwork } from "../constructs/core/network";
import { Prometheus } from "../constructs/prometheus";
import { IMAGES } from "./support/versions";
import { testApp } from "./support/stack";
import type { RenderedDashboard } from "../dashboards/types";

// What the password synthesizes to: a sensitive local, never the value.
const PASSWORD_EXPRESSION = "${local.grafana_admin_password_value}";

const dashboard: RenderedDashboard = {
  uid: "test-dashboard",
  title: "Test",
  source: "module:test",
  model: { uid: "test-dashboard", title: "Test", panels: [] },
};

interface BuiltGrafana {
  readonly stack: TerraformStack;
  readonly grafana: Grafana;
  /** The scratch project folder: `<folder>/cdktf.out` is the output folder, the password file in `<folder>/.secrets`. */
  readonly folder: string;
}

/**
 * Grafana and the Prometheus it queries, in a plain TerraformStack of a scratch project (see testApp): the password
 * file `<folder>/.secrets/grafana-admin-password` (not created: Testing.synth does not write it), Grafana as 472:0.
 */
function buildGrafana(
  props: Partial<GrafanaProps> = {},
  extend: (grafana: Grafana, folder: string) => void = () => undefined,
): BuiltGrafana {
  const { app, folder } = testApp();
  const stack = new TerraformStack(app, "monitoring");
  new DockerProvider(stack, "docker");
  const network = new MonitoringNetwork(stack, "Network");
  const prometheus = new Prometheus(stack, "Prometheus", { network, scrapeIntervalSeconds: 30 });
  const grafana = new Grafana(stack, "Grafana", {
    network,
    prometheus,
    projectDir: folder,
    user: "472:0",
    ...props,
  });
  extend(grafana, folder);
  return { stack, grafana, folder };
}

function synthGrafana(
  props: Partial<GrafanaProps> = {},
  extend: (grafana: Grafana, folder: string) => void = () => undefined,
): { json: SynthJson; grafana: Grafana; synthesized: string } {
  const { stack, grafana } = buildGrafana(props, extend);
  const synthesized = Testing.synth(stack);
  return { json: JSON.parse(synthesized) as SynthJson, grafana, synthesized };
}

interface SynthJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, Record<string, unknown>[]>;
  variable: Record<string, Record<string, unknown>>;
  locals: Record<string, unknown>;
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

/** The messages of every problem Grafana reports about itself. */
function problems(grafana: Grafana): string[] {
  return grafana.configProblems().map((problem) => problem.message);
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

  it("takes the admin password from a sensitive variable or the password file at deploy, never a literal", () => {
    const { json } = synthGrafana();
    expect(json.provider.grafana[0].auth).toBe(`admin:${PASSWORD_EXPRESSION}`);
    // TF_VAR_grafana_admin_password when set and not empty, else the file (relative to the stack's folder).
    expect(json.variable.grafana_admin_password).toEqual({
      type: "string",
      default: "",
      sensitive: true,
      description: "Grafana admin password; when empty, the content of .secrets/grafana-admin-password is used",
    });
    expect(json.locals.grafana_admin_password_value).toBe(
      '${sensitive(coalesce(trimspace(var.grafana_admin_password), try(trimspace(file("../../../.secrets/grafana-admin-password")), "")))}',
    );
    // The container never gets the value (docker inspect and the state would show it): it reads a mounted file.
    const container = grafanaContainer(json);
    expect(JSON.stringify(container)).not.toContain(PASSWORD_EXPRESSION);
    expect(JSON.stringify(container)).not.toContain("var.grafana_admin_password");
    expect(container.env).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password");
  });

  it("points the provider at the host-published port on 127.0.0.1", () => {
    expect(synthGrafana().json.provider.grafana[0]).toMatchObject({ url: "http://127.0.0.1:3000" });
    expect(synthGrafana({ hostPort: 13000 }).json.provider.grafana[0]).toMatchObject({
      url: "http://127.0.0.1:13000",
    });
  });

  it("keeps its database on a named volume and mounts the password file read-only", () => {
    const passwordFileMount = {
      type: "bind",
      source: '${abspath("${path.cwd}/../../../.secrets/grafana-admin-password")}',
      target: "/run/secrets/grafana-admin-password",
      read_only: true,
    };
    expect(grafanaContainer(synthGrafana().json).mounts).toEqual([
      { type: "volume", source: "monitoring-grafana-data", target: "/var/lib/grafana" },
      passwordFileMount,
    ]);
    expect(grafanaContainer(synthGrafana({ dataVolumeName: "gdb" }).json).mounts).toEqual([
      { type: "volume", source: "gdb", target: "/var/lib/grafana" },
      passwordFileMount,
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
    expect(synthGrafana().grafana.scrapeTargets).toEqual([
      {
        jobName: "grafana",
        host: "grafana",
        port: 3000,
        metricsPath: "/metrics",
      },
    ]);
  });

  it("accepts the defaults", () => {
    expect(buildGrafana().grafana.configProblems()).toEqual([]);
  });

  it("fails when a dashboard uid is added twice", () => {
    expect(() =>
      buildGrafana({}, (grafana) => {
        grafana.addDashboard(dashboard);
        grafana.addDashboard(dashboard);
      }),
    ).toThrow('Grafana "Grafana": a dashboard with uid "test-dashboard" was already added');
  });

  it("fails when the admin password file is empty", () => {
    const { grafana, stack } = buildGrafana({}, (_grafana, folder) =>
      writeFileSync(join(folder, ".secrets", "grafana-admin-password"), "\n"),
    );
    const message =
      "grafana.adminPasswordFile (.secrets/grafana-admin-password): is empty: write the password into it, or delete it to have one generated; fix that, or set grafana.adminPasswordFile to a file in a folder you can write";
    expect(problems(grafana)).toEqual([message]);
    // In a plain TerraformStack the problem is a cdktf validation of the construct.
    expect(() => Testing.synth(stack, true)).toThrow(
      `Validation failed with the following errors:\n  [monitoring/Grafana] ${message}\n\n`,
    );
  });

  it("fails when the admin password file is readable by other users of the host, and passes at 0600", () => {
    const { grafana } = buildGrafana({}, (_grafana, folder) =>
      writeFileSync(join(folder, ".secrets", "grafana-admin-password"), "a-password-of-mine\n", { mode: 0o644 }),
    );
    expect(problems(grafana)).toEqual([
      "grafana.adminPasswordFile (.secrets/grafana-admin-password): is mode 0644: other users of this host can read the password; chmod 0600 it; fix that, or set grafana.adminPasswordFile to a file in a folder you can write",
    ]);
    const { grafana: private600 } = buildGrafana({}, (_grafana, folder) =>
      writeFileSync(join(folder, ".secrets", "grafana-admin-password"), "a-password-of-mine\n", { mode: 0o600 }),
    );
    expect(problems(private600)).toEqual([]);
  });

  it("fails when the folder title is empty", () => {
    expect(problems(buildGrafana({ folderTitle: "  " }).grafana)).toEqual([
      'grafana.folderTitle must not be empty (got "  ")',
    ]);
  });

  it("fails when the image tag is latest", () => {
    expect(problems(buildGrafana({ image: "grafana/grafana:latest" }).grafana)).toEqual([
      'grafana.image must be pinned to a version tag, not "latest", so every deploy runs the same image (got "grafana/grafana:latest")',
    ]);
  });
});
