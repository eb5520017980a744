import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { MonitoringNetwork } from "../constructs/core/network";
import { Service } from "../constructs/core/service";
import { Prometheus, PrometheusProps } from "../constructs/prometheus";
import { GeneratedFile, filesDigest } from "../constructs/core/config-image-files";
import { IMAGES } from "./support/versions";

interface BuiltPrometheus {
  readonly stack: TerraformStack;
  readonly network: MonitoringNetwork;
  readonly prometheus: Prometheus;
}

/** Prometheus on its own network in a plain TerraformStack (with the Docker provider, as a user's stack has). */
function buildPrometheus(
  props: Partial<PrometheusProps> = {},
  extend: (prometheus: Prometheus, network: MonitoringNetwork, stack: TerraformStack) => void = () => undefined,
): BuiltPrometheus {
  const stack = new TerraformStack(Testing.app(), "stack");
  new DockerProvider(stack, "docker");
  const network = new MonitoringNetwork(stack, "Network");
  const prometheus = new Prometheus(stack, "Prometheus", { network, ...props });
  extend(prometheus, network, stack);
  return { stack, network, prometheus };
}

function synthPrometheus(
  props: Partial<PrometheusProps> = {},
  extend: (prometheus: Prometheus, network: MonitoringNetwork, stack: TerraformStack) => void = () => undefined,
): { container: Record<string, unknown>; prometheus: Prometheus; synthesized: string } {
  const { stack, prometheus } = buildPrometheus(props, extend);
  const synthesized = Testing.synth(stack);
  const json = JSON.parse(synthesized) as { resource: { docker_container: Record<string, Record<string, unknown>> } };
  return {
    container: Object.values(json.resource.docker_container)[0],
    prometheus,
    synthesized,
  };
}

/** The build context of Prometheus' config image (the Dockerfile and the files), as written next to cdk.tf.json. */
function contextFiles(prometheus: Prometheus): GeneratedFile[] {
  if (prometheus.configImage === undefined) throw new Error("Prometheus has no config image");
  return prometheus.configImage.contextFiles();
}

/** prometheus.yml as baked into the image (from the build context the config image writes next to cdk.tf.json). */
function bakedConfig(prometheus: Prometheus): Record<string, unknown> {
  const file = contextFiles(prometheus).find((f) => f.path === "build/prometheus/prometheus.yml");
  return parse((file as { content: string }).content) as Record<string, unknown>;
}

/** The messages of every problem Prometheus reports about itself. */
function problems(prometheus: Prometheus): string[] {
  return prometheus.configProblems().map((problem) => problem.message);
}

