import { App, Aspects, Fn, TerraformStack, ref } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { containerLabels, hardenedHealthcheck } from "../core/container-defaults";
import { CENTRAL_HOST_NAME } from "../core/hosts";
import type { IPrometheus, PrometheusBasicAuth } from "../core/backends";
import type { GeneratedFile } from "../core/config-image-files";
import type { MonitoringNetwork } from "../core/network";
import { ScrapeTarget, duplicateJobProblems, scrapeTargetProblems } from "../core/scrape-target";
import { SERVICE_DEFAULTS, Service, ServiceOptions } from "../core/service";
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from "../core/stack";
import { ConfigProblem, checkIntegerInRange, joinPath, show } from "../core/validation";
import { PROMETHEUS_CATALOG } from "./catalog";
import { prometheusConfigProblems, renderPrometheusConfig, toGeneratedYaml } from "./config";
import { ExistingPrometheus, ExistingPrometheusAttributes } from "./existing";
import { PROMETHEUS_DEFAULTS, PROMETHEUS_NAME } from "./defaults";
import { PrometheusAlertThresholds, prometheusAlertThresholdProblems } from "./rules";
import {
  REMOTE_WRITE_PASSWORD_PATH,
  REMOTE_WRITE_PASSWORD_SETTING_FOR_HUMANS,
  REMOTE_WRITE_USER,
  RemoteWritePasswordFile,
  defaultRemoteWriteUrl,
  ensureRemoteWritePasswordFile,
  readRemoteWritePassword,
  remoteWritePasswordFile,
  remoteWritePasswordFileProblems,
  remoteWriteUrlProblems,
  renderWebConfig,
  webConfigPasswordHash,
} from "./remote-write";

/** Settings of Prometheus a stack user can change; the service settings are those of every `Service`. */
export interface PrometheusOptions extends Pick<
  ServiceOptions,
  "hostPort" | "bindAddress" | "memoryMb" | "image" | "relax"
> {
  /** Host port of the Prometheus UI and API. @default PROMETHEUS_DEFAULTS.hostPort, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default PROMETHEUS_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Prometheus image. @default PROMETHEUS_DEFAULTS.image */
  readonly image?: string;
  /** How long samples are kept, in days. @default PROMETHEUS_DEFAULTS.retentionDays */
  readonly retentionDays?: number;
  /** Size at which the oldest blocks are deleted, in MiB. @default PROMETHEUS_DEFAULTS.retentionSizeMb */
  readonly retentionSizeMb?: number;
  /** Per-job limit of samples per scrape: a target over it fails its scrape instead of exhausting memory. @default PROMETHEUS_DEFAULTS.sampleLimit */
  readonly sampleLimit?: number;
  /** Per-job limit of labels per sample. @default PROMETHEUS_DEFAULTS.labelLimit */
  readonly labelLimit?: number;
  /** Scrape timeout in seconds; at most the scrape interval. @default the smaller of PROMETHEUS_DEFAULTS.maxScrapeTimeoutSeconds and the scrape interval */
  readonly scrapeTimeoutSeconds?: number;
  /** Named volume holding the TSDB; it survives container replacement and `destroy`. @default "<network>-prometheus-data" */
  readonly dataVolumeName?: string;
  /** Durations of Prometheus' own alerts (TargetDown, rule failures, config reloads). @default DEFAULT_PROMETHEUS_ALERT_THRESHOLDS */
  readonly alertThresholds?: PrometheusAlertThresholds;
  /**
   * With extra hosts: the URL the agents remote-write to, as they reach this Prometheus.
   * @default `http://<bindAddress>:<hostPort>/api/v1/write` when `bindAddress` is an address of this host other than
   *   loopback or 0.0.0.0 (then it must be set)
   */
  readonly remoteWriteUrl?: string;
  /**
   * With extra hosts: the file holding the remote-write password (basic auth of every request to this Prometheus), on
   * this machine and at the same path on every extra host, owned by 65534. Relative paths are relative to the project.
   * @default DEFAULT_REMOTE_WRITE_PASSWORD_FILE, generated at synth when missing
   */
  readonly remoteWritePasswordFile?: string;
  /**
   * With extra hosts: the longest outage of a link to an agent whose samples still arrive: each agent keeps that
   * much WAL (`--storage.agent.retention.max-time`) and this Prometheus accepts samples that old
   * (`out_of_order_time_window`). @default PROMETHEUS_DEFAULTS.outageCoverageHours
   */
  readonly outageCoverageHours?: number;
}

