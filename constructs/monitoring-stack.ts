import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Fn, LocalBackend, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, ref } from "cdktf";
import { Construct } from "constructs";
import { renderDashboards } from "../dashboards";
import type { ImportedDashboardFile, RenderedDashboard } from "../dashboards/types";
import { ALERT_RULES_NAME, AlertRulesInput, alertRulesProblems, renderAlertRules } from "./alert-rules";
import { Alertmanager, AlertmanagerOptions, alertmanagerOptionProblems } from "./alertmanager";
import { ApiService, ApiServiceOptions, apiServiceOptionProblems } from "./api-service";
import type { GeneratedFile } from "./config-image-files";
import { LOOPBACK, ServiceOptions } from "./container-defaults";
import { Grafana, GRAFANA_ADMIN_USER, GrafanaOptions, grafanaOptionProblems } from "./grafana";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "./grafana-datasource";
import { MonitoringNetwork } from "./network";
import { Prometheus, PrometheusOptions, prometheusOptionProblems } from "./prometheus";
import { ConfigProblem, checkDockerName, checkIntegerInRange, throwIfProblems } from "./validation";

/** The Terraform stack's name: `cdktf.out/stacks/monitoring`, `terraform.monitoring.tfstate`. */
export const STACK_NAME = "monitoring";

