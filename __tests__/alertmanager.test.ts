import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { Alertmanager, AlertmanagerProps, addAlertmanager } from "../constructs/alertmanager";
import { renderAlertmanagerConfig } from "../constructs/alertmanager/config";
import { GeneratedFile } from "../constructs/core/config-image-files";
import { MonitoringNetwork } from "../constructs/core/network";
import { ConfigError } from "../constructs/core/validation";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { IMAGES } from "./support/versions";
import { containers, newTestStack, synthJson, synthMonitoringStack } from "./support/stack";

/** Alertmanager on its own network in a plain TerraformStack (with the Docker provider, as a user's stack has). */
function buildAlertmanager(props: Partial<AlertmanagerProps> = {}): {
  stack: TerraformStack;
  alertmanager: Alertmanager;
} {
  const stack = new TerraformStack(Testing.app(), "stack");
  new DockerProvider(stack, "docker");
  const network = new MonitoringNetwork(stack, "Network");
  return { stack, alertmanager: new Alertmanager(stack, "Alertmanager", { network, ...props }) };
}

function synthAlertmanager(props: Partial<AlertmanagerProps> = {}): {
  container: Record<string, unknown>;
  alertmanager: Alertmanager;
  synthesized: string;
} {
  const { stack, alertmanager } = buildAlertmanager(props);
  const synthesized = Testing.synth(stack);
  const json = JSON.parse(synthesized) as { resource: { docker_container: Record<string, Record<string, unknown>> } };
  return {
    container: Object.values(json.resource.docker_container)[0],
    alertmanager,
    synthesized,
  };
}

/** The build context of Alertmanager's config image (the Dockerfile and the files). */
function contextFiles(alertmanager: Alertmanager): GeneratedFile[] {
  if (alertmanager.configImage === undefined) throw new Error("Alertmanager has no config image");
  return alertmanager.configImage.contextFiles();
}

/** The messages of every problem Alertmanager reports about itself. */
function problems(alertmanager: Alertmanager): string[] {
  return alertmanager.configProblems().map((problem) => problem.message);
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
    expect(contextFiles(alertmanager).map((file) => file.path)).toEqual([
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
    const file = contextFiles(alertmanager).find((f) => f.path === "build/alertmanager/alertmanager.yml");
    expect(parse(file?.content ?? "")).toEqual(renderAlertmanagerConfig({}));
  });

  it("posts to the webhook whose URL a host file holds, mounted read-only and never in the config or JSON", () => {
    const { alertmanager, container, synthesized } = synthAlertmanager({
      webhookUrlFile: "/etc/monitoring/webhook-url",
    });
    const file = contextFiles(alertmanager).find((f) => f.path === "build/alertmanager/alertmanager.yml");
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
    expect(alertmanager.scrapeTargets).toEqual([
      {
        jobName: "alertmanager",
        host: "alertmanager",
        port: 9093,
        metricsPath: "/metrics",
      },
    ]);
    expect(alertmanager.receiver).toEqual({ host: "alertmanager", port: 9093 });
    expect(alertmanager.hostUrl).toBe("http://127.0.0.1:19093");
  });

  it("accepts the defaults and a webhook URL file", () => {
    expect(buildAlertmanager().alertmanager.configProblems()).toEqual([]);
    expect(buildAlertmanager({ webhookUrlFile: "/etc/monitoring/webhook-url" }).alertmanager.configProblems()).toEqual(
      [],
    );
  });

  it("fails when the webhook URL file is not an absolute path", () => {
    const { alertmanager, stack } = buildAlertmanager({ webhookUrlFile: "webhook-url" });
    const message = 'alertmanager.webhookUrlFile must be an absolute host path for a bind mount (got "webhook-url")';
    // Checked once, by Service (the file's bind mount), named as the user set it.
    expect(problems(alertmanager)).toEqual([message]);
    // In a plain TerraformStack the problems are cdktf validations of the construct.
    expect(() => Testing.synth(stack, true)).toThrow(`  [stack/Alertmanager] ${message}\n`);
  });

  it("fails when the host port is out of range", () => {
    const { alertmanager, stack } = buildAlertmanager({ hostPort: 99999 });
    const message = "alertmanager.hostPort must be an integer between 1 and 65535 (got 99999)";
    expect(problems(alertmanager)).toEqual([message]);
    expect(() => Testing.synth(stack, true)).toThrow(
      `Validation failed with the following errors:\n  [stack/Alertmanager] ${message}\n\n`,
    );
  });

  it("fails when the grouping is invalid", () => {
    expect(problems(buildAlertmanager({ groupBy: [], repeatIntervalSeconds: 60 }).alertmanager)).toEqual([
      'alertmanager.groupBy must list at least one label name (letters, digits and "_", not starting with a digit) such as ["alertname", "job"] (got [])',
      "alertmanager.repeatIntervalSeconds must be at least groupIntervalSeconds (300), because notifications are only sent at group intervals (got 60)",
    ]);
  });
});

