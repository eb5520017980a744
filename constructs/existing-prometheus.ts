import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct, IConstruct } from "constructs";
import type { GeneratedFile } from "./config-image-files";
import {
  DEFAULT_LABEL_LIMIT,
  DEFAULT_SAMPLE_LIMIT,
  prometheusConfigProblems,
  renderPrometheusConfig,
  toGeneratedYaml,
} from "./prometheus-config";
import { ScrapeTarget, duplicateJobProblems, scrapeTargetProblems } from "./scrape-target";
import { replaceStackFiles, writeAfterSynthesis } from "./stack-files";
import { ConfigProblem, checkIntegerInRange, show, throwIfProblems } from "./validation";

/**
 * A Prometheus the stack can point Grafana at and add scrape jobs and rule files to: the one it creates
 * ({@link Prometheus}) or one that already runs ({@link ExistingPrometheus}, from `Prometheus.fromExisting`).
 */
export interface IPrometheus extends IConstruct {
  /** Prometheus' URL as Grafana's server reaches it: the datasource URL. */
  readonly datasourceUrl: string;
  /** How often it scrapes, in seconds: Grafana's `timeInterval`, the unit of rule windows. */
  readonly scrapeIntervalSeconds: number;
  /** The image it runs, when known (its tag tells Grafana the Prometheus version). @default unknown */
  readonly pinnedImage?: string;
  /**
   * `true` when the stack deploys this Prometheus and bakes its config in; `false` when it already runs elsewhere and
   * the stack can only render the config for its owner to include.
   */
  readonly managedByStack: boolean;
  /** Adds one job scraping `targets` (all with the same `jobName`). */
  addScrapeTarget(...targets: readonly ScrapeTarget[]): void;
  /** Adds a rule file `rules/<name>.yml`: a document, or a function rendering it at synth. */
  addRuleFile(name: string, document: unknown): void;
}

/** How to reach a Prometheus that already runs. @example { url: "http://prometheus.acme.internal:9090" } */
export interface ExistingPrometheusAttributes {
  /** Its URL as Grafana's server reaches it (`http(s)://host:port`, no credentials in it). */
  readonly url: string;
  /** Its global `scrape_interval`, in seconds: Grafana's `timeInterval`. @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /** `sample_limit` of the rendered jobs. @default 20000 */
  readonly sampleLimit?: number;
  /** `label_limit` of the rendered jobs. @default 64 */
  readonly labelLimit?: number;
}

/** Problems with the attributes of an existing Prometheus, named under `path`. */
export function existingPrometheusProblems(path: string, attrs: ExistingPrometheusAttributes): ConfigProblem[] {
  return [
    ...urlProblems(`${path}.url`, attrs.url, "Prometheus"),
    ...checkIntegerInRange(`${path}.scrapeIntervalSeconds`, attrs.scrapeIntervalSeconds ?? 15, 1, 3600),
    ...checkIntegerInRange(`${path}.sampleLimit`, attrs.sampleLimit ?? DEFAULT_SAMPLE_LIMIT, 1, 10_000_000),
    ...checkIntegerInRange(`${path}.labelLimit`, attrs.labelLimit ?? DEFAULT_LABEL_LIMIT, 1, 1000),
  ];
}

/**
 * An `http(s)://` URL without credentials (they would land in cdk.tf.json; they belong in a Terraform variable), a
 * query or a fragment.
 */
export function urlProblems(path: string, value: string, what: string): ConfigProblem[] {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return [{ path, message: `${path} must be the http(s) URL of the ${what} server (got ${show(value)})` }];
  }
  if (url.username !== "" || url.password !== "") {
    return [
      {
        path,
        message: `${path} must not contain credentials (got ${show(`${url.protocol}//***@${url.host}${url.pathname}`)}); remove them from the URL and pass them through the Terraform variable`,
      },
    ];
  }
  if (url.search !== "" || url.hash !== "") {
    return [{ path, message: `${path} must not have a query or fragment (got ${show(value)})` }];
  }
  return [];
}

/**
 * A Prometheus that already runs outside this stack. What the stack can do with it: point Grafana's datasource at it
 * and render the scrape jobs and rule files added to it into the stack folder, `existing-prometheus/<id>/`
 * (`scrape-configs.yml` for its `scrape_config_files`, `rules/*.yml` for its `rule_files`), for its owner to include
 * and reload. What it cannot do: change that Prometheus' config itself, or reach services on the stack's Docker
 * network (their aliases do not resolve outside it): a target that is not `outsideNetwork` is refused at synth.
 */
export class ExistingPrometheus extends Construct implements IPrometheus {
  /** The folder, relative to the stack's folder, that the rendered files go to. */
  public readonly configDir: string;
  public readonly datasourceUrl: string;
  public readonly scrapeIntervalSeconds: number;
  public readonly managedByStack = false;

