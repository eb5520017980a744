import { Container } from "@cdktf/provider-docker/lib/container";
import { Construct } from "constructs";
import type { AlertReceiver } from "./alertmanager";
import { ConfigImage } from "./config-image";
import type { GeneratedFile } from "./config-image-files";
import {
  ResolvedServiceOptions,
  ServiceOptions,
  hardenedContainerConfig,
  hostAddress,
  namedVolumeMount,
  resolveServiceOptions,
  serviceOptionProblems,
} from "./container-defaults";
import { MonitoringNetwork } from "./network";
import { ExistingPrometheus, ExistingPrometheusAttributes, IPrometheus } from "./existing-prometheus";
import {
  DEFAULT_LABEL_LIMIT,
  DEFAULT_SAMPLE_LIMIT,
  prometheusConfigProblems,
  renderPrometheusConfig,
  toGeneratedYaml,
} from "./prometheus-config";
import { ScrapeTarget, duplicateJobProblems, scrapeTargetProblems } from "./scrape-target";
import { ConfigProblem, checkDockerName, checkIntegerInRange, joinPath, show, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";

/** Settings of Prometheus a stack user can change. */
export interface PrometheusOptions extends ServiceOptions {
  /** Host port of the Prometheus UI and API. @default 9090, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default 1024 */
  readonly memoryMb?: number;
  /** Prometheus image. @default IMAGES.prometheus */
  readonly image?: string;
  /** How long samples are kept, in days. @default 15 */
  readonly retentionDays?: number;
  /** Size at which the oldest blocks are deleted, in MiB. @default 2048 */
  readonly retentionSizeMb?: number;
  /** Per-job limit of samples per scrape: a target over it fails its scrape instead of exhausting memory. @default 20000 */
  readonly sampleLimit?: number;
  /** Per-job limit of labels per sample. @default 64 */
  readonly labelLimit?: number;
  /** Scrape timeout in seconds; at most the scrape interval. @default the smaller of 10 and the scrape interval */
  readonly scrapeTimeoutSeconds?: number;
  /** Named volume holding the TSDB; it survives container replacement and `destroy`. @default "<network>-prometheus-data" */
  readonly dataVolumeName?: string;
}

/** Prometheus, scraping the targets added to it. @example new Prometheus(this, "Prometheus", { network }) */
export interface PrometheusProps extends PrometheusOptions {
  readonly network: MonitoringNetwork;
  /** How often every target is scraped, in seconds. @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /** How often rules are evaluated, in seconds. @default the scrape interval */
  readonly evaluationIntervalSeconds?: number;
}

/** A generated file Prometheus reads, its path relative to the directory of prometheus.yml. */
export type PrometheusConfigFile = GeneratedFile;

/** Problems with the Prometheus settings, named under `path` (for example `prometheus`). */
export function prometheusOptionProblems(path: string, props: Omit<PrometheusProps, "network">): ConfigProblem[] {
  const resolved = resolvePrometheusOptions(props, "monitoring");
  return [
    ...serviceOptionProblems(path, resolved),
    ...checkIntegerInRange(joinPath(path, "retentionDays"), resolved.retentionDays, 1, 3650),
    ...checkIntegerInRange(joinPath(path, "retentionSizeMb"), resolved.retentionSizeMb, 64, 16 * 1024 * 1024),
    ...(props.dataVolumeName !== undefined
      ? checkDockerName(joinPath(path, "dataVolumeName"), props.dataVolumeName)
      : []),
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
  ];
}

/**
 * Prometheus: a hardened container with its TSDB on a named volume, and a prometheus.yml rendered from the scrape
 * targets actually added (never a target for a service that is not deployed). The config and rule files are baked
 * into an image built FROM the pinned Prometheus image; changing them rebuilds it and replaces the container, while
 * the data volume stays.
 */
export class Prometheus extends Construct implements IPrometheus {
  /** The port Prometheus listens on inside the container. */
  public static readonly INTERNAL_PORT = 9090;
  /** Prometheus' alias on the network. */
  public static readonly ALIAS = "prometheus";
  /** The Prometheus job scraping Prometheus itself. */
  public static readonly JOB_NAME = "prometheus";
  /** The host port Prometheus is published on unless `hostPort` says otherwise. */
  public static readonly DEFAULT_HOST_PORT = 9090;
  /** How often targets are scraped unless `scrapeIntervalSeconds` says otherwise. */
  public static readonly DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;
  /** Where the generated files live inside the container. */
  public static readonly CONFIG_DIR = "/etc/prometheus";

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolvePrometheusOptions>;
  /** How often every target is scraped, in seconds. */
  public readonly scrapeIntervalSeconds: number;
  /** Prometheus scraping itself. */
  public readonly scrapeTarget: ScrapeTarget;
  /** URL of Prometheus inside the network (what Grafana queries). */
  public readonly internalUrl: string;
  /** URL of Prometheus from the host. */
  public readonly hostUrl: string;
  /** The image: the pinned Prometheus image with the generated config baked in. */
  public readonly image: ConfigImage;
  /** The Prometheus container. */
  public readonly container: Container;
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

  private readonly network: MonitoringNetwork;
  private readonly targets: ScrapeTarget[] = [];
  private readonly targetProblems: ConfigProblem[] = [];
  private readonly lazyJobs: { readonly jobName: string; readonly targets: () => readonly ScrapeTarget[] }[] = [];
  private readonly ruleFiles: { readonly path: string; readonly document: () => unknown }[] = [];
  private readonly alertmanagers: AlertReceiver[] = [];

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    this.options = resolvePrometheusOptions(props, props.network.name);
    this.scrapeIntervalSeconds = this.options.scrapeIntervalSeconds;
    throwIfProblems(`Prometheus "${id}"`, prometheusOptionProblems("", props));

    this.network = props.network;
    props.network.registerService(Prometheus.ALIAS);
    this.internalUrl = `http://${Prometheus.ALIAS}:${Prometheus.INTERNAL_PORT}`;
    this.hostUrl = `http://${hostAddress(this.options.bindAddress)}:${this.options.hostPort}`;
    this.scrapeTarget = {
      jobName: Prometheus.JOB_NAME,
      host: Prometheus.ALIAS,
      port: Prometheus.INTERNAL_PORT,
      metricsPath: "/metrics",
    };

    this.image = new ConfigImage(this, "Image", {
      name: `${props.network.name}-prometheus`,
      baseImage: this.options.image,
      contextDir: "build/prometheus",
      targetDir: Prometheus.CONFIG_DIR,
      files: () => this.configFiles(),
    });
    this.container = new Container(
      this,
      "Container",
      hardenedContainerConfig({
        name: `${props.network.name}-prometheus`,
        image: this.image.image.imageId,
        // nobody:nogroup, the user of the official image.
        user: "65534:65534",
        alias: Prometheus.ALIAS,
        networkName: props.network.network.name,
        internalPort: Prometheus.INTERNAL_PORT,
        options: this.options,
        // No --web.enable-admin-api and no --web.enable-lifecycle: nobody can delete series or stop Prometheus
        // through its unauthenticated HTTP API. A config change replaces the container instead of reloading.
        command: [
          `--config.file=${Prometheus.CONFIG_DIR}/prometheus.yml`,
          "--storage.tsdb.path=/prometheus",
          `--storage.tsdb.retention.time=${this.options.retentionDays}d`,
          `--storage.tsdb.retention.size=${this.options.retentionSizeMb}MB`,
          `--web.listen-address=:${Prometheus.INTERNAL_PORT}`,
        ],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
        mounts: [namedVolumeMount(this.options.dataVolumeName, "/prometheus")],
        // The image is busybox-based: wget is there, curl is not.
        healthcheck: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Prometheus.INTERNAL_PORT}/-/ready`],
        startPeriodSeconds: 15,
        waitTimeoutSeconds: 90,
      }),
    );
    this.addScrapeTarget(this.scrapeTarget);
    this.node.addValidation({ validate: () => this.problems().map((problem) => problem.message) });
  }

  /** What Grafana's datasource points at: {@link internalUrl}. */
  public get datasourceUrl(): string {
    return this.internalUrl;
  }

  /** The pinned Prometheus image. */
  public get pinnedImage(): string {
    return this.options.image;
  }

  /** Every target added so far, in the order added; then the targets of the jobs rendered at synth. */
  public get scrapeTargets(): readonly ScrapeTarget[] {
    return [...this.targets, ...this.lazyJobs.flatMap((job) => job.targets())];
  }

  /**
   * Adds the job `jobName` whose targets are rendered at synth from the final set of services (the blackbox
   * exporter's probes of every health endpoint): checked by {@link problems} like the targets of
   * {@link addScrapeTarget}, and at least one target is required.
   */
  public addScrapeJobRenderedAtSynth(jobName: string, targets: () => readonly ScrapeTarget[]): void {
    this.lazyJobs.push({ jobName, targets });
  }

  /**
   * Adds one job scraping `targets` (all with the same `jobName`: the replicas of a service). Problems with the targets
   * (shape, a job name already taken) are collected; {@link problems} reports them at synth together with every target
   * whose host is no service deployed on the network at that point (the original stack scraped kafka and spark that
   * never ran: DOWN forever), unless the target opts in with `outsideNetwork`. The order of calls does not matter.
   */
  public addScrapeTarget(...targets: readonly ScrapeTarget[]): void {
    const jobName = targets[0]?.jobName ?? "";
    const path = `scrape job ${show(jobName)}`;
    const problems = targets.flatMap((target, i) => scrapeTargetProblems(`${path} target[${i}]`, target));
    if (targets.length === 0) {
      problems.push({ path, message: `${path} must have at least one target (got [])` });
    }
    if (targets.some((target) => target.jobName !== jobName)) {
      problems.push({
        path,
        message: `${path}: every target of one call must have the same jobName (got ${show(targets.map((t) => t.jobName))}); add each job with its own call`,
      });
    }
    if (
      this.targets.some((target) => target.jobName === jobName) ||
      this.lazyJobs.some((job) => job.jobName === jobName)
    ) {
      problems.push({
        path,
        message: `${path} is already scraped; give each service or scrape job its own name`,
      });
    }
    problems.push(...duplicateJobProblems(path, targets));
    this.targetProblems.push(...problems);
    if (problems.length === 0) this.targets.push(...targets);
  }

  /**
   * Every problem with the targets added so far, computed from the final set of services on the network: call it (or
   * synthesize) after every service is added.
   */
  public problems(): ConfigProblem[] {
    const notDeployed = this.scrapeTargets
      .filter((target) => target.outsideNetwork !== true && !this.network.hasService(target.host))
      .map((target) => ({
        path: `scrape job ${show(target.jobName)}`,
        message: `scrape job ${show(target.jobName)}: target host ${show(target.host)} is no service deployed on network ${show(this.network.name)} (deployed: ${this.network.services.join(", ")}); add the service, remove the target, or set outsideNetwork: true for a host outside the network`,
      }));
    const alertmanagers = this.alertmanagers
      .filter((receiver) => !this.network.hasService(receiver.host))
      .map((receiver) => ({
        path: "alertmanager",
        message: `alertmanager host ${show(receiver.host)} is no service deployed on network ${show(this.network.name)} (deployed: ${this.network.services.join(", ")})`,
      }));
    return [...this.targetProblems, ...this.lazyJobProblems(), ...notDeployed, ...alertmanagers];
  }

  private lazyJobProblems(): ConfigProblem[] {
    return this.lazyJobs.flatMap(({ jobName, targets: produce }) => {
      const path = `scrape job ${show(jobName)}`;
      const targets = produce();
      const problems = targets.flatMap((target, i) => scrapeTargetProblems(`${path} target[${i}]`, target));
      if (targets.length === 0) {
        problems.push({
          path,
          message: `${path} has no targets at synth (got []); add what it scrapes, or remove the job`,
        });
      }
      if (targets.some((target) => target.jobName !== jobName)) {
        problems.push({ path, message: `${path}: every target must have the jobName ${show(jobName)}` });
      }
      const owners = [...this.targets.map((t) => t.jobName), ...this.lazyJobs.map((job) => job.jobName)];
      if (owners.filter((name) => name === jobName).length > 1) {
        problems.push({ path, message: `${path} is already scraped; give each service or scrape job its own name` });
      }
      return [...problems, ...duplicateJobProblems(path, targets)];
    });
  }

  /** Sends alerts to `receiver` (an Alertmanager's `receiver`); its host must be a service deployed on the network. */
  public addAlertmanager(receiver: AlertReceiver): void {
    this.alertmanagers.push(receiver);
  }

  /**
   * Adds a rule file (a `{ groups: [...] }` document), baked in as `rules/<name>.yml` and listed in `rule_files`.
   * Pass a function to render the document at synth from the final set of services (TargetDown over every job).
   */
  public addRuleFile(name: string, document: unknown): void {
    const path = `rules/${name}.yml`;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || this.ruleFiles.some((file) => file.path === path)) {
      throw new Error(
        `Prometheus "${this.node.id}": rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      );
    }
    this.ruleFiles.push({
      path,
      document: typeof document === "function" ? (document as () => unknown) : () => document,
    });
  }

  /** The files Prometheus reads, rendered from the targets and rule files added so far (called at synth). */
  public configFiles(): PrometheusConfigFile[] {
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: this.options.scrapeIntervalSeconds,
      scrapeTimeoutSeconds: this.options.scrapeTimeoutSeconds,
      evaluationIntervalSeconds: this.options.evaluationIntervalSeconds,
      sampleLimit: this.options.sampleLimit,
      labelLimit: this.options.labelLimit,
      targets: this.scrapeTargets,
      ruleFiles: this.ruleFiles.map((file) => file.path),
      alertmanagers: this.alertmanagers.map((receiver) => `${receiver.host}:${receiver.port}`),
    });
    return [
      { path: "prometheus.yml", content: toGeneratedYaml(config) },
      ...this.ruleFiles.map((file) => ({ path: file.path, content: toGeneratedYaml(file.document()) })),
    ];
  }
}

function resolvePrometheusOptions(props: Omit<PrometheusProps, "network">, networkName: string) {
  const scrapeIntervalSeconds = props.scrapeIntervalSeconds ?? Prometheus.DEFAULT_SCRAPE_INTERVAL_SECONDS;
  return {
    ...resolveServiceOptions(props, {
      hostPort: Prometheus.DEFAULT_HOST_PORT,
      memoryMb: 1024,
      image: IMAGES.prometheus,
    }),
    scrapeIntervalSeconds,
    evaluationIntervalSeconds: props.evaluationIntervalSeconds ?? scrapeIntervalSeconds,
    scrapeTimeoutSeconds: props.scrapeTimeoutSeconds ?? Math.max(1, Math.min(10, scrapeIntervalSeconds)),
    retentionDays: props.retentionDays ?? 15,
    retentionSizeMb: props.retentionSizeMb ?? 2048,
    sampleLimit: props.sampleLimit ?? DEFAULT_SAMPLE_LIMIT,
    labelLimit: props.labelLimit ?? DEFAULT_LABEL_LIMIT,
    dataVolumeName: props.dataVolumeName ?? `${networkName}-prometheus-data`,
  } satisfies ResolvedServiceOptions & Record<string, unknown>;
}
