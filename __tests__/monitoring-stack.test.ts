import { parse } from "yaml";
import { PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana/datasource";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { IMAGES, PROVIDERS } from "./support/versions";
import { Testing } from "cdktf";
import { buildMonitoringStack } from "../main";
import { containerNamed, containers, onlyResource, synthMonitoringStack, testApp, testInputs } from "./support/stack";

/** A file the stack writes next to cdk.tf.json (the config images' build contexts). */
function generated(stack: MonitoringStack, path: string): string {
  const file = stack.generatedFiles().find((candidate) => candidate.path === path);
  if (file === undefined) throw new Error(`no generated file ${path}`);
  return file.content;
}

function prometheusYaml(stack: MonitoringStack): {
  global: Record<string, string>;
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
} {
  return parse(generated(stack, "build/prometheus/prometheus.yml"));
}

/** Every value under a `datasource` key anywhere in a dashboard model. */
function datasourceRefs(node: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) {
    node.forEach((item) => datasourceRefs(item, found));
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "datasource") found.push(value);
      datasourceRefs(value, found);
    }
  }
  return found;
}

describe("MonitoringStack", () => {
  const { json, synthesized, stack } = synthMonitoringStack();

  it("matches the snapshot (a change detector: read the diff before updating it)", () => {
    expect(synthesized).toMatchSnapshot();
  });

  it("synthesizes byte-identical JSON twice", () => {
    expect(synthMonitoringStack().synthesized).toBe(synthesized);
  });

  it("declares the docker and grafana providers, each pinned", () => {
    expect(synthesized).toHaveProvider({ tfResourceType: "docker" });
    expect(synthesized).toHaveProvider({ tfResourceType: "grafana" });
    expect(json.terraform.required_providers.grafana).toEqual({
      source: PROVIDERS.grafana.source,
      version: PROVIDERS.grafana.version,
    });
    expect(json.terraform.required_providers.docker.source).toBe(PROVIDERS.docker.source);
  });

  it("puts the five services on one network (the API, Prometheus, Grafana, node-exporter, blackbox-exporter)", () => {
    const network = onlyResource(json, "docker_network");
    expect(network.name).toBe("monitoring");
    const networkRef = `\${docker_network.${Object.keys(json.resource.docker_network)[0]}.name}`;
    expect(containers(json).map((container) => [container.name, container.networks_advanced])).toEqual([
      ["monitoring-api", [{ name: networkRef, aliases: ["api"] }]],
      ["monitoring-blackbox-exporter", [{ name: networkRef, aliases: ["blackbox-exporter"] }]],
      ["monitoring-grafana", [{ name: networkRef, aliases: ["grafana"] }]],
      ["monitoring-node-exporter", [{ name: networkRef, aliases: ["node-exporter"] }]],
      ["monitoring-prometheus", [{ name: networkRef, aliases: ["prometheus"] }]],
    ]);
  });

  it("scrapes the API at its network alias and internal port", () => {
    const api = containerNamed(json, "monitoring-api");
    const apiJob = prometheusYaml(stack).scrape_configs.find((job) => job.job_name === "api");
    const [host, port] = (apiJob?.static_configs[0].targets[0] ?? "").split(":");
    expect((api.networks_advanced as { aliases: string[] }[])[0].aliases).toContain(host);
    expect((api.ports as { internal: number }[])[0].internal).toBe(Number(port));
    expect(api.env).toContain(`PORT=${port}`);
  });

  it("scrapes exactly the deployed services, each at an alias of a deployed container", () => {
    const config = prometheusYaml(stack);
    const aliases = containers(json).flatMap((c) => (c.networks_advanced as { aliases: string[] }[])[0].aliases);
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual([
      "api",
      "blackbox-exporter",
      "grafana",
      "node-exporter",
      // The blackbox exporter's /probe, once per health endpoint.
      "probes",
      "prometheus",
    ]);
    for (const job of config.scrape_configs) {
      expect(aliases).toContain(job.static_configs[0].targets[0].split(":")[0]);
    }
  });

  it("bakes the alert rules into the Prometheus image and wires them through rule_files", () => {
    expect(stack.generatedFiles().map((file) => file.path)).toEqual([
      "build/prometheus/Dockerfile",
      "build/prometheus/prometheus.yml",
      "build/prometheus/rules/alerts.yml",
      // The demo API's SLO rules, rendered from its service's `slo` declaration as it is added.
      "build/prometheus/rules/slo-api.yml",
      // The demo API's own alerts, added by main.ts through addAlertRules like a user's.
      "build/prometheus/rules/api.yml",
      // node-exporter's and the blackbox exporter's, added the same way.
      "build/prometheus/rules/host.yml",
      "build/prometheus/rules/probes.yml",
      // The blackbox exporter's rendered config, baked into its own image.
      "build/blackbox-exporter/Dockerfile",
      "build/blackbox-exporter/config.yml",
    ]);
    expect(prometheusYaml(stack)).toMatchObject({
      rule_files: ["rules/alerts.yml", "rules/slo-api.yml", "rules/api.yml", "rules/host.yml", "rules/probes.yml"],
    });
    const rules = parse(generated(stack, "build/prometheus/rules/alerts.yml")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const targetDown = rules.groups.flatMap((group) => group.rules).find((rule) => rule.alert === "TargetDown");
    // TargetDown covers exactly the deployed jobs: nothing that is not deployed can page.
    expect(targetDown?.expr).toContain('job=~"api|blackbox-exporter|grafana|node-exporter|probes|prometheus"');
  });

  it("takes the alert thresholds from the stack config", () => {
    const custom = synthMonitoringStack({}, { ALERT_API_LATENCY_P95_SECONDS: "2" }).stack;
    const rules = parse(generated(custom, "build/prometheus/rules/api.yml")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const latency = rules.groups.flatMap((group) => group.rules).find((rule) => rule.alert === "ApiHighLatencyP95");
    expect(latency?.expr).toMatch(/> 2\b/);
  });

  it("copies nothing into a container: every root filesystem is read-only", () => {
    for (const container of containers(json)) {
      expect(container.read_only).toBe(true);
      expect(container.upload).toBeUndefined();
    }
  });

  it("gives the datasource a timeInterval equal to the scrape interval", () => {
    const { json: custom, stack: customStack } = synthMonitoringStack({ scrapeIntervalSeconds: 30 });
    expect(prometheusYaml(customStack).global.scrape_interval).toBe("30s");
    const datasource = onlyResource(custom, "grafana_data_source");
    expect(JSON.parse(datasource.json_data_encoded as string).timeInterval).toBe("30s");
  });

  it("deploys one grafana_dashboard per rendered dashboard, with its uid", () => {
    const deployed = Object.values(json.resource.grafana_dashboard).map(
      (dashboard) => (JSON.parse(dashboard.config_json as string) as { uid: string }).uid,
    );
    // The JSON orders resources by their Terraform address.
    expect([...deployed].sort()).toEqual(stack.dashboards.map((dashboard) => dashboard.uid).sort());
    expect(deployed.length).toBeGreaterThanOrEqual(4);
  });

  it("references the provisioned datasource uid in every dashboard, panel and target", () => {
    const datasource = onlyResource(json, "grafana_data_source");
    expect(datasource.uid).toBe(PROMETHEUS_DATASOURCE_UID);
    for (const dashboard of Object.values(json.resource.grafana_dashboard)) {
      const refs = datasourceRefs(JSON.parse(dashboard.config_json as string));
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref).toEqual({ type: "prometheus", uid: datasource.uid });
      }
    }
  });

  it("pins every image: pulled by tag, or built FROM a pinned base", () => {
    const images = Object.values(json.resource.docker_image) as { name: string; build?: { build_args: object } }[];
    expect(images.map((image) => [image.name, image.build?.build_args])).toEqual([
      ["monitoring-api:local", { NODE_IMAGE: IMAGES.node }],
      // The blackbox exporter's config baked into the pinned image (the pinned image itself pulled too).
      ["monitoring-blackbox-exporter:local", { BASE_IMAGE: IMAGES["blackbox-exporter"] }],
      [IMAGES["blackbox-exporter"], undefined],
      [IMAGES.grafana, undefined],
      [IMAGES["node-exporter"], undefined],
      ["monitoring-prometheus:local", { BASE_IMAGE: IMAGES.prometheus }],
    ]);
  });

  describe("secure defaults, on every container", () => {
    it.each([
      "monitoring-api",
      "monitoring-prometheus",
      "monitoring-grafana",
      "monitoring-node-exporter",
      "monitoring-blackbox-exporter",
    ])("%s runs hardened", (name) => {
      const container = containerNamed(json, name);
      expect(container.user).toMatch(/^[1-9]\d*:\d+$/);
      expect(container).toMatchObject({
        read_only: true,
        capabilities: { drop: ["ALL"] },
        security_opts: ["no-new-privileges:true"],
        log_driver: "json-file",
        log_opts: { "max-size": "10m", "max-file": "3" },
        restart: "unless-stopped",
        must_run: true,
        wait: true,
        destroy_grace_seconds: 15,
        stop_timeout: 15,
      });
      expect(container.memory).toBeGreaterThan(0);
      expect(container.memory_swap).toBe(container.memory);
      expect((container.healthcheck as { test: string[] }).test[0]).toBe("CMD");
      // The exporters are scraped inside the network only: nothing published.
      expect(container.ports).toEqual(
        name.endsWith("-exporter") ? undefined : [expect.objectContaining({ ip: "127.0.0.1" })],
      );
    });

    it("gives node-exporter the host's /proc, /sys and / read-only, and nothing else", () => {
      const nodeExporter = containerNamed(json, "monitoring-node-exporter");
      expect(nodeExporter.mounts).toEqual([
        { type: "bind", source: "/proc", target: "/host/proc", read_only: true },
        { type: "bind", source: "/sys", target: "/host/sys", read_only: true },
        { type: "bind", source: "/", target: "/host/root", read_only: true },
      ]);
      expect(nodeExporter.command).toEqual([
        "--web.listen-address=:9100",
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/host/root",
        "--no-collector.systemd",
      ]);
      expect(nodeExporter.privileged).toBeUndefined();
      expect(containerNamed(json, "monitoring-blackbox-exporter").mounts).toBeUndefined();
    });

    it("publishes API 8000, Prometheus 9090 and Grafana 3000 on 127.0.0.1 only", () => {
      expect(containers(json).map((container) => [container.name, container.ports])).toEqual([
        ["monitoring-api", [{ internal: 8000, external: 8000, ip: "127.0.0.1", protocol: "tcp" }]],
        ["monitoring-blackbox-exporter", undefined],
        ["monitoring-grafana", [{ internal: 3000, external: 3000, ip: "127.0.0.1", protocol: "tcp" }]],
        ["monitoring-node-exporter", undefined],
        ["monitoring-prometheus", [{ internal: 9090, external: 9090, ip: "127.0.0.1", protocol: "tcp" }]],
      ]);
    });

    it("opts one service out of loopback without touching the others", () => {
      const custom = synthMonitoringStack({ prometheus: { bindAddress: "0.0.0.0" } }).json;
      expect(
        containers(custom)
          .filter((container) => container.ports !== undefined)
          .map((container) => [container.name, (container.ports as { ip: string }[])[0].ip]),
      ).toEqual([
        ["monitoring-api", "127.0.0.1"],
        ["monitoring-grafana", "127.0.0.1"],
        ["monitoring-prometheus", "0.0.0.0"],
      ]);
    });

    it("keeps the data on named volumes that Terraform does not own, so destroy leaves them", () => {
      expect(json.resource.docker_volume).toBeUndefined();
      const mounts = containers(json).flatMap(
        (c) => (c.mounts as { type: string; source?: string }[] | undefined) ?? [],
      );
      const named = mounts.flatMap((mount) =>
        mount.type !== "volume" || mount.source === undefined ? [] : [mount.source],
      );
      expect(named).toEqual(["monitoring-grafana-data", "monitoring-prometheus-data"]);
      expect([...(json.output.data_volumes.value as string[])].sort()).toEqual(named);
    });

    it("writes no admin password into the synthesized JSON", () => {
      const grafana = containerNamed(json, "monitoring-grafana");
      // Grafana reads the password from a mounted file (first-deploy.test.ts); the environment never holds it.
      expect((grafana.env as string[]).filter((entry) => entry.startsWith("GF_SECURITY_ADMIN_PASSWORD"))).toEqual([
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password",
      ]);
      expect(json.provider.grafana[0].auth).toBe("admin:${local.grafana_admin_password_value}");
      expect(json.variable.grafana_admin_password).toMatchObject({ sensitive: true, default: "" });
      expect(json.locals.grafana_admin_password_value).toBe(
        '${sensitive(coalesce(trimspace(var.grafana_admin_password), try(trimspace(file("../../../.secrets/grafana-admin-password")), "")))}',
      );
      expect(synthesized).not.toMatch(/admin:admin|GF_SECURITY_ADMIN_PASSWORD=admin/);
    });
  });

  it("outputs the URLs, the admin user and how to get the password (never the password)", () => {
    expect(json.output).toMatchObject({
      api_url: { value: "http://127.0.0.1:8000" },
      prometheus_url: { value: "http://127.0.0.1:9090" },
      grafana_url: { value: "http://127.0.0.1:3000" },
      grafana_admin_user: { value: "admin" },
      grafana_admin_password_hint: {
        value: "cat .secrets/grafana-admin-password (or the value of TF_VAR_grafana_admin_password if you set it)",
      },
    });
    expect(Object.keys(json.output.dashboard_urls.value as Record<string, string>).sort()).toEqual(
      stack.dashboards.map((dashboard) => dashboard.uid).sort(),
    );
  });

  describe("validation: every invalid setting at once", () => {
    function problemsOf(
      props: Parameters<typeof synthMonitoringStack>[0],
      env: Parameters<typeof synthMonitoringStack>[1] = {},
    ): string {
      try {
        synthMonitoringStack(props, env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected the stack to fail");
    }

    it("fails when two services publish the same host port", () => {
      expect(problemsOf({ grafana: { hostPort: 9090 } })).toContain(
        "grafana.hostPort clashes with prometheus.hostPort: both publish port 9090 on 127.0.0.1; give each service its own host port",
      );
    });

    it("fails when a port clashes through 0.0.0.0", () => {
      expect(problemsOf({}, { API_HOST_PORT: "3000", API_BIND_ADDRESS: "0.0.0.0" })).toContain(
        "api.hostPort clashes with grafana.hostPort: both publish port 3000 on 127.0.0.1 and 0.0.0.0",
      );
    });

    it("accepts the same host port on two distinct addresses", () => {
      expect(() => synthMonitoringStack({}, { API_HOST_PORT: "3000", API_BIND_ADDRESS: "10.0.0.5" })).not.toThrow();
    });

    it("fails when the scrape interval is 0", () => {
      expect(problemsOf({ scrapeIntervalSeconds: 0 })).toContain(
        "scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
      );
    });

    it("fails when the network name is invalid", () => {
      expect(problemsOf({ networkName: "my net" })).toContain("networkName must start with a letter or digit");
    });

    it("fails when an alert threshold is out of range, naming it under its component", () => {
      expect(problemsOf({}, { ALERT_API_ERROR_RATIO: "2" })).toContain(
        "api.thresholds.errorRatio must be a number greater than 0 and less than 1 (got 2); it is a threshold of ApiHighErrorRatio",
      );
    });

    it("fails when an imported dashboard is broken, naming the file, the panel and the problem", () => {
      const broken = JSON.stringify({
        uid: "broken-import",
        title: "Broken",
        panels: [
          {
            id: 1,
            type: "timeseries",
            title: "Kafka lag",
            gridPos: { x: 0, y: 0, w: 12, h: 8 },
            datasource: { type: "prometheus", uid: "prometheus" },
            targets: [
              {
                refId: "A",
                expr: "sum(kafka_consumergroup_lag)",
                datasource: { type: "prometheus", uid: "prometheus" },
              },
            ],
          },
        ],
      });
      const { app, folder } = testApp();
      const stack = buildMonitoringStack(app, {
        ...testInputs(folder),
        importedDashboards: [{ fileName: "big-data.json", content: broken }],
      });
      let message = "";
      try {
        Testing.synth(stack);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^MonitoringStack "monitoring": 1 invalid setting:/);
      expect(message).toContain('json:big-data.json, panel "Kafka lag" (id 1)');
      expect(message).toContain("kafka_consumergroup_lag");
    });

    it("collects problems from every service into one error", () => {
      expect(
        problemsOf(
          {
            scrapeIntervalSeconds: -1,
            prometheus: { retentionDays: 0, image: "prom/prometheus:latest" },
            grafana: { memoryMb: 1 },
          },
          { API_HOST_PORT: "70000" },
        ),
      ).toBe(
        'MonitoringStack "monitoring": 5 invalid settings:\n' +
          "  - scrapeIntervalSeconds must be an integer between 1 and 3600 (got -1)\n" +
          '  - prometheus.image must be pinned to a version tag, not "latest", so every deploy runs the same image (got "prom/prometheus:latest")\n' +
          "  - prometheus.retentionDays must be an integer between 1 and 3650 (got 0)\n" +
          "  - grafana.memoryMb must be an integer between 64 and 65536 (got 1)\n" +
          "  - api.hostPort must be an integer between 1 and 65535 (got 70000)",
      );
    });
  });
});
