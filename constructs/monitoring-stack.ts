import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import {
  Aspects,
  Fn,
  LocalBackend,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  ref,
} from "cdktf";
import { Construct, IConstruct } from "constructs";
import { analyzePromql, renderDashboards } from "../dashboards";
import { GRAFANA_SELF_METRICS, PROMETHEUS_SELF_METRICS, SCRAPE_SERIES } from "../dashboards/self-metrics";
import type { DashboardContext, DashboardModule, ImportedDashboardFile, RenderedDashboard } from "../dashboards/types";
import {
  ALERT_RULES_NAME,
  AlertingRule,
  AlertRulesDocument,
  AlertRulesInput,
  alertRulesProblems,
  renderAlertRules,
} from "./alert-rules";
import { Alertmanager, AlertmanagerOptions, alertmanagerOptionProblems } from "./alertmanager";
import type { GeneratedFile } from "./config-image-files";
import { Grafana, GRAFANA_ADMIN_USER, GrafanaOptions, grafanaOptionProblems } from "./grafana";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "./grafana-datasource";
import { MonitoringNetwork, MonitoringNetworkClaims } from "./network";
import { Prometheus, PrometheusOptions, prometheusOptionProblems } from "./prometheus";
import { ScrapeTarget, scrapeTargetProblems } from "./scrape-target";
import { Service, ServiceOptions, serviceProblems } from "./service";
import { ConfigProblem, checkDockerName, checkIntegerInRange, show, throwIfProblems } from "./validation";

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
 * The whole monitoring stack: one Docker network, Prometheus scraping exactly what is deployed, Grafana with its
 * datasource, and whatever services, scrape jobs, alert rules and dashboards are added to it.
 * @example new MonitoringStack(app, "monitoring", { grafanaAdminPasswordFile })
 */
