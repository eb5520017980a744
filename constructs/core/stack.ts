import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { join, relative, resolve } from "node:path";
import { App, Aspects, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { stringify } from "yaml";
import { renderDashboardsWithProblems, type LintProblem } from "../../dashboards";
import { ALERT_SERIES, SCRAPE_SERIES } from "../../dashboards/metrics";
import type {
  DashboardContext,
  DashboardModule,
  ImportedDashboardFile,
  RenderedDashboard,
  SeriesRule,
} from "../../dashboards/types";
import type { IGrafana, IPrometheus } from "./backends";
import type { GeneratedFile } from "./config-image-files";
import {
  CENTRAL_HOST_NAME,
  HostDeclaration,
  MonitoringHost,
  dockerContextProblems,
  duplicateHostProblems,
} from "./hosts";
import { MonitoringNetwork } from "./network";
import {
  AlertRuleContext,
  AlertRulesSource,
  RulesDocument,
  RuleTests,
  ruleDocumentProblems,
  runbookBaseUrlProblems,
} from "./rules";
import { ScrapeTarget, scrapeTargetProblems } from "./scrape-target";
import { Service, ServiceOptions } from "./service";
import {
  RequestMetrics,
  ResolvedSlo,
  SLO_RECORDED_SERIES,
  SloDeclaration,
  SloOptions,
  SloRenderContext,
  renderSloRules,
  resolveSlos,
  sloProblems,
  sloRuleFileName,
  windowScaleProblems,
} from "./slo";
import { ruleTestDocument } from "./rule-tests";
import { sloRuleTests } from "./slo.cases";
import { sloDashboard } from "./slo-dashboard";
import { ConfigProblem, checkIntegerInRange, isSelfValidating, show, throwIfProblems } from "./validation";

/** The Docker provider: its registry source; its version is fixed by the prebuilt `@cdktf/provider-docker` package. */
export const DOCKER_PROVIDER = { source: "kreuzwerker/docker" } as const;

/** How often Prometheus scrapes unless `scrapeIntervalSeconds` says otherwise, in seconds. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;
/** The scrape intervals a stack accepts, in seconds (with SLOs, at most `MAX_SLO_SCRAPE_INTERVAL_SECONDS`). */
export const SCRAPE_INTERVAL_RANGE = { min: 1, max: 3600 } as const;

/** The settings every monitoring stack has, whatever its components. */
export interface MonitoringStackBaseProps {
  /** Docker network name; also the prefix of container and volume names. @default DEFAULT_NETWORK_NAME */
  readonly networkName?: string;
  /**
   * How often Prometheus scrapes every target, in seconds. Also Grafana's `timeInterval` and the unit of the alert
   * rules' windows. @default DEFAULT_SCRAPE_INTERVAL_SECONDS
   */
  readonly scrapeIntervalSeconds?: number;
  /**
   * The local backend's state file, relative to the stack's folder (`<outdir>/stacks/<id>`, where Terraform runs).
   * @default `terraform.<id>.tfstate` in {@link projectDir} (where cdktf's own default puts it), written relative to
   *   the stack's folder so that `cdk.tf.json` does not depend on where the checkout lives
   */
  readonly localStatePath?: string;
  /**
   * The project's folder: the default state file and relative paths of files the stack reads (the Grafana password
   * file) are in it. @default the folder the app runs in
   */
  readonly projectDir?: string;
  /**
   * Absolute http(s) prefix of every alert's `runbook_url`; `<AlertName>.md` is appended (the URL of your
   * `docs/runbooks/` folder gives clickable links). @default none: every alert's `runbook` annotation names its page
   */
  readonly runbookBaseUrl?: string;
  /**
   * Docker hosts beyond the stack's own, each added with {@link MonitoringStackBase.addHost}: an agent there
   * remote-writes its host's series to the central Prometheus. @default none: everything runs on the stack's host
   */
  readonly hosts?: readonly HostDeclaration[];
  /**
   * Every SLO window (the SLI windows, the alert windows, the budget period) is multiplied by this. Only for tests at
   * a short scrape interval (the end-to-end suite uses 1/60 at 1 s: an hour lasts a minute); a real stack keeps 1.
   * @default 1
   */
  readonly sloWindowScale?: number;
}

/** Options of {@link MonitoringStackBase.addHost}. @example { dockerHost: "ssh://ops@10.0.0.5" } */
export interface HostOptions {
  /** The host's Docker endpoint: `unix:///path.sock`, `tcp://host:port` or `ssh://user@host[:port]`. */
  readonly dockerHost: string;
  /** Options passed to `ssh` for an `ssh://` endpoint. @default ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] */
  readonly sshOpts?: readonly string[];
}

/** Options of {@link MonitoringStackBase.addService}: a service's, and the host it runs on. */
export interface StackServiceOptions extends ServiceOptions {
  /**
   * The host (added with {@link MonitoringStackBase.addHost}) the service runs on; that host's agent scrapes it.
   * @default the stack's own host, scraped by the central Prometheus
   */
  readonly host?: string;
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
  /** The request metrics the targets expose, as SLOs read them; names in `metricNames`. @default none */
  readonly requestMetrics?: RequestMetrics;
  /** Service level objectives over the job's series, as on a service. @default none */
  readonly slo?: SloOptions;
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

/** A service's HTTP health endpoint, as declared (`healthEndpoint`), one per replica. */
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

/** A dashboard: a TypeScript module (grafana-foundation-sdk builders) or a JSON file's content. */
export type DashboardSource = DashboardModule | ImportedDashboardFile;

/** Options of {@link MonitoringStackBase.addAlertRules}. */
export interface AlertRulesOptions {
  /**
   * The rule file's `promtool test rules` cases, rendered at synth from the final set of services like the rules:
   * the test suite runs them with the real promtool. @default none
   */
  readonly tests?: RuleTests;
}

/** A rule file added with {@link MonitoringStackBase.addAlertRules}, as the tests and tools see it. */
export interface RuleFileSource {
  /** The file's name: `rules/<name>.yml`. */
  readonly name: string;
  /** Renders the document from the final set of services. */
  readonly render: () => RulesDocument;
  /** Its promtool cases, when the adder declared them. */
  readonly tests?: RuleTests;
}

/** The Prometheus and Grafana a stack feeds, created by {@link MonitoringStackBase}'s subclass. */
export interface MonitoringBackends<P extends IPrometheus, G extends IGrafana> {
  readonly prometheus: P;
  readonly grafana: G;
}

/**
 * The core of a monitoring stack, which knows no component: providers, backend, the network and its registry of
 * services, and the open registries that grow through {@link addService}, {@link addScrapeJob},
 * {@link addAlertRules} and {@link addDashboard}. Everything derived from the set of services (prometheus.yml,
 * TargetDown's jobs, the dashboards' lint, the outputs) is computed at synth from the final set, so the order of the
 * calls does not matter. Every problem of every construct and call is reported at synth, once, in one
 * {@link ConfigError}: constructs record their problems instead of throwing ({@link ISelfValidating}).
 *
 * `MonitoringStack` is this core with the Prometheus and Grafana components; `backends` creates them.
 */
export class MonitoringStackBase<
  P extends IPrometheus = IPrometheus,
  G extends IGrafana = IGrafana,
> extends TerraformStack {
  /** The Docker network, and its registry of services. */
  public readonly network: MonitoringNetwork;
  /** How often Prometheus scrapes, in seconds (the default when the setting is invalid; that is reported). */
  public readonly scrapeIntervalSeconds: number;
  /** The prefix of every `runbook_url`, when set. */
  public readonly runbookBaseUrl: string | undefined;
  /** The project's folder (absolute): relative paths are resolved against it. */
  public readonly projectDir: string;
  /** The Prometheus every service and scrape job is scraped by. */
  public readonly prometheus: P;
  /** The Grafana every dashboard is deployed into. */
  public readonly grafana: G;
  /** The factor of every SLO window (1 unless a test sets `sloWindowScale`). */
  public readonly sloWindowScale: number;

  private readonly scrapeJobRegistry = new Map<string, { readonly metricNames: readonly string[] }>();
  private readonly dashboardSources: DashboardSource[] = [];
  private readonly problems: ConfigProblem[] = [];
  private readonly reportedProblems: ConfigProblem[] = [];
  private readonly synthChecks: (() => readonly ConfigProblem[])[] = [];
  private readonly ruleFileSources = new Map<string, RuleFileSource>();
  private readonly renderedScrapeJobs: (() => { readonly problems: readonly ConfigProblem[] })[] = [];
  private readonly hostRegistry = new Map<string, MonitoringHost>();
  private readonly hostDeclarations: HostDeclaration[] = [];
  private readonly hostHooks: ((host: MonitoringHost) => void)[] = [];
  private readonly placements: { readonly name: string; readonly host: string }[] = [];
  private readonly sloDeclarationList: SloDeclaration[] = [];
  private finalized = false;

  constructor(
    scope: Construct,
    id: string,
    props: MonitoringStackBaseProps,
    backends: (stack: MonitoringStackBase<P, G>) => MonitoringBackends<P, G>,
  ) {
    super(scope, id);
    const interval = props.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
    const intervalProblems = checkIntegerInRange(
      "scrapeIntervalSeconds",
      interval,
      SCRAPE_INTERVAL_RANGE.min,
      SCRAPE_INTERVAL_RANGE.max,
    );
    // Resolved once: everything derived from the interval gets a valid one, so a bad value is reported only here.
    this.scrapeIntervalSeconds = intervalProblems.length === 0 ? interval : DEFAULT_SCRAPE_INTERVAL_SECONDS;
    this.runbookBaseUrl = props.runbookBaseUrl;
    this.projectDir = resolve(props.projectDir ?? ".");
    this.problems.push(...intervalProblems, ...runbookBaseUrlProblems("runbookBaseUrl", props.runbookBaseUrl));
    const scale = props.sloWindowScale ?? 1;
    // Checked only when set: at scale 1 a too long scrape interval is each SLO's own problem.
    const scaleProblems =
      props.sloWindowScale !== undefined
        ? windowScaleProblems("sloWindowScale", scale, this.scrapeIntervalSeconds)
        : [];
    this.sloWindowScale = scaleProblems.length === 0 ? scale : 1;
    this.problems.push(...scaleProblems);

    new DockerProvider(this, "docker", {});
    new LocalBackend(this, {
      path:
        props.localStatePath ??
        relative(resolve(App.of(this).outdir, "stacks", id), join(this.projectDir, `terraform.${id}.tfstate`)),
    });
    this.network = new MonitoringNetwork(
      this,
      "Network",
      props.networkName !== undefined ? { name: props.networkName } : {},
    );
    // Runs at synth (cdktf invokes aspects before validating and writing), after every add call; added first, so it
    // runs before any aspect of a construct of the stack (Grafana's, which writes its password file).
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (node === this) this.finalize();
      },
    });
    const created = backends(this);
    this.prometheus = created.prometheus;
    this.grafana = created.grafana;
    for (const host of props.hosts ?? []) this.addHost(host.name, { dockerHost: host.dockerHost });
  }

  /**
   * Adds a Docker host: a provider alias `docker.<name>` talking to `options.dockerHost`, a network there, and what
   * every host gets from the components ({@link onEveryHost}: node-exporter, a Prometheus agent remote-writing to the
   * central Prometheus with `host="<name>"`). Services are placed there with `addService(name, { ..., host })`.
   * Problems (a name that is no DNS label, an endpoint that does not parse, a name or endpoint given twice) are
   * reported at synth with every other.
   * @returns the host, or undefined when the name is already taken (reported at synth)
   * @example monitoring.addHost("edge-1", { dockerHost: "ssh://ops@10.0.0.5" })
   */
  public addHost(name: string, options: HostOptions): MonitoringHost | undefined {
    this.hostDeclarations.push({ name, dockerHost: options.dockerHost });
    if (this.hostRegistry.has(name)) return undefined;
    const id = `Host${constructId(name)}`;
    if (this.node.tryFindChild(id) !== undefined) {
      this.problems.push({
        path: `hosts.${name}`,
        message: `hosts.${name}: the name ${show(name)} would have the Terraform address of another host (construct ${show(id)}); give the host another name`,
      });
      return undefined;
    }
    const host = new MonitoringHost(this, id, {
      name,
      dockerHost: options.dockerHost,
      networkName: this.network.name,
      ...(options.sshOpts !== undefined ? { sshOpts: options.sshOpts } : {}),
    });
    this.hostRegistry.set(name, host);
    for (const hook of this.hostHooks) hook(host);
    return host;
  }

  /**
   * Runs `hook` for every host, those added before this call and after: how a component puts its part on every host
   * (node-exporter; the Prometheus agent), whatever the order of the calls.
   */
  public onEveryHost(hook: (host: MonitoringHost) => void): void {
    this.hostHooks.push(hook);
    for (const host of this.hostRegistry.values()) hook(host);
  }

  /** Every extra host, by name, in the order added. */
  public get hosts(): ReadonlyMap<string, MonitoringHost> {
    return new Map(this.hostRegistry);
  }

  /**
   * Adds a service: `replicas` hardened containers from `options.image` or `options.build`, scraped by one job named
   * `name` (one target per replica), with an output `<name>_url` when it is published on the host. Its problems are
   * reported at synth with every other.
   * @returns the service, or undefined when the name is already taken (reported at synth)
   * @example monitoring.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080, replicas: 2 })
   */
  public addService(name: string, options: StackServiceOptions): Service | undefined {
    const { host: hostName, ...serviceOptions } = options;
    if (hostName !== undefined) return this.addServiceOnHost(name, hostName, serviceOptions);
    const id = constructId(name);
    const taken = this.services.has(name) || this.scrapeJobRegistry.has(name);
    // Two names can share a construct id (`foo_bar`, `foobar`; `Orders`, `orders`), which cdktf would refuse.
    const idTaken = !taken && this.node.tryFindChild(id) !== undefined;
    if (taken || idTaken) {
      this.problems.push({
        path: name,
        message: taken
          ? `${name}: the name ${show(name)} is already taken; give each service its own name`
          : `${name}: the name ${show(name)} would have the Terraform address of something the stack already has (construct ${show(id)}); give the service another name`,
      });
      return undefined;
    }
    return this.withSlo(
      name,
      new Service(this, id, { ...serviceOptions, name, network: this.network }),
      serviceOptions,
    );
  }

  /** Declares the SLOs of a service just added (`options.slo`), whatever host it runs on. */
  private withSlo(name: string, service: Service | undefined, options: ServiceOptions): Service | undefined {
    if (service !== undefined && options.slo !== undefined) {
      if (service.jobName === undefined) {
        this.problems.push({
          path: `${name}.slo`,
          message: `${name}.slo: the service is declared with metrics: false, so no series exist for its SLO; remove slo, or let Prometheus scrape the service (metrics: true or { port, path })`,
        });
        return service;
      }
      this.addSlos({
        owner: name,
        path: `${name}.slo`,
        jobName: service.jobName,
        slo: options.slo,
        ...(options.requestMetrics !== undefined ? { requestMetrics: options.requestMetrics } : {}),
        requestMetricsPath: `${name}.requestMetrics`,
        catalog: service.catalog,
        seriesExclusions: service.seriesExclusions,
      });
    }
    return service;
  }

  /** A service on an extra host: its name unique on that host; its job scraped by that host's agent. */
  private addServiceOnHost(name: string, hostName: string, options: ServiceOptions): Service | undefined {
    this.placements.push({ name, host: hostName });
    const host = this.hostRegistry.get(hostName);
    if (host === undefined) {
      // Reported at synth, when every host has been added: the order of the calls does not matter for the message.
      return undefined;
    }
    const id = constructId(name);
    if (host.network.services.some((service) => service.name === name) || host.node.tryFindChild(id) !== undefined) {
      this.problems.push({
        path: name,
        message: `${name}: the name ${show(name)} is already taken on host ${show(hostName)}; give each service on a host its own name`,
      });
      return undefined;
    }
    return this.withSlo(
      name,
      new Service(host, id, {
        ...options,
        name,
        network: host.network,
        // Build contexts live side by side in the stack's folder: one per host and service.
        buildDir: `${hostName}/${name}`,
      }),
      options,
    );
  }

  /**
   * Adds a Prometheus job `name` scraping `options.targets`. A target host must be a service the stack deploys (added
   * before or after this call) unless `options.outsideNetwork` is set: the stack never scrapes what it does not know.
   * @example monitoring.addScrapeJob("legacy-db", { targets: ["10.0.0.5:9187"], outsideNetwork: true })
   */
  public addScrapeJob(name: string, options: ScrapeJobOptions): void {
    const path = `scrapeJobs.${name}`;
    if (this.services.has(name) || this.scrapeJobRegistry.has(name)) {
      this.problems.push({
        path,
        message: `${path}: the job name ${show(name)} is already taken; give each job its own name`,
      });
      return;
    }
    const targets = options.targets;
    if (typeof targets !== "function") {
      const converted = scrapeJobTargets(path, name, options, targets);
      this.problems.push(...converted.problems);
      // The valid targets are scraped (and checked against what is deployed) in the same round.
      if (converted.targets.length > 0) this.prometheus.addScrapeTarget(...converted.targets);
    } else {
      const render = () => scrapeJobTargets(path, name, options, targets(this.scrapeJobContext()));
      this.renderedScrapeJobs.push(render);
      // The stack checks the rendered targets (an empty list included); Prometheus gets the valid ones.
      this.prometheus.addScrapeJobRenderedAtSynth(name, () => render().targets, { requireTargets: false });
    }
    const metricNames = [...(options.metricNames ?? [])];
    this.scrapeJobRegistry.set(name, {
      metricNames: options.slo !== undefined ? [...metricNames, ...SLO_RECORDED_SERIES] : metricNames,
    });
    if (options.slo !== undefined) {
      this.addSlos({
        owner: name,
        path: `${path}.slo`,
        jobName: name,
        slo: options.slo,
        ...(options.requestMetrics !== undefined ? { requestMetrics: options.requestMetrics } : {}),
        requestMetricsPath: `${path}.requestMetrics`,
        catalog: metricNames,
        seriesExclusions: [],
      });
    }
  }

  /**
   * Adds a rule file `rules/<name>.yml`: a document, or a function rendering it at synth from the final set of
   * services (so its rules can cover services added later), with its promtool cases.
   * @example monitoring.addAlertRules("orders", { groups: [{ name: "orders", rules: [{ alert: "OrdersSlow", expr: "...", for: "5m", labels: { severity: "warning" }, annotations }] }] })
   */
  public addAlertRules(name: string, rules: AlertRulesSource, options: AlertRulesOptions = {}): void {
    const path = `alertRules.${name}`;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || this.ruleFileSources.has(name)) {
      this.problems.push({
        path,
        message: `${path}: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      });
      return;
    }
    const render = (): RulesDocument => (typeof rules === "function" ? rules(this.alertRuleContext()) : rules);
    this.ruleFileSources.set(name, { name, render, ...(options.tests !== undefined ? { tests: options.tests } : {}) });
    this.prometheus.addRuleFile(name, render);
  }

  /** Every SLO declaration of the final set (services and scrape jobs), in the order added. */
  public get sloDeclarations(): readonly SloDeclaration[] {
    return [...this.sloDeclarationList];
  }

  /** Every SLO whose declaration is valid, resolved: what the SLO dashboard shows. */
  public get slos(): readonly ResolvedSlo[] {
    return this.sloDeclarationList
      .filter((decl) => sloProblems(decl, this.scrapeIntervalSeconds).length === 0)
      .flatMap((decl) => resolveSlos(decl));
  }

  /**
   * Adds a dashboard: a TypeScript module (built at synth with the final set of jobs) or a JSON file's content
   * (rewritten to the provisioned datasource). Every dashboard passes the lint at synth, against the final set of jobs
   * and metrics.
   */
  public addDashboard(dashboard: DashboardSource): void {
    this.dashboardSources.push(dashboard);
  }

  /**
   * Reports problems found outside the stack's constructs (the app's environment variables, a component's own
   * settings): they are reported at synth with every other problem, in the same round.
   */
  public reportProblems(...problems: readonly ConfigProblem[]): void {
    this.reportedProblems.push(...problems);
  }

  /**
   * Registers a check that needs the final set of services (a component's setting against every service added, before
   * or after it): it runs at synth, its problems reported with every other.
   */
  public checkAtSynth(check: () => readonly ConfigProblem[]): void {
    this.synthChecks.push(check);
  }

  /** The names of every service, on every host. */
  public get serviceNames(): readonly string[] {
    return [...new Set(this.everyService.map((service) => service.name))];
  }

  /** Every service on the stack's network, by name, in the order created (Prometheus and Grafana first). */
  public get services(): ReadonlyMap<string, Service> {
    return new Map(this.network.services.map((service) => [service.name, service]));
  }

  /** Every service of the stack: its own host's, then each extra host's (a name may repeat across hosts). */
  private get everyService(): readonly Service[] {
    return [...this.network.services, ...[...this.hostRegistry.values()].flatMap((host) => host.network.services)];
  }

  /**
   * The job of every service that has one, by service name (a service with `metrics: false` has none), on every host:
   * a service of the same name on several hosts is one job (its series told apart by their `host` label).
   */
  public get jobs(): Readonly<Record<string, string>> {
    const jobs: Record<string, string> = {};
    for (const service of this.everyService) {
      if (service.jobName !== undefined && !Object.hasOwn(jobs, service.name)) jobs[service.name] = service.jobName;
    }
    return jobs;
  }

  /** Every job prometheus.yml renders, sorted. */
  public get deployedJobs(): readonly string[] {
    const onHosts = [...this.hostRegistry.values()].flatMap((host) =>
      host.network.services.flatMap((s) => s.jobName ?? []),
    );
    return [...new Set([...this.prometheus.scrapedTargets.map((target) => target.jobName), ...onHosts])].sort();
  }

  /** Every HTTP health endpoint of the final set of services (`healthEndpoint`, every replica), sorted by URL. */
  public get healthEndpoints(): readonly HealthEndpoint[] {
    const endpoints = this.network.services.flatMap((service) =>
      service.healthUrls.map((url) => ({ service: service.name, url })),
    );
    return endpoints.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  /** Every rule file added with {@link addAlertRules}, in the order added. */
  public get ruleFiles(): readonly RuleFileSource[] {
    return [...this.ruleFileSources.values()];
  }

  /**
   * The promtool cases of every rule file that has them (`addAlertRules(name, rules, { tests })`, and the stack's own
   * components'), as files to write into one folder: `rules/<name>.yml` as rendered, and `<name>.test.yml` with its
   * cases, evaluated at the scrape interval. Run them there with `promtool test rules *.test.yml`.
   * @throws ConfigError when a case is about an alert its file does not define
   * @example for (const file of stack.ruleTestFiles()) writeFileSync(join(dir, file.path), file.content)
   */
  public ruleTestFiles(): GeneratedFile[] {
    const context = this.alertRuleContext();
    const files: GeneratedFile[] = [];
    const problems: ConfigProblem[] = [];
    for (const source of this.ruleFileSources.values()) {
      if (source.tests === undefined) continue;
      const document = source.render();
      const cases = source.tests(context);
      if (cases.length === 0) continue;
      const alerts = new Set(
        document.groups.flatMap((group) => group.rules.flatMap((rule) => ("alert" in rule ? [rule.alert] : []))),
      );
      for (const ruleCase of cases) {
        const named = [ruleCase.alert, ...ruleCase.group.alert_rule_test.map((test) => test.alertname)];
        for (const alert of new Set(named.filter((name) => !alerts.has(name)))) {
          problems.push({
            path: `alertRules.${source.name}.tests`,
            message: `alertRules.${source.name}.tests: the case ${show(ruleCase.title)} is about the alert ${show(alert)}, which rules/${source.name}.yml does not define (alerts: ${[...alerts].sort().join(", ") || "none"}); rename the alert in the case, or remove the case`,
          });
        }
      }
      const rulePath = `rules/${source.name}.yml`;
      files.push(
        { path: rulePath, content: stringify(document, { lineWidth: 0 }) },
        {
          path: `${source.name}.test.yml`,
          content: stringify(
            ruleTestDocument(
              [rulePath],
              cases.map((ruleCase) => ruleCase.group),
              this.scrapeIntervalSeconds,
            ),
            { lineWidth: 0 },
          ),
        },
      );
    }
    throwIfProblems(`MonitoringStack ${show(this.node.id)} promtool cases`, problems);
    return files;
  }

  /**
   * Every scrape job added with {@link addScrapeJob}: the series it declares and the services its targets are (a
   * probe job's series come from the exporter it scrapes; a job outside the network has none).
   */
  public get scrapeJobs(): readonly {
    readonly name: string;
    readonly metricNames: readonly string[];
    readonly services: readonly string[];
  }[] {
    const owners = new Map(
      this.network.services.flatMap((service) => service.aliases.map((alias) => [alias, service.name])),
    );
    return [...this.scrapeJobRegistry].map(([name, job]) => ({
      name,
      metricNames: job.metricNames,
      services: [
        ...new Set(
          this.prometheus.scrapedTargets
            .filter((target) => target.jobName === name)
            .flatMap((target) => owners.get(target.host) ?? []),
        ),
      ],
    }));
  }

  /** Every series name a dashboard or rule may read: the scrape series, and what every service and job declares. */
  public get metricNames(): readonly string[] {
    return [
      ...new Set([
        ...SCRAPE_SERIES,
        // Written by Prometheus for its alerting rules (the stack always has some: TargetDown, the Watchdog).
        ...ALERT_SERIES,
        ...this.everyService.flatMap((service) => service.metricNames),
        ...[...this.scrapeJobRegistry.values()].flatMap((job) => job.metricNames),
      ]),
    ].sort();
  }

  /** Every dashboard deployed, TypeScript and imported, rendered from the final set of services. */
  public get dashboards(): readonly RenderedDashboard[] {
    return this.renderDashboards().dashboards;
  }

  /** The context every dashboard is built and linted with, from the final set of services. */
  public dashboardContext(): DashboardContext {
    const seriesRules: SeriesRule[] = this.everyService.flatMap((service) => service.seriesExclusions);
    return {
      datasource: { ...this.grafana.datasourceRef },
      jobs: this.jobs,
      deployedJobs: this.deployedJobs,
      metricNames: this.metricNames,
      seriesRules,
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
      ...(this.hostRegistry.size > 0 ? { hosts: [CENTRAL_HOST_NAME, ...this.hostRegistry.keys()] } : {}),
    };
  }

  /**
   * Every problem of the stack, from the final set, each once: the stack's settings and calls, every construct's own
   * (services, the network, Prometheus, Grafana), targets of nothing deployed, rule files, and the dashboards' lint.
   */
  public configProblems(): ConfigProblem[] {
    return [...this.problemsBeforeDashboards(), ...lintAsProblems(this.renderDashboards().problems)];
  }

  /**
   * Checks the final set and creates what depends on it (the dashboards, the outputs). Runs once, at synth;
   * `npm run verify` and the tests may call it on a stack they do not synthesize.
   * @throws ConfigError listing every problem
   */
  public finalize(): void {
    if (this.finalized) return;
    const { dashboards, problems: lint } = this.renderDashboards();
    throwIfProblems(`MonitoringStack "${this.node.id}"`, [...this.problemsBeforeDashboards(), ...lintAsProblems(lint)]);
    const dashboardUrls: Record<string, string> = {};
    for (const dashboard of dashboards) {
      dashboardUrls[dashboard.uid] = this.grafana.addDashboard(dashboard).url;
    }
    for (const service of this.network.services) {
      if (service.hostUrl !== undefined) {
        new TerraformOutput(this, `${service.name}_url`, {
          value: service.hostUrl,
          description: service.description,
        });
      }
    }
    new TerraformOutput(this, "dashboard_urls", { value: dashboardUrls, description: "Dashboards by uid" });
    const volumes = this.network.services.flatMap((service) => service.volumeNames);
    if (volumes.length > 0) {
      new TerraformOutput(this, "data_volumes", {
        value: volumes,
        description: "Named volumes that keep the data; `destroy` leaves them, `docker volume rm` deletes them",
      });
    }
    this.finalized = true;
  }

  /**
   * The files Terraform needs next to `cdk.tf.json` (the build contexts of the config images), paths relative to the
   * stack's folder; each config image writes its own when the stack is synthesized.
   */
  public generatedFiles(): GeneratedFile[] {
    return this.network.services.flatMap((service) => service.configImage?.contextFiles() ?? []);
  }

  private problemsBeforeDashboards(): ConfigProblem[] {
    const constructs = this.node
      .findAll()
      .filter((node) => node !== this)
      .flatMap((node) => (isSelfValidating(node) ? node.configProblems() : []));
    const deployedJobs = this.deployedJobs;
    const slo = this.sloDeclarationList.map((decl) => ({
      file: sloRuleFileName(decl.owner),
      problems: sloProblems(decl, this.scrapeIntervalSeconds),
    }));
    // An SLO's rules select its job, which is one job on every host it runs on: they would sum every host's requests.
    const hostsOfJob = new Map<string, string[]>();
    const hostNetworks: [string, MonitoringNetwork][] = [
      [CENTRAL_HOST_NAME, this.network],
      ...[...this.hostRegistry.entries()].map(([hostName, host]): [string, MonitoringNetwork] => [
        hostName,
        host.network,
      ]),
    ];
    for (const [hostName, network] of hostNetworks) {
      for (const service of network.services) {
        if (service.jobName !== undefined)
          hostsOfJob.set(service.jobName, [...(hostsOfJob.get(service.jobName) ?? []), hostName]);
      }
    }
    const sloOnSeveralHosts = [...new Map(this.sloDeclarationList.map((decl) => [decl.jobName, decl])).values()]
      .filter((decl) => (hostsOfJob.get(decl.jobName) ?? []).length > 1)
      .map((decl) => ({
        path: decl.path,
        message: `${decl.path}: job ${show(decl.jobName)} runs on several hosts (${(hostsOfJob.get(decl.jobName) ?? []).join(", ")}), and an SLO's rules select the job, so they would count every host's requests as one service's; give the service on each host its own name to give each its SLO`,
      }));
    // An SLO declaration with problems is reported as such, not again through the rules rendered from it.
    const invalidSloFiles = new Set(slo.filter((entry) => entry.problems.length > 0).map((entry) => entry.file));
    // Each rule file rendered once: its recorded series are what the other rules may read too.
    const ruleDocuments = [...this.ruleFileSources.values()]
      .filter((file) => !invalidSloFiles.has(file.name))
      .map((file) => ({ name: file.name, document: file.render() }));
    // What a rule may read: the catalogs, the declared metricNames, and every series a recording rule records.
    const recorded = ruleDocuments.flatMap(({ document }) =>
      (document.groups ?? []).flatMap((group) =>
        (group.rules ?? []).flatMap((rule) => ("record" in rule ? [String(rule.record)] : [])),
      ),
    );
    const vocabulary = { metricNames: [...this.metricNames, ...recorded], serviceJobs: this.jobs };
    const rules = ruleDocuments.flatMap(({ name, document }) =>
      ruleDocumentProblems(`alertRules.${name}`, document, deployedJobs, vocabulary),
    );
    const unknownHosts = this.placements
      .filter((placement) => !this.hostRegistry.has(placement.host))
      .map((placement) => ({
        path: `${placement.name}.host`,
        message: `${placement.name}.host: no host ${show(placement.host)} was added (hosts: ${[...this.hostRegistry.keys()].join(", ") || "none"}); add it with addHost("${placement.host}", { dockerHost }) (MONITORING_HOSTS in this repository's main.ts), or remove the option to run the service on the stack's own host`,
      }));
    // What was reported from outside (the settings as typed, a component's own) first, then the stack's, then the rest.
    return [
      ...this.reportedProblems,
      ...this.synthChecks.flatMap((check) => check()),
      ...duplicateHostProblems("hosts", this.hostDeclarations),
      ...dockerContextProblems(this.hostDeclarations),
      ...unknownHosts,
      ...this.problems,
      ...constructs,
      ...this.renderedScrapeJobs.flatMap((render) => render().problems),
      ...slo.flatMap((entry) => entry.problems),
      ...sloOnSeveralHosts,
      ...rules,
    ];
  }

  private renderDashboards(): { dashboards: RenderedDashboard[]; problems: readonly LintProblem[] } {
    const modules = this.dashboardSources.filter((d): d is DashboardModule => "build" in d);
    // The SLO dashboard, after every component's, when the final set declares an SLO.
    if (this.sloDeclarationList.length > 0) modules.push(sloDashboard(() => this.slos));
    const files = this.dashboardSources.filter((d): d is ImportedDashboardFile => !("build" in d));
    return renderDashboardsWithProblems(this.dashboardContext(), files, modules);
  }

  /** Registers the rule file of a declaration, with its promtool cases. */
  private addSlos(decl: SloDeclaration): void {
    this.sloDeclarationList.push(decl);
    // The same service's SLO on another host: one rule file, and the several-hosts problem says why (problemsBeforeDashboards).
    if (this.ruleFileSources.has(sloRuleFileName(decl.owner))) return;
    const context = (ctx: AlertRuleContext): SloRenderContext => ({
      scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
      windowScale: this.sloWindowScale,
      ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
    });
    this.addAlertRules(sloRuleFileName(decl.owner), (ctx) => renderSloRules(decl, context(ctx)), {
      // Cases are written for the real windows; a stack with scaled windows (a test's) has none.
      tests: (ctx) => (this.sloWindowScale === 1 ? sloRuleTests(decl, context(ctx)) : []),
    });
  }

  private scrapeJobContext(): ScrapeJobContext {
    return { healthEndpoints: this.healthEndpoints, jobs: this.jobs };
  }

  private alertRuleContext(): AlertRuleContext {
    return {
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
      jobs: this.jobs,
      deployedJobs: this.deployedJobs,
      ...(this.runbookBaseUrl !== undefined ? { runbookBaseUrl: this.runbookBaseUrl } : {}),
    };
  }
}

