/**
 * Pointing at what already exists: `Prometheus.fromExisting` and `Grafana.fromExisting` (the aws-cdk `IBucket` /
 * `Bucket.fromBucketAttributes` shape), each through `IPrometheus` / `IGrafana`, implemented by the constructs the
 * stack creates too. The rendered config for an existing Prometheus is checked by the real promtool.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { App, TerraformStack } from "cdktf";
import { parse } from "yaml";
import { ExistingPrometheus } from "../constructs/prometheus/existing";
import { ExistingGrafana, Grafana } from "../constructs/grafana";
import { MonitoringNetwork } from "../constructs/core/network";
import { Service } from "../constructs/core/service";
import { Prometheus } from "../constructs/prometheus";
import type { ISelfValidating } from "../constructs/core/validation";
import { renderDashboards } from "../constructs";
import { describeWithBinaries, runBinary } from "./support/prometheus-binaries";

interface SynthJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
  variable?: Record<string, Record<string, unknown>>;
  output?: Record<string, { value: string }>;
}

/** A stack with the Docker provider and the network, as any cdktf app composing the constructs starts. */
function newStack(outdir: string): { app: App; stack: TerraformStack; network: MonitoringNetwork } {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "monitoring");
  new DockerProvider(stack, "docker", {});
  const network = new MonitoringNetwork(stack, "Network", { name: "monitoring" });
  return { app, stack, network };
}

function readJson(outdir: string): SynthJson {
  return JSON.parse(readFileSync(join(outdir, "stacks", "monitoring", "cdk.tf.json"), "utf8")) as SynthJson;
}

/** Every problem a self-validating construct reports, as `path: message`. */
function problemsOf(construct: ISelfValidating): string[] {
  return construct.configProblems().map((problem) => `${problem.path}: ${problem.message}`);
}

/**
 * The errors cdktf's validation throws at synth, one per line (`[<construct path>] <message>`): in a plain
 * `TerraformStack`, the constructs report their problems there (a `MonitoringStack` reports them in its ConfigError).
 */
function synthValidationErrors(app: App): string[] {
  try {
    app.synth();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith("Validation failed with the following errors:")) throw error;
    return message
      .split("\n")
      .filter((line) => line.startsWith("  ["))
      .map((line) => line.trim());
  }
  throw new Error("expected synth to fail its validation, it succeeded");
}

const DASHBOARD = {
  uid: "orders",
  title: "Orders",
  source: "module:orders",
  model: { uid: "orders", title: "Orders", panels: [] },
};