  private readonly sampleLimit: number;
  private readonly labelLimit: number;
  private readonly targets: ScrapeTarget[] = [];
  private readonly targetProblems: ConfigProblem[] = [];
  private readonly ruleFiles: { readonly path: string; readonly document: () => unknown }[] = [];

  constructor(scope: Construct, id: string, attrs: ExistingPrometheusAttributes) {
    super(scope, id);
    throwIfProblems(`Prometheus.fromExisting "${id}"`, existingPrometheusProblems(id, attrs));
    this.datasourceUrl = attrs.url.replace(/\/+$/, "");
    this.scrapeIntervalSeconds = attrs.scrapeIntervalSeconds ?? 15;
    this.sampleLimit = attrs.sampleLimit ?? DEFAULT_SAMPLE_LIMIT;
    this.labelLimit = attrs.labelLimit ?? DEFAULT_LABEL_LIMIT;
    this.configDir = `existing-prometheus/${id}`;
    // At the stack's top level, so the output is named exactly `<id>_config_to_include` (`prometheus_config_to_include`).
    new TerraformOutput(TerraformStack.of(this), `${id.toLowerCase()}_config_to_include`, {
      value:
        `Add to the Prometheus at ${this.datasourceUrl}: scrape_config_files: [<stack folder>/${this.configDir}/scrape-configs.yml], ` +
        `rule_files: [<stack folder>/${this.configDir}/rules/*.yml]; then reload it`,
      description: "The stack cannot change an existing Prometheus: include the rendered files yourself",
    });
    writeAfterSynthesis(TerraformStack.of(this), (stackDir) =>
      replaceStackFiles(stackDir, this.configDir, this.configFiles()),
    );
    this.node.addValidation({ validate: () => this.problems().map((problem) => problem.message) });
  }

  public addScrapeTarget(...targets: readonly ScrapeTarget[]): void {
    const jobName = targets[0]?.jobName ?? "";
    const path = `scrape job ${show(jobName)}`;
    const problems = targets.flatMap((target, i) => scrapeTargetProblems(`${path} target[${i}]`, target));
    if (targets.length === 0) problems.push({ path, message: `${path} must have at least one target (got [])` });
    if (this.targets.some((target) => target.jobName === jobName)) {
      problems.push({ path, message: `${path} is already scraped; give each scrape job its own name` });
    }
    problems.push(...duplicateJobProblems(path, targets));
    this.targetProblems.push(...problems);
    if (problems.length === 0) this.targets.push(...targets);
  }

  public addRuleFile(name: string, document: unknown): void {
    const path = `rules/${name}.yml`;
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || this.ruleFiles.some((file) => file.path === path)) {
      throw new Error(
        `Prometheus.fromExisting "${this.node.id}": rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      );
    }
    this.ruleFiles.push({
      path,
      document: typeof document === "function" ? (document as () => unknown) : () => document,
    });
  }

  /** Every target added so far. */
  public get scrapeTargets(): readonly ScrapeTarget[] {
    return [...this.targets];
  }

  /**
   * Every problem with what was added: invalid targets, and every target inside the stack's Docker network, which an
   * existing Prometheus cannot reach.
   */
  public problems(): ConfigProblem[] {
    const unreachable = this.targets
      .filter((target) => target.outsideNetwork !== true)
      .map((target) => ({
        path: `scrape job ${show(target.jobName)}`,
        message: `scrape job ${show(target.jobName)}: target ${show(`${target.host}:${target.port}`)} is on the stack's Docker network, which the existing Prometheus at ${this.datasourceUrl} cannot reach (its aliases do not resolve outside the network); publish the service on a host port and add a scrape job with outsideNetwork: true at an address that Prometheus can reach, or let the stack create Prometheus`,
      }));
    return [
      ...this.targetProblems,
      ...unreachable,
      ...prometheusConfigProblems(this.configInput(), `Prometheus.fromExisting "${this.node.id}"`),
    ];
  }

  /**
   * The files its owner includes, paths relative to the stack's folder: `scrape-configs.yml` (a `scrape_configs`
   * document, the format of Prometheus' `scrape_config_files`) and one file per rule file.
   */
  public configFiles(): GeneratedFile[] {
    const { scrape_configs } = renderPrometheusConfig(this.configInput());
    return [
      { path: `${this.configDir}/scrape-configs.yml`, content: toGeneratedYaml({ scrape_configs }) },
      ...this.ruleFiles.map((file) => ({
        path: `${this.configDir}/${file.path}`,
        content: toGeneratedYaml(file.document()),
      })),
    ];
  }

  private configInput() {
    return {
      scrapeIntervalSeconds: this.scrapeIntervalSeconds,
      scrapeTimeoutSeconds: Math.max(1, Math.min(10, this.scrapeIntervalSeconds)),
      evaluationIntervalSeconds: this.scrapeIntervalSeconds,
      sampleLimit: this.sampleLimit,
      labelLimit: this.labelLimit,
      targets: this.targets,
      ruleFiles: this.ruleFiles.map((file) => file.path),
    };
  }
}
