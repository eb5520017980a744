/**
 * The composable API, one test per user story, through the public calls only (`new MonitoringStack` and its
 * `addService`, `addScrapeJob`, `addAlertRules`, `addDashboard`), plus one `fails when ...` test per validation rule.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import type { AlertRulesDocument } from "../constructs/core/rules";
import { ConfigError } from "../constructs/core/validation";
import { addAlertmanager } from "../constructs/alertmanager";
import { addBlackboxExporter } from "../constructs/blackbox-exporter";
import { MonitoringStack } from "../constructs/monitoring-stack";
import { PLATFORM_OVERVIEW_UID } from "../constructs/platform-overview";
import { addNodeExporter } from "../constructs/node-exporter";
import type { DashboardModule } from "../dashboards/types";
import { jobOf } from "../dashboards/types";
import { containerNamed, newTestStack, synthJson } from "./support/stack";
import { describeWithBinaries, runBinary } from "./support/prometheus-binaries";

const newStack = newTestStack;
const synth = synthJson;

function prometheusYaml(stack: MonitoringStack): {
  scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  rule_files: string[];
} {
  const file = stack.prometheus.configFiles().find((f) => f.path === "prometheus.yml");
  return parse(file?.content ?? "") as ReturnType<typeof prometheusYaml>;
}

function ruleFile(stack: MonitoringStack, path: string): AlertRulesDocument {
  const file = stack.prometheus.configFiles().find((f) => f.path === path);
  if (file === undefined) throw new Error(`no rule file ${path}`);
  return parse(file.content) as AlertRulesDocument;
}

function targetDownExpr(stack: MonitoringStack): string {
  const rules = ruleFile(stack, "rules/alerts.yml").groups.flatMap((group) => group.rules);
  return rules.find((rule) => rule.alert === "TargetDown")?.expr ?? "";
}

/** The error synth throws, as a ConfigError. */
function synthError(stack: MonitoringStack): ConfigError {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected synth to fail");
}

const ORDERS_RULES: AlertRulesDocument = {
  groups: [
    {
      name: "orders",
      rules: [
        {
          alert: "OrdersBacklogHigh",
          expr: 'sum(orders_backlog{job="orders"}) > 100',
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: "The orders backlog is above 100",
            description: "{{ $value }} orders wait to be processed.",
            runbook_url: "https://runbooks.example/orders-backlog",
          },
        },
      ],
    },
  ],
};

/** A user's TypeScript dashboard: the job comes from the context, never typed twice. */
const ORDERS_DASHBOARD: DashboardModule = {
  name: "orders",
  uid: "orders-overview",
  build: (ctx) => ({
    uid: "orders-overview",
    title: "Orders",
    schemaVersion: 41,
    panels: [
      {
        id: 1,
        type: "timeseries",
        title: "Backlog",
        gridPos: { x: 0, y: 0, w: 12, h: 8 },
        datasource: ctx.datasource,
        targets: [
          {
            refId: "A",
            datasource: ctx.datasource,
            expr: `sum(orders_backlog{job="${jobOf(ctx, "orders")}"})`,
          },
        ],
      },
    ],
  }),
};

const ORDERS = { image: "ghcr.io/acme/orders:1.4.2", port: 8080, metricNames: ["orders_backlog"] };