/** The dashboards' lint problems as setting problems: one per problem, naming the dashboard, where, and the fix. */
function lintAsProblems(problems: readonly LintProblem[]): ConfigProblem[] {
  return problems.map((problem) => ({
    path: `dashboards.${problem.source}`,
    message: `${problem.source}, ${problem.where}: ${problem.problem}. Fix: ${problem.fix}.`,
  }));
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
    // The job name is the call's, checked once below; the rest is this target's.
    const targetProblems = scrapeTargetProblems(`${path}.targets[${i}]`, scrapeTarget).filter(
      (p) => !p.path.endsWith(".jobName"),
    );
    problems.push(...targetProblems);
    // Only valid targets reach Prometheus, which checks them against what is deployed in the same round.
    if (targetProblems.length === 0) converted.push(scrapeTarget);
  });
  const jobNameProblems = scrapeTargetProblems(path, { jobName, host: "x", port: 1, metricsPath: "/" }).map((p) => ({
    path,
    message: p.message.replace(`${path}.jobName`, `${path}: the job name`),
  }));
  if (jobNameProblems.length > 0) return { targets: [], problems: [...jobNameProblems, ...problems] };
  if (targets.length === 0) {
    problems.push({
      path: `${path}.targets`,
      message: `${path}.targets must list at least one "host:port" (got [])`,
    });
  }
  return { targets: converted, problems };
}

/**
 * A cdktf construct id from a service name: `api` -> `Api`, `legacy-db` -> `LegacyDb` (stable Terraform addresses).
 * Characters a construct id cannot hold are dropped; such a name is reported by the service anyway.
 */
export function constructId(name: string): string {
  const id = name
    .replace(/[^A-Za-z0-9-]/g, "")
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return id === "" ? "Service" : id;
}
