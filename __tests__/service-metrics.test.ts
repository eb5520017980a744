/**
 * A service's metrics endpoint (`metrics`): `false` for what has none (a database, a cache), `{ port, path }` when it
 * is not the service's port and `/metrics`. Checked where jobs are derived (prometheus.yml, TargetDown, the probes,
 * the dashboards' job list, verify's expectations, the local harness) and with the real promtool.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { addBlackboxExporter, BlackboxExporter } from "../constructs/blackbox-exporter";
import { ConfigError } from "../constructs/core/validation";
import type { MonitoringStack } from "../constructs/monitoring-stack";
import { loopbackAddresses } from "../scripts/harness/local-stack";
import { stackExpectations } from "../scripts/verify/expectations";
import { targetChecks } from "../scripts/verify/checks";
import type { PrometheusTarget } from "../scripts/verify/prometheus-client";
import { describeWithBinaries, runBinary } from "./support/prometheus-binaries";
import { newTestStack, synthJson } from "./support/stack";

type PrometheusYml = {
  scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
};

function prometheusYaml(stack: MonitoringStack): PrometheusYml {
  const file = stack.prometheus.configFiles().find((f) => f.path === "prometheus.yml");
  return parse(file?.content ?? "") as PrometheusYml;
}

function targetDownExpr(stack: MonitoringStack): string {
  const file = stack.prometheus.configFiles().find((f) => f.path === "rules/alerts.yml");
  const document = parse(file?.content ?? "") as { groups: { rules: { alert?: string; expr: string }[] }[] };
  return document.groups.flatMap((group) => group.rules).find((rule) => rule.alert === "TargetDown")?.expr ?? "";
}

function synthProblems(stack: MonitoringStack): string[] {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.message);
    throw error;
  }
  throw new Error("expected synth to fail");
}

/** A database: no metrics endpoint, a health endpoint the blackbox exporter probes. */
const POSTGRES = {
  image: "postgres:15.14",
  port: 5432,
  metrics: false,
  healthEndpoint: { path: "/ready", port: 8008 },
} as const;

describe("metrics: false", () => {
  function stackWithPostgres(): MonitoringStack {
    const stack = newTestStack();
    stack.addService("postgres", POSTGRES);
    addBlackboxExporter(stack);
    synthJson(stack);
    return stack;
  }

  it("renders no scrape job for the service and leaves it out of TargetDown", () => {
    const stack = stackWithPostgres();

    const jobs = prometheusYaml(stack).scrape_configs.map((job) => job.job_name);
    expect(jobs).not.toContain("postgres");
    expect([...jobs].sort()).toEqual(["blackbox-exporter", "grafana", BlackboxExporter.PROBE_JOB, "prometheus"].sort());
    expect(targetDownExpr(stack)).toContain(
      `job=~"blackbox-exporter|grafana|${BlackboxExporter.PROBE_JOB}|prometheus"`,
    );
    expect(stack.deployedJobs).not.toContain("postgres");
    expect(stack.jobs).not.toHaveProperty("postgres");
    expect(stack.services.get("postgres")?.jobName).toBeUndefined();
    expect(stack.services.get("postgres")?.scrapeTargets).toEqual([]);
  });

  it("still probes its health endpoint through the blackbox exporter", () => {
    const stack = stackWithPostgres();

    const probe = prometheusYaml(stack).scrape_configs.find((job) => job.job_name === BlackboxExporter.PROBE_JOB);
    expect(JSON.stringify(probe)).toContain("http://postgres:8008/ready");
  });

  it("is no target verify expects, and a running Prometheus without its job passes the target checks", () => {
    const stack = stackWithPostgres();
    const exp = stackExpectations(stack);

    expect(exp.scrapeTargets.map((target) => target.jobName)).not.toContain("postgres");
    expect(exp.jobs).not.toHaveProperty("postgres");
    // Every expected target up, and nothing else: no check fails, none names postgres.
    const target = (job: string, instance: string, health: PrometheusTarget["health"]): PrometheusTarget => ({
      job,
      instance,
      scrapeUrl: `http://${instance}/metrics`,
      health,
      lastError: health === "up" ? "" : "EOF",
      lastScrapeSeconds: 1,
    });
    const up = exp.scrapeTargets.map((t) => target(t.jobName, `${t.host}:${t.port}`, "up"));
    const results = targetChecks(up, exp, "http://127.0.0.1:9090");
    expect(results.filter((result) => result.status !== "pass")).toEqual([]);
    expect(results.map((result) => result.title).join("\n")).not.toContain("postgres");
    // A running Prometheus that did scrape postgres is flagged: it is not the config the stack renders.
    const withPostgres = [...up, target("postgres", "postgres:5432", "down")];
    expect(targetChecks(withPostgres, exp, "http://127.0.0.1:9090").find((r) => r.status === "fail")?.title).toBe(
      "no unexpected target",
    );
  });

  it("the local harness maps its health URL, and no scrape target of it", () => {
    const stack = stackWithPostgres();
    const ports = new Map([...stack.services.keys()].map((name, i) => [name, 41_000 + i]));

    const loopback = loopbackAddresses(stack, ports);
    expect(loopback["postgres:8008"]).toBe(`127.0.0.1:${ports.get("postgres")}`);
    expect(loopback).not.toHaveProperty("postgres:5432");
  });

  it("fails when an alert rule selects the job of a service without metrics", () => {
    const stack = newTestStack();
    stack.addService("postgres", POSTGRES);
    stack.addAlertRules("pg", {
      groups: [
        {
          name: "pg",
          rules: [
            {
              alert: "PostgresDown",
              expr: 'up{job="postgres"} == 0',
              for: "1m",
              labels: { severity: "critical" },
              annotations: { summary: "s", description: "d" },
            },
          ],
        },
      ],
    });
    expect(synthProblems(stack)).toEqual([
      'alertRules.pg.groups[0].rules[0].expr selects job "postgres", which is not scraped (jobs: grafana, prometheus); add the service or scrape job, or fix the selector',
    ]);
  });

  it("fails when metrics: false comes with metricNames that nothing would scrape", () => {
    const stack = newTestStack();
    stack.addService("postgres", { ...POSTGRES, metricNames: ["pg_up"] });
    expect(synthProblems(stack)).toEqual([
      'postgres.metrics is false (no metrics endpoint), but metricNames declares 1 series (["pg_up"]) that nothing would scrape; remove metricNames, or give the endpoint as metrics: { port, path }',
    ]);
  });
});

