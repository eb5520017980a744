/** The Grafana datasource type (plugin id) of Prometheus: every dashboard query is PromQL. */
export const PROMETHEUS_DATASOURCE_TYPE = "prometheus";

/** What every dashboard needs to know about the deployed stack; built by the stack, never read from the environment. */
export interface DashboardContext {
  /** The provisioned Prometheus datasource every panel and target references. */
  readonly datasource: { readonly type: string; readonly uid: string };
  /**
   * The Prometheus job of every deployed service, by service name (`{ api: "api", prometheus: "prometheus", ... }`):
   * a registry that grows with every service added to the stack. Read it with `jobOf(ctx, "api")`.
   */
  readonly jobs: Readonly<Record<string, string>>;
  /**
   * Every job prometheus.yml renders, including scrape jobs that are no service. A query may select only these.
   * @default the values of `jobs`
   */
  readonly deployedJobs?: readonly string[];
  /** Every series name a query may read: the scrape series plus what each deployed service and job declares. */
  readonly metricNames: readonly string[];
  /** Label values that queries over some series must leave out, as the services declare them. @default none */
  readonly seriesRules?: readonly SeriesRule[];
  /** How often Prometheus scrapes; the datasource's `timeInterval`. */
  readonly scrapeIntervalSeconds: number;
  /**
   * With extra hosts: every host's name (the stack's own first), which every series carries in its `host` label;
   * dashboards whose series have it get a `host` variable. @default none: one host, no `host` label
   */
  readonly hosts?: readonly string[];
}

/**
 * Series whose selectors must leave out some values of a label (the demo API's probe and scrape endpoints in its
 * traffic series). @example { series: ["http_requests_total"], label: "endpoint", values: ["/metrics"], reason: "..." }
 */
export interface SeriesRule {
  /** The series names the rule applies to. */
  readonly series: readonly string[];
  /** The label whose values must be excluded. */
  readonly label: string;
  /** The values every selector over those series must exclude. */
  readonly values: readonly string[];
  /** Why, for the lint's message (`they serve probes and scrapes, not user traffic`). */
  readonly reason: string;
}

/** A dashboard JSON file dropped into `dashboards/json/`, as read by main.ts. */
export interface ImportedDashboardFile {
  /** File name relative to `dashboards/json/`, used in error messages. */
  readonly fileName: string;
  /** The file's raw text. */
  readonly content: string;
}

/** A dashboard ready to deploy: the Grafana dashboard model plus where it came from. */
export interface RenderedDashboard {
  readonly uid: string;
  readonly title: string;
  /** `module:<name>` for a TypeScript dashboard, `json:<file>` for an imported one. */
  readonly source: string;
  /** The dashboard model as Grafana's dashboard API takes it (no top-level `id`). */
  readonly model: Readonly<Record<string, unknown>>;
  /**
   * For an imported dashboard, every change made to it before deploy (foreign datasource references rewritten to the
   * provisioned datasource, export-only fields removed), one sentence each, in model order. `renderDashboards` always
   * sets it (empty for a built dashboard).
   */
  readonly rewrites?: readonly string[];
}

/** A dashboard written in TypeScript: a module built with the house style, added with the stack's `addDashboard`. */
export interface DashboardModule {
  /** Module name; the rendered dashboard's source is `module:<name>`. */
  readonly name: string;
  /** The dashboard's stable uid (the model's `uid`); known before it is built, it names the Grafana resource. */
  readonly uid: string;
  /** Builds the dashboard model for the deployed stack (pure: same context, same model). */
  readonly build: (ctx: DashboardContext) => Record<string, unknown>;
}

/**
 * The job of `service` in the context; throws naming the service when the stack does not deploy it, so a dashboard
 * never queries a job that is not scraped.
 */
export function jobOf(ctx: DashboardContext, service: string): string {
  const job = Object.prototype.hasOwnProperty.call(ctx.jobs, service) ? ctx.jobs[service] : undefined;
  if (job === undefined) {
    throw new Error(
      `the dashboard needs the service ${JSON.stringify(service)}, which the stack does not deploy (deployed: ${Object.keys(ctx.jobs).sort().join(", ")}); add it with addService or remove the dashboard`,
    );
  }
  return job;
}
