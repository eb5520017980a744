/**
 * What the stack needs from the Prometheus it feeds and the Grafana it deploys dashboards into, as interfaces: the
 * components implement them (a Prometheus or Grafana the stack creates, or one that already runs), the core knows
 * only these.
 */
import type { IConstruct } from "constructs";
import type { RenderedDashboard } from "../../dashboards/types";
import type { ScrapeTarget } from "./scrape-target";

/**
 * The basic auth every HTTP request to a Prometheus needs (its web config's `basic_auth_users`): who sends it
 * (Grafana's datasource, `npm run verify`) reads the password from the file, never from a value in `cdk.tf.json`.
 */
export interface PrometheusBasicAuth {
  /** The user. */
  readonly username: string;
  /** The password file on the machine that synthesizes and deploys. */
  readonly passwordFile: {
    /** Absolute. */
    readonly path: string;
    /** Relative to the stack's folder, where Terraform runs and reads it with `file()` at apply. */
    readonly pathFromStackDir: string;
    /** As a person finds it: relative to the project, else absolute. */
    readonly pathForHumans: string;
  };
  /** The setting that names the file, for hints (`PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE (prometheus.remoteWritePasswordFile)`). */
  readonly setting: string;
}

/** A Prometheus the stack adds scrape jobs and rule files to: one it creates, or one that already runs. */
export interface IPrometheus extends IConstruct {
  /** Prometheus' URL as Grafana's server reaches it: the datasource URL. */
  readonly datasourceUrl: string;
  /** How often it scrapes, in seconds: Grafana's `timeInterval`, the unit of rule windows. */
  readonly scrapeIntervalSeconds: number;
  /** The image it runs, when known (its tag tells Grafana the Prometheus version). @default unknown */
  readonly pinnedImage?: string;
  /**
   * The basic auth every request to it needs, when it needs one (read at synth: a Prometheus may start to need it
   * after the datasource was created, e.g. when the first extra host is added). @default none
   */
  readonly basicAuth?: PrometheusBasicAuth;
  /** `true` when the stack deploys this Prometheus and bakes its config in; `false` when it already runs elsewhere. */
  readonly managedByStack: boolean;
  /** Every target it scrapes, as rendered now (the services' and the added jobs'). */
  readonly scrapedTargets: readonly ScrapeTarget[];
  /** Adds one job scraping `targets` (all with the same `jobName`). */
  addScrapeTarget(...targets: readonly ScrapeTarget[]): void;
  /**
   * Adds the job `jobName` whose targets are rendered at synth from the final set of services; `requireTargets: false`
   * when the caller checks them itself. @default requireTargets true
   */
  addScrapeJobRenderedAtSynth(
    jobName: string,
    targets: () => readonly ScrapeTarget[],
    options?: { readonly requireTargets?: boolean },
  ): void;
  /** Adds a rule file `rules/<name>.yml`: a document, or a function rendering it at synth. */
  addRuleFile(name: string, document: unknown): void;
}

/** A Grafana the stack deploys dashboards into: one it creates, or one that already runs. */
export interface IGrafana extends IConstruct {
  /** Grafana's URL as a person (and the Grafana provider) reaches it. */
  readonly url: string;
  /** `true` when the stack deploys this Grafana; `false` when it already runs elsewhere. */
  readonly managedByStack: boolean;
  /** The datasource every dashboard panel and target references. */
  readonly datasourceRef: { readonly type: string; readonly uid: string };
  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  addDashboard(dashboard: RenderedDashboard): { readonly url: string };
}
