import { Testing } from "cdktf";
import { Construct } from "constructs";
import { parse } from "yaml";
import { Alertmanager, AlertmanagerProps } from "../constructs/alertmanager";
import { renderAlertmanagerConfig } from "../constructs/alertmanager/config";
import { MonitoringNetwork } from "../constructs/core/network";
import { IMAGES } from "./support/versions";
import { synthMonitoringStack } from "./support/stack";

function synthAlertmanager(props: Partial<AlertmanagerProps> = {}): {
  container: Record<string, unknown>;
  alertmanager: Alertmanager;
  synthesized: string;
} {
  let alertmanager: Alertmanager | undefined;
  const synthesized = Testing.synthScope((scope: Construct) => {
    const network = new MonitoringNetwork(scope, "Network");
    alertmanager = new Alertmanager(scope, "Alertmanager", { network, ...props });
  });
  const json = JSON.parse(synthesized) as { resource: { docker_container: Record<string, Record<string, unknown>> } };
  return {
    container: Object.values(json.resource.docker_container)[0],
    alertmanager: alertmanager as Alertmanager,
    synthesized,
  };
}

describe("Alertmanager", () => {
  it("builds its image FROM the pinned Alertmanager image with the config baked in", () => {
    const { alertmanager, synthesized } = synthAlertmanager();
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      {
        name: "monitoring-alertmanager:local",
        build: {
          context: "${path.cwd}/build/alertmanager",
          dockerfile: "Dockerfile",
          build_args: { BASE_IMAGE: IMAGES.alertmanager },
        },
      },
    );
    expect(alertmanager.image.contextFiles().map((file) => file.path)).toEqual([
      "build/alertmanager/Dockerfile",
      "build/alertmanager/alertmanager.yml",
    ]);
  });

  it("runs a single hardened instance with its state on a named volume", () => {
    const { container } = synthAlertmanager();
    expect(container).toMatchObject({
      name: "monitoring-alertmanager",
      user: "65534:65534",
      read_only: true,
      memory: 128,
      ports: [{ internal: 9093, external: 9093, ip: "127.0.0.1", protocol: "tcp" }],
      command: [
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path=/alertmanager",
        "--web.listen-address=:9093",
        "--cluster.listen-address=",
      ],
      mounts: [{ type: "volume", source: "monitoring-alertmanager-data", target: "/alertmanager" }],
    });
    expect((container.healthcheck as { test: string[] }).test).toEqual([
      "CMD",
      "wget",
      "-q",
      "-O",
      "/dev/null",
      "http://127.0.0.1:9093/-/ready",
    ]);
  });

  it("bakes in the rendered alertmanager.yml", () => {
    const { alertmanager } = synthAlertmanager();
    const file = alertmanager.image.contextFiles().find((f) => f.path === "build/alertmanager/alertmanager.yml");
    expect(parse(file?.content ?? "")).toEqual(renderAlertmanagerConfig({}));
  });

  it("posts to the webhook whose URL a host file holds, mounted read-only and never in the config or JSON", () => {
    const { alertmanager, container, synthesized } = synthAlertmanager({
      webhookUrlFile: "/etc/monitoring/webhook-url",
    });
    const file = alertmanager.image.contextFiles().find((f) => f.path === "build/alertmanager/alertmanager.yml");
    expect(parse(file?.content ?? "")).toEqual(
      renderAlertmanagerConfig({ webhookUrlFile: "/run/secrets/alertmanager-webhook-url" }),
    );
    expect(container.mounts).toEqual([
      { type: "volume", source: "monitoring-alertmanager-data", target: "/alertmanager" },
      {
        type: "bind",
        source: "/etc/monitoring/webhook-url",
        target: "/run/secrets/alertmanager-webhook-url",
        read_only: true,
      },
    ]);
    // Only the file's path is anywhere in the JSON: Alertmanager reads the URL from the mounted file.
    expect(synthesized).toContain("/etc/monitoring/webhook-url");
    expect(file?.content).toContain("url_file: /run/secrets/alertmanager-webhook-url");
    expect(file?.content).not.toMatch(/\burl: /);
  });

  it("exposes its scrape target and the address Prometheus sends alerts to", () => {
    const { alertmanager } = synthAlertmanager({ hostPort: 19093 });
    expect(alertmanager.scrapeTarget).toEqual({
      jobName: "alertmanager",
      host: "alertmanager",
      port: 9093,
      metricsPath: "/metrics",
    });
    expect(alertmanager.receiver).toEqual({ host: "alertmanager", port: 9093 });
    expect(alertmanager.hostUrl).toBe("http://127.0.0.1:19093");
  });

  it("fails when the webhook URL file is not an absolute path", () => {
    expect(() => synthAlertmanager({ webhookUrlFile: "webhook-url" })).toThrow(
      'webhookUrlFile must be the absolute path of a file on the Docker host holding the webhook URL (got "webhook-url")',
    );
  });

  it("fails when the host port is out of range", () => {
    expect(() => synthAlertmanager({ hostPort: 99999 })).toThrow(
      "hostPort must be an integer between 1 and 65535 (got 99999)",
    );
  });
});

