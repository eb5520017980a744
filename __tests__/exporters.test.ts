/**
 * The bundled exporters (node-exporter, blackbox-exporter, cAdvisor), added through the public composition API, and
 * the API gaps they filled, each generic: a service's `healthEndpoint`, config files baked into a pulled image
 * (`configFiles`), per-target `params`/`labels` (the multi-target exporter pattern), scrape jobs whose targets are
 * rendered at synth, and `relax.privileged`. One `fails when ...` test per new validation rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import {
  addBlackboxExporter,
  BLACKBOX_EXPORTER_CATALOG,
  BlackboxExporter,
  blackboxConfigFiles,
  PROBE_METRICS,
  PROBE_SERIES,
  PROBES_UID,
  probeTargets,
  renderBlackboxConfig,
} from "../constructs/blackbox-exporter";
import {
  addCadvisor,
  Cadvisor,
  CADVISOR_DOCUMENTED_MACHINE_METRICS,
  CADVISOR_DOCUMENTED_METRICS,
  CADVISOR_METRICS,
  CADVISOR_SERIES,
  containersQueries,
  CONTAINERS_UID,
} from "../constructs/cadvisor";
import { settingsFromEnv } from "../constructs/env-config";
import { MonitoringStack } from "../constructs/monitoring-stack";
import { PLATFORM_OVERVIEW_UID } from "../constructs/platform-overview";
import {
  addNodeExporter,
  HOST_UID,
  NODE_EXPORTER_CATALOG,
  NODE_EXPORTER_HARDWARE_SERIES,
  NODE_SERIES,
  NodeExporter,
} from "../constructs/node-exporter";
import { GRAFANA_NAME } from "../constructs/grafana/defaults";
import { renderPrometheusConfig } from "../constructs/prometheus/config";
import { PROMETHEUS_NAME } from "../constructs/prometheus/defaults";
import { scrapeTargetProblems, type ScrapeTarget } from "../constructs/core/scrape-target";
import type { Service } from "../constructs/core/service";
import { ConfigError } from "../constructs/core/validation";
import { IMAGES, VERSIONS } from "./support/versions";
import { metricNamesInExpr, PROCESS_SERIES } from "../dashboards";
import * as library from "../constructs/index";
import { inspectMonitoringStack } from "../main";
import { containerNamed, newTestStack, synthJson } from "./support/stack";
import { freeLoopbackPort, ProcessGroup, startLocalService } from "../scripts/harness/local-stack";
import { binaryVersion, describeWithBinaries, runBinary } from "./support/prometheus-binaries";

const newStack = newTestStack;
const synth = synthJson;

type ScrapeConfig = {
  job_name: string;
  metrics_path: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
};

function scrapeConfig(stack: MonitoringStack, job: string): ScrapeConfig | undefined {
  const file = stack.prometheus.configFiles().find((f) => f.path === "prometheus.yml");
  return (parse(file?.content ?? "") as { scrape_configs: ScrapeConfig[] }).scrape_configs.find(
    (config) => config.job_name === job,
  );
}

function synthError(stack: MonitoringStack): ConfigError {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected synth to fail");
}

/** The service `name` of `stack`; fails when there is none. */
function serviceNamed(stack: MonitoringStack, name: string): Service {
  const service = stack.services.get(name);
  if (service === undefined) throw new Error(`no service ${name}`);
  return service;
}

/** Runs `service` as the stack declares it runs locally, on a free loopback port; returns its base URL. */
async function runLocally(service: Service, path: string, dir: string, processes: ProcessGroup): Promise<string> {
  const binary = service.localRun?.binary ?? "";
  const started = await startLocalService(service, {
    dir,
    port: await freeLoopbackPort(),
    binaries: { [binary]: path },
    processes,
  });
  if (started === undefined) throw new Error(`${service.name} declares no localRun`);
  return started.service.baseUrl;
}

/** The body of a GET that must answer 200. */
async function httpText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
  return text;
}