describe("Grafana.fromExisting: dashboards into a Grafana that already runs", () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "existing-grafana-"));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it("creates no Grafana container, and points the provider at the URL with credentials from a sensitive variable", () => {
    const { app, stack, network } = newStack(outdir);
    const prometheus = new Prometheus(stack, "Prometheus", { network });
    const grafana = Grafana.fromExisting(stack, "Grafana", {
      url: "https://grafana.acme.example/",
      prometheus,
      prometheusUrl: "http://prometheus.acme.internal:9090",
    });
    grafana.addDashboard(DASHBOARD);
    app.synth();

    const json = readJson(outdir);
    expect(grafana.managedByStack).toBe(false);
    expect(grafana.url).toBe("https://grafana.acme.example");
    expect(Object.values(json.resource.docker_container).map((c) => c.name)).toEqual(["monitoring-prometheus"]);
    expect(json.provider?.grafana).toEqual([
      { auth: "${var.grafana_auth}", retries: 5, retry_wait: 5, url: "https://grafana.acme.example" },
    ]);
    expect(json.variable?.grafana_auth).toMatchObject({ sensitive: true, nullable: false, type: "string" });
    expect(json.variable?.grafana_auth).not.toHaveProperty("default");
    const [datasource] = Object.values(json.resource.grafana_data_source);
    expect(datasource).toMatchObject({ uid: "prometheus", url: "http://prometheus.acme.internal:9090" });
    expect(JSON.parse(datasource.json_data_encoded as string)).toMatchObject({
      timeInterval: "15s",
      prometheusVersion: "3.5.3",
    });
    const [folder] = Object.values(json.resource.grafana_folder);
    expect(folder).toMatchObject({ uid: Grafana.FOLDER_UID, title: "Monitoring stack" });
    const [dashboard] = Object.values(json.resource.grafana_dashboard);
    expect(JSON.parse(dashboard.config_json as string)).toEqual(DASHBOARD.model);
  });

  it("names its variable as told (TF_VAR_<name>)", () => {
    const { app, stack, network } = newStack(outdir);
    const prometheus = new Prometheus(stack, "Prometheus", { network });
    Grafana.fromExisting(stack, "Grafana", { url: "http://10.0.0.7:3000", prometheus, authVariable: "acme_grafana" });
    app.synth();
    const json = readJson(outdir);
    expect(Object.keys(json.variable ?? {})).toEqual(["acme_grafana"]);
    expect(json.provider?.grafana[0].auth).toBe("${var.acme_grafana}");
  });

  it("refuses every invalid attribute at once, never echoing a password from the URL", () => {
    const { app, stack, network } = newStack(outdir);
    const prometheus = new Prometheus(stack, "Prometheus", { network });
    // The construct never throws: it reports every problem, and synth fails with all of them.
    const grafana = Grafana.fromExisting(stack, "Grafana", {
      url: "https://admin:hunter2@grafana.acme.example",
      prometheus,
      prometheusUrl: "prometheus:9090",
      authVariable: "grafana-auth",
      folderTitle: " ",
    }) as ExistingGrafana;
    const problems = problemsOf(grafana);
    expect(problems).toEqual([
      'Grafana.url: Grafana.url must not contain credentials (got "https://***@grafana.acme.example/"); remove them from the URL and pass them through the Terraform variable',
      'Grafana.prometheusUrl: Grafana.prometheusUrl must be the http(s) URL of the Prometheus server (got "prometheus:9090")',
      'Grafana.authVariable: Grafana.authVariable must be a Terraform variable name (letters, digits, "_"; got "grafana-auth")',
      'Grafana.folderTitle: Grafana.folderTitle must not be empty (got "")',
    ]);
    const errors = synthValidationErrors(app);
    expect(errors).toEqual(grafana.configProblems().map((problem) => `[monitoring/Grafana] ${problem.message}`));
    expect([...problems, ...errors].join("\n")).not.toContain("hunter2");
  });

  it("refuses a dashboard uid added twice", () => {
    const { stack, network } = newStack(outdir);
    const prometheus = new Prometheus(stack, "Prometheus", { network });
    const grafana = Grafana.fromExisting(stack, "Grafana", { url: "http://10.0.0.7:3000", prometheus });
    grafana.addDashboard(DASHBOARD);
    expect(() => grafana.addDashboard(DASHBOARD)).toThrow(
      'Grafana.fromExisting "Grafana": a dashboard with uid "orders" was already added',
    );
  });
});

