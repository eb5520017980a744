import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { IPrometheus, PrometheusBasicAuth } from "../core/backends";
import type { GeneratedFile } from "../core/config-image-files";
import { ScrapeTarget, duplicateJobProblems, scrapeTargetProblems } from "../core/scrape-target";
import { replaceStackFiles, writeAfterSynthesis } from "../core/stack-files";
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from "../core/stack";
import {
  ConfigProblem,
  ISelfValidating,
  checkIntegerInRange,
  show,
  urlProblems,
  validateItself,
} from "../core/validation";
import { renderPrometheusConfig, toGeneratedYaml } from "./config";
import { PROMETHEUS_DEFAULTS } from "./defaults";

export type { IPrometheus } from "../core/backends";

/** How to reach a Prometheus that already runs. @example { url: "http://prometheus.acme.internal:9090" } */
export interface ExistingPrometheusAttributes {
  /** Its URL as Grafana's server reaches it (`http(s)://host:port`, no credentials in it). */
  readonly url: string;
  /** Its global `scrape_interval`, in seconds: Grafana's `timeInterval`. @default DEFAULT_SCRAPE_INTERVAL_SECONDS */
  readonly scrapeIntervalSeconds?: number;
  /** `sample_limit` of the rendered jobs. @default PROMETHEUS_DEFAULTS.sampleLimit */
  readonly sampleLimit?: number;
  /** `label_limit` of the rendered jobs. @default PROMETHEUS_DEFAULTS.labelLimit */
  readonly labelLimit?: number;
  /**
   * The basic auth it requires (its web config's `basic_auth_users`): Grafana's datasource sends `username` and the
   * content of `passwordFile` (absolute, or relative to the folder synth runs in), which Terraform reads at apply; the
   * password is in no file the stack writes, but in the Terraform state (sensitive). @default none
   */
  readonly basicAuth?: { readonly username: string; readonly passwordFile: string };
}

/** Problems with the attributes of an existing Prometheus, named under `path`. */
export function existingPrometheusProblems(path: string, attrs: ExistingPrometheusAttributes): ConfigProblem[] {
  return [
    ...urlProblems(`${path}.url`, attrs.url, "Prometheus"),
    ...checkIntegerInRange(
      `${path}.scrapeIntervalSeconds`,
      attrs.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS,
      1,
      3600,
    ),
    ...checkIntegerInRange(`${path}.sampleLimit`, attrs.sampleLimit ?? PROMETHEUS_DEFAULTS.sampleLimit, 1, 10_000_000),
    ...checkIntegerInRange(`${path}.labelLimit`, attrs.labelLimit ?? PROMETHEUS_DEFAULTS.labelLimit, 1, 1000),
    ...basicAuthProblems(`${path}.basicAuth`, attrs.basicAuth),
  ];
}

function basicAuthProblems(path: string, auth: ExistingPrometheusAttributes["basicAuth"]): ConfigProblem[] {
  if (auth === undefined) return [];
  const problems: ConfigProblem[] = [];
  if (auth.username === "" || auth.username.includes(":")) {
    problems.push({
      path: `${path}.username`,
      message: `${path}.username must be a user name, not empty and without ":" (got ${show(auth.username)})`,
    });
  }
  let isFile = false;
  try {
    isFile = auth.passwordFile !== "" && statSync(resolve(auth.passwordFile)).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    problems.push({
      path: `${path}.passwordFile`,
      message: `${path}.passwordFile must be an existing file holding the password (got ${show(auth.passwordFile)}, resolved to ${resolve(auth.passwordFile)}); create it (mode 0600) or fix the path`,
    });
  }
  return problems;
}

/**
 * A Prometheus that already runs outside this stack. What the stack can do with it: point Grafana's datasource at it
 * and render the scrape jobs and rule files added to it into the stack folder, `existing-prometheus/<id>/`
 * (`scrape-configs.yml` for its `scrape_config_files`, `rules/*.yml` for its `rule_files`), for its owner to include
 * and reload. What it cannot do: change that Prometheus' config itself, or reach services on the stack's Docker
 * network (their aliases do not resolve outside it): a target that is not `outsideNetwork` is refused at synth.
 */
