import { Testing } from "cdktf";
import { Construct } from "constructs";
import { parse } from "yaml";
import { Alertmanager, AlertmanagerProps } from "../constructs/alertmanager";
import { renderAlertmanagerConfig } from "../constructs/alertmanager-config";
import { MonitoringNetwork } from "../constructs/network";
import { IMAGES } from "../constructs/versions";
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
  it("pulls the pinned image", () => {
    expect(synthAlertmanager().synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      { name: IMAGES.alertmanager },
    );
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
      mounts: [
        { type: "volume", source: "monitoring-alertmanager-data", target: "/alertmanager" },
        { type: "volume", target: "/etc/alertmanager" },
      ],
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

  it("uploads the rendered alertmanager.yml", () => {
    const { container } = synthAlertmanager({ webhookUrl: "http://bridge:8080/alerts" });
    const upload = (container.upload as { file: string; content: string }[])[0];
    expect(upload.file).toBe("/etc/alertmanager/alertmanager.yml");
    expect(parse(upload.content)).toEqual(renderAlertmanagerConfig({ webhookUrl: "http://bridge:8080/alerts" }));
  });

  it("exposes its scrape target and the address Prometheus sends alerts to", () => {
    const { alertmanager } = synthAlertmanager({ hostPort: 19093 });
    expect(alertmanager.scrapeTarget).toEqual({
      jobName: "alertmanager",
      host: "alertmanager",
      port: 9093,
      metricsPath: "/metrics",
    });
    expect(alertmanager.internalAddress).toBe("alertmanager:9093");
    expect(alertmanager.hostUrl).toBe("http://127.0.0.1:19093");
  });

  it("fails when the webhook URL is not an http URL", () => {
    expect(() => synthAlertmanager({ webhookUrl: "slack" })).toThrow(
      'webhookUrl must be an http:// or https:// URL such as "http://chat-bridge:8080/alerts"',
    );
  });

  it("fails when the host port is out of range", () => {
    expect(() => synthAlertmanager({ hostPort: 99999 })).toThrow(
      "hostPort must be an integer between 1 and 65535 (got 99999)",
    );
  });
});

describe("MonitoringStack with Alertmanager", () => {
  function uploads(json: ReturnType<typeof synthMonitoringStack>["json"]): Record<string, string> {
    const prometheus = Object.values(json.resource.docker_container).find((c) => c.name === "monitoring-prometheus");
    return Object.fromEntries(
      (prometheus?.upload as { file: string; content: string }[]).map((upload) => [upload.file, upload.content]),
    );
  }

  it("deploys no Alertmanager unless enabled", () => {
    const { json, stack } = synthMonitoringStack();
    expect(stack.alertmanager).toBeUndefined();
    expect(Object.values(json.resource.docker_container).map((c) => c.name)).not.toContain("monitoring-alertmanager");
    expect(parse(uploads(json)["/etc/prometheus/prometheus.yml"]).alerting).toBeUndefined();
  });

  it("when enabled, sends alerts to it, scrapes it and pages when it is down", () => {
    const { json } = synthMonitoringStack({ alertmanager: { enabled: true } });
    const config = parse(uploads(json)["/etc/prometheus/prometheus.yml"]);
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
    expect(config.scrape_configs.map((job: { job_name: string }) => job.job_name)).toEqual([
      "alertmanager",
      "api",
      "grafana",
      "prometheus",
    ]);
    expect(uploads(json)["/etc/prometheus/rules/alerts.yml"]).toContain('job=~"alertmanager|api|grafana|prometheus"');
    expect(json.output.alertmanager_url.value).toBe("http://127.0.0.1:9093");
    expect(json.output.data_volumes.value).toContain("monitoring-alertmanager-data");
  });

  it("fails when the Alertmanager port clashes with another service", () => {
    expect(() => synthMonitoringStack({ alertmanager: { enabled: true, hostPort: 8000 } })).toThrow(
      "alertmanager.hostPort clashes with api.hostPort: both publish port 8000 on 127.0.0.1; give each service its own host port",
    );
  });

  it("ignores the Alertmanager settings when it is not enabled", () => {
    expect(() => synthMonitoringStack({ alertmanager: { hostPort: 8000 } })).not.toThrow();
  });
});