/** What the central Prometheus does once the stack has extra hosts (see {@link Prometheus.acceptRemoteWrite}). */
export interface RemoteWriteReceiver {
  /** The URL the agents remote-write to. */
  readonly url: string | undefined;
  /** The password file, on this machine. */
  readonly passwordFile: RemoteWritePasswordFile;
  /** The outage the agents' WAL covers, in hours. */
  readonly outageCoverageHours: number;
}

/** Prometheus, scraping the services on its network and the targets added to it. @example new Prometheus(this, "Prometheus", { network }) */
export interface PrometheusProps extends PrometheusOptions {
  readonly network: MonitoringNetwork;
  /** How often every target is scraped, in seconds. @default DEFAULT_SCRAPE_INTERVAL_SECONDS */
  readonly scrapeIntervalSeconds?: number;
  /** How often rules are evaluated, in seconds. @default the scrape interval */
  readonly evaluationIntervalSeconds?: number;
  /** The project's folder: a relative `remoteWritePasswordFile` is resolved against it. @default the working directory */
  readonly projectDir?: string;
}

/** Where Prometheus sends alerts: an Alertmanager's alias and port on the network. */
export interface AlertReceiver {
  readonly host: string;
  readonly port: number;
}

/** A generated file Prometheus reads, its path relative to the directory of prometheus.yml. */
export type PrometheusConfigFile = GeneratedFile;

/**
 * Prometheus: a `Service` like any other (hardened container, healthcheck, TSDB on a named volume) whose
 * prometheus.yml is rendered at synth from what is actually deployed: every service on its network (each adds itself
 * there) and the scrape jobs added to it, never a target for a service that is not deployed. The config and rule files
 * are baked into an image built FROM the pinned Prometheus image; changing them rebuilds it and replaces the
 * container, while the data volume stays.
 */
export class Prometheus extends Service implements IPrometheus {
  /** The port Prometheus listens on inside the container. */
  public static readonly INTERNAL_PORT = 9090;
  /** Prometheus' service name: its alias on the network and its job. */
  public static readonly NAME = PROMETHEUS_NAME;
  /** Where the generated files live inside the container. */
  public static readonly CONFIG_DIR = "/etc/prometheus";

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolvePrometheusOptions>;
  /** How often every target is scraped, in seconds. */
  public readonly scrapeIntervalSeconds: number;
  /** URL of Prometheus inside the network (what Grafana queries). */
  public readonly internalUrl: string;
  /** The stack deploys this Prometheus and bakes its config in. */
  public readonly managedByStack = true;

  /**
   * A Prometheus that already runs, by URL: Grafana can query it, and what is added to it is rendered for its owner
   * to include (the stack cannot change its config); see {@link ExistingPrometheus}.
   * @example Prometheus.fromExisting(stack, "Prometheus", { url: "http://prometheus.acme.internal:9090" })
   */
  public static fromExisting(scope: Construct, id: string, attrs: ExistingPrometheusAttributes): IPrometheus {
    return new ExistingPrometheus(scope, id, attrs);
  }

  private readonly promNetwork: MonitoringNetwork;
  private readonly promProps: PrometheusProps;
  private readonly targets: { readonly jobName: string; readonly targets: readonly ScrapeTarget[] }[] = [];
  private readonly lazyJobs: {
    readonly jobName: string;
    readonly targets: () => readonly ScrapeTarget[];
    readonly requireTargets: boolean;
  }[] = [];
  private readonly ruleFileList: { readonly path: string; readonly document: () => unknown }[] = [];
  private readonly ruleFileProblems: ConfigProblem[] = [];
  private readonly alertmanagers: AlertReceiver[] = [];
  private receiver: RemoteWriteReceiver | undefined;