describe("composition: the user stories through the public API", () => {
  it("own service in one file: addService deploys a hardened container that Prometheus scrapes", () => {
    // given a user's stack
    const stack = newStack();
    // when they add their own image
    stack.addService("orders", { ...ORDERS, hostPort: 18080 });
    // then it runs hardened on the network, is scraped, covered by TargetDown and published
    const json = synth(stack);
    const orders = containerNamed(json, "monitoring-orders");
    expect(orders).toMatchObject({
      read_only: true,
      user: "65534:65534",
      capabilities: { drop: ["ALL"] },
      security_opts: ["no-new-privileges:true"],
      memory: 256,
      memory_swap: 256,
      ports: [{ internal: 8080, external: 18080, ip: "127.0.0.1", protocol: "tcp" }],
      // No healthcheck given: Terraform cannot wait for health, so it does not pretend to.
      wait: false,
    });
    expect(orders.healthcheck).toBeUndefined();
    expect((orders.networks_advanced as { aliases: string[] }[])[0].aliases).toEqual(["orders"]);
    expect(json.resource.docker_image).toEqual(
      expect.objectContaining({
        [Object.keys(json.resource.docker_image).find((key) => key.startsWith("Orders_Image")) ?? "missing"]: {
          name: "ghcr.io/acme/orders:1.4.2",
          keep_locally: true,
        },
      }),
    );
    expect(prometheusYaml(stack).scrape_configs.find((job) => job.job_name === "orders")).toMatchObject({
      metrics_path: "/metrics",
      static_configs: [{ targets: ["orders:8080"] }],
    });
    expect(targetDownExpr(stack)).toContain('job=~"grafana|orders|prometheus"');
    expect(json.output.orders_url).toEqual({ value: "http://127.0.0.1:18080", description: "The service orders" });
  });

  it("builds a service from a build context and relaxes hardening only where asked", () => {
    const stack = newStack();
    stack.addService("worker", {
      build: { context: "/src/worker", buildArgs: { VERSION: "1" }, sourceHash: "abc" },
      port: 9100,
      healthcheck: { command: ["CMD", "/worker", "--health"] },
      relax: { writableRootFilesystem: true, addCapabilities: ["NET_BIND_SERVICE"] },
    });
    const json = synth(stack);
    const worker = containerNamed(json, "monitoring-worker");
    expect(worker).toMatchObject({
      read_only: false,
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
      wait: true,
      healthcheck: { test: ["CMD", "/worker", "--health"] },
    });
    // Not published unless asked: no ports at all.
    expect(worker.ports).toBeUndefined();
    expect(Testing.synth(stack)).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      {
        name: "monitoring-worker:local",
        build: { context: "/src/worker", dockerfile: "Dockerfile", build_args: { VERSION: "1" } },
        triggers: { source_sha256: "abc" },
      },
    );
  });

  it("writes a service's start period as the provider reads it back, and refuses a start period or wait that is no whole number of seconds", () => {
    const stack = newStack();
    stack.addService("worker", {
      image: "acme/worker:1.0.0",
      port: 9100,
      healthcheck: { command: ["CMD", "/worker", "--health"], startPeriodSeconds: 90, waitTimeoutSeconds: 120 },
    });
    expect(containerNamed(synth(stack), "monitoring-worker")).toMatchObject({
      healthcheck: { start_period: "1m30s" },
      wait_timeout: 120,
    });

    const bad = newStack();
    bad.addService("worker", {
      image: "acme/worker:1.0.0",
      port: 9100,
      healthcheck: { command: ["CMD", "/worker", "--health"], startPeriodSeconds: 1.5, waitTimeoutSeconds: 0 },
    });
    expect(synthError(bad).problems.map((problem) => problem.message)).toEqual([
      "worker.healthcheck.startPeriodSeconds must be an integer between 0 and 3600 (got 1.5)",
      "worker.healthcheck.waitTimeoutSeconds must be an integer between 1 and 3600 (got 0)",
    ]);
  });

  it("refuses an option a service does not have (a typo in plain JavaScript), naming the one it may have meant", () => {
    const stack = newStack();
    stack.addService("orders", {
      ...ORDERS,
      hostport: 18080,
      metricsNames: ["x"],
      healthEndPoint: { path: "/h" },
      colour: "blue",
      hosts: "edge-1",
    } as never);
    const options =
      "(options: image, build, port, description, metrics, metricNames, requestMetrics, slo, seriesExclusions, healthcheck, healthEndpoint, configFiles, replicas, hostPort, bindAddress, memoryMb, user, env, command, mounts, tmpfs, relax, localRun, host)";
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      `orders.hostport is not an option of a service; did you mean hostPort? ${options}`,
      `orders.metricsNames is not an option of a service; did you mean metricNames? ${options}`,
      `orders.healthEndPoint is not an option of a service; did you mean healthEndpoint? ${options}`,
      `orders.colour is not an option of a service ${options}`,
      `orders.hosts is not an option of a service; did you mean host? ${options}`,
    ]);
  });

  it("refuses env variables named as secrets (their values would be in the state), unless relax.secretsInEnv", () => {
    const env = {
      DB_PASSWORD: "hunter2",
      STRIPE_API_KEY: "sk",
      DATABASE_URL: "postgres://app:s3cret@db:5432/app",
      // Not secrets: where one is, or something about one.
      DB_PASSWORD_FILE: "/run/secrets/db",
      GOOGLE_APPLICATION_CREDENTIALS: "/run/secrets/gcp.json",
      OAUTH_TOKEN_URL: "https://auth.example/token",
      CACHE_KEY_PREFIX: "o:",
    };
    const stack = newStack();
    stack.addService("orders", { ...ORDERS, env });
    const fix = "mount it from a file (mounts, read-only) and pass the file's path";
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      `orders.env.DB_PASSWORD looks like a secret: its value would be in cdk.tf.json, the Terraform state and docker inspect; ${fix} (DB_PASSWORD_FILE, if the image reads one), or set relax.secretsInEnv: true to accept that`,
      `orders.env.STRIPE_API_KEY looks like a secret: its value would be in cdk.tf.json, the Terraform state and docker inspect; ${fix} (STRIPE_API_KEY_FILE, if the image reads one), or set relax.secretsInEnv: true to accept that`,
      `orders.env.DATABASE_URL looks like a secret: its value would be in cdk.tf.json, the Terraform state and docker inspect; ${fix} (DATABASE_URL_FILE, if the image reads one), or set relax.secretsInEnv: true to accept that`,
    ]);
    const accepted = newStack();
    accepted.addService("orders", { ...ORDERS, env, relax: { secretsInEnv: true } });
    expect(containerNamed(synth(accepted), "monitoring-orders").env).toContain("DB_PASSWORD=hunter2");
  });

  it("refuses secrets that env names do not give away: an HTTP credential, a DSN's password, a URL's secret parameter", () => {
    const env = {
      AUTHORIZATION: "Bearer abc123",
      AUTH_HEADER: "Basic YWRtaW46czNjcmV0",
      SESSION_KEY: "k",
      GITHUB_PAT: "ghp_1",
      DB_CONN_STRING: "host=db user=app password=s3cret",
      UPSTREAM: "https://api.example/v1?api_key=s3cret",
      CALLBACK: "https://app.example/cb#access_token=s3cret",
      // Not secrets.
      CACHE_KEY_PREFIX: "o:",
      CATALOG_URL: "https://catalog.example/items?page=2&sort=asc",
      RUN_AS: "1000:1000",
      JWT_ISSUER: "https://auth.example/",
      TOKEN_AUDIENCE: "orders",
    };
    const stack = newStack();
    stack.addService("orders", { ...ORDERS, env });
    expect(synthError(stack).problems.map((problem) => problem.path)).toEqual(
      ["AUTHORIZATION", "AUTH_HEADER", "SESSION_KEY", "GITHUB_PAT", "DB_CONN_STRING", "UPSTREAM", "CALLBACK"].map(
        (name) => `orders.env.${name}`,
      ),
    );
  });

  it("refuses secrets in the command, the healthcheck and build arguments (all in the state), unless relax.secretsInArgs", () => {
    const options = {
      ...ORDERS,
      command: [
        "--db.password=s3cret",
        "--config.file",
        "/etc/orders.yml",
        "--api-token",
        "t0k3n",
        "--user",
        "1000:1000",
        "--signature-algorithm",
        "RS256",
      ],
      healthcheck: { command: ["CMD", "curl", "-fsS", "-u", "admin:s3cret", "http://127.0.0.1:8080/health"] },
    };
    const stack = newStack();
    stack.addService("orders", options);
    stack.addService("builder", {
      build: { context: "/src/builder", buildArgs: { NPM_TOKEN: "npm_1", NODE_VERSION: "20" } },
      port: 8080,
    });
    const fix =
      "have the program read it from a mounted file (a --…-file flag, if it has one), or set relax.secretsInArgs: true to accept that";
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      `orders.command[0] looks like a secret: it would be in cdk.tf.json, the Terraform state and docker inspect; ${fix}`,
      `orders.command[4] looks like a secret: it would be in cdk.tf.json, the Terraform state and docker inspect; ${fix}`,
      `orders.healthcheck.command[4] looks like a secret: it would be in cdk.tf.json, the Terraform state and docker inspect; ${fix}`,
      "builder.build.buildArgs.NPM_TOKEN looks like a secret: a build argument is in cdk.tf.json, the Terraform state and the image's history; give the build no secret (install from a registry that needs none, or vendor what it fetches), or set relax.secretsInArgs: true to accept that",
    ]);
    const accepted = newStack();
    accepted.addService("orders", { ...options, relax: { secretsInArgs: true } });
    expect(containerNamed(synth(accepted), "monitoring-orders").command).toContain("--db.password=s3cret");
  });

  it("refuses root however its uid is written, and a container engine's socket, unless relaxed", () => {
    const stack = newStack();
    stack.addService("a", { ...ORDERS, user: "00" });
    stack.addService("b", { ...ORDERS, user: "+0:1000" });
    stack.addService("c", { ...ORDERS, user: "root" });
    stack.addService("d", {
      ...ORDERS,
      user: "10000",
      mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
    });
    expect(synthError(stack).problems.map((problem) => problem.path)).toEqual([
      "a.user",
      "b.user",
      "c.user",
      "d.mounts[0].source",
    ]);
    expect(synthError(stack).problems[3].message).toBe(
      'd.mounts[0].source is a container engine\'s socket (got "/var/run/docker.sock"): whoever talks to it controls the host, even through a read-only mount; remove the mount, or set relax.engineSocket: true to accept the risk',
    );
    const accepted = newStack();
    accepted.addService("d", {
      ...ORDERS,
      mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
      relax: { engineSocket: true },
    });
    expect(() => synth(accepted)).not.toThrow();
  });

  it("refuses secrets in what Prometheus' config carries: a scrape parameter, a label, a metrics or health path's query", () => {
    const stack = newStack();
    stack.addScrapeJob("legacy", {
      targets: [{ address: "10.0.0.5:9187", params: { token: "t0k3n" }, labels: { password: "p" } }],
      metricsPath: "/metrics?api_key=k",
      outsideNetwork: true,
    });
    stack.addService("orders", { ...ORDERS, healthEndpoint: { path: "/health?token=t0k3n" } });
    expect(synthError(stack).problems.map((problem) => problem.path)).toEqual([
      "scrapeJobs.legacy.targets[0].metricsPath",
      "scrapeJobs.legacy.targets[0].params.token",
      "scrapeJobs.legacy.targets[0].labels.password",
      "orders.healthEndpoint.path",
    ]);
  });

  it("two replicas by one prop: n containers, distinct aliases and names, one job with n targets", () => {
    const stack = newStack();
    stack.addService("orders", { ...ORDERS, replicas: 2, hostPort: 18080 });
    const json = synth(stack);
    const first = containerNamed(json, "monitoring-orders-1");
    const second = containerNamed(json, "monitoring-orders-2");
    expect((first.networks_advanced as { aliases: string[] }[])[0].aliases).toEqual(["orders-1"]);
    expect((second.networks_advanced as { aliases: string[] }[])[0].aliases).toEqual(["orders-2"]);
    expect((first.ports as { external: number }[])[0].external).toBe(18080);
    expect((second.ports as { external: number }[])[0].external).toBe(18081);
    const jobs = prometheusYaml(stack).scrape_configs.filter((job) => job.job_name === "orders");
    expect(jobs).toHaveLength(1);
    expect(jobs[0].static_configs).toEqual([{ targets: ["orders-1:8080", "orders-2:8080"] }]);
    expect(stack.services.get("orders")?.containers).toHaveLength(2);
  });

  it("an external target by one call with the opt-in", () => {
    const stack = newStack();
    stack.addScrapeJob("legacy-db", { targets: ["10.0.0.5:9187"], outsideNetwork: true });
    synth(stack);
    expect(prometheusYaml(stack).scrape_configs.find((job) => job.job_name === "legacy-db")).toMatchObject({
      static_configs: [{ targets: ["10.0.0.5:9187"] }],
    });
    expect(targetDownExpr(stack)).toContain("legacy-db");
  });

  it("fails when a scrape job targets a host the stack does not deploy, without the opt-in", () => {
    const stack = newStack();
    stack.addScrapeJob("legacy-db", { targets: ["10.0.0.5:9187"] });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'scrape job "legacy-db": target host "10.0.0.5" is no service deployed on network "monitoring" (deployed: grafana, prometheus); add the service, remove the target, or set outsideNetwork: true for a host outside the network',
    ]);
  });

  it("an alert rule and a dashboard from user code", () => {
    const stack = newStack();
    stack.addService("orders", ORDERS);
    stack.addAlertRules("orders", ORDERS_RULES);
    stack.addDashboard(ORDERS_DASHBOARD);
    stack.addDashboard({
      fileName: "orders-json.json",
      content: JSON.stringify({
        uid: "orders-json",
        title: "Orders (JSON)",
        panels: [
          {
            id: 1,
            type: "stat",
            title: "Up",
            gridPos: { x: 0, y: 0, w: 6, h: 4 },
            datasource: "${DS_PROMETHEUS}",
            targets: [{ refId: "A", expr: 'up{job="orders"}', datasource: "${DS_PROMETHEUS}" }],
          },
        ],
      }),
    });
    const json = synth(stack);
    expect(prometheusYaml(stack).rule_files).toEqual(["rules/alerts.yml", "rules/orders.yml"]);
    expect(ruleFile(stack, "rules/orders.yml")).toEqual(ORDERS_RULES);
    // After the stack's own Platform Overview, which every MonitoringStack has.
    expect(stack.dashboards.map((dashboard) => dashboard.uid)).toEqual([
      PLATFORM_OVERVIEW_UID,
      "orders-overview",
      "orders-json",
    ]);
    // (the test synth sorts keys)
    expect(Object.keys(json.output.dashboard_urls.value as Record<string, string>)).toEqual([
      PLATFORM_OVERVIEW_UID,
      "orders-json",
      "orders-overview",
    ]);
  });

  it("call order is irrelevant: a service added after the rules and dashboards is covered by TargetDown and the lint", () => {
    // given rules and a dashboard that need a service not added yet
    const stack = newStack();
    stack.addAlertRules("orders", ORDERS_RULES);
    stack.addDashboard(ORDERS_DASHBOARD);
    stack.addScrapeJob("orders-probe", { targets: ["orders:8080"], metricsPath: "/probe" });
    // when the service is added last
    stack.addService("orders", ORDERS);
    // then everything derived sees it
    expect(() => synth(stack)).not.toThrow();
    expect(targetDownExpr(stack)).toContain('job=~"grafana|orders|orders-probe|prometheus"');
    expect(stack.dashboards.find((d) => d.uid === "orders-overview")?.model).toMatchObject({ uid: "orders-overview" });
  });

  it("fails when a dashboard or a rule needs a service that is never added", () => {
    const stack = newStack();
    stack.addAlertRules("orders", ORDERS_RULES);
    stack.addDashboard(ORDERS_DASHBOARD);
    // Both in one round: the rule, and the dashboard through the lint.
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'alertRules.orders.groups[0].rules[0].expr selects job "orders", which is not scraped (jobs: grafana, prometheus); add the service or scrape job, or fix the selector',
      'module:orders, dashboard: the dashboard needs the service "orders", which the stack does not deploy (deployed: grafana, prometheus); add it with addService or remove the dashboard. Fix: make the module build for the stack it is added to (the problem names what it needs).',
    ]);
    // The rules are fine once the service exists; the dashboard then still names what it lacks, through the lint.
    const withoutService = newStack();
    withoutService.addDashboard(ORDERS_DASHBOARD);
    expect(() => Testing.synth(withoutService)).toThrow(
      'the dashboard needs the service "orders", which the stack does not deploy (deployed: grafana, prometheus); add it with addService or remove the dashboard',
    );
  });

  describeWithBinaries("the generated config with user additions passes the real promtool", ["promtool"], (bins) => {
    it("check config loads prometheus.yml and every rule file, the user's included", async () => {
      const stack = newStack();
      stack.addService("orders", { ...ORDERS, replicas: 2 });
      stack.addScrapeJob("legacy-db", { targets: ["10.0.0.5:9187"], outsideNetwork: true });
      stack.addAlertRules("orders", ORDERS_RULES);
      synth(stack);
      const dir = mkdtempSync(join(tmpdir(), "composition-"));
      try {
        for (const file of stack.prometheus.configFiles()) {
          mkdirSync(dirname(join(dir, file.path)), { recursive: true });
          writeFileSync(join(dir, file.path), file.content);
        }
        const result = await runBinary(
          bins.promtool,
          ["check", "config", "--lint=all", "--lint-fatal", "prometheus.yml"],
          {
            cwd: dir,
          },
        );
        expect(result.stderr).toBe("");
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toContain("rules/orders.yml");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("composition: every problem at once", () => {
  it("fails when a service is invalid in several ways, naming each setting", () => {
    const stack = newStack();
    stack.addService("Orders", { image: "ghcr.io/acme/orders:latest", build: { context: "/x" }, port: 0 });
    stack.addService("batch", {
      image: "acme/batch:1.0.0",
      port: 8080,
      metrics: { port: 70000, path: "metrics" },
      replicas: 0,
      user: "0:0",
    });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'Orders: the service name must start with a lowercase letter and contain only lowercase letters, digits and "-" (at most 40 characters) (got "Orders")',
      "Orders.image / Orders.build: give exactly one of them, a pinned image or a build context (got both)",
      'Orders.image must be pinned to a version tag, not "latest", so every deploy runs the same image (got "ghcr.io/acme/orders:latest")',
      "Orders.port must be an integer between 1 and 65535 (got 0)",
      "batch.replicas must be an integer between 1 and 20 (got 0)",
      'batch.user must not be root: the stack runs every container as a non-root user (got "0:0"); use the image\'s own user, or set relax.runAsRoot: true to accept the risk',
      "batch.metrics.port must be an integer between 1 and 65535 (got 70000)",
      'batch.metrics.path must be an HTTP path starting with "/" (got "metrics")',
    ]);
  });

  it("mounts host paths and volumes read-only unless told otherwise", () => {
    const stack = newStack();
    stack.addService("node", {
      image: "prom/node-exporter:v1.9.1",
      port: 9100,
      mounts: [
        { type: "bind", source: "/proc", target: "/host/proc" },
        { type: "volume", source: "node-data", target: "/data", readOnly: false },
      ],
    });
    expect(containerNamed(synth(stack), "monitoring-node").mounts).toEqual([
      { type: "bind", source: "/proc", target: "/host/proc", read_only: true },
      // Writable: no read_only attribute, false being the provider's default.
      { type: "volume", source: "node-data", target: "/data" },
    ]);
  });

  it("fails when a mount is not absolute or names an invalid volume", () => {
    const stack = newStack();
    stack.addService("node", {
      image: "prom/node-exporter:v1.9.1",
      port: 9100,
      mounts: [
        { type: "bind", source: "proc", target: "host/proc" },
        { type: "volume", source: "bad volume", target: "/data" },
      ],
    });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'node.mounts[0].target must be an absolute path in the container (got "host/proc")',
      'node.mounts[0].source must be an absolute host path for a bind mount (got "proc")',
      'node.mounts[1].source must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 63 characters) (got "bad volume")',
    ]);
  });

  it("accepts root only when the service relaxes it explicitly", () => {
    const stack = newStack();
    stack.addService("legacy", { image: "acme/legacy:3.1.0", port: 8080, user: "0:0", relax: { runAsRoot: true } });
    expect(containerNamed(synth(stack), "monitoring-legacy").user).toBe("0:0");
  });

  it("fails when a container name would be too long for Docker, instead of throwing from the construct", () => {
    const stack = newStack({ networkName: "n".repeat(40) });
    stack.addService("a".repeat(30), ORDERS);
    const name = "a".repeat(30);
    expect(synthError(stack).problems).toEqual([
      {
        path: name,
        message: `${name}: its container name "${"n".repeat(40)}-${name}" (networkName, "-", the service name, and the replica number) is longer than Docker's 63 characters; shorten networkName or the service name`,
      },
    ]);
  });

  it("fails when a service gives neither an image nor a build", () => {
    const stack = newStack();
    stack.addService("orders", { port: 8080 });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      "orders.image / orders.build: give exactly one of them, a pinned image or a build context (got neither)",
    ]);
  });

  it("fails when a name is taken: a service twice, a service named like a stack service, a job like a service", () => {
    const stack = newStack();
    stack.addService("orders", ORDERS);
    stack.addService("orders", ORDERS);
    stack.addService("grafana", ORDERS);
    stack.addScrapeJob("orders", { targets: ["orders:8080"] });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'orders: the name "orders" is already taken; give each service its own name',
      'grafana: the name "grafana" is already taken; give each service its own name',
      'scrapeJobs.orders: the job name "orders" is already taken; give each job its own name',
    ]);
  });

  it("fails when two services publish the same host port, claimed through the network", () => {
    const stack = newStack();
    stack.addService("orders", { ...ORDERS, hostPort: 18080, replicas: 2 });
    stack.addService("billing", { image: "acme/billing:2.0.0", port: 8080, hostPort: 18081 });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      "billing.hostPort clashes with orders.hostPort: both publish port 18081 on 127.0.0.1; give each service its own host port",
    ]);
  });

  it("fails when a scrape job's targets are malformed or missing", () => {
    const stack = newStack();
    stack.addScrapeJob("a", { targets: ["no-port"] });
    stack.addScrapeJob("b", { targets: [] });
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'scrapeJobs.a.targets[0] must be "host:port" (got "no-port")',
      'scrapeJobs.b.targets must list at least one "host:port" (got [])',
    ]);
  });

  it("fails when a rule file name is invalid or taken, or a rule is no valid PromQL", () => {
    const stack = newStack();
    stack.addAlertRules("alerts", ORDERS_RULES);
    stack.addAlertRules("Bad Name", ORDERS_RULES);
    stack.addAlertRules("broken", {
      groups: [
        {
          name: "broken",
          rules: [{ ...ORDERS_RULES.groups[0].rules[0], alert: "", expr: "sum(rate(x[5m]" }],
        },
      ],
    });
    const messages = synthError(stack).problems.map((problem) => problem.message);
    expect(messages.slice(0, 3)).toEqual([
      'alertRules.alerts: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got "alerts")',
      'alertRules.Bad Name: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got "Bad Name")',
      'alertRules.broken.groups[0].rules[0].alert must name the alert (got "")',
    ]);
    expect(messages[3]).toMatch(/^alertRules\.broken\.groups\[0\]\.rules\[0\]\.expr is not valid PromQL: /);
  });

  it("fails on what Prometheus or Alertmanager would refuse besides the expression: for, templates, labels, severity, annotations", () => {
    const stack = newStack();
    stack.addService("orders", ORDERS);
    const [base] = ORDERS_RULES.groups[0].rules;
    const wrong = (changes: Record<string, unknown>) => ({ ...base, ...changes }) as never;
    stack.addAlertRules("orders", {
      groups: [
        {
          name: "orders",
          rules: [
            wrong({ alert: "A", for: "5 minutes" }),
            wrong({ alert: "B", keep_firing_for: "10" }),
            wrong({ alert: "C", annotations: { summary: "s", description: "d {{ .Foo " } }),
            wrong({ alert: "D", labels: { severity: "high", "team-name": "x" } }),
            wrong({ alert: "E", annotations: { summary: "s" } }),
            wrong({ alert: "F", for: "1h30m", keep_firing_for: "0", labels: { severity: "none", team: "a" } }),
            // Valid Go templates and a rule without for (Prometheus' default: fire at the first evaluation).
            wrong({
              alert: "G",
              for: undefined,
              annotations: {
                summary: '{{"{{"}} literal, json {"a":{"b":1}}, {{ "}}" }}',
                description: "{{ if gt $value 1.0 }}high{{ end }} {{- $labels.job -}}",
              },
            }),
            wrong({ alert: "H", labels: undefined, annotations: undefined }),
          ],
        },
      ],
    });
    const at = (r: number) => `alertRules.orders.groups[0].rules[${r}]`;
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      `${at(0)}.for must be a Prometheus duration such as "5m", "1h30m" or "90s" (got "5 minutes")`,
      `${at(1)}.keep_firing_for must be a Prometheus duration such as "5m", "1h30m" or "90s" (got "10")`,
      `${at(2)}.annotations.description is not a valid template: the action opened at character 3 is never closed with "}}" (got "d {{ .Foo ")`,
      `${at(3)}.labels name "team-name" must be letters, digits and "_", not starting with a digit (the classic label names every Prometheus client and Alertmanager matcher takes)`,
      `${at(3)}.labels.severity must be one of "critical", "warning", "none", the severities every alert of the stack uses (got "high")`,
      `${at(4)}.annotations.description must say what is wrong, with the value and the threshold (got undefined)`,
      `${at(7)}.labels must be an object of strings with a severity (got undefined)`,
      `${at(7)}.annotations must be an object with a summary and a description (got undefined)`,
    ]);
  });

  it("fails when an alert rule reads a metric no deployed catalog or metricNames has, naming the rule, the metric and the service's setting", () => {
    const stack = newStack();
    stack.addService("orders", ORDERS);
    addNodeExporter(stack);
    const typo: AlertRulesDocument = {
      groups: [
        {
          name: "orders",
          rules: [
            { ...ORDERS_RULES.groups[0].rules[0], expr: 'sum(orders_backlgo{job="orders"}) > 100' },
            // node-exporter's catalog has node_load1; no catalog has node_load_1 and the query names no job.
            { ...ORDERS_RULES.groups[0].rules[0], alert: "HostLoadHigh", expr: "node_load_1 > 4" },
            // In a catalog: accepted.
            { ...ORDERS_RULES.groups[0].rules[0], alert: "HostLoad", expr: 'node_load1{job="node-exporter"} > 4' },
            {
              ...ORDERS_RULES.groups[0].rules[0],
              alert: "OrdersFiring",
              expr: 'ALERTS{alertname="OrdersBacklogHigh"}',
            },
          ],
        },
      ],
    };
    stack.addAlertRules("orders", typo);
    expect(synthError(stack).problems.map((problem) => problem.message)).toEqual([
      'alertRules.orders.groups[0].rules[0].expr (alert "OrdersBacklogHigh") selects the metric "orders_backlgo", which is in no deployed component\'s catalog nor any declared metricNames, so the alert would never fire; add "orders_backlgo" to the metricNames of the service "orders" (addService("orders", { metricNames: [...] })) if it exposes it, or correct the metric name',
      'alertRules.orders.groups[0].rules[1].expr (alert "HostLoadHigh") selects the metric "node_load_1", which is in no deployed component\'s catalog nor any declared metricNames, so the alert would never fire; correct the metric name, deploy the component whose catalog has it, or list it in the metricNames of your service (addService(name, { metricNames: [...] })) or scrape job (addScrapeJob) that exposes it',
    ]);
  });

  it("reports problems of services, jobs and rules together in one error", () => {
    const stack = newStack();
    stack.addService("orders", { port: 8080 });
    stack.addScrapeJob("x", { targets: ["nowhere:1"] });
    stack.addAlertRules("Bad", ORDERS_RULES);
    const error = synthError(stack);
    expect(error.message.split("\n")[0]).toBe('MonitoringStack "monitoring": 3 invalid settings:');
    // The stack's own calls first, then every construct's (the service), then the targets of nothing deployed.
    expect(error.problems.map((problem) => problem.path)).toEqual(["alertRules.Bad", 'scrape job "x"', "orders.image"]);
  });

  it("reports a bad setting, a host-port clash and a bad dashboard at once, each once", () => {
    // given a stack with an invalid setting, two services on one host port and a dashboard reading an unknown metric
    const stack = newStack({ prometheus: { retentionDays: 0 } });
    stack.addService("orders", { ...ORDERS, hostPort: 18080 });
    stack.addService("billing", { image: "acme/billing:2.0.0", port: 8080, hostPort: 18080 });
    stack.addDashboard({
      ...ORDERS_DASHBOARD,
      build: (ctx) => {
        const model = ORDERS_DASHBOARD.build(ctx);
        const panel = (model.panels as Record<string, unknown>[])[0];
        return {
          ...model,
          panels: [
            { ...panel, targets: [{ refId: "A", datasource: ctx.datasource, expr: "sum(orders_queue_depth)" }] },
          ],
        };
      },
    });
    // when it is synthesized, then one ConfigError lists the three problems, each exactly once
    const error = synthError(stack);
    const messages = error.problems.map((problem) => problem.message);
    const expected = [
      "prometheus.retentionDays must be an integer between 1 and 3650 (got 0)",
      "billing.hostPort clashes with orders.hostPort: both publish port 18080 on 127.0.0.1; give each service its own host port",
      'module:orders, panel "Backlog" (id 1), target A: metric "orders_queue_depth" is in no deployed component\'s catalog nor any declared metricNames (query "sum(orders_queue_depth)"). Fix: correct the metric name, deploy the component whose catalog has it, or list it in the metricNames of your service (addService(name, { metricNames: [...] })) or scrape job (addScrapeJob) that exposes it.',
    ];
    for (const message of expected) {
      expect({ message, count: messages.filter((m) => m === message).length }).toEqual({ message, count: 1 });
    }
    expect(messages).toHaveLength(expected.length);
    expect(error.message.split("\n")[0]).toBe('MonitoringStack "monitoring": 3 invalid settings:');
    expect(error.problems.map((problem) => problem.path).sort()).toEqual(
      ["billing.hostPort", "dashboards.module:orders", "prometheus.retentionDays"].sort(),
    );
  });
});