describe("Prometheus.fromExisting: a Prometheus that already runs", () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "existing-prometheus-"));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  /** The stack-created Grafana querying an existing Prometheus, with one job outside the network and one rule file. */
  function synthWithExistingPrometheus(): { prometheus: ExistingPrometheus; stackDir: string; json: SynthJson } {
    const { app, stack, network } = newStack(outdir);
    const prometheus = Prometheus.fromExisting(stack, "Prometheus", {
      url: "http://prometheus.acme.internal:9090",
      scrapeIntervalSeconds: 30,
    }) as ExistingPrometheus;
    // The admin password file in the scratch folder (generated at synth), Grafana as its own 472:0.
    new Grafana(stack, "Grafana", {
      network,
      prometheus,
      adminPasswordFile: join(outdir, "grafana-admin-password"),
      user: "472:0",
    });
    prometheus.addScrapeTarget({
      jobName: "legacy-db",
      host: "10.0.0.5",
      port: 9187,
      metricsPath: "/metrics",
      outsideNetwork: true,
    });
    prometheus.addRuleFile("legacy", {
      groups: [
        {
          name: "legacy",
          rules: [
            {
              alert: "LegacyDbDown",
              expr: 'up{job="legacy-db"} == 0',
              for: "1m",
              labels: { severity: "critical" },
              annotations: { summary: "legacy-db is down", description: "no scrape", runbook_url: "/rb" },
            },
          ],
        },
      ],
    });
    app.synth();
    return { prometheus, stackDir: join(outdir, "stacks", "monitoring"), json: readJson(outdir) };
  }

  it("is what the stack-created Grafana queries, with no Prometheus container and no version guessed", () => {
    const { prometheus, json } = synthWithExistingPrometheus();
    expect(prometheus.managedByStack).toBe(false);
    expect(Object.values(json.resource.docker_container).map((c) => c.name)).toEqual(["monitoring-grafana"]);
    const [datasource] = Object.values(json.resource.grafana_data_source);
    expect(datasource.url).toBe("http://prometheus.acme.internal:9090");
    expect(JSON.parse(datasource.json_data_encoded as string)).toEqual({
      httpMethod: "POST",
      timeInterval: "30s",
      prometheusType: "Prometheus",
    });
  });

  it("sends the basic auth it requires: the password file read by Terraform at apply, in no synthesized file", () => {
    const passwordFile = join(outdir, "prometheus-password");
    writeFileSync(passwordFile, "existing-s3cret\n", { mode: 0o600 });
    const { app, stack, network } = newStack(outdir);
    const prometheus = Prometheus.fromExisting(stack, "Prometheus", {
      url: "http://prometheus.acme.internal:9090",
      basicAuth: { username: "grafana", passwordFile },
    });
    new Grafana(stack, "Grafana", {
      network,
      prometheus,
      adminPasswordFile: join(outdir, "grafana-admin-password"),
      user: "472:0",
    });
    app.synth();
    const text = readFileSync(join(outdir, "stacks", "monitoring", "cdk.tf.json"), "utf8");
    const [datasource] = Object.values((JSON.parse(text) as SynthJson).resource.grafana_data_source);
    expect(datasource).toMatchObject({
      basic_auth_enabled: true,
      basic_auth_username: "grafana",
      secure_json_data_encoded: '${jsonencode({"basicAuthPassword" = trimspace(file("../../prometheus-password"))})}',
    });
    expect(text).not.toContain("existing-s3cret");
  });

  it("fails when its basic auth names no file, or a user with a colon", () => {
    const { app, stack } = newStack(outdir);
    const prometheus = Prometheus.fromExisting(stack, "Prometheus", {
      url: "http://prometheus.acme.internal:9090",
      basicAuth: { username: "a:b", passwordFile: join(outdir, "missing") },
    }) as ExistingPrometheus;
    expect(problemsOf(prometheus)).toEqual([
      'Prometheus.basicAuth.username: Prometheus.basicAuth.username must be a user name, not empty and without ":" (got "a:b")',
      expect.stringContaining(
        `Prometheus.basicAuth.passwordFile: Prometheus.basicAuth.passwordFile must be an existing file holding the password (got "${join(outdir, "missing")}"`,
      ),
    ]);
    expect(synthValidationErrors(app)).toHaveLength(2);
  });

  it("renders the scrape jobs and rules into the stack folder, and says in an output what to include", () => {
    const { stackDir, json } = synthWithExistingPrometheus();
    const scrape = parse(readFileSync(join(stackDir, "existing-prometheus/Prometheus/scrape-configs.yml"), "utf8"));
    expect(scrape).toEqual({
      scrape_configs: [
        {
          job_name: "legacy-db",
          metrics_path: "/metrics",
          scheme: "http",
          sample_limit: 20000,
          label_limit: 64,
          static_configs: [{ targets: ["10.0.0.5:9187"] }],
        },
      ],
    });
    const rules = parse(readFileSync(join(stackDir, "existing-prometheus/Prometheus/rules/legacy.yml"), "utf8")) as {
      groups: { rules: { alert: string }[] }[];
    };
    expect(rules.groups[0].rules[0].alert).toBe("LegacyDbDown");
    expect(json.output?.prometheus_config_to_include.value).toBe(
      "Add to the Prometheus at http://prometheus.acme.internal:9090: scrape_config_files: [<stack folder>/existing-prometheus/Prometheus/scrape-configs.yml], rule_files: [<stack folder>/existing-prometheus/Prometheus/rules/*.yml]; then reload it",
    );
  });

  it("refuses at synth a target on the stack's network, which it cannot reach, saying what to do instead", () => {
    const { app, stack, network } = newStack(outdir);
    const prometheus = Prometheus.fromExisting(stack, "Prometheus", { url: "http://prometheus.acme.internal:9090" });
    // A service on the stack's network (it adds itself to the network's registry).
    new Service(stack, "Orders", { name: "orders", network, image: "ghcr.io/acme/orders:1.4.2", port: 8080 });
    prometheus.addScrapeTarget({ jobName: "orders", host: "orders", port: 8080, metricsPath: "/metrics" });
    expect(synthValidationErrors(app)).toEqual([
      '[monitoring/Prometheus] scrape job "orders": target "orders:8080" is on the stack\'s Docker network, which the existing Prometheus at http://prometheus.acme.internal:9090 cannot reach (its aliases do not resolve outside the network); publish the service on a host port and add a scrape job with outsideNetwork: true at an address that Prometheus can reach, or let the stack create Prometheus',
    ]);
  });

  it("refuses every invalid attribute at once", () => {
    const { app, stack } = newStack(outdir);
    const prometheus = Prometheus.fromExisting(stack, "Prometheus", {
      url: "ftp://prometheus",
      scrapeIntervalSeconds: 0,
    }) as ExistingPrometheus;
    expect(problemsOf(prometheus)).toEqual([
      'Prometheus.url: Prometheus.url must be the http(s) URL of the Prometheus server (got "ftp://prometheus")',
      "Prometheus.scrapeIntervalSeconds: Prometheus.scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
    ]);
    expect(synthValidationErrors(app)).toEqual([
      '[monitoring/Prometheus] Prometheus.url must be the http(s) URL of the Prometheus server (got "ftp://prometheus")',
      "[monitoring/Prometheus] Prometheus.scrapeIntervalSeconds must be an integer between 1 and 3600 (got 0)",
    ]);
  });

  it("is an IPrometheus like the one the stack creates, which bakes its config in instead", () => {
    const { stack, network } = newStack(outdir);
    const created = new Prometheus(stack, "Prometheus", { network });
    expect(created.managedByStack).toBe(true);
    expect(created.datasourceUrl).toBe("http://prometheus:9090");
    expect(created.pinnedImage).toBe(created.options.image);
  });

  describeWithBinaries("promtool accepts the rendered files in a Prometheus config", ["promtool"], (bins) => {
    it("checks a prometheus.yml including scrape-configs.yml and the rules, as the output says", async () => {
      const { stackDir } = synthWithExistingPrometheus();
      const dir = join(stackDir, "existing-prometheus", "Prometheus");
      // The owner's own prometheus.yml, including the rendered files as the output tells them to.
      writeFileSync(
        join(dir, "prometheus.yml"),
        "global:\n  scrape_interval: 30s\nscrape_config_files: [scrape-configs.yml]\nrule_files: [rules/*.yml]\n",
      );
      const config = await runBinary(bins.promtool, ["check", "config", "prometheus.yml"], { cwd: dir });
      expect(`${config.stdout}${config.stderr}`).toContain("SUCCESS");
      expect(`${config.stdout}${config.stderr}`).toContain("1 rules found");
      expect(config.exitCode).toBe(0);
    });
  });
});