export class ExistingPrometheus extends Construct implements IPrometheus, ISelfValidating {
  /** The folder, relative to the stack's folder, that the rendered files go to. */
  public readonly configDir: string;
  public readonly datasourceUrl: string;
  public readonly scrapeIntervalSeconds: number;
  public readonly managedByStack = false;
  /** The basic auth it requires, when {@link ExistingPrometheusAttributes.basicAuth} is set. */
  public readonly basicAuth: PrometheusBasicAuth | undefined;

  private readonly attrs: ExistingPrometheusAttributes;
  private readonly sampleLimit: number;
  private readonly lazyJobs: { readonly jobName: string; readonly targets: () => readonly ScrapeTarget[] }[] = [];
  private readonly labelLimit: number;
  private readonly targets: ScrapeTarget[] = [];
  private readonly targetProblems: ConfigProblem[] = [];
  private readonly ruleFiles: { readonly path: string; readonly document: () => unknown }[] = [];

  constructor(scope: Construct, id: string, attrs: ExistingPrometheusAttributes) {
    super(scope, id);
    this.attrs = attrs;
    this.datasourceUrl = attrs.url.replace(/\/+$/, "");
    this.scrapeIntervalSeconds = attrs.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
    this.sampleLimit = attrs.sampleLimit ?? PROMETHEUS_DEFAULTS.sampleLimit;
    this.labelLimit = attrs.labelLimit ?? PROMETHEUS_DEFAULTS.labelLimit;
    this.configDir = `existing-prometheus/${id}`;
    if (attrs.basicAuth !== undefined) {
      const path = resolve(attrs.basicAuth.passwordFile);
      const inside = relative(process.cwd(), path);
      this.basicAuth = {
        username: attrs.basicAuth.username,
        passwordFile: {
          path,
          pathFromStackDir: relative(resolve(App.of(this).outdir, "stacks", TerraformStack.of(this).node.id), path),
          pathForHumans: inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path,
        },
        setting: `Prometheus.fromExisting "${id}" basicAuth.passwordFile`,
      };
    }
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
    validateItself(this);
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
      this.targetProblems.push({
        path: `alertRules.${name}`,
        message: `Prometheus.fromExisting "${this.node.id}": rule file name must be unique and contain only lowercase letters, digits, "_" and "-" (got ${show(name)})`,
      });
      return;
    }
    this.ruleFiles.push({
      path,
      document: typeof document === "function" ? (document as () => unknown) : () => document,
    });
  }

  /** Adds a job whose targets are rendered at synth. */
  public addScrapeJobRenderedAtSynth(jobName: string, targets: () => readonly ScrapeTarget[]): void {
    // Its targets are checked by configProblems in every case.
    this.lazyJobs.push({ jobName, targets });
  }

  /** Every target added so far, then those rendered at synth. */
  public get scrapedTargets(): readonly ScrapeTarget[] {
    return [...this.targets, ...this.lazyJobs.flatMap((job) => job.targets())];
  }

  /**
   * Every problem with what was added: invalid targets, and every target inside the stack's Docker network, which an
   * existing Prometheus cannot reach.
   */
  public configProblems(): ConfigProblem[] {
    const unreachable = this.scrapedTargets
      .filter((target) => target.outsideNetwork !== true)
      .map((target) => ({
        path: `scrape job ${show(target.jobName)}`,
        message: `scrape job ${show(target.jobName)}: target ${show(`${target.host}:${target.port}`)} is on the stack's Docker network, which the existing Prometheus at ${this.datasourceUrl} cannot reach (its aliases do not resolve outside the network); publish the service on a host port and add a scrape job with outsideNetwork: true at an address that Prometheus can reach, or let the stack create Prometheus`,
      }));
    return [
      ...existingPrometheusProblems(this.node.id, this.attrs),
      ...this.targetProblems,
      ...unreachable,
      // The attributes are checked once above; only the targets rendered at synth are left to check.
      ...this.lazyJobs.flatMap((job) =>
        job
          .targets()
          .flatMap((target, i) => scrapeTargetProblems(`scrape job ${show(job.jobName)} target[${i}]`, target)),
      ),
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
      scrapeTimeoutSeconds: Math.max(
        1,
        Math.min(PROMETHEUS_DEFAULTS.maxScrapeTimeoutSeconds, this.scrapeIntervalSeconds),
      ),
      evaluationIntervalSeconds: this.scrapeIntervalSeconds,
      sampleLimit: this.sampleLimit,
      labelLimit: this.labelLimit,
      targets: this.scrapedTargets,
      ruleFiles: this.ruleFiles.map((file) => file.path),
    };
  }
}