describe("Prometheus", () => {
  it("scrapes itself and nothing else until targets are added", () => {
    const config = bakedConfig(synthPrometheus().prometheus);
    expect(config.scrape_configs).toEqual([
      {
        job_name: "prometheus",
        metrics_path: "/metrics",
        scheme: "http",
        sample_limit: 20000,
        label_limit: 64,
        static_configs: [{ targets: ["prometheus:9090"] }],
      },
    ]);
  });

  it("renders prometheus.yml from the services added to its network after construction", () => {
    const { prometheus } = synthPrometheus({}, (_p, network, stack) => {
      new Service(stack, "Api", { name: "api", network, image: "ghcr.io/acme/api:1.0.0", port: 8000 });
    });
    const jobs = bakedConfig(prometheus).scrape_configs as { job_name: string; static_configs: unknown }[];
    expect(jobs.map((job) => job.job_name)).toEqual(["api", "prometheus"]);
    expect(jobs[0].static_configs).toEqual([{ targets: ["api:8000"] }]);
  });

  it("scrapes every 15 s by default, with the timeout and evaluation interval derived from it", () => {
    const { prometheus } = synthPrometheus();
    expect(bakedConfig(prometheus).global).toEqual({
      scrape_interval: "15s",
      scrape_timeout: "10s",
      evaluation_interval: "15s",
    });
    expect(prometheus.scrapeIntervalSeconds).toBe(15);
  });

  it("uses the scrape interval given", () => {
    expect(bakedConfig(synthPrometheus({ scrapeIntervalSeconds: 5 }).prometheus).global).toEqual({
      scrape_interval: "5s",
      scrape_timeout: "5s",
      evaluation_interval: "5s",
    });
  });

  it("keeps 15 days or 2048 MiB of data by default, on the named volume", () => {
    const { container } = synthPrometheus();
    expect(container.command).toEqual([
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=15d",
      "--storage.tsdb.retention.size=2048MB",
      "--web.listen-address=:9090",
    ]);
    expect(container.mounts).toEqual([{ type: "volume", source: "monitoring-prometheus-data", target: "/prometheus" }]);
  });

  it("uses the retention and volume name given", () => {
    const { container } = synthPrometheus({ retentionDays: 30, retentionSizeMb: 512, dataVolumeName: "tsdb" });
    expect(container.command).toContain("--storage.tsdb.retention.time=30d");
    expect(container.command).toContain("--storage.tsdb.retention.size=512MB");
    expect((container.mounts as { source?: string }[])[0].source).toBe("tsdb");
  });

  it("does not enable the admin or lifecycle APIs", () => {
    const command = synthPrometheus().container.command as string[];
    expect(command.filter((flag) => /admin-api|enable-lifecycle/.test(flag))).toEqual([]);
  });

  it("applies the sample and label limits to every job", () => {
    const { prometheus } = synthPrometheus({ sampleLimit: 500, labelLimit: 20 });
    expect(bakedConfig(prometheus).scrape_configs).toEqual([
      expect.objectContaining({ job_name: "prometheus", sample_limit: 500, label_limit: 20 }),
    ]);
  });

  it("bakes rule files in next to prometheus.yml and lists them in rule_files", () => {
    const { prometheus } = synthPrometheus({}, (p) =>
      p.addRuleFile("alerts", { groups: [{ name: "g", rules: [{ alert: "A", expr: "vector(1)" }] }] }),
    );
    const files = contextFiles(prometheus);
    expect(files.map((file) => file.path)).toEqual([
      "build/prometheus/Dockerfile",
      "build/prometheus/prometheus.yml",
      "build/prometheus/rules/alerts.yml",
    ]);
    expect(parse(files[2].content)).toEqual({ groups: [{ name: "g", rules: [{ alert: "A", expr: "vector(1)" }] }] });
    expect(bakedConfig(prometheus).rule_files).toEqual(["rules/alerts.yml"]);
    expect(prometheus.configFiles().map((file) => file.path)).toEqual(["prometheus.yml", "rules/alerts.yml"]);
  });

  it("builds its image FROM the pinned Prometheus image, copying every generated file to /etc/prometheus", () => {
    const { prometheus, synthesized } = synthPrometheus({}, (p) => p.addRuleFile("alerts", { groups: [] }));
    const [dockerfile] = contextFiles(prometheus);
    expect(dockerfile.content.split("\n").filter((line) => !line.startsWith("#"))).toEqual([
      "ARG BASE_IMAGE",
      "FROM ${BASE_IMAGE}",
      "COPY prometheus.yml /etc/prometheus/prometheus.yml",
      "COPY rules/alerts.yml /etc/prometheus/rules/alerts.yml",
      "",
    ]);
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      {
        name: "monitoring-prometheus:local",
        build: {
          context: "${path.cwd}/build/prometheus",
          dockerfile: "Dockerfile",
          build_args: { BASE_IMAGE: IMAGES.prometheus },
        },
        triggers: { context_sha256: filesDigest(contextFiles(prometheus)) },
        keep_locally: false,
      },
    );
  });

  it("rebuilds the image when the config changes", () => {
    const digest = (sampleLimit: number): string =>
      filesDigest(contextFiles(synthPrometheus({ sampleLimit }).prometheus));
    expect(digest(100)).not.toBe(digest(200));
    expect(digest(100)).toBe(digest(100));
  });

  it("runs the built image with nothing copied into the container (its root filesystem is read-only)", () => {
    const { container, synthesized } = synthPrometheus();
    const imageKey = Object.keys(JSON.parse(synthesized).resource.docker_image)[0];
    expect(container.image).toBe(`\${docker_image.${imageKey}.image_id}`);
    expect(container.read_only).toBe(true);
    expect(container.upload).toBeUndefined();
  });

  it("checks readiness with the image's busybox wget", () => {
    expect(synthPrometheus().container.healthcheck).toEqual({
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/ready"],
      interval: "10s",
      timeout: "5s",
      retries: 6,
      start_period: "15s",
    });
  });

  it("runs as nobody", () => {
    expect(synthPrometheus().container.user).toBe("65534:65534");
  });

  it("exposes its internal URL for Grafana and its host URL", () => {
    const { prometheus } = synthPrometheus({ hostPort: 19090 });
    expect(prometheus.internalUrl).toBe("http://prometheus:9090");
    expect(prometheus.hostUrl).toBe("http://127.0.0.1:19090");
  });

  it("fails when a target names no deployed service", () => {
    const { prometheus, stack } = buildPrometheus({}, (p) =>
      p.addScrapeTarget({ jobName: "kafka", host: "kafka", port: 9092, metricsPath: "/metrics" }),
    );
    const message =
      'scrape job "kafka": target host "kafka" is no service deployed on network "monitoring" (deployed: prometheus); add the service, remove the target, or set outsideNetwork: true for a host outside the network';
    expect(problems(prometheus)).toEqual([message]);
    // The same problem is a cdktf validation of the construct: a plain TerraformStack fails its synth with it.
    expect(prometheus.node.validate()).toEqual([message]);
    expect(() => Testing.synth(stack, true)).toThrow(
      `Validation failed with the following errors:\n  [stack/Prometheus] ${message}\n\n`,
    );
  });

  it("accepts a target outside the network only with the explicit opt-in", () => {
    const { prometheus } = synthPrometheus({}, (p) =>
      p.addScrapeTarget({
        jobName: "legacy",
        host: "10.0.0.5",
        port: 9187,
        metricsPath: "/metrics",
        outsideNetwork: true,
      }),
    );
    expect(prometheus.configProblems()).toEqual([]);
    expect((bakedConfig(prometheus).scrape_configs as { job_name: string }[]).map((job) => job.job_name)).toEqual([
      "legacy",
      "prometheus",
    ]);
  });

  it("checks hosts against the final set of services, whatever the call order", () => {
    const { prometheus, network, stack } = buildPrometheus({}, (p) =>
      p.addScrapeTarget({ jobName: "worker-sidecar", host: "worker", port: 9100, metricsPath: "/metrics" }),
    );
    expect(problems(prometheus)).toEqual([
      'scrape job "worker-sidecar": target host "worker" is no service deployed on network "monitoring" (deployed: prometheus); add the service, remove the target, or set outsideNetwork: true for a host outside the network',
    ]);
    // The service the target names joins the network after the target was added.
    new Service(stack, "Worker", { name: "worker", network, image: "ghcr.io/acme/worker:1.0.0", port: 8080 });
    expect(prometheus.configProblems()).toEqual([]);
  });

  it("fails when a job name is added twice", () => {
    const { prometheus } = buildPrometheus({}, (p) =>
      p.addScrapeTarget({ jobName: "prometheus", host: "prometheus", port: 9090, metricsPath: "/metrics" }),
    );
    expect(problems(prometheus)).toEqual([
      'scrape job "prometheus" is already scraped; give each service or scrape job its own name',
    ]);
  });

  it("fails when alerts are sent to an Alertmanager that is not deployed", () => {
    const { prometheus } = buildPrometheus({}, (p) => p.addAlertmanager({ host: "alertmanager", port: 9093 }));
    expect(problems(prometheus)).toEqual([
      'alertmanager host "alertmanager" is no service deployed on network "monitoring" (deployed: prometheus)',
    ]);
  });

  it("fails when a rule file name is used twice", () => {
    const { prometheus } = buildPrometheus({}, (p) => {
      p.addRuleFile("alerts", { groups: [] });
      p.addRuleFile("alerts", { groups: [] });
    });
    expect(problems(prometheus)).toEqual([
      'alertRules.alerts: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got "alerts")',
    ]);
  });

  it("fails when the scrape interval is 0 (and so the evaluation interval, which defaults to it)", () => {
    expect(problems(buildPrometheus({ scrapeIntervalSeconds: 0 }).prometheus)).toEqual([
      "prometheus.scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
      "prometheus.evaluationIntervalSeconds must be an integer between 1 and 3600 (got 0)",
    ]);
  });

  it("fails when the retention is 0 days", () => {
    expect(problems(buildPrometheus({ retentionDays: 0 }).prometheus)).toEqual([
      "prometheus.retentionDays must be an integer between 1 and 3650 (got 0)",
    ]);
  });

  it("fails when the retention size is below 64 MiB", () => {
    expect(problems(buildPrometheus({ retentionSizeMb: 10 }).prometheus)).toEqual([
      "prometheus.retentionSizeMb must be an integer between 64 and 16777216 (got 10)",
    ]);
  });

  it("fails when the image is not pinned", () => {
    expect(problems(buildPrometheus({ image: "prom/prometheus" }).prometheus)).toEqual([
      'prometheus.image must be an image reference with an explicit version tag such as "grafana/grafana:12.2.1" (got "prom/prometheus")',
    ]);
  });

  it("fails when the data volume name is invalid", () => {
    // Checked once, by Service (the volume's mount), named as the user set it.
    expect(problems(buildPrometheus({ dataVolumeName: "my volume" }).prometheus)).toEqual([
      'prometheus.dataVolumeName must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 63 characters) (got "my volume")',
    ]);
  });
});