describe("MonitoringStack with Alertmanager", () => {
  /** The files the stack writes next to cdk.tf.json, by path. */
  function generated(stack: MonitoringStack): Record<string, string> {
    return Object.fromEntries(stack.generatedFiles().map((file) => [file.path, file.content]));
  }

  /** The ConfigError a synth throws. */
  function configError(synth: () => unknown): ConfigError {
    try {
      synth();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error("the synth did not fail");
  }

  it("deploys no Alertmanager unless enabled", () => {
    const { json, stack } = synthMonitoringStack();
    expect(stack.services.has("alertmanager")).toBe(false);
    expect(containers(json).map((c) => c.name)).not.toContain("monitoring-alertmanager");
    expect(parse(generated(stack)["build/prometheus/prometheus.yml"]).alerting).toBeUndefined();
    expect(Object.keys(generated(stack)).filter((path) => path.startsWith("build/alertmanager/"))).toEqual([]);
  });

  it("when enabled (ALERTMANAGER_ENABLED=true), sends alerts to it, scrapes it and pages when it is down", () => {
    const withoutIt = synthMonitoringStack().stack.deployedJobs;
    const { json, stack } = synthMonitoringStack({}, { ALERTMANAGER_ENABLED: "true" });
    const jobs = [...withoutIt, "alertmanager"].sort();
    const config = parse(generated(stack)["build/prometheus/prometheus.yml"]);
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
    // Exactly one job more than without it: its own.
    expect(config.scrape_configs.map((job: { job_name: string }) => job.job_name)).toEqual(jobs);
    // Alertmanager's health endpoint is probed with every other.
    expect(
      (config.scrape_configs as { job_name: string; static_configs: { labels?: { service?: string } }[] }[])
        .find((job) => job.job_name === "probes")
        ?.static_configs.map((entry) => entry.labels?.service),
    ).toContain("alertmanager");
    expect(generated(stack)["build/alertmanager/alertmanager.yml"]).toContain("receivers:");
    expect(generated(stack)["build/prometheus/rules/alerts.yml"]).toContain(`job=~"${jobs.join("|")}"`);
    expect(json.output.alertmanager_url.value).toBe("http://127.0.0.1:9093");
    expect(json.output.data_volumes.value).toContain("monitoring-alertmanager-data");
  });

  it("is added to any MonitoringStack by addAlertmanager, with the options given", () => {
    const stack = newTestStack();
    const alertmanager = addAlertmanager(stack, { hostPort: 19093, webhookUrlFile: "/etc/monitoring/webhook-url" });
    const json = synthJson(stack);
    expect(stack.services.get("alertmanager")).toBe(alertmanager);
    expect(parse(generated(stack)["build/prometheus/prometheus.yml"]).alerting).toEqual({
      alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }],
    });
    expect(generated(stack)["build/alertmanager/alertmanager.yml"]).toContain(
      "url_file: /run/secrets/alertmanager-webhook-url",
    );
    expect(json.output.alertmanager_url.value).toBe("http://127.0.0.1:19093");
  });

  it("fails when the Alertmanager port clashes with another service", () => {
    const error = configError(() =>
      synthMonitoringStack({}, { ALERTMANAGER_ENABLED: "true", ALERTMANAGER_HOST_PORT: "8000" }),
    );
    expect(error.message).toBe(
      'MonitoringStack "monitoring": 1 invalid setting:\n' +
        "  - api.hostPort clashes with alertmanager.hostPort: both publish port 8000 on 127.0.0.1; give each service its own host port",
    );
  });

  it("fails when Alertmanager settings are given but it is not enabled", () => {
    const error = configError(() =>
      synthMonitoringStack({}, { ALERTMANAGER_WEBHOOK_URL_FILE: "/etc/monitoring/webhook-url" }),
    );
    expect(error.problems).toEqual([
      {
        path: "alertmanager.webhookUrlFile",
        message:
          "ALERTMANAGER_WEBHOOK_URL_FILE is set but alertmanager is not deployed: set ALERTMANAGER_ENABLED=true, or unset ALERTMANAGER_WEBHOOK_URL_FILE",
      },
    ]);
  });

  it("accepts ALERTMANAGER_ENABLED=false alone", () => {
    expect(synthMonitoringStack({}, { ALERTMANAGER_ENABLED: "false" }).stack.services.has("alertmanager")).toBe(false);
  });
});
