import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { MonitoringStackBase, MonitoringStackBaseProps } from "./core/stack";
import { platformOverview } from "./platform-overview";
import { Grafana, GrafanaOptions } from "./grafana/grafana";
import { GRAFANA_ADMIN_USER } from "./grafana/defaults";
import { PrometheusAgent } from "./prometheus/agent";
import { HOST_RULES_NAME, HostSilentInput, renderHostSilentRules } from "./prometheus/host-silent";
import { hostSilentRuleTests } from "./prometheus/host-silent.cases";
import { Prometheus, PrometheusOptions } from "./prometheus/prometheus";
import { ALERT_RULES_NAME, renderPrometheusAlertRules, PrometheusRulesInput } from "./prometheus/rules";
import { prometheusRuleTests } from "./prometheus/rules.cases";

/** The Terraform stack's name in this project: `cdktf.out/stacks/monitoring`, `terraform.monitoring.tfstate`. */
export const STACK_NAME = "monitoring";

/**
 * The monitoring stack's settings: those of every stack (network, scrape interval, state, runbook links) and of its
 * two components that are always there, Prometheus and Grafana. None is required.
 * @example new MonitoringStack(app, "monitoring", { prometheus: { retentionDays: 30 } })
 */
export interface MonitoringStackProps extends MonitoringStackBaseProps {
  /** Prometheus. @default PROMETHEUS_DEFAULTS */
  readonly prometheus?: PrometheusOptions;
  /** Grafana. @default GRAFANA_DEFAULTS */
  readonly grafana?: GrafanaOptions;
}

/**
 * The whole monitoring stack: the core (one Docker network, the registries every component adds to) with Prometheus,
 * scraping exactly what is deployed, with its own alert rules (`rules/alerts.yml`: TargetDown over every job, its rule
 * failures and config reloads, the Watchdog), and Grafana with its datasource. Everything else is added through the
 * core's public calls (`addService`, `addScrapeJob`, `addAlertRules`, `addDashboard`) or a component's `addXxx(stack)`.
 * @example const monitoring = new MonitoringStack(app, "monitoring"); monitoring.addService("orders", { image, port: 8080 });
 */
export class MonitoringStack extends MonitoringStackBase<Prometheus, Grafana> {
  constructor(scope: Construct, id: string, props: MonitoringStackProps = {}) {
    super(scope, id, props, (stack) => {
      const prometheus = new Prometheus(stack, "Prometheus", {
        ...props.prometheus,
        network: stack.network,
        scrapeIntervalSeconds: stack.scrapeIntervalSeconds,
        projectDir: stack.projectDir,
      });
      const grafana = new Grafana(stack, "Grafana", {
        ...props.grafana,
        network: stack.network,
        prometheus,
        projectDir: stack.projectDir,
      });
      return { prometheus, grafana };
    });
    const rulesInput = (ctx: {
      readonly deployedJobs: readonly string[];
      readonly jobs: Readonly<Record<string, string>>;
      readonly scrapeIntervalSeconds: number;
      readonly runbookBaseUrl?: string;
    }): PrometheusRulesInput => ({
      jobNames: ctx.deployedJobs,
      prometheusJobName: ctx.jobs[Prometheus.NAME] ?? Prometheus.NAME,
      scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
      ...(props.prometheus?.alertThresholds !== undefined ? { thresholds: props.prometheus.alertThresholds } : {}),
      ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
    });
    // Rendered at synth: TargetDown covers every job of the final set.
    this.addAlertRules(ALERT_RULES_NAME, (ctx) => renderPrometheusAlertRules(rulesInput(ctx)), {
      tests: (ctx) => prometheusRuleTests(rulesInput(ctx)),
    });
    // Every extra host: an agent remote-writing to this Prometheus, which becomes the centre (receiver, basic auth,
    // host labels), and HostSilent over every host, rendered at synth from the final set of hosts.
    this.onEveryHost((host) => {
      const first = this.prometheus.remoteWriteReceiver === undefined;
      const receiver = this.prometheus.acceptRemoteWrite();
      new PrometheusAgent(host, "PrometheusAgent", { host, central: this.prometheus, receiver });
      if (!first) return;
      const silentInput = (ctx: { readonly scrapeIntervalSeconds: number; readonly runbookBaseUrl?: string }) =>
        ({
          hosts: [...this.hosts.keys()],
          scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
          ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
        }) satisfies HostSilentInput;
      this.addAlertRules(HOST_RULES_NAME, (ctx) => renderHostSilentRules(silentInput(ctx)), {
        tests: (ctx) => hostSilentRuleTests(silentInput(ctx)),
      });
    });
    // The platform's own dashboard: every target, every job's processes, Prometheus and Grafana.
    this.addDashboard(platformOverview);
    new TerraformOutput(this, "grafana_admin_user", { value: GRAFANA_ADMIN_USER });
    new TerraformOutput(this, "grafana_admin_password_hint", {
      value: `cat ${this.grafana.passwordFile.pathForHumans} (or the value of TF_VAR_grafana_admin_password if you set it)`,
      description: "How to get the Grafana admin password; the password itself is never an output",
    });
  }
}