describe("Grafana.fromExisting with a dashboard exported from Grafana", () => {
  it("deploys it imported as MonitoringStack does: inputs rewritten, metrics and jobs checked (library.md's recipe)", () => {
    const outdir = mkdtempSync(join(tmpdir(), "existing-grafana-import-"));
    try {
      const { app, stack, network } = newStack(outdir);
      const prometheus = new Prometheus(stack, "Prometheus", { network });
      const grafana = Grafana.fromExisting(stack, "Grafana", { url: "https://grafana.acme.example", prometheus });
      const exported = JSON.stringify({
        __inputs: [{ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }],
        uid: "legacy-db",
        title: "Legacy DB",
        panels: [
          {
            id: 1,
            type: "stat",
            title: "Up",
            gridPos: { x: 0, y: 0, w: 6, h: 4 },
            datasource: "${DS_PROMETHEUS}",
            targets: [{ refId: "A", expr: 'pg_up{job="legacy-db"}', datasource: "${DS_PROMETHEUS}" }],
          },
        ],
      });
      const ctx = {
        datasource: grafana.datasourceRef,
        jobs: {},
        deployedJobs: ["legacy-db"],
        metricNames: ["up", "pg_up"],
        scrapeIntervalSeconds: 15,
      };
      for (const dashboard of renderDashboards(ctx, [{ fileName: "legacy-db.json", content: exported }], [])) {
        grafana.addDashboard(dashboard);
      }
      app.synth();
      const [dashboard] = Object.values(readJson(outdir).resource.grafana_dashboard);
      expect(dashboard.config_json).not.toContain("DS_PROMETHEUS");
      expect(JSON.parse(dashboard.config_json as string)).toMatchObject({
        uid: "legacy-db",
        panels: [{ datasource: { type: "prometheus", uid: "prometheus" } }],
      });
      // A metric nothing declares is refused, naming it.
      expect(() =>
        renderDashboards({ ...ctx, metricNames: ["up"] }, [{ fileName: "legacy-db.json", content: exported }], []),
      ).toThrow(/pg_up/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
