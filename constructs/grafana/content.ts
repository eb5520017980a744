import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { RenderedDashboard } from "../../dashboards/types";
import type { IPrometheus } from "../core/backends";
import { show } from "../core/validation";
import { GRAFANA_FOLDER_UID, renderPrometheusDatasource } from "./datasource";
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