/** The series names of a Prometheus text exposition (comments left out), sorted, each once. */
function exposedSeries(text: string): string[] {
  const names = text.split("\n").flatMap((line) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1] ?? []);
  return [...new Set(names)].sort();
}

describe("the multi-target pattern: per-target params and labels", () => {
  const probe = (url: string): ScrapeTarget => ({
    jobName: "probes",
    host: "blackbox-exporter",
    port: 9115,
    metricsPath: "/probe",
    params: { module: "http_2xx", target: url },
    labels: { instance: url },
  });

  it("renders one static_configs entry per label set, params as __param_<name>, plain targets as before", () => {
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: 15,
      scrapeTimeoutSeconds: 10,
      evaluationIntervalSeconds: 15,
      sampleLimit: 1,
      labelLimit: 1,
      ruleFiles: [],
      targets: [
        { jobName: "api", host: "api-1", port: 8000, metricsPath: "/metrics" },
        { jobName: "api", host: "api-2", port: 8000, metricsPath: "/metrics" },
        probe("http://api:8000/health"),
        probe("http://grafana:3000/api/health"),
      ],
    });
    expect(config.scrape_configs.map((job) => [job.job_name, job.static_configs])).toEqual([
      ["api", [{ targets: ["api-1:8000", "api-2:8000"] }]],
      [
        "probes",
        [
          {
            targets: ["blackbox-exporter:9115"],
            labels: {
              __param_module: "http_2xx",
              __param_target: "http://api:8000/health",
              instance: "http://api:8000/health",
            },
          },
          {
            targets: ["blackbox-exporter:9115"],
            labels: {
              __param_module: "http_2xx",
              __param_target: "http://grafana:3000/api/health",
              instance: "http://grafana:3000/api/health",
            },
          },
        ],
      ],
    ]);
  });

  it("fails when a label is reserved, is job, or a param name is not a label name", () => {
    const messages = scrapeTargetProblems("t", {
      ...probe("http://x:1/"),
      params: { "bad-name": "v" },
      labels: { __address__: "x", job: "y", ok: "" },
    }).map((problem) => problem.message);
    expect(messages).toEqual([
      't.params.bad-name: a parameter name must start with a letter or "_" and contain only letters, digits and "_" (got "bad-name")',
      't.labels.__address__: a label name must start with a letter or "_", contain only letters, digits and "_", and be neither "job" nor reserved ("__..."; URL parameters go in params) (got "__address__")',
      't.labels.job: a label name must start with a letter or "_", contain only letters, digits and "_", and be neither "job" nor reserved ("__..."; URL parameters go in params) (got "job")',
      't.labels.ok must be a non-empty string (got "")',
    ]);
  });
});