describe("composition: each problem once, whatever it causes", () => {
  const messages = (stack: MonitoringStack): string[] => synthError(stack).problems.map((problem) => problem.message);

  it("fails when a service name would take the Terraform address of something the stack has", () => {
    const stack = newStack();
    stack.addService("network", ORDERS);
    expect(messages(stack)).toEqual([
      'network: the name "network" would have the Terraform address of something the stack already has (construct "Network"); give the service another name',
    ]);
  });

  it("fails once when Alertmanager or an exporter is added twice", () => {
    const stack = newStack();
    addAlertmanager(stack);
    addAlertmanager(stack);
    addNodeExporter(stack);
    addNodeExporter(stack);
    addBlackboxExporter(stack);
    addBlackboxExporter(stack);
    expect(messages(stack)).toEqual([
      "alertmanager: the stack already has a service or construct of that name; add Alertmanager once",
      'node-exporter: the name "node-exporter" is already taken; give each service its own name',
      'blackbox-exporter: the name "blackbox-exporter" is already taken; give each service its own name',
    ]);
  });

  it("checks the valid targets of a scrape job in the round that reports its invalid ones", () => {
    const stack = newStack();
    stack.addScrapeJob("mixed", { targets: ["bad", "db:5432", "db:5433"] });
    expect(messages(stack)).toEqual([
      'scrapeJobs.mixed.targets[0] must be "host:port" (got "bad")',
      'scrape job "mixed": target host "db" is no service deployed on network "monitoring" (deployed: grafana, prometheus); add the service, remove the target, or set outsideNetwork: true for a host outside the network',
    ]);
  });

  it("fails once for a job rendered at synth with a bad target or with none", () => {
    const stack = newStack();
    stack.addScrapeJob("bad", { targets: () => ["bad"] });
    stack.addScrapeJob("none", { targets: () => [] });
    expect(messages(stack)).toEqual([
      'scrapeJobs.bad.targets[0] must be "host:port" (got "bad")',
      'scrapeJobs.none.targets must list at least one "host:port" (got [])',
    ]);
  });

  it("fails once for two services whose replicas' host ports clash, and once for an invalid host port", () => {
    const stack = newStack();
    stack.addService("a", { ...ORDERS, replicas: 2, hostPort: 14000 });
    stack.addService("b", { ...ORDERS, replicas: 2, hostPort: 14000 });
    stack.addService("c", { ...ORDERS, hostPort: 0 });
    stack.addService("d", { ...ORDERS, hostPort: 0 });
    expect(messages(stack)).toEqual([
      "b.hostPort clashes with a.hostPort: both publish port 14000 on 127.0.0.1; give each service its own host port",
      "c.hostPort must be an integer between 1 and 65535 (got 0)",
      "d.hostPort must be an integer between 1 and 65535 (got 0)",
    ]);
  });

  it("fails once when the network name is invalid, not again through every name derived from it", () => {
    const stack = newStack({ networkName: "bad!" });
    stack.addService("orders", ORDERS);
    expect(messages(stack)).toEqual([
      'networkName must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 63 characters) (got "bad!")',
    ]);
  });

  it("reports a scrape timeout over the interval with the other Prometheus settings, in one round", () => {
    const stack = newStack({ prometheus: { retentionDays: 0, scrapeTimeoutSeconds: 100, sampleLimit: -1 } });
    expect(messages(stack)).toEqual([
      "prometheus.retentionDays must be an integer between 1 and 3650 (got 0)",
      "prometheus.sampleLimit must be an integer between 1 and 10000000 (got -1)",
      "prometheus.scrapeTimeoutSeconds must not exceed scrapeIntervalSeconds (15) (got 100)",
    ]);
  });

  it("fails when the blackbox exporter's probe timeout is out of range", () => {
    const stack = newStack();
    addBlackboxExporter(stack, { probeTimeoutSeconds: -3 });
    expect(messages(stack)).toEqual([
      "blackbox-exporter.probeTimeoutSeconds must be an integer between 1 and 300 (got -3)",
    ]);
  });

  it("fails at synth, before writing anything, when the password file's folder cannot be written", () => {
    const stack = newStack({ grafana: { adminPasswordFile: "/proc/sys/monitoring-grafana-password" } });
    expect(messages(stack)).toEqual([
      "grafana.adminPasswordFile (/proc/sys/monitoring-grafana-password): does not exist and cannot be created: /proc/sys is not writable (EACCES); point grafana.adminPasswordFile at a file in an existing folder you can write, or leave it unset to use the default",
    ]);
  });

  it("fails with a ConfigError, not a stack trace, when writing the password file fails at synth after all", () => {
    // /proc is writable for root's access check, but no file can be created in it.
    const stack = newStack({ grafana: { adminPasswordFile: "/proc/monitoring-grafana-password" } });
    expect(synthError(stack).message).toBe(
      "Grafana admin password: 1 invalid setting:\n  - grafana.adminPasswordFile (/proc/monitoring-grafana-password): cannot be written (ENOENT); point grafana.adminPasswordFile at a file in an existing folder you can write, or leave it unset to use the default",
    );
  });
});
