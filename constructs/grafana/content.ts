import { Aspects, Fn, type ITerraformDependable } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import type { RenderedDashboard } from "../../dashboards/types";
import type { IPrometheus } from "../core/backends";
import { show } from "../core/validation";
import { GRAFANA_FOLDER_UID, PrometheusDatasourceBasicAuth, renderPrometheusDatasource } from "./datasource";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "./provider";

/** What a Grafana, created or existing, gets from the stack. */
export interface GrafanaContentProps {
  /** The provider signed in to that Grafana. */
  readonly provider: GrafanaProvider;
  /** The Prometheus the datasource queries. */
  readonly prometheus: IPrometheus;
  /** Prometheus' URL as that Grafana's server reaches it. @default prometheus.datasourceUrl */
  readonly prometheusUrl?: string;
  /** Title of the folder holding the dashboards. */
  readonly folderTitle: string;
  /** What every resource waits for (the Grafana container, when the stack creates it). @default nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** How errors name the Grafana (`Grafana "Grafana"`). */
  readonly describedAs: string;
}

/**
 * The datasource's basic auth for a Prometheus that needs it ({@link IPrometheus.basicAuth}): the user, and the
 * password as a Terraform expression that reads the password file at apply (`jsonencode({ basicAuthPassword =
 * trimspace(file("<file relative to the stack folder>")) })`), so the password is never in `cdk.tf.json`. Terraform
 * keeps `secure_json_data_encoded` in its state (marked sensitive, not printed in plans): a datasource managed through
 * the Grafana provider cannot avoid that. `undefined` when the Prometheus needs no basic auth.
 */
export function datasourceBasicAuth(prometheus: IPrometheus): PrometheusDatasourceBasicAuth | undefined {
  const auth = prometheus.basicAuth;
  if (auth === undefined) return undefined;
  return {
    basicAuthEnabled: true,
    basicAuthUsername: auth.username,
    // No try(): a missing or unreadable file fails the plan with the file's name, instead of a datasource that 401s.
    secureJsonDataEncoded: Fn.jsonencode({
      basicAuthPassword: Fn.trimspace(Fn.file(auth.passwordFile.pathFromStackDir)),
    }),
  };
}

/**
 * The stack's content in one Grafana: the Prometheus datasource (fixed uid), the folder and one dashboard per
 * {@link addDashboard}. Not a construct of its own: its resources belong to `scope`, so their Terraform addresses are
 * the Grafana construct's (`<Grafana>/PrometheusDatasource`, `<Grafana>/Folder`, `<Grafana>/Dashboard-<uid>`).
 */
export class GrafanaContent {
  /** The Prometheus datasource. */
  public readonly datasource: DataSource;
  /** The folder holding the dashboards. */
  public readonly folder: Folder;

  private readonly dashboards = new Map<string, Dashboard>();

  constructor(
    private readonly scope: Construct,
    private readonly props: GrafanaContentProps,
  ) {
    const dependsOn = props.dependsOn ?? [];
    const datasource = renderPrometheusDatasource({
      url: props.prometheusUrl ?? props.prometheus.datasourceUrl,
      scrapeIntervalSeconds: props.prometheus.scrapeIntervalSeconds,
      prometheusImage: props.prometheus.pinnedImage,
    });
    this.datasource = new DataSource(scope, "PrometheusDatasource", {
      provider: props.provider,
      ...(dependsOn.length > 0 ? { dependsOn: [...dependsOn] } : {}),
      name: datasource.name,
      type: datasource.type,
      uid: datasource.uid,
      url: datasource.url,
      accessMode: datasource.access,
      isDefault: datasource.isDefault,
      jsonDataEncoded: JSON.stringify(datasource.jsonData),
    });
    // At synth, from the final stack: a Prometheus starts to need basic auth when the first extra host is added, which
    // may come after this datasource was created. Without it, the datasource is exactly as before (no attribute set).
    const resource = this.datasource;
    Aspects.of(resource).add({
      visit: (node: IConstruct) => {
        if (node !== resource) return;
        const auth = datasourceBasicAuth(props.prometheus);
        if (auth === undefined) return;
        resource.basicAuthEnabled = auth.basicAuthEnabled;
        resource.basicAuthUsername = auth.basicAuthUsername;
        resource.secureJsonDataEncoded = auth.secureJsonDataEncoded;
      },
    });
    this.folder = new Folder(scope, "Folder", {
      provider: props.provider,
      ...(dependsOn.length > 0 ? { dependsOn: [...dependsOn] } : {}),
      title: props.folderTitle,
      uid: GRAFANA_FOLDER_UID,
    });
  }

  /** Deploys `dashboard` into the folder; its uid must be unique in this Grafana. */
  public addDashboard(dashboard: RenderedDashboard): Dashboard {
    if (this.dashboards.has(dashboard.uid)) {
      throw new Error(`${this.props.describedAs}: a dashboard with uid ${show(dashboard.uid)} was already added`);
    }
    const resource = new Dashboard(this.scope, `Dashboard-${dashboard.uid}`, {
      provider: this.props.provider,
      // The datasource first: a dashboard's panels reference it by uid.
      dependsOn: [...(this.props.dependsOn ?? []), this.datasource],
      configJson: JSON.stringify(dashboard.model),
      folder: this.folder.uid,
      overwrite: true,
      message: "Deployed by the monitoring stack (cdktf)",
    });
    this.dashboards.set(dashboard.uid, resource);
    return resource;
  }
}