describe("health endpoints and scrape jobs rendered at synth", () => {
  it("probes a user's service that declares a health endpoint, added after the blackbox exporter", () => {
    // given the blackbox exporter first, then a user's service with a health endpoint on its own port
    const stack = newStack();
    addBlackboxExporter(stack);
    stack.addService("orders", {
      image: "ghcr.io/acme/orders:1.4.2",
      port: 8080,
      replicas: 2,
      healthEndpoint: { path: "/healthz", port: 8081 },
    });

    // when
    synth(stack);

    // then every replica's endpoint is probed, with the stack's own and the exporter's
    const probes = scrapeConfig(stack, BlackboxExporter.PROBE_JOB);
    expect(probes?.metrics_path).toBe("/probe");
    expect(
      probes?.static_configs.map((config) => [config.targets, config.labels?.service, config.labels?.instance]),
    ).toEqual([
      [["blackbox-exporter:9115"], "blackbox-exporter", "http://blackbox-exporter:9115/-/healthy"],
      [["blackbox-exporter:9115"], "grafana", "http://grafana:3000/api/health"],
      [["blackbox-exporter:9115"], "orders", "http://orders-1:8081/healthz"],
      [["blackbox-exporter:9115"], "orders", "http://orders-2:8081/healthz"],
      [["blackbox-exporter:9115"], "prometheus", "http://prometheus:9090/-/healthy"],
    ]);
    expect(probes?.static_configs.every((config) => config.labels?.__param_target === config.labels?.instance)).toBe(
      true,
    );
  });

  it('probes external URLs from inside the network, labelled scope="external", following redirects unless told not to', () => {
    const stack = newStack();
    addBlackboxExporter(stack, {
      externalUrls: [
        { name: "website", url: "https://www.example.com/" },
        { name: "partner-api", url: "http://api.partner.example:8080/health", followRedirects: false },
      ],
    });
    synth(stack);
    const external = scrapeConfig(stack, BlackboxExporter.PROBE_JOB)?.static_configs.filter(
      (config) => config.labels?.scope === "external",
    );
    expect(external).toEqual([
      {
        targets: ["blackbox-exporter:9115"],
        labels: {
          __param_module: "http_2xx_follow_redirects",
          __param_target: "https://www.example.com/",
          instance: "https://www.example.com/",
          scope: "external",
          service: "website",
        },
      },
      {
        targets: ["blackbox-exporter:9115"],
        labels: {
          __param_module: "http_2xx",
          __param_target: "http://api.partner.example:8080/health",
          instance: "http://api.partner.example:8080/health",
          scope: "external",
          service: "partner-api",
        },
      },
    ]);
    // Both modules are in the exporter's config.
    expect(Object.keys(renderBlackboxConfig().modules)).toEqual(["http_2xx", "http_2xx_follow_redirects"]);
  });

  it("fails on an external URL that is no http(s) URL, carries credentials or repeats, or a bad probe name", () => {
    const stack = newStack();
    addBlackboxExporter(stack, {
      externalUrls: [
        { name: "Website", url: "https://www.example.com/" },
        { name: "ftp", url: "ftp://files.example.com/" },
        { name: "secret", url: "https://ops:hunter2@admin.example.com/" },
        { name: "again", url: "https://www.example.com/" },
        { name: "flag", url: "https://flag.example.com/", followRedirects: "yes" as never },
        { name: "keyed", url: "https://api.example.com/health?api_key=abc123&region=eu" },
        { name: "slash", url: "https://www.example.com" },
        { name: "grafana", url: "https://grafana.example.com/" },
      ],
    });
    const path = "blackbox-exporter.externalUrls";
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      `${path}[0].name must be a unique name of lowercase letters, digits and "-", starting with a letter (at most 40 characters) (got "Website")`,
      `${path}[1].url must be an http:// or https:// URL such as "https://www.example.com/" (got "ftp://files.example.com/")`,
      `${path}[2].url must not carry credentials: they would be in prometheus.yml, the image and every probe series' instance label (got a URL with a user and a password for admin.example.com)`,
      `${path}[3].url is probed twice (got "https://www.example.com/"); list each URL once`,
      `${path}[4].followRedirects must be true or false (got "yes")`,
      `${path}[5].url must not carry a secret in its query (api_key): it would be in prometheus.yml, the image and every probe series' instance label; probe a URL that needs none`,
      `${path}[6].url is probed twice (got "https://www.example.com"); list each URL once`,
      `${path}[7].name "grafana" is the name of a service of the stack, whose probes carry service="grafana" too; give the external URL a name of its own`,
    ]);
  });

  it("renders the same jobs and probe targets whatever the order of the add calls", () => {
    const first = newStack();
    addBlackboxExporter(first);
    addNodeExporter(first);
    first.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, healthEndpoint: { path: "/h" } });
    const second = newStack();
    second.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, healthEndpoint: { path: "/h" } });
    addNodeExporter(second);
    addBlackboxExporter(second);
    synth(first);
    synth(second);
    // The jobs and their targets are identical; only rule_files follow the order the rule files were added.
    const jobs = (stack: MonitoringStack): unknown =>
      (parse(stack.prometheus.configFiles()[0].content) as { scrape_configs: unknown }).scrape_configs;
    expect(jobs(second)).toEqual(jobs(first));
    expect(scrapeConfig(first, BlackboxExporter.PROBE_JOB)?.static_configs).toHaveLength(first.healthEndpoints.length);
  });

  it("fails when a scrape job rendered at synth has no target, or a bad one", () => {
    const stack = newStack();
    stack.addScrapeJob("empty", { targets: () => [] });
    stack.addScrapeJob("bad", { targets: () => ["no-port", { address: "prometheus:9090", labels: { job: "x" } }] });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual(
      expect.arrayContaining([
        'scrapeJobs.empty.targets must list at least one "host:port" (got [])',
        'scrapeJobs.bad.targets[0] must be "host:port" (got "no-port")',
        'scrapeJobs.bad.targets[1].labels.job: a label name must start with a letter or "_", contain only letters, digits and "_", and be neither "job" nor reserved ("__..."; URL parameters go in params) (got "job")',
      ]),
    );
  });

  it("fails when a health endpoint path is not absolute or its port is out of range", () => {
    const stack = newStack();
    stack.addService("orders", {
      image: "ghcr.io/acme/orders:1.4.2",
      port: 8080,
      healthEndpoint: { path: "healthz", port: 70000 },
    });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual(
      expect.arrayContaining([
        'orders.healthEndpoint.path must start with "/" (got "healthz")',
        expect.stringMatching(/^orders\.healthEndpoint\.port .*70000/),
      ]),
    );
  });
});