/** Where Terraform reads the Grafana admin password from; the password itself never enters the synthesized JSON. */
export interface AdminPasswordFile {
  /** The file's path relative to the stack's working directory (`cdktf.out/stacks/monitoring`), as Terraform reads it. */
  readonly pathFromStackDir: string;
  /** The same file's path as a person finds it from the project root; shown in the stack outputs. */
  readonly pathForHumans: string;
  /** The file's owner; Grafana runs as this uid:gid to read it. @default Grafana's own 472:0 */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

/** The alerting settings a stack user can change. */
export type AlertingOptions = Pick<AlertRulesInput, "thresholds" | "runbookBaseUrl">;

/**
 * The whole monitoring stack: one Docker network with the instrumented API, Prometheus scraping exactly what is
 * deployed, and Grafana with its datasource and dashboards.
 * @example new MonitoringStack(app, "monitoring", { apiBuildContext: "/abs/app", grafanaAdminPasswordFile })
 */
export interface MonitoringStackProps {
  /** The API's Docker build context (`app/`), relative to the stack's folder (or absolute). */
  readonly apiBuildContext: string;
  /**
   * The local backend's state file, relative to the stack's folder (where Terraform runs), so cdk.tf.json does not
   * depend on where the checkout lives. @default cdktf's default: an absolute path in the project folder
   */
  readonly localStatePath?: string;
  /** Digest of the API's source; a change rebuilds the image. @default no rebuild trigger */
  readonly apiSourceHash?: string;
  /**
   * The file holding the Grafana admin password. `TF_VAR_grafana_admin_password`, when set and not empty, takes
   * precedence over it at deploy time.
   */
  readonly grafanaAdminPasswordFile: AdminPasswordFile;
  /** Docker network name; also the prefix of container and volume names. @default "monitoring" */
  readonly networkName?: string;
  /**
   * How often Prometheus scrapes every target, in seconds. Also Grafana's `timeInterval` and the unit of the alert
   * rules' windows. @default 15
   */
  readonly scrapeIntervalSeconds?: number;
  /** The API service. @default hostPort 8000 on 127.0.0.1, 256 MiB */
  readonly api?: ApiServiceOptions;
  /** Prometheus. @default hostPort 9090 on 127.0.0.1, 1024 MiB, 15 days / 2048 MiB retention */
  readonly prometheus?: PrometheusOptions;
  /** Grafana. @default hostPort 3000 on 127.0.0.1, 512 MiB */
  readonly grafana?: GrafanaOptions;
  /**
   * Alert thresholds, durations and runbook links; `for:` durations and windows are never shorter than the scrape
   * interval allows.
   * @default DEFAULT_ALERT_THRESHOLDS (5% 5xx above 0.1 req/s, p95 above 0.5 s), runbooks in README.md
   */
  readonly alerting?: AlertingOptions;
  /** Alertmanager, deployed only when `enabled`. @default not deployed; when enabled: hostPort 9093 on 127.0.0.1, 128 MiB */
  readonly alertmanager?: AlertmanagerOptions;
  /** Dashboard JSON files to deploy besides the TypeScript ones (read by main.ts from `dashboards/json/`). @default none */
  readonly importedDashboards?: readonly ImportedDashboardFile[];
}

/** Every problem with the stack settings, each naming the setting as written in the props (`api.hostPort`). */
export function monitoringStackProblems(props: MonitoringStackProps): ConfigProblem[] {
  const intervalProblems = checkIntegerInRange(
    "scrapeIntervalSeconds",
    props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS,
    1,
    3600,
  );
  const problems: ConfigProblem[] = [
    ...checkDockerName("networkName", props.networkName ?? "monitoring"),
    ...intervalProblems,
    ...apiServiceOptionProblems("api", props.api ?? {}),
    // The interval is the stack's setting, reported once above; Prometheus' own checks get a valid one so an invalid
    // interval is not reported again through everything derived from it.
    ...prometheusOptionProblems("prometheus", {
      ...props.prometheus,
      scrapeIntervalSeconds:
        intervalProblems.length === 0
          ? (props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS)
          : Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS,
    }),
    ...grafanaOptionProblems("grafana", props.grafana ?? {}),
    ...(alertmanagerEnabled(props)
      ? alertmanagerOptionProblems("alertmanager", props.alertmanager ?? {})
      : ignoredAlertmanagerSettings(props)),
    ...(intervalProblems.length === 0
      ? alertRulesProblems(
          alertRulesInput(
            deployedJobs(props),
            props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS,
            props.alerting,
          ),
          "alerting",
        )
      : []),
    ...hostPortClashes([
      { name: "api", options: props.api ?? {}, defaultPort: ApiService.DEFAULT_HOST_PORT },
      { name: "prometheus", options: props.prometheus ?? {}, defaultPort: Prometheus.DEFAULT_HOST_PORT },
      { name: "grafana", options: props.grafana ?? {}, defaultPort: Grafana.DEFAULT_HOST_PORT },
      ...(alertmanagerEnabled(props)
        ? [{ name: "alertmanager", options: props.alertmanager ?? {}, defaultPort: Alertmanager.DEFAULT_HOST_PORT }]
        : []),
    ]),
  ];
  if (props.apiBuildContext.trim() === "") {
    problems.push({ path: "apiBuildContext", message: `apiBuildContext must be the path of the app/ folder (got "")` });
  }
  return problems;
}

/**
 * What the alert rules are rendered from: the jobs of the services the stack always deploys, so TargetDown covers
 * exactly them.
 */
function alertRulesInput(
  jobNames: readonly string[],
  scrapeIntervalSeconds: number,
  alerting: AlertingOptions = {},
): AlertRulesInput {
  return {
    ...alerting,
    jobNames,
    apiJobName: ApiService.JOB_NAME,
    prometheusJobName: Prometheus.JOB_NAME,
    scrapeIntervalSeconds,
  };
}

function alertmanagerEnabled(props: MonitoringStackProps): boolean {
  return props.alertmanager?.enabled ?? false;
}

/** Alertmanager settings given while it is not enabled would be silently ignored: say so instead. */
function ignoredAlertmanagerSettings(props: MonitoringStackProps): ConfigProblem[] {
  return Object.entries(props.alertmanager ?? {})
    .filter(([key, value]) => key !== "enabled" && value !== undefined)
    .map(([key]) => ({
      path: `alertmanager.${key}`,
      message: `alertmanager.${key} is set but Alertmanager is not deployed: set alertmanager.enabled to true (ALERTMANAGER_ENABLED=true), or remove the setting`,
    }));
}

/** The Prometheus jobs of the services the stack deploys with these props, sorted. */
function deployedJobs(props: MonitoringStackProps): string[] {
  return [
    ApiService.JOB_NAME,
    Grafana.JOB_NAME,
    Prometheus.JOB_NAME,
    ...(alertmanagerEnabled(props) ? [Alertmanager.JOB_NAME] : []),
  ].sort();
}

/** Two services cannot publish the same host port on overlapping addresses. */
function hostPortClashes(
  services: readonly { name: string; options: ServiceOptions; defaultPort: number }[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  services.forEach((a, i) =>
    services.slice(i + 1).forEach((b) => {
      const portA = a.options.hostPort ?? a.defaultPort;
      const portB = b.options.hostPort ?? b.defaultPort;
      const addressA = a.options.bindAddress ?? LOOPBACK;
      const addressB = b.options.bindAddress ?? LOOPBACK;
      const overlap = addressA === addressB || addressA === "0.0.0.0" || addressB === "0.0.0.0";
      if (portA === portB && overlap) {
        problems.push({
          path: `${b.name}.hostPort`,
          message: `${b.name}.hostPort clashes with ${a.name}.hostPort: both publish port ${portB} on ${addressB === addressA ? addressA : `${addressA} and ${addressB}`}; give each service its own host port`,
        });
      }
    }),
  );
  return problems;
}

/** The Terraform stack `monitoring`: providers, network, services, dashboards and outputs. */
export class MonitoringStack extends TerraformStack {
  /** The Docker network. */
  public readonly network: MonitoringNetwork;
  /** The instrumented API. */
  public readonly api: ApiService;
  /** Prometheus. */
  public readonly prometheus: Prometheus;
  /** Grafana with its datasource and dashboards. */
  public readonly grafana: Grafana;
  /** Alertmanager, when enabled. */
  public readonly alertmanager?: Alertmanager;
  /** Every dashboard deployed, TypeScript and imported, as rendered. */
  public readonly dashboards: readonly RenderedDashboard[];

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    // Every invalid setting at once, before anything is created.
    throwIfProblems(`MonitoringStack "${id}"`, monitoringStackProblems(props));
    const scrapeIntervalSeconds = props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS;

    new DockerProvider(this, "docker", {});
    if (props.localStatePath !== undefined) new LocalBackend(this, { path: props.localStatePath });
    const adminPassword = this.adminPassword(props.grafanaAdminPasswordFile);

    this.network = new MonitoringNetwork(this, "Network", { name: props.networkName ?? "monitoring" });
    this.api = new ApiService(this, "Api", {
      ...props.api,
      network: this.network,
      buildContext: props.apiBuildContext,
      ...(props.apiSourceHash !== undefined ? { sourceHash: props.apiSourceHash } : {}),
    });
    this.prometheus = new Prometheus(this, "Prometheus", {
      ...props.prometheus,
      network: this.network,
      scrapeIntervalSeconds,
    });
    this.grafana = new Grafana(this, "Grafana", {
      ...props.grafana,
      network: this.network,
      prometheus: this.prometheus,
      adminPassword,
      adminPasswordFile: {
        // abspath: Docker wants an absolute bind source; Terraform computes it on the deploying host.
        hostPath: Fn.abspath(`${ref("path.cwd")}/${props.grafanaAdminPasswordFile.pathFromStackDir}`),
        ...(props.grafanaAdminPasswordFile.owner !== undefined ? { owner: props.grafanaAdminPasswordFile.owner } : {}),
      },
    });
    this.prometheus.addScrapeTarget(this.api.scrapeTarget);
    this.prometheus.addScrapeTarget(this.grafana.scrapeTarget);
    if (alertmanagerEnabled(props)) {
      this.alertmanager = new Alertmanager(this, "Alertmanager", { ...props.alertmanager, network: this.network });
      this.prometheus.addScrapeTarget(this.alertmanager.scrapeTarget);
      this.prometheus.addAlertmanager(this.alertmanager.receiver);
    }
    const jobNames = this.prometheus.scrapeTargets.map((target) => target.jobName).sort();
    this.prometheus.addRuleFile(
      ALERT_RULES_NAME,
      renderAlertRules(alertRulesInput(jobNames, scrapeIntervalSeconds, props.alerting)),
    );

    this.dashboards = renderDashboards(
      {
        datasource: { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID },
        jobs: {
          api: this.api.scrapeTarget.jobName,
          prometheus: this.prometheus.scrapeTarget.jobName,
          grafana: this.grafana.scrapeTarget.jobName,
        },
        deployedJobs: this.prometheus.scrapeTargets.map((target) => target.jobName).sort(),
        scrapeIntervalSeconds,
      },
      props.importedDashboards ?? [],
    );
    const dashboardUrls: Record<string, string> = {};
    for (const dashboard of this.dashboards) {
      dashboardUrls[dashboard.uid] = this.grafana.addDashboard(dashboard).url;
    }

    new TerraformOutput(this, "api_url", { value: this.api.hostUrl, description: "The instrumented API" });
    new TerraformOutput(this, "prometheus_url", { value: this.prometheus.hostUrl, description: "Prometheus UI" });
    new TerraformOutput(this, "grafana_url", { value: this.grafana.hostUrl, description: "Grafana UI" });
    new TerraformOutput(this, "grafana_admin_user", { value: GRAFANA_ADMIN_USER });
    new TerraformOutput(this, "grafana_admin_password_hint", {
      value: `cat ${props.grafanaAdminPasswordFile.pathForHumans} (or the value of TF_VAR_grafana_admin_password if you set it)`,
      description: "How to get the Grafana admin password; the password itself is never an output",
    });
    if (this.alertmanager !== undefined) {
      new TerraformOutput(this, "alertmanager_url", {
        value: this.alertmanager.hostUrl,
        description: "Alertmanager UI",
      });
    }
    new TerraformOutput(this, "dashboard_urls", { value: dashboardUrls, description: "Dashboards by uid" });
    new TerraformOutput(this, "data_volumes", {
      value: [
        this.prometheus.options.dataVolumeName,
        this.grafana.options.dataVolumeName,
        ...(this.alertmanager !== undefined ? [this.alertmanager.options.dataVolumeName] : []),
      ],
      description: "Named volumes that keep the data; `destroy` leaves them, `docker volume rm` deletes them",
    });
  }

  /**
   * The files Terraform needs next to `cdk.tf.json` (the build contexts of the config images), paths relative to the
   * stack's folder; main.ts writes them after synth.
   */
  public generatedFiles(): GeneratedFile[] {
    return [
      ...this.prometheus.image.contextFiles(),
      ...(this.alertmanager !== undefined ? this.alertmanager.image.contextFiles() : []),
    ];
  }

  /**
   * The admin password as a sensitive Terraform local: `TF_VAR_grafana_admin_password` if set, else the password file.
   * Both are read by Terraform at deploy time, so no secret is ever written into the synthesized JSON.
   */
  private adminPassword(file: AdminPasswordFile): string {
    const variable = new TerraformVariable(this, "grafana_admin_password", {
      type: "string",
      default: "",
      sensitive: true,
      description: `Grafana admin password; when empty, the content of ${file.pathForHumans} is used`,
    });
    const local = new TerraformLocal(
      this,
      "grafana_admin_password_value",
      // try(): with TF_VAR_grafana_admin_password set, the file need not exist.
      Fn.sensitive(
        Fn.coalesce([Fn.trimspace(variable.stringValue), Fn.try([Fn.trimspace(Fn.file(file.pathFromStackDir)), ""])]),
      ),
    );
    return local.asString;
  }
}
