import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct, IConstruct } from "constructs";
import type { RenderedDashboard } from "../dashboards/types";
import { urlProblems, type IPrometheus } from "./existing-prometheus";
import { GrafanaContent } from "./grafana-content";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "./grafana-provider";
import { ConfigProblem, show, throwIfProblems } from "./validation";

/**
 * A Grafana the stack deploys dashboards into: the one it creates ({@link Grafana}) or one that already runs
 * ({@link ExistingGrafana}, from `Grafana.fromExisting`).
 */
export interface IGrafana extends IConstruct {
  /** Grafana's URL as a person (and the Grafana provider) reaches it. */
  readonly url: string;
  /** `true` when the stack deploys this Grafana; `false` when it already runs elsewhere. */
  readonly managedByStack: boolean;
  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  addDashboard(dashboard: RenderedDashboard): Dashboard;
}

/**
 * How to reach a Grafana that already runs.
 * @example { url: "https://grafana.acme.example", prometheus, authVariable: "grafana_auth" }
 */
export interface ExistingGrafanaAttributes {
  /** Its root URL as the machine running `cdktf deploy` reaches it (`http(s)://host[:port][/path]`, no credentials). */
  readonly url: string;
  /** The Prometheus its datasource queries. */
  readonly prometheus: IPrometheus;
  /**
   * Prometheus' URL as that Grafana's server reaches it, when it differs from `prometheus.datasourceUrl` (a Prometheus
   * the stack creates is `http://prometheus:9090` only inside the stack's Docker network).
   * @default prometheus.datasourceUrl
   */
  readonly prometheusUrl?: string;
  /**
   * Name of the sensitive Terraform variable holding the credentials: `user:password` or a service account token,
   * set at deploy as `TF_VAR_<name>`; never a literal, so no secret enters cdk.tf.json. @default "grafana_auth"
   */
  readonly authVariable?: string;
  /** Title of the folder the stack's dashboards go to. @default "Monitoring stack" */
  readonly folderTitle?: string;
}

/** Problems with the attributes of an existing Grafana, named under `path`. */
export function existingGrafanaProblems(path: string, attrs: ExistingGrafanaAttributes): ConfigProblem[] {
  const variable = attrs.authVariable ?? "grafana_auth";
  return [
    ...urlProblems(`${path}.url`, attrs.url, "Grafana"),
    ...(attrs.prometheusUrl !== undefined
      ? urlProblems(`${path}.prometheusUrl`, attrs.prometheusUrl, "Prometheus")
      : []),
    ...(/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(variable)
      ? []
      : [
          {
            path: `${path}.authVariable`,
            message: `${path}.authVariable must be a Terraform variable name (letters, digits, "_"; got ${show(variable)})`,
          },
        ]),
    ...((attrs.folderTitle ?? "x").trim() === ""
      ? [{ path: `${path}.folderTitle`, message: `${path}.folderTitle must not be empty (got "")` }]
      : []),
  ];
}

/**
 * A Grafana that already runs outside this stack: through the Grafana provider (its URL, credentials from a sensitive
 * Terraform variable), the stack creates the Prometheus datasource (uid `prometheus`, the uid every dashboard uses),
 * its folder, and every dashboard added. It creates no container, changes no Grafana setting, and cannot check at
 * synth that the URL or the credentials work (the provider does, at deploy).
 */
export class ExistingGrafana extends Construct implements IGrafana {
  public readonly url: string;
  public readonly managedByStack = false;
  /** The sensitive variable holding the credentials (`TF_VAR_<name>`). */
  public readonly authVariable: TerraformVariable;
  /** The provider every Grafana resource of this construct uses. */
  public readonly provider: GrafanaProvider;
  /** The Prometheus datasource. */
  public readonly datasource: DataSource;
  /** The folder holding the dashboards. */
  public readonly folder: Folder;

  private readonly content: GrafanaContent;

  constructor(scope: Construct, id: string, attrs: ExistingGrafanaAttributes) {
    super(scope, id);
    throwIfProblems(`Grafana.fromExisting "${id}"`, existingGrafanaProblems(id, attrs));
    this.url = attrs.url.replace(/\/+$/, "");
    const variableName = attrs.authVariable ?? "grafana_auth";
    // At the stack's top level, so the variable is named exactly `variableName` (TF_VAR_<name>).
    this.authVariable = new TerraformVariable(TerraformStack.of(this), variableName, {
      type: "string",
      sensitive: true,
      nullable: false,
      description: `Credentials of the existing Grafana at ${this.url}: "user:password" or a service account token`,
    });
    this.provider = new GrafanaProvider(this, "Provider", {
      url: this.url,
      auth: this.authVariable.stringValue,
      retries: 5,
      retryWait: 5,
    });
    this.content = new GrafanaContent(this, {
      provider: this.provider,
      prometheus: attrs.prometheus,
      ...(attrs.prometheusUrl !== undefined ? { prometheusUrl: attrs.prometheusUrl } : {}),
      folderTitle: attrs.folderTitle ?? "Monitoring stack",
      describedAs: `Grafana.fromExisting "${id}"`,
    });
    this.datasource = this.content.datasource;
    this.folder = this.content.folder;
  }

  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  public addDashboard(dashboard: RenderedDashboard): Dashboard {
    return this.content.addDashboard(dashboard);
  }
}