describe("config files baked into a pulled image", () => {
  it("builds the image FROM the pinned one with the files, and runs that", () => {
    const stack = newStack();
    stack.addService("orders", {
      image: "ghcr.io/acme/orders:1.4.2",
      port: 8080,
      configFiles: { targetDir: "/etc/orders", files: () => [{ path: "orders.yml", content: "a: 1\n" }] },
    });
    const json = synth(stack);
    const images = Object.values(json.resource.docker_image) as { name: string; build?: { build_args: object } }[];
    expect(images.find((image) => image.name === "monitoring-orders:local")?.build?.build_args).toEqual({
      BASE_IMAGE: "ghcr.io/acme/orders:1.4.2",
    });
    expect(containerNamed(json, "monitoring-orders").image).toMatch(
      /^\$\{docker_image\.Orders_ConfigImage_.*\.image_id\}$/,
    );
    expect(stack.generatedFiles().filter((file) => file.path.startsWith("build/orders/"))).toEqual([
      {
        path: "build/orders/Dockerfile",
        content: expect.stringContaining("COPY orders.yml /etc/orders/orders.yml"),
      },
      { path: "build/orders/orders.yml", content: "a: 1\n" },
    ]);
  });

  it("fails when config files are given with a build context, or a relative target folder", () => {
    const stack = newStack();
    stack.addService("orders", {
      build: { context: "/src/orders" },
      port: 8080,
      configFiles: { targetDir: "etc/orders", files: () => [] },
    });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual(
      expect.arrayContaining([
        "orders.configFiles needs a pinned image to bake the files into (got a build context); copy the files in your Dockerfile instead",
        'orders.configFiles.targetDir must be an absolute path in the image (got "etc/orders")',
      ]),
    );
  });
});