describe("MonitoringStack with Alertmanager", () => {
  /** The files the stack writes next to cdk.tf.json, by path. */
  function generated(stack: ReturnType<typeof synthMonitoringStack>["stack"]): Record<string, string> {
    return Object.fromEntries(stack.generatedFiles().map((file) => [file.path, file.content]));
  }

  it("deploys no Alertmanager unless enabled", () => {
    const { json, stack } = synthMonitoringStack();
    expect(stack.alertmanager).toBeUndefined();
    expect(Object.values(json.resource.docker_container).map((c) => c.name)).not.toContain("monitoring-alertmanager");
    expect(parse(generated(stack)["build/prometheus/prometheus.yml"]).alerting).toBeUndefined();
    expect(Object.keys(generated(stack)).filter((path) => path.startsWith("build/alertmanager/"))).toEqual([]);
  });

  it("when enabled, sends alerts to it, scrapes it and pages when it is down", () => {
    const { json, stack } = synthMonitoringStack({ alertmanager: { enabled: true } });
    const config = parse(generated(stack)["build/prometheus/prometheus.yml"]);
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
    expect(config.scrape_configs.map((job: { job_name: string }) => job.job_name)).toEqual([
      "alertmanager",
      "api",
      "blackbox-exporter",
      "grafana",
      "node-exporter",
      "probes",
      "prometheus",
    ]);
    // Alertmanager's health endpoint is probed with every other.
    expect(
      (config.scrape_configs as { job_name: string; static_configs: { labels?: { service?: string } }[] }[])
        .find((job) => job.job_name === "probes")
        ?.static_configs.map((entry) => entry.labels?.service),
    ).toContain("alertmanager");
    expect(generated(stack)["build/alertmanager/alertmanager.yml"]).toContain("receivers:");
    expect(generated(stack)["build/prometheus/rules/alerts.yml"]).toContain(
      'job=~"alertmanager|api|blackbox-exporter|grafana|node-exporter|probes|prometheus"',
    );
    expect(json.output.alertmanager_url.value).toBe("http://127.0.0.1:9093");
    expect(json.output.data_volumes.value).toContain("monitoring-alertmanager-data");
  });

  it("fails when the Alertmanager port clashes with another service", () => {
    expect(() => synthMonitoringStack({ alertmanager: { enabled: true, hostPort: 8000 } })).toThrow(
      "api.hostPort clashes with alertmanager.hostPort: both publish port 8000 on 127.0.0.1; give each service its own host port",
    );
  });

  it("fails when Alertmanager settings are given but it is not enabled", () => {
    expect(() => synthMonitoringStack({ alertmanager: { webhookUrlFile: "/etc/monitoring/webhook-url" } })).toThrow(
      "alertmanager.webhookUrlFile is set but Alertmanager is not deployed: set alertmanager.enabled to true (ALERTMANAGER_ENABLED=true), or remove the setting",
    );
  });

  it("accepts enabled: false alone", () => {
    expect(synthMonitoringStack({ alertmanager: { enabled: false } }).stack.alertmanager).toBeUndefined();
  });
});