export interface MonitoringStackProps {
  /**
   * The local backend's state file, relative to the stack's folder (where Terraform runs), so cdk.tf.json does not
   * depend on where the checkout lives. @default cdktf's default: an absolute path in the project folder
   */
  readonly localStatePath?: string;
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

/** A scrape job that is no service of the stack. @example { targets: ["10.0.0.5:9187"], outsideNetwork: true } */
export interface ScrapeJobOptions {
  /**
   * The `host:port` addresses to scrape, or `{ address, params, labels }` for the multi-target exporter pattern (one
   * exporter address scraped once per thing it probes). A host must be a service deployed on the stack's network
   * unless `outsideNetwork` is set. Pass a function to render the targets at synth from the final set of services
   * (every health endpoint, whatever the order of the add calls).
   * @example (ctx) => ctx.healthEndpoints.map((e) => ({ address: "blackbox-exporter:9115", params: { module: "http_2xx", target: e.url }, labels: { instance: e.url } }))
   */
  readonly targets: ScrapeJobTargets | ((ctx: ScrapeJobContext) => ScrapeJobTargets);
  /** HTTP path of the metrics endpoint. @default "/metrics" */
  readonly metricsPath?: string;
  /**
   * The targets are outside the stack's Docker network (a host address, another machine): scrape them although the
   * stack does not deploy them. Prometheus reaches them from inside its container, so use an address it can route to.
   * @default false: every host must be a service the stack deploys
   */
  readonly outsideNetwork?: boolean;
  /**
   * Series names the targets expose; dashboards may query them. @default none: only the scrape series (`up`, ...)
   */
  readonly metricNames?: readonly string[];
}

/** One target of a scrape job: `host:port`, or an address with URL parameters and labels. */
export type ScrapeJobTarget =
  | string
  | {
      /** `host:port` of what Prometheus scrapes (the exporter). */
      readonly address: string;
      /** URL query parameters of this target's scrapes (`{ module: "http_2xx", target: url }`). @default none */
      readonly params?: Readonly<Record<string, string>>;
      /** Labels of this target's series (`{ instance: url }`); no `__` names, no `job`. @default none */
      readonly labels?: Readonly<Record<string, string>>;
    };

/** The targets of a scrape job. */
export type ScrapeJobTargets = readonly ScrapeJobTarget[];

/** A service's HTTP health endpoint, as declared (`healthEndpoint`), one per replica; the stack's own included. */
export interface HealthEndpoint {
  /** The service's name (`api`, `prometheus`). */
  readonly service: string;
  /** The URL inside the network (`http://api:8000/health`). */
  readonly url: string;
}

/** What a function passed as {@link ScrapeJobOptions.targets} renders the targets from, at synth. */
export interface ScrapeJobContext {
  /** Every health endpoint of the final set of services, sorted by URL. */
  readonly healthEndpoints: readonly HealthEndpoint[];
  /** The job of every service, by service name. */
  readonly jobs: Readonly<Record<string, string>>;
}

/** What a function passed to {@link MonitoringStack.addAlertRules} renders its rules from, at synth. */
export interface AlertRuleContext {
  /** How often Prometheus scrapes, in seconds: the unit of `for:` durations and rate windows. */
  readonly scrapeIntervalSeconds: number;
  /** The job of every service, by service name, from the final set of services. */
  readonly jobs: Readonly<Record<string, string>>;
  /** Every job prometheus.yml renders, sorted. */
  readonly deployedJobs: readonly string[];
  /** The stack's alerting settings. @default {} */
  readonly alerting: AlertingOptions;
}

/** Alert rules as a document, or a function rendering it at synth from the final set of services. */
export type AlertRulesSource = AlertRulesDocument | ((ctx: AlertRuleContext) => AlertRulesDocument);

/** A dashboard: a TypeScript module (grafana-foundation-sdk builders) or a JSON file's content. */
export type DashboardSource = DashboardModule | ImportedDashboardFile;

/** Every problem with the stack settings, each naming the setting as written in the props (`prometheus.hostPort`). */
export function monitoringStackProblems(props: MonitoringStackProps): ConfigProblem[] {
  const intervalProblems = checkIntegerInRange(
    "scrapeIntervalSeconds",
    props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS,
    1,
    3600,
  );
  const scrapeIntervalSeconds =
    intervalProblems.length === 0
      ? (props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS)
      : Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS;
  return [
    ...checkDockerName("networkName", props.networkName ?? "monitoring"),
    ...intervalProblems,
    // The interval is the stack's setting, reported once above; Prometheus' own checks get a valid one so an invalid
    // interval is not reported again through everything derived from it.
    ...prometheusOptionProblems("prometheus", { ...props.prometheus, scrapeIntervalSeconds }),
    ...grafanaOptionProblems("grafana", props.grafana ?? {}),
    ...(alertmanagerEnabled(props)
      ? alertmanagerOptionProblems("alertmanager", props.alertmanager ?? {})
      : ignoredAlertmanagerSettings(props)),
    // The thresholds alone: the jobs are known at synth, from the final set of services.
    ...(intervalProblems.length === 0
      ? alertRulesProblems(alertRulesInput([Prometheus.JOB_NAME], scrapeIntervalSeconds, props.alerting), "alerting")
      : []),
    // The stack's own ports; the ports of added services are claimed on the network and checked at synth.
    ...builtInHostPortClashes(props),
  ];
}

/** Two of the stack's own services cannot publish the same host port on overlapping addresses. */
function builtInHostPortClashes(props: MonitoringStackProps): ConfigProblem[] {
  const network = new MonitoringNetworkClaims();
  network.claimHostPort({
    owner: "prometheus.hostPort",
    port: props.prometheus?.hostPort ?? Prometheus.DEFAULT_HOST_PORT,
    bindAddress: props.prometheus?.bindAddress,
  });
  network.claimHostPort({
    owner: "grafana.hostPort",
    port: props.grafana?.hostPort ?? Grafana.DEFAULT_HOST_PORT,
    bindAddress: props.grafana?.bindAddress,
  });
  if (alertmanagerEnabled(props)) {
    network.claimHostPort({
      owner: "alertmanager.hostPort",
      port: props.alertmanager?.hostPort ?? Alertmanager.DEFAULT_HOST_PORT,
      bindAddress: props.alertmanager?.bindAddress,
    });
  }
  return network.problems();
}

/** What the stack's own rules are rendered from: TargetDown covers exactly `jobNames`. */
function alertRulesInput(
  jobNames: readonly string[],
  scrapeIntervalSeconds: number,
  alerting: AlertingOptions = {},
): AlertRulesInput {
  return { ...alerting, jobNames, prometheusJobName: Prometheus.JOB_NAME, scrapeIntervalSeconds };
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

/**
 * Problems with a rule file added by a user: at least one group, unique group names, every alert named, with PromQL that parses on the real grammar, and no `job=` selector of a job that is not scraped.
 */
function ruleDocumentProblems(
  path: string,
  document: AlertRulesDocument,
  deployedJobs: readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = Array.isArray(document.groups) ? document.groups : [];
  if (groups.length === 0) {
    problems.push({ path, message: `${path} must have at least one rule group (got ${show(document)})` });
  }
  const seen = new Set<string>();
  groups.forEach((group, g) => {
    const groupPath = `${path}.groups[${g}]`;
    if (typeof group.name !== "string" || group.name.trim() === "" || seen.has(group.name)) {
      problems.push({
        path: groupPath,
        message: `${groupPath}.name must be a unique, non-empty group name (got ${show(group.name)})`,
      });
    }
    seen.add(group.name);
    const rules: readonly AlertingRule[] = group.rules ?? [];
    rules.forEach((rule, r) => {
      const rulePath = `${groupPath}.rules[${r}]`;
      if (typeof rule.alert !== "string" || rule.alert.trim() === "") {
        problems.push({ path: rulePath, message: `${rulePath}.alert must name the alert (got ${show(rule.alert)})` });
      }
      const analysis = analyzePromql(typeof rule.expr === "string" ? rule.expr : "");
      for (const error of analysis.errors) {
        problems.push({
          path: `${rulePath}.expr`,
          message: `${rulePath}.expr is not valid PromQL: ${error} (got ${show(rule.expr)})`,
        });
      }
      for (const selector of analysis.selectors) {
        for (const matcher of selector.matchers) {
          if (matcher.label === "job" && matcher.op === "=" && !deployedJobs.includes(matcher.value)) {
            problems.push({
              path: `${rulePath}.expr`,
              message: `${rulePath}.expr selects job ${show(matcher.value)}, which is not scraped (jobs: ${deployedJobs.join(", ")}); add the service or scrape job, or fix the selector`,
            });
          }
        }
      }
    });
  });
  return problems;
}

/** The targets of a scrape job as ScrapeTargets, and every problem with their shape. */
function scrapeJobTargets(
  path: string,
  jobName: string,
  options: ScrapeJobOptions,
  targets: ScrapeJobTargets,
): { readonly targets: ScrapeTarget[]; readonly problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const converted: ScrapeTarget[] = [];
  targets.forEach((target, i) => {
    const address = typeof target === "string" ? target : target.address;
    const match = /^([A-Za-z0-9._-]+):(\d+)$/.exec(address);
    if (match === null) {
      problems.push({
        path: `${path}.targets[${i}]`,
        message: `${path}.targets[${i}] must be "host:port" (got ${show(address)})`,
      });
      return;
    }
    const scrapeTarget: ScrapeTarget = {
      jobName,
      host: match[1],
      port: Number(match[2]),
      metricsPath: options.metricsPath ?? "/metrics",
      ...(options.outsideNetwork === true ? { outsideNetwork: true } : {}),
      ...(typeof target !== "string" && target.params !== undefined ? { params: { ...target.params } } : {}),
      ...(typeof target !== "string" && target.labels !== undefined ? { labels: { ...target.labels } } : {}),
    };
    problems.push(
      ...scrapeTargetProblems(`${path}.targets[${i}]`, scrapeTarget).filter((p) => !/\.(jobName|port)$/.test(p.path)),
    );
    converted.push(scrapeTarget);
  });
  if (targets.length === 0) {
    problems.push({
      path: `${path}.targets`,
      message: `${path}.targets must list at least one "host:port" (got [])`,
    });
  }
  return { targets: converted, problems };
}

/** A cdktf construct id from a service name: `api` -> `Api`, `legacy-db` -> `LegacyDb` (stable Terraform addresses). */
function constructId(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/**
 * The Terraform stack `monitoring`: providers, network, Prometheus, Grafana and outputs, plus what users add with
 * {@link addService}, {@link addScrapeJob}, {@link addAlertRules} and {@link addDashboard}. Everything derived from
 * the set of services (prometheus.yml, TargetDown's jobs, the dashboards' lint, the outputs) is computed at synth from
 * the final set, so the order of the calls does not matter; every problem is reported at synth, all at once.
 */
export class MonitoringStack extends TerraformStack {
  /** The Docker network. */
  public readonly network: MonitoringNetwork;
  /** Prometheus. */
  public readonly prometheus: Prometheus;
  /** Grafana with its datasource and dashboards. */
  public readonly grafana: Grafana;
  /** Alertmanager, when enabled. */
  public readonly alertmanager?: Alertmanager;

  private readonly scrapeIntervalSeconds: number;
  private readonly alerting: AlertingOptions;
  private readonly serviceRegistry = new Map<string, Service>();
  private readonly scrapeJobNames = new Set<string>();
  private readonly extraMetricNames: string[] = [];
  private readonly dashboardSources: DashboardSource[] = [];
  private readonly problems: ConfigProblem[] = [];
  private readonly ruleNames = new Set<string>();
  private readonly ruleSources = new Map<string, AlertRulesSource>();
  private readonly renderedScrapeJobs: (() => { readonly problems: readonly ConfigProblem[] })[] = [];
  private finalized = false;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    // Every invalid setting at once, before anything is created.
    throwIfProblems(`MonitoringStack "${id}"`, monitoringStackProblems(props));
    this.scrapeIntervalSeconds = props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS;
    this.alerting = props.alerting ?? {};

    new DockerProvider(this, "docker", {});
    if (props.localStatePath !== undefined) new LocalBackend(this, { path: props.localStatePath });
    const adminPassword = this.adminPassword(props.grafanaAdminPasswordFile);

    this.network = new MonitoringNetwork(this, "Network", { name: props.networkName ?? "monitoring" });
    this.prometheus = new Prometheus(this, "Prometheus", {
      ...props.prometheus,
      network: this.network,
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
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
    this.network.claimHostPort({
      owner: "prometheus.hostPort",
      port: this.prometheus.options.hostPort,
      bindAddress: this.prometheus.options.bindAddress,
    });
    this.network.claimHostPort({
      owner: "grafana.hostPort",
      port: this.grafana.options.hostPort,
      bindAddress: this.grafana.options.bindAddress,
    });
    this.prometheus.addScrapeTarget(this.grafana.scrapeTarget);
    if (alertmanagerEnabled(props)) {
      this.alertmanager = new Alertmanager(this, "Alertmanager", { ...props.alertmanager, network: this.network });
      this.network.claimHostPort({
        owner: "alertmanager.hostPort",
        port: this.alertmanager.options.hostPort,
        bindAddress: this.alertmanager.options.bindAddress,
      });
      this.prometheus.addScrapeTarget(this.alertmanager.scrapeTarget);
      this.prometheus.addAlertmanager(this.alertmanager.receiver);
    }
    // Rendered at synth: TargetDown covers every job of the final set.
    this.prometheus.addRuleFile(ALERT_RULES_NAME, () =>
      renderAlertRules(alertRulesInput(this.deployedJobs(), this.scrapeIntervalSeconds, this.alerting)),
    );
    this.ruleNames.add(ALERT_RULES_NAME);
    for (const file of props.importedDashboards ?? []) this.addDashboard(file);

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
    new TerraformOutput(this, "data_volumes", {
      value: [
        this.prometheus.options.dataVolumeName,
        this.grafana.options.dataVolumeName,
        ...(this.alertmanager !== undefined ? [this.alertmanager.options.dataVolumeName] : []),
      ],
      description: "Named volumes that keep the data; `destroy` leaves them, `docker volume rm` deletes them",
    });

    // Runs at synth (cdktf invokes aspects before validating and writing), after every add call.
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (node === this) this.finalize();
      },
    });
  }

  /**
   * Adds a service: `replicas` hardened containers from `options.image` or `options.build`, scraped by one job named
   * `name` (one target per replica), with an output `<name>_url` when it is published on the host. Invalid options
   * are reported at synth with every other problem; the service is then not created.
   * @returns the service, or undefined when its options are invalid
   * @example monitoring.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, replicas: 2 })
   */
  public addService(name: string, options: ServiceOptions): Service | undefined {
    const path = name;
    const problems = [
      ...serviceProblems(path, name, options),
      // Container names are `<network>-<name>[-i]`: checked here so the Service never throws on its own.
      ...checkDockerName(
        `${path} (container name)`,
        `${this.network.name}-${name}${(options.replicas ?? 1) > 1 ? `-${options.replicas}` : ""}`,
      ),
    ];
    if (this.scrapeJobNames.has(name) || Object.prototype.hasOwnProperty.call(this.jobs, name)) {
      problems.push({
        path,
        message: `${path}: the name ${show(name)} is already taken; give each service its own name`,
      });
    }
    if (problems.length > 0) {
      this.problems.push(...problems);
      return undefined;
    }
    const service = new Service(this, constructId(name), { ...options, name, network: this.network });
    this.serviceRegistry.set(name, service);
    this.prometheus.addScrapeTarget(...service.scrapeTargets);
    if (service.hostUrl !== undefined) {
      new TerraformOutput(this, `${name}_url`, {
        value: service.hostUrl,
        description: options.description ?? `The service ${name}`,
      });
    }
    return service;
  }

  /**
   * Adds a Prometheus job `name` scraping `options.targets`. A target host must be a service the stack deploys (added
   * before or after this call) unless `options.outsideNetwork` is set: the stack never scrapes what it does not know.
   * @example monitoring.addScrapeJob("legacy-db", { targets: ["10.0.0.5:9187"], outsideNetwork: true })
   */
  public addScrapeJob(name: string, options: ScrapeJobOptions): void {
    const path = `scrapeJobs.${name}`;
    const problems: ConfigProblem[] = [];
    if (this.serviceRegistry.has(name) || this.scrapeJobNames.has(name)) {
      problems.push({
        path,
        message: `${path}: the job name ${show(name)} is already taken; give each job its own name`,
      });
    }
    const targets = options.targets;
    if (typeof targets !== "function") {
      const converted = scrapeJobTargets(path, name, options, targets);
      problems.push(...converted.problems);
      if (problems.length > 0) {
        this.problems.push(...problems);
        return;
      }
      this.prometheus.addScrapeTarget(...converted.targets);
    } else {
      if (problems.length > 0) {
        this.problems.push(...problems);
        return;
      }
      const render = () => scrapeJobTargets(path, name, options, targets(this.scrapeJobContext()));
      this.renderedScrapeJobs.push(render);
      this.prometheus.addScrapeJobRenderedAtSynth(name, () => {
        const rendered = render();
        return rendered.problems.length > 0 ? [] : rendered.targets;
      });
    }
    this.scrapeJobNames.add(name);
    this.extraMetricNames.push(...(options.metricNames ?? []));
  }

  /**
   * Adds a rule file `rules/<name>.yml`: a document, or a function rendering it at synth from the final set of
   * services (so its rules can cover services added later).
   * @example monitoring.addAlertRules("orders", { groups: [{ name: "orders", rules: [{ alert: "OrdersSlow", expr: "...", for: "5m", labels: { severity: "warning" }, annotations }] }] })
   */
  public addAlertRules(name: string, rules: AlertRulesSource): void {
    const path = `alertRules.${name}`;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || this.ruleNames.has(name)) {
      this.problems.push({
        path,
        message: `${path}: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      });
      return;
    }
    this.ruleNames.add(name);
    this.ruleSources.set(name, rules);
    this.prometheus.addRuleFile(name, () => (typeof rules === "function" ? rules(this.alertRuleContext()) : rules));
  }

  /**
   * Adds a dashboard: a TypeScript module (built at synth with the final set of jobs) or a JSON file's content
   * (rewritten to the provisioned datasource). Every dashboard passes the lint at synth, against the final set of jobs
   * and metrics.
   */
  public addDashboard(dashboard: DashboardSource): void {
    this.dashboardSources.push(dashboard);
  }

  /** Every service added, by name, in the order added. */
  public get services(): ReadonlyMap<string, Service> {
    return new Map(this.serviceRegistry);
  }

  /** The job of every service by name (the added ones, Prometheus, Grafana, Alertmanager). */
  public get jobs(): Readonly<Record<string, string>> {
    return {
      ...Object.fromEntries([...this.serviceRegistry].map(([name, service]) => [name, service.jobName])),
      prometheus: this.prometheus.scrapeTarget.jobName,
      grafana: this.grafana.scrapeTarget.jobName,
      ...(this.alertmanager !== undefined ? { alertmanager: this.alertmanager.scrapeTarget.jobName } : {}),
    };
  }

  /**
   * Every HTTP health endpoint of the final set of services, sorted by URL: what each added service declares
   * (`healthEndpoint`), and the stack's own Prometheus, Grafana and Alertmanager.
   */
  public get healthEndpoints(): readonly HealthEndpoint[] {
    const endpoints: HealthEndpoint[] = [
      ...[...this.serviceRegistry].flatMap(([name, service]) =>
        service.healthUrls.map((url) => ({ service: name, url })),
      ),
      { service: Prometheus.JOB_NAME, url: `${this.prometheus.internalUrl}/-/healthy` },
      { service: Grafana.JOB_NAME, url: `http://${Grafana.ALIAS}:${Grafana.INTERNAL_PORT}/api/health` },
      ...(this.alertmanager !== undefined
        ? [
            {
              service: Alertmanager.JOB_NAME,
              url: `http://${Alertmanager.ALIAS}:${Alertmanager.INTERNAL_PORT}/-/healthy`,
            },
          ]
        : []),
    ];
    return endpoints.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  /** Every dashboard deployed, TypeScript and imported, rendered from the final set of services. */
  public get dashboards(): readonly RenderedDashboard[] {
    const modules = this.dashboardSources.filter((d): d is DashboardModule => "build" in d);
    const files = this.dashboardSources.filter((d): d is ImportedDashboardFile => !("build" in d));
    return renderDashboards(this.dashboardContext(), files, modules);
  }

  /**
   * Every problem with what was added, from the final set: invalid services, scrape jobs and rule files, targets of
   * nothing deployed, clashing aliases and host ports, rules over unknown jobs.
   */
  public configProblems(): ConfigProblem[] {
    const ruleProblems = alertRulesProblems(
      alertRulesInput(this.deployedJobs(), this.scrapeIntervalSeconds, this.alerting),
      "alerting",
    );
    const userRuleProblems = [...this.ruleSources].flatMap(([name, source]) =>
      ruleDocumentProblems(
        `alertRules.${name}`,
        typeof source === "function" ? source(this.alertRuleContext()) : source,
        this.deployedJobs(),
      ),
    );
    return [
      ...this.problems,
      ...this.renderedScrapeJobs.flatMap((render) => render().problems),
      ...this.network.problems(),
      ...this.prometheus.problems(),
      ...ruleProblems,
      ...userRuleProblems,
    ];
  }

  /**
   * Checks the final set and creates what depends on it (the dashboards, the `dashboard_urls` output). Runs once, at
   * synth; `npm run verify` and the tests may call it on a stack they do not synthesize.
   * @throws ConfigError listing every problem; DashboardError when a dashboard fails the lint
   */
  public finalize(): void {
    if (this.finalized) return;
    throwIfProblems(`MonitoringStack "${this.node.id}"`, this.configProblems());
    const dashboardUrls: Record<string, string> = {};
    for (const dashboard of this.dashboards) {
      dashboardUrls[dashboard.uid] = this.grafana.addDashboard(dashboard).url;
    }
    new TerraformOutput(this, "dashboard_urls", { value: dashboardUrls, description: "Dashboards by uid" });
    this.finalized = true;
  }

  /** Every job prometheus.yml renders, sorted. */
  private deployedJobs(): string[] {
    return [...new Set(this.prometheus.scrapeTargets.map((target) => target.jobName))].sort();
  }

  private scrapeJobContext(): ScrapeJobContext {
    return { healthEndpoints: this.healthEndpoints, jobs: this.jobs };
  }

  private alertRuleContext(): AlertRuleContext {
    return {
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
      jobs: this.jobs,
      deployedJobs: this.deployedJobs(),
      alerting: this.alerting,
    };
  }

  private dashboardContext(): DashboardContext {
    return {
      datasource: { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID },
      jobs: this.jobs,
      deployedJobs: this.deployedJobs(),
      metricNames: [
        ...SCRAPE_SERIES,
        ...PROMETHEUS_SELF_METRICS,
        ...GRAFANA_SELF_METRICS,
        ...[...this.serviceRegistry.values()].flatMap((service) => service.metricNames),
        ...this.extraMetricNames,
      ],
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
    };
  }

  /**
   * The files Terraform needs next to `cdk.tf.json` (the build contexts of the config images), paths relative to the
   * stack's folder; each config image writes its own when the stack is synthesized.
   */
  public generatedFiles(): GeneratedFile[] {
    return [
      ...this.prometheus.image.contextFiles(),
      ...[...this.serviceRegistry.values()].flatMap((service) => service.configImage?.contextFiles() ?? []),
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