describe("the exporters' containers", () => {
  const stack = newStack();
  addNodeExporter(stack);
  addBlackboxExporter(stack);
  addCadvisor(stack);
  const json = synth(stack);

  it.each([
    [NodeExporter.NAME, IMAGES["node-exporter"]],
    [BlackboxExporter.NAME, IMAGES["blackbox-exporter"]],
  ])("%s runs hardened with no relaxation, unpublished, from %s", (name, image) => {
    const container = containerNamed(json, `monitoring-${name}`);
    expect(container).toMatchObject({
      user: "65534:65534",
      read_only: true,
      capabilities: { drop: ["ALL"] },
      security_opts: ["no-new-privileges:true"],
      wait: true,
    });
    expect(container.privileged).toBeUndefined();
    expect(container.ports).toBeUndefined();
    expect((Object.values(json.resource.docker_image) as { name: string }[]).map((i) => i.name)).toContain(image);
  });

  it("cAdvisor is root and privileged, explicitly, with its host folders read-only", () => {
    const container = containerNamed(json, "monitoring-cadvisor");
    expect(container).toMatchObject({
      user: "0:0",
      privileged: true,
      read_only: true,
      capabilities: { drop: ["ALL"] },
    });
    expect((container.mounts as { source: string; read_only: boolean }[]).map((m) => [m.source, m.read_only])).toEqual([
      ["/", true],
      ["/var/run", true],
      ["/sys", true],
      ["/var/lib/docker", true],
      ["/dev/disk", true],
    ]);
    expect(scrapeConfig(stack, BlackboxExporter.PROBE_JOB)?.static_configs.map((c) => c.labels?.service)).toContain(
      Cadvisor.NAME,
    );
  });

  it("refuses root without relax.runAsRoot even for privileged (relax.privileged alone is not enough)", () => {
    const other = newStack();
    other.addService("probe", { image: "ghcr.io/acme/p:1.0.0", port: 80, user: "0", relax: { privileged: true } });
    expect(synthError(other).problems.map((problem) => problem.message)).toEqual([
      expect.stringContaining(
        'probe.user must not be root: the stack runs every container as a non-root user (got "0")',
      ),
    ]);
  });

  it("deploys the Host, Service health and Containers dashboards, after the stack's own Platform Overview", () => {
    expect(stack.dashboards.map((dashboard) => dashboard.uid)).toEqual([
      PLATFORM_OVERVIEW_UID,
      HOST_UID,
      PROBES_UID,
      CONTAINERS_UID,
    ]);
  });
});

describe("the default synth", () => {
  it("deploys node-exporter and blackbox-exporter, and cAdvisor only with CADVISOR_ENABLED=true", () => {
    const services = (env: Record<string, string>): string[] => [...inspectMonitoringStack(env).stack.services.keys()];
    // Every service on the network, the stack's own Prometheus and Grafana first.
    const always = [PROMETHEUS_NAME, GRAFANA_NAME, "api", NodeExporter.NAME, BlackboxExporter.NAME];
    expect(services({})).toEqual(always);
    expect(services({ CADVISOR_ENABLED: "false" })).toEqual(always);
    expect(services({ CADVISOR_ENABLED: "true" })).toEqual([...always, Cadvisor.NAME]);
  });

  it("fails when CADVISOR_ENABLED is not true or false", () => {
    expect(settingsFromEnv({ CADVISOR_ENABLED: "yes" }).problems).toEqual([
      { path: "cadvisor.enabled", message: 'CADVISOR_ENABLED must be true or false (got "yes")' },
    ]);
  });
});

describe("cAdvisor's queries against its documented metric names (it cannot run here)", () => {
  const stack = newStack();
  const service = addCadvisor(stack);
  const ctx = stack.dashboardContext();

  it("every metric the Containers dashboard queries is documented by cAdvisor", () => {
    expect(ctx.jobs[Cadvisor.NAME]).toBe(Cadvisor.NAME);
    const used = Object.values(containersQueries(ctx)).flatMap((expr) => metricNamesInExpr(expr));
    expect(used.length).toBe(Object.keys(containersQueries(ctx)).length);
    expect(used.filter((name) => !CADVISOR_DOCUMENTED_METRICS.includes(name))).toEqual([]);
  });

  it("every declared cAdvisor metric is documented, and carries the `name` label the panels group by", () => {
    for (const metric of Object.values(CADVISOR_METRICS)) {
      expect(CADVISOR_DOCUMENTED_METRICS).toContain(metric.name);
      expect(metric.labels.name).toBe("name");
    }
  });

  it("the cAdvisor service declares exactly its catalog's series, every one documented", () => {
    expect(service?.metricNames).toEqual(CADVISOR_SERIES);
    expect(
      CADVISOR_SERIES.filter(
        (name) => !CADVISOR_DOCUMENTED_METRICS.includes(name) && !CADVISOR_DOCUMENTED_MACHINE_METRICS.includes(name),
      ),
    ).toEqual([]);
    expect(CADVISOR_SERIES).toEqual(expect.arrayContaining([...CADVISOR_DOCUMENTED_METRICS]));
    expect(ctx.metricNames).toEqual(expect.arrayContaining([...CADVISOR_SERIES]));
  });

  it("the image tag is the researched version, on ghcr.io (where cAdvisor publishes since 0.53)", () => {
    expect(IMAGES.cadvisor).toBe(`ghcr.io/google/cadvisor:v${VERSIONS.cadvisor}`);
  });
});

