/** What every dashboard needs to know about the deployed stack; built by the stack, never read from the environment. */
export interface DashboardContext {
  /** The provisioned Prometheus datasource every panel and target references. */
  readonly datasource: { readonly type: string; readonly uid: string };
  /** Prometheus job names of the deployed services, as rendered into prometheus.yml. */
  readonly jobs: { readonly api: string; readonly prometheus: string; readonly grafana: string };
  /**
   * Every job prometheus.yml renders, including optional services (Alertmanager). A query may select only these.
   * @default the values of `jobs`
   */
  readonly deployedJobs?: readonly string[];
  /** How often Prometheus scrapes; the datasource's `timeInterval`. */
  readonly scrapeIntervalSeconds: number;
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

/** A dashboard written in TypeScript: one module per dashboard in `dashboards/`, registered in `dashboards/index.ts`. */
export interface DashboardModule {
  /** Module name; the rendered dashboard's source is `module:<name>`. */
  readonly name: string;
  /** Builds the dashboard model for the deployed stack (pure: same context, same model). */
  readonly build: (ctx: DashboardContext) => Record<string, unknown>;
}
