import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { RenderedDashboard } from "../../dashboards/types";
import type { IGrafana, IPrometheus } from "../core/backends";
import { ConfigProblem, ISelfValidating, show, urlProblems, validateItself } from "../core/validation";
import { GrafanaContent } from "./content";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "./datasource";
import { GRAFANA_DEFAULTS } from "./defaults";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "./provider";

export type { IGrafana } from "../core/backends";

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
  /** Title of the folder the stack's dashboards go to. @default GRAFANA_DEFAULTS.folderTitle */
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
export class ExistingGrafana extends Construct implements IGrafana, ISelfValidating {
  public readonly url: string;
  public readonly managedByStack = false;
  /** The datasource every dashboard references. */
  public readonly datasourceRef = { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID } as const;
  /** The sensitive variable holding the credentials (`TF_VAR_<name>`). */
  public readonly authVariable: TerraformVariable;
  /** The provider every Grafana resource of this construct uses. */
  public readonly provider: GrafanaProvider;
  /** The Prometheus datasource. */
  public readonly datasource: DataSource;
  /** The folder holding the dashboards. */
  public readonly folder: Folder;

  private readonly content: GrafanaContent;
  private readonly attrs: ExistingGrafanaAttributes;

  constructor(scope: Construct, id: string, attrs: ExistingGrafanaAttributes) {
    super(scope, id);
    this.attrs = attrs;
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
      folderTitle: attrs.folderTitle ?? GRAFANA_DEFAULTS.folderTitle,
      describedAs: `Grafana.fromExisting "${id}"`,
    });
    this.datasource = this.content.datasource;
    this.folder = this.content.folder;
    validateItself(this);
  }

  /** Every problem with the attributes. */
  public configProblems(): ConfigProblem[] {
    return existingGrafanaProblems(this.node.id, this.attrs);
  }

  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  public addDashboard(dashboard: RenderedDashboard): Dashboard {
    return this.content.addDashboard(dashboard);
  }
}