  private readonly baseCommand: readonly string[];

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    const options = resolvePrometheusOptions(props, props.network.name);
    const command = [
      `--config.file=${Prometheus.CONFIG_DIR}/prometheus.yml`,
      "--storage.tsdb.path=/prometheus",
      `--storage.tsdb.retention.time=${options.retentionDays}d`,
      `--storage.tsdb.retention.size=${options.retentionSizeMb}MB`,
      `--web.listen-address=:${Prometheus.INTERNAL_PORT}`,
    ];
    super(scope, id, {
      name: Prometheus.NAME,
      network: props.network,
      image: options.image,
      port: Prometheus.INTERNAL_PORT,
      description: "Prometheus UI",
      hostPort: options.hostPort,
      bindAddress: options.bindAddress,
      memoryMb: options.memoryMb,
      ...(props.relax !== undefined ? { relax: props.relax } : {}),
      // No --web.enable-admin-api and no --web.enable-lifecycle: nobody can delete series or stop Prometheus through
      // its unauthenticated HTTP API. A config change replaces the container instead of reloading.
      command,
      mounts: [
        {
          type: "volume",
          source: options.dataVolumeName,
          target: "/prometheus",
          readOnly: false,
          setting: props.dataVolumeName !== undefined ? `${Prometheus.NAME}.dataVolumeName` : "networkName",
        },
      ],
      configFiles: { targetDir: Prometheus.CONFIG_DIR, files: () => this.renderFiles(), pullBaseImage: false },
      // The image is busybox-based: wget is there, curl is not.
      healthcheck: {
        command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Prometheus.INTERNAL_PORT}/-/ready`],
        startPeriodSeconds: 15,
        waitTimeoutSeconds: 90,
      },
      healthEndpoint: { path: "/-/healthy" },
      metricNames: PROMETHEUS_CATALOG,
      localRun: {
        binary: "prometheus",
        args: (ctx) => [
          `--config.file=${ctx.configDir}/prometheus.yml`,
          `--storage.tsdb.path=${ctx.dataDir}`,
          `--web.listen-address=${ctx.address}`,
          // As the container: with extra hosts, every request needs the basic auth of web.yml.
          ...(this.receiver !== undefined ? [`--web.config.file=${ctx.configDir}/web.yml`] : []),
        ],
        readyPattern: /Server is ready to receive web requests/,
      },
    });
    this.options = options;
    this.baseCommand = command;
    this.promProps = props;
    this.promNetwork = props.network;
    this.scrapeIntervalSeconds = options.scrapeIntervalSeconds;
    this.internalUrl = `http://${Prometheus.NAME}:${Prometheus.INTERNAL_PORT}`;
  }

  /** Prometheus scraping itself. */
  public get scrapeTarget(): ScrapeTarget {
    return this.scrapeTargets[0];
  }

  /** What Grafana's datasource points at: {@link internalUrl}. */
  public get datasourceUrl(): string {
    return this.internalUrl;
  }

  /** The pinned Prometheus image. */
  public get pinnedImage(): string {
    return this.options.image;
  }

  /**
   * Every target it scrapes: each service's on its network (in the order created), the jobs added with
   * {@link addScrapeTarget}, then those rendered at synth.
   */
  public get scrapedTargets(): readonly ScrapeTarget[] {
    return [
      ...this.promNetwork.services.flatMap((service) => service.scrapeTargets),
      ...this.targets.flatMap((job) => job.targets),
      ...this.lazyJobs.flatMap((job) => job.targets()),
    ];
  }

  /**
   * Adds one job scraping `targets` (all with the same `jobName`) that is no service of the network: a target outside
   * it (`outsideNetwork`), or the multi-target exporter pattern. Problems are reported by {@link configProblems}.
   */
  public addScrapeTarget(...targets: readonly ScrapeTarget[]): void {
    this.targets.push({ jobName: targets[0]?.jobName ?? "", targets });
  }

  /**
   * Adds the job `jobName` whose targets are rendered at synth from the final set of services (the blackbox
   * exporter's probes of every health endpoint); at least one target is required.
   */
  public addScrapeJobRenderedAtSynth(
    jobName: string,
    targets: () => readonly ScrapeTarget[],
    options: { readonly requireTargets?: boolean } = {},
  ): void {
    this.lazyJobs.push({ jobName, targets, requireTargets: options.requireTargets ?? true });
  }

  /** Sends alerts to `receiver` (an Alertmanager's `receiver`); its host must be a service deployed on the network. */
  public addAlertmanager(receiver: AlertReceiver): void {
    this.alertmanagers.push(receiver);
  }

  /**
   * Adds a rule file (a `{ groups: [...] }` document), baked in as `rules/<name>.yml` and listed in `rule_files`.
   * Pass a function to render the document at synth from the final set of services.
   */
  public addRuleFile(name: string, document: unknown): void {
    const path = `rules/${name}.yml`;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || this.ruleFileList.some((file) => file.path === path)) {
      this.ruleFileProblems.push({
        path: `alertRules.${name}`,
        message: `alertRules.${name}: a rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      });
      return;
    }
    this.ruleFileList.push({
      path,
      document: typeof document === "function" ? (document as () => unknown) : () => document,
    });
  }

  /** The remote-write receiver, once {@link acceptRemoteWrite} was called. */
  public get remoteWriteReceiver(): RemoteWriteReceiver | undefined {
    return this.receiver;
  }

  /**
   * With extra hosts ({@link acceptRemoteWrite}), every request needs basic auth: user {@link REMOTE_WRITE_USER} and
   * the remote-write password file; Grafana's datasource and `npm run verify` send it. Without hosts, none.
   */
  public get basicAuth(): PrometheusBasicAuth | undefined {
    const receiver = this.receiver;
    if (receiver === undefined) return undefined;
    return {
      username: REMOTE_WRITE_USER,
      passwordFile: receiver.passwordFile,
      setting: REMOTE_WRITE_PASSWORD_SETTING_FOR_HUMANS,
    };
  }

  /**
   * Turns this Prometheus into the centre of several hosts (called once, when the first extra host is added): the
   * remote-write receiver on (`--web.enable-remote-write-receiver`); basic auth on every request (`--web.config.file`,
   * user {@link REMOTE_WRITE_USER}, the bcrypt hash of the password file), so it scrapes itself and checks its
   * readiness with the password file mounted read-only; every series it scrapes labelled `host="central"`; samples
   * up to `outageCoverageHours` old accepted (an agent's WAL replayed after an outage). Its health endpoint is no
   * longer probed without credentials (its authenticated self-scrape and TargetDown cover it).
   */
  public acceptRemoteWrite(): RemoteWriteReceiver {
    if (this.receiver !== undefined) return this.receiver;
    const stack = TerraformStack.of(this);
    const passwordFile = remoteWritePasswordFile(
      this.promProps.remoteWritePasswordFile,
      this.promProps.projectDir ?? ".",
      App.of(this).outdir,
      stack.node.id,
    );
    this.receiver = {
      url: this.promProps.remoteWriteUrl ?? defaultRemoteWriteUrl(this.options.bindAddress, this.options.hostPort),
      passwordFile,
      outageCoverageHours: this.options.outageCoverageHours,
    };
    const container = this.containers[0];
    container.command = [
      ...this.baseCommand,
      "--web.enable-remote-write-receiver",
      `--web.config.file=${Prometheus.CONFIG_DIR}/web.yml`,
    ];
    container.putMounts([
      { type: "volume", source: this.options.dataVolumeName, target: "/prometheus" },
      {
        type: "bind",
        source: Fn.abspath(`${ref("path.cwd")}/${passwordFile.pathFromStackDir}`),
        target: REMOTE_WRITE_PASSWORD_PATH,
        readOnly: true,
      },
    ]);
    // promtool (in the image) with the password file: no password on a command line or in the container's config.
    const healthcheck = hardenedHealthcheck(
      [
        "CMD",
        "/bin/promtool",
        "check",
        "ready",
        `--url=http://127.0.0.1:${Prometheus.INTERNAL_PORT}`,
        `--http.config.file=${Prometheus.CONFIG_DIR}/healthcheck-http.yml`,
      ],
      15,
    );
    container.putHealthcheck(healthcheck);
    container.putLabels(
      containerLabels(Prometheus.NAME, {
        healthcheck,
        tmpfs: container.tmpfsInput as Record<string, string> | undefined,
        logDriver: container.logDriverInput,
        logOpts: container.logOptsInput as Record<string, string> | undefined,
      }),
    );
    let ensured = false;
    // At synth only, after the stack's own check, before cdk.tf.json and the build contexts are written.
    Aspects.of(stack).add({
      visit: (node: IConstruct) => {
        if (node !== stack || ensured || this.remoteWriteProblems().length > 0) return;
        ensured = true;
        ensureRemoteWritePasswordFile(passwordFile);
      },
    });
    return this.receiver;
  }

  /** Not probed without credentials once every request needs basic auth (see {@link acceptRemoteWrite}). */
  protected override probedHealthUrls(urls: readonly string[]): readonly string[] {
    return this.receiver === undefined ? urls : [];
  }

  /**
   * Every problem with the settings and the targets, from the final set of services on the network: a target whose
   * host is no service deployed there (the original stack scraped kafka and spark that never ran: DOWN forever),
   * unless it opts in with `outsideNetwork`; a job scraped twice; an Alertmanager that is not deployed.
   */
  public override configProblems(): ConfigProblem[] {
    const network = this.promNetwork;
    const deployed = network.aliases.join(", ");
    const added = [
      ...this.targets.map((job) => ({ jobName: job.jobName, targets: job.targets, lazy: false, requireTargets: true })),
      ...this.lazyJobs.map((job) => ({
        jobName: job.jobName,
        targets: job.targets(),
        lazy: true,
        requireTargets: job.requireTargets,
      })),
    ];
    const owners = [
      ...network.services.flatMap((service) => service.jobName ?? []),
      ...added.map((job) => job.jobName),
    ];
    const jobProblems = added.flatMap(({ jobName, targets, lazy, requireTargets }) => {
      const path = `scrape job ${show(jobName)}`;
      const problems = targets.flatMap((target, i) => scrapeTargetProblems(`${path} target[${i}]`, target));
      if (targets.length === 0 && requireTargets) {
        problems.push({
          path,
          message: lazy
            ? `${path} has no targets at synth (got []); add what it scrapes, or remove the job`
            : `${path} must have at least one target (got [])`,
        });
      }
      if (targets.some((target) => target.jobName !== jobName)) {
        problems.push({
          path,
          message: `${path}: every target of one call must have the same jobName (got ${show(targets.map((t) => t.jobName))}); add each job with its own call`,
        });
      }
      if (owners.filter((owner) => owner === jobName).length > 1) {
        problems.push({ path, message: `${path} is already scraped; give each service or scrape job its own name` });
      }
      return [...problems, ...duplicateJobProblems(path, targets)];
    });
    const notDeployed = added
      .flatMap((job) => job.targets)
      .filter((target) => target.outsideNetwork !== true && !network.hasAlias(target.host))
      // One problem per job and host, however many of its ports are targets.
      .filter((target, i, all) => all.findIndex((t) => t.jobName === target.jobName && t.host === target.host) === i)
      .map((target) => ({
        path: `scrape job ${show(target.jobName)}`,
        message: `scrape job ${show(target.jobName)}: target host ${show(target.host)} is no service deployed on network ${show(network.name)} (deployed: ${deployed}); add the service, remove the target, or set outsideNetwork: true for a host outside the network`,
      }));
    const alertmanagers = this.alertmanagers
      .filter((receiver) => !network.hasAlias(receiver.host))
      .map((receiver) => ({
        path: "alertmanager",
        message: `alertmanager host ${show(receiver.host)} is no service deployed on network ${show(network.name)} (deployed: ${deployed})`,
      }));
    return [
      ...super.configProblems(),
      ...prometheusOptionProblems(Prometheus.NAME, this.promProps, this.options),
      ...this.ruleFileProblems,
      ...jobProblems,
      ...notDeployed,
      ...alertmanagers,
      ...this.remoteWriteProblems(),
    ];
  }

  private remoteWriteProblems(): ConfigProblem[] {
    const receiver = this.receiver;
    if (receiver === undefined) return [];
    const urlProblems =
      receiver.url === undefined
        ? [
            {
              path: `${Prometheus.NAME}.bindAddress`,
              message: `${Prometheus.NAME}.bindAddress is ${show(this.options.bindAddress)}, which the agents on the other hosts cannot reach: with hosts, the central Prometheus must be published on an address of this host they reach; set prometheus.bindAddress (PROMETHEUS_BIND_ADDRESS in this repository's main.ts) to that address, e.g. 10.0.0.1, or prometheus.remoteWriteUrl (PROMETHEUS_REMOTE_WRITE_URL)`,
            },
          ]
        : remoteWriteUrlProblems(`${Prometheus.NAME}.remoteWriteUrl`, receiver.url);
    return [
      ...urlProblems,
      ...checkIntegerInRange(`${Prometheus.NAME}.outageCoverageHours`, receiver.outageCoverageHours, 1, 168),
      ...remoteWritePasswordFileProblems(receiver.passwordFile),
    ];
  }

  /** The files Prometheus reads, rendered from the targets and rule files added so far (called at synth). */
  private renderFiles(): PrometheusConfigFile[] {
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: this.options.scrapeIntervalSeconds,
      scrapeTimeoutSeconds: this.options.scrapeTimeoutSeconds,
      evaluationIntervalSeconds: this.options.evaluationIntervalSeconds,
      sampleLimit: this.options.sampleLimit,
      labelLimit: this.options.labelLimit,
      targets: this.scrapedTargets,
      ruleFiles: this.ruleFileList.map((file) => file.path),
      alertmanagers: this.alertmanagers.map((receiver) => `${receiver.host}:${receiver.port}`),
      ...(this.receiver !== undefined
        ? {
            hostLabel: CENTRAL_HOST_NAME,
            outOfOrderHours: this.receiver.outageCoverageHours,
            scrapeAuth: {
              [this.jobName ?? this.name]: { username: REMOTE_WRITE_USER, passwordFile: REMOTE_WRITE_PASSWORD_PATH },
            },
          }
        : {}),
    });
    return [
      { path: "prometheus.yml", content: toGeneratedYaml(config) },
      ...this.ruleFileList.map((file) => ({ path: file.path, content: toGeneratedYaml(file.document()) })),
      ...(this.receiver !== undefined ? this.remoteWriteFiles(this.receiver) : []),
    ];
  }

  /** web.yml (the bcrypt hash) and the healthcheck's HTTP client config (the password file's path). */
  private remoteWriteFiles(receiver: RemoteWriteReceiver): PrometheusConfigFile[] {
    const password = readRemoteWritePassword(receiver.passwordFile);
    // Inspected without synth, the file may not exist yet: the hash is then of nothing a request could send.
    const hash = webConfigPasswordHash(password ?? `not generated yet: ${receiver.passwordFile.pathForHumans}`);
    return [
      { path: "web.yml", content: renderWebConfig(hash) },
      {
        path: "healthcheck-http.yml",
        content: toGeneratedYaml({
          basic_auth: { username: REMOTE_WRITE_USER, password_file: REMOTE_WRITE_PASSWORD_PATH },
        }),
      },
    ];
  }
}