describe("the package entry point", () => {
  it("exports the exporters' add functions and the API additions' types for library users", () => {
    expect([library.addNodeExporter, library.addBlackboxExporter, library.addCadvisor]).toEqual([
      addNodeExporter,
      addBlackboxExporter,
      addCadvisor,
    ]);
    expect(library.PROBE_ALERT_NAMES.probeFailed).toBe("ProbeFailed");
    expect(library.HOST_ALERT_NAMES).toEqual({
      hostCpuSaturated: "HostCpuSaturated",
      hostMemoryPressure: "HostMemoryPressure",
      hostDiskFilling: "HostDiskFilling",
      hostFilesystemReadOnly: "HostFilesystemReadOnly",
    });
  });
});

describe("the exporter image tags are the versions of the binaries the tests run", () => {
  it("node-exporter and blackbox-exporter images are tagged with VERSIONS", () => {
    expect(IMAGES["node-exporter"]).toBe(`prom/node-exporter:v${VERSIONS.nodeExporter}`);
    expect(IMAGES["blackbox-exporter"]).toBe(`prom/blackbox-exporter:v${VERSIONS.blackboxExporter}`);
  });
});

describeWithBinaries(
  "the exporters' binaries agree with the images and the rendered config",
  ["node-exporter", "blackbox-exporter"],
  (bins) => {
    it("the fetched binaries report the versions the image tags name", () => {
      expect(`prom/node-exporter:v${binaryVersion("node-exporter")}`).toBe(IMAGES["node-exporter"]);
      expect(`prom/blackbox-exporter:v${binaryVersion("blackbox-exporter")}`).toBe(IMAGES["blackbox-exporter"]);
    });

    it("blackbox_exporter --config.check accepts the rendered config, and refuses a broken one", async () => {
      const dir = mkdtempSync(join(tmpdir(), "blackbox-config-"));
      try {
        const good = join(dir, "good.yml");
        writeFileSync(good, blackboxConfigFiles()[0].content);
        const ok = await runBinary(bins["blackbox-exporter"], [`--config.file=${good}`, "--config.check"]);
        expect({ exitCode: ok.exitCode, output: `${ok.stdout}${ok.stderr}` }).toEqual({
          exitCode: 0,
          output: expect.stringMatching(/config file is ok/i),
        });
        expect(renderBlackboxConfig().modules[BlackboxExporter.HTTP_MODULE].prober).toBe("http");

        const bad = join(dir, "bad.yml");
        writeFileSync(bad, "modules:\n  http_2xx:\n    prober: http\n    http:\n      no_such_field: 1\n");
        const refused = await runBinary(bins["blackbox-exporter"], [`--config.file=${bad}`, "--config.check"]);
        expect(refused.exitCode).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe("every series the exporters' catalogs declare is in the real binary's exposition", () => {
      const stack = newStack();
      addNodeExporter(stack);
      addBlackboxExporter(stack);
      const dir = mkdtempSync(join(tmpdir(), "exporters-exposition-"));
      const started = new ProcessGroup();
      let nodeExporter = "";
      let blackbox = "";

      beforeAll(async () => {
        nodeExporter = await runLocally(serviceNamed(stack, NodeExporter.NAME), bins["node-exporter"], dir, started);
        blackbox = await runLocally(
          serviceNamed(stack, BlackboxExporter.NAME),
          bins["blackbox-exporter"],
          dir,
          started,
        );
      });
      afterAll(async () => {
        await started.stopAll();
        rmSync(dir, { recursive: true, force: true });
      });

      it("node-exporter: its host metrics and the process metrics, on /metrics", async () => {
        const declared = serviceNamed(stack, NodeExporter.NAME).metricNames;
        expect(declared).toEqual(NODE_EXPORTER_CATALOG);
        expect(declared).toEqual(expect.arrayContaining([...NODE_SERIES, ...PROCESS_SERIES]));
        const exposed = exposedSeries(await httpText(`${nodeExporter}/metrics`));
        // What the Host dashboard and alerts read is exposed here; every series exposed is in the catalog; a series of
        // the catalog not exposed here is one of the documented hardware-dependent ones.
        expect([...NODE_SERIES, ...PROCESS_SERIES].filter((name) => !exposed.includes(name))).toEqual([]);
        expect(exposed.filter((name) => !declared.includes(name))).toEqual([]);
        const hardware = Object.values(NODE_EXPORTER_HARDWARE_SERIES).flat();
        expect(declared.filter((name) => !exposed.includes(name) && !hardware.includes(name))).toEqual([]);
      });

      it("blackbox-exporter: the process metrics on /metrics", async () => {
        const declared = serviceNamed(stack, BlackboxExporter.NAME).metricNames;
        expect(declared).toEqual(BLACKBOX_EXPORTER_CATALOG);
        expect(declared).toEqual(expect.arrayContaining([...PROCESS_SERIES]));
        const exposed = exposedSeries(await httpText(`${blackbox}/metrics`));
        expect(declared.filter((name) => !exposed.includes(name))).toEqual([]);
      });

      it("blackbox-exporter: the probe job's series on /probe, for a health endpoint that answers", async () => {
        // The probe job declares them; a probe of the exporter's own health endpoint, as the stack probes it.
        expect(stack.dashboardContext().metricNames).toEqual(expect.arrayContaining([...PROBE_SERIES]));
        const params = new URLSearchParams({
          module: BlackboxExporter.HTTP_MODULE,
          target: `${blackbox}${BlackboxExporter.HEALTH_PATH}`,
        });
        const text = await httpText(`${blackbox}/probe?${params.toString()}`);
        expect(PROBE_SERIES.filter((name) => !exposedSeries(text).includes(name))).toEqual([]);
        expect(text).toMatch(new RegExp(`^${PROBE_METRICS.success.name} 1$`, "m"));
      });

      it("blackbox-exporter: an external URL that redirects succeeds with the follow module only; a 500 behind it fails", async () => {
        // given a site on 127.0.0.1: /old redirects to /new (200), /broken redirects to /down (500)
        const site = createServer((request, response) => {
          const redirects: Record<string, string> = { "/old": "/new", "/broken": "/down" };
          const to = redirects[request.url ?? ""];
          if (to !== undefined) response.writeHead(302, { location: to }).end();
          else response.writeHead(request.url === "/new" ? 200 : 500).end("site");
        });
        await new Promise<void>((listening) => site.listen(0, "127.0.0.1", listening));
        const { port } = site.address() as AddressInfo;
        const success = async (module: string, path: string): Promise<string | undefined> => {
          const params = new URLSearchParams({ module, target: `http://127.0.0.1:${port}${path}` });
          const text = await httpText(`${blackbox}/probe?${params.toString()}`);
          return new RegExp(`^${PROBE_METRICS.success.name} (\\d)$`, "m").exec(text)?.[1];
        };
        try {
          // when probed as the stack renders an external URL's target (followRedirects defaults to true)
          const [target] = probeTargets([], [{ name: "site", url: `http://127.0.0.1:${port}/old` }]);
          expect(typeof target === "string" ? undefined : target.params?.module).toBe(
            BlackboxExporter.HTTP_FOLLOW_MODULE,
          );
          // then
          expect(await success(BlackboxExporter.HTTP_FOLLOW_MODULE, "/old")).toBe("1");
          expect(await success(BlackboxExporter.HTTP_MODULE, "/old")).toBe("0");
          expect(await success(BlackboxExporter.HTTP_FOLLOW_MODULE, "/broken")).toBe("0");
        } finally {
          await new Promise<void>((closed) => site.close(() => closed()));
        }
      });
    });
  },
);