describe("metrics: { port, path }", () => {
  it("scrapes the given port and path, every replica", () => {
    const stack = newTestStack();
    stack.addService("worker", {
      image: "acme/worker:1.0.0",
      port: 8080,
      replicas: 2,
      metrics: { port: 9102, path: "/internal/metrics" },
    });
    synthJson(stack);

    expect(prometheusYaml(stack).scrape_configs.find((job) => job.job_name === "worker")).toMatchObject({
      job_name: "worker",
      metrics_path: "/internal/metrics",
      static_configs: [{ targets: ["worker-1:9102", "worker-2:9102"] }],
    });
    expect(targetDownExpr(stack)).toContain('job=~"grafana|prometheus|worker"');
  });

  it("takes each default it is not given: the service's port, /metrics", () => {
    const stack = newTestStack();
    stack.addService("a", { image: "acme/a:1.0.0", port: 8080, metrics: { path: "/m" } });
    stack.addService("b", { image: "acme/b:1.0.0", port: 8081, metrics: { port: 9000 } });
    stack.addService("c", { image: "acme/c:1.0.0", port: 8082, metrics: {} });
    synthJson(stack);

    const jobs = prometheusYaml(stack).scrape_configs;
    expect(jobs.filter((job) => ["a", "b", "c"].includes(job.job_name))).toMatchObject([
      { job_name: "a", metrics_path: "/m", static_configs: [{ targets: ["a:8080"] }] },
      { job_name: "b", metrics_path: "/metrics", static_configs: [{ targets: ["b:9000"] }] },
      { job_name: "c", metrics_path: "/metrics", static_configs: [{ targets: ["c:8082"] }] },
    ]);
  });

  it("fails when the port, the path or the value itself is invalid, naming each setting and the fix", () => {
    const stack = newTestStack();
    stack.addService("a", { image: "acme/a:1.0.0", port: 8080, metrics: { port: 70000, path: "metrics" } });
    // A JavaScript user, or a config file read as JSON: the types do not stop these.
    stack.addService("b", { image: "acme/b:1.0.0", port: 8080, metrics: true as unknown as false });
    stack.addService("c", {
      image: "acme/c:1.0.0",
      port: 8080,
      metrics: { port: 9000, metricsPath: "/x" } as unknown as { port: number },
    });
    expect(synthProblems(stack)).toEqual([
      "a.metrics.port must be an integer between 1 and 65535 (got 70000)",
      'a.metrics.path must be an HTTP path starting with "/" (got "metrics")',
      "b.metrics must be false (the service has no metrics endpoint) or { port?, path? } (where Prometheus scrapes it) (got true)",
      'c.metrics takes only port and path (got ["metricsPath"]); remove it',
    ]);
  });
});

describeWithBinaries("metrics options pass the real promtool", ["promtool"], (bins) => {
  it("check config loads prometheus.yml with a service without metrics and one on its own port and path", async () => {
    const stack = newTestStack();
    stack.addService("postgres", POSTGRES);
    stack.addService("worker", { image: "acme/worker:1.0.0", port: 8080, metrics: { port: 9102, path: "/m" } });
    addBlackboxExporter(stack);
    synthJson(stack);
    const dir = mkdtempSync(join(tmpdir(), "service-metrics-"));
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
      expect(result.stdout).toContain("SUCCESS");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