/** Problems with the Prometheus-specific settings (the service settings are checked by `Service`), under `path`. */
function prometheusOptionProblems(
  path: string,
  props: PrometheusOptions,
  resolved: ReturnType<typeof resolvePrometheusOptions>,
): ConfigProblem[] {
  return [
    ...checkIntegerInRange(joinPath(path, "retentionDays"), resolved.retentionDays, 1, 3650),
    ...checkIntegerInRange(joinPath(path, "retentionSizeMb"), resolved.retentionSizeMb, 64, 16 * 1024 * 1024),
    // A MonitoringStack checks its scrapeIntervalSeconds itself and passes a valid one, so it is reported once.
    ...prometheusConfigProblems(
      {
        scrapeIntervalSeconds: resolved.scrapeIntervalSeconds,
        scrapeTimeoutSeconds: resolved.scrapeTimeoutSeconds,
        evaluationIntervalSeconds: resolved.evaluationIntervalSeconds,
        sampleLimit: resolved.sampleLimit,
        labelLimit: resolved.labelLimit,
        targets: [],
        ruleFiles: [],
      },
      path,
    ),
    ...prometheusAlertThresholdProblems(
      joinPath(path, "alertThresholds"),
      props.alertThresholds,
      resolved.scrapeIntervalSeconds,
    ),
  ];
}

