import { Testing } from "cdktf";
import { Construct } from "constructs";
import { parse } from "yaml";
import { MonitoringNetwork } from "../constructs/core/network";
import { Prometheus, PrometheusProps } from "../constructs/prometheus";
import { filesDigest } from "../constructs/core/config-image-files";
import { IMAGES } from "./support/versions";

function synthPrometheus(
  props: Partial<PrometheusProps> = {},
  extend: (prometheus: Prometheus, network: MonitoringNetwork) => void = () => undefined,
): { container: Record<string, unknown>; prometheus: Prometheus; synthesized: string } {
  let prometheus: Prometheus | undefined;
  const synthesized = Testing.synthScope((scope: Construct) => {
    const network = new MonitoringNetwork(scope, "Network");
    prometheus = new Prometheus(scope, "Prometheus", { network, ...props });
    extend(prometheus, network);
  });
  const json = JSON.parse(synthesized) as { resource: { docker_container: Record<string, Record<string, unknown>> } };
  return {
    container: Object.values(json.resource.docker_container)[0],
    prometheus: prometheus as Prometheus,
    synthesized,
  };
}

/** prometheus.yml as baked into the image (from the build context main.ts writes next to cdk.tf.json). */
function bakedConfig(prometheus: Prometheus): Record<string, unknown> {
  const file = prometheus.image.contextFiles().find((f) => f.path === "build/prometheus/prometheus.yml");
  return parse((file as { content: string }).content) as Record<string, unknown>;
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

  it("renders prometheus.yml from the targets added after construction", () => {
    const { prometheus } = synthPrometheus({}, (p, network) => {
      network.registerService("api");
      p.addScrapeTarget({ jobName: "api", host: "api", port: 8000, metricsPath: "/metrics" });
    });
    const jobs = (bakedConfig(prometheus).scrape_configs as { job_name: string }[]).map((job) => job.job_name);
    expect(jobs).toEqual(["api", "prometheus"]);
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
    const files = prometheus.image.contextFiles();
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
    const [dockerfile] = prometheus.image.contextFiles();
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
        triggers: { context_sha256: filesDigest(prometheus.image.contextFiles()) },
        keep_locally: false,
      },
    );
  });

  it("rebuilds the image when the config changes", () => {
    const digest = (sampleLimit: number): string =>
      filesDigest(synthPrometheus({ sampleLimit }).prometheus.image.contextFiles());
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
    const { prometheus } = synthPrometheus({}, (p) =>
      p.addScrapeTarget({ jobName: "kafka", host: "kafka", port: 9092, metricsPath: "/metrics" }),
    );
    expect(prometheus.problems().map((problem) => problem.message)).toEqual([
      'scrape job "kafka": target host "kafka" is no service deployed on network "monitoring" (deployed: prometheus); add the service, remove the target, or set outsideNetwork: true for a host outside the network',
    ]);
    // The same problem is a cdktf validation of the construct.
    expect(prometheus.node.validate()).toEqual(prometheus.problems().map((problem) => problem.message));
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
    expect(prometheus.problems()).toEqual([]);
  });

  it("checks hosts against the final set of services, whatever the call order", () => {
    let network: MonitoringNetwork | undefined;
    const { prometheus } = synthPrometheus({}, (p, n) => {
      p.addScrapeTarget({ jobName: "worker", host: "worker", port: 9100, metricsPath: "/metrics" });
      network = n;
    });
    network?.registerService("worker");
    expect(prometheus.problems()).toEqual([]);
  });

  it("fails when a job name is added twice", () => {
    const { prometheus } = synthPrometheus({}, (p) =>
      p.addScrapeTarget({ jobName: "prometheus", host: "prometheus", port: 9090, metricsPath: "/metrics" }),
    );
    expect(prometheus.problems().map((problem) => problem.message)).toEqual([
      'scrape job "prometheus" is already scraped; give each service or scrape job its own name',
    ]);
  });

  it("fails when a rule file name is used twice", () => {
    expect(() =>
      synthPrometheus({}, (p) => {
        p.addRuleFile("alerts", { groups: [] });
        p.addRuleFile("alerts", { groups: [] });
      }),
    ).toThrow('rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got "alerts")');
  });

  it("fails when the scrape interval is 0", () => {
    expect(() => synthPrometheus({ scrapeIntervalSeconds: 0 })).toThrow(
      "scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
    );
  });

  it("fails when the retention is 0 days", () => {
    expect(() => synthPrometheus({ retentionDays: 0 })).toThrow(
      "retentionDays must be an integer between 1 and 3650 (got 0)",
    );
  });

  it("fails when the retention size is below 64 MiB", () => {
    expect(() => synthPrometheus({ retentionSizeMb: 10 })).toThrow(
      "retentionSizeMb must be an integer between 64 and 16777216 (got 10)",
    );
  });

  it("fails when the image is not pinned", () => {
    expect(() => synthPrometheus({ image: "prom/prometheus" })).toThrow(
      'image must be an image reference with an explicit version tag such as "grafana/grafana:12.2.1" (got "prom/prometheus")',
    );
  });

  it("fails when the data volume name is invalid", () => {
    expect(() => synthPrometheus({ dataVolumeName: "my volume" })).toThrow(
      'dataVolumeName must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 63 characters) (got "my volume")',
    );
  });
});