function resolvePrometheusOptions(props: Omit<PrometheusProps, "network">, networkName: string) {
  const d = PROMETHEUS_DEFAULTS;
  const scrapeIntervalSeconds = props.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  return {
    image: props.image ?? d.image,
    hostPort: props.hostPort ?? d.hostPort,
    bindAddress: props.bindAddress ?? SERVICE_DEFAULTS.bindAddress,
    memoryMb: props.memoryMb ?? d.memoryMb,
    scrapeIntervalSeconds,
    evaluationIntervalSeconds: props.evaluationIntervalSeconds ?? scrapeIntervalSeconds,
    scrapeTimeoutSeconds:
      props.scrapeTimeoutSeconds ?? Math.max(1, Math.min(d.maxScrapeTimeoutSeconds, scrapeIntervalSeconds)),
    retentionDays: props.retentionDays ?? d.retentionDays,
    retentionSizeMb: props.retentionSizeMb ?? d.retentionSizeMb,
    sampleLimit: props.sampleLimit ?? d.sampleLimit,
    labelLimit: props.labelLimit ?? d.labelLimit,
    dataVolumeName: props.dataVolumeName ?? `${networkName}-prometheus-data`,
    outageCoverageHours: props.outageCoverageHours ?? d.outageCoverageHours,
  };
}
