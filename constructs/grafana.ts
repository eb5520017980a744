import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Construct } from "constructs";
import type { RenderedDashboard } from "../dashboards/types";
import {
  ResolvedServiceOptions,
  ServiceOptions,
  hardenedContainerConfig,
  hostAddress,
  namedVolumeMount,
  resolveServiceOptions,
  serviceOptionProblems,
} from "./container-defaults";
import { ExistingGrafana, ExistingGrafanaAttributes, IGrafana } from "./existing-grafana";
import type { IPrometheus } from "./existing-prometheus";
import { GRAFANA_FOLDER_UID, renderPrometheusDatasource } from "./grafana-datasource";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "./grafana-provider";
import { MonitoringNetwork } from "./network";
import { ScrapeTarget } from "./scrape-target";
import { ConfigProblem, checkDockerName, joinPath, show, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";

/** Settings of Grafana a stack user can change. */
export interface GrafanaOptions extends ServiceOptions {
  /** Host port of the Grafana UI; the Grafana provider talks to it too. @default 3000, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default 512 */
  readonly memoryMb?: number;
  /** Grafana image. @default IMAGES.grafana */
  readonly image?: string;
  /** Title of the folder holding the stack's dashboards. @default "Monitoring stack" */
  readonly folderTitle?: string;
  /** Named volume holding Grafana's database; it survives container replacement and `destroy`. @default "<network>-grafana-data" */
  readonly dataVolumeName?: string;
}

/**
 * Grafana with the Prometheus datasource and the stack's dashboards.
 * @example new Grafana(this, "Grafana", { network, prometheus, adminPassword: secret.expression })
 */
export interface GrafanaProps extends GrafanaOptions {
  readonly network: MonitoringNetwork;
  /**
   * The Prometheus the datasource points at (the stack's, or `Prometheus.fromExisting`); its scrape interval becomes
   * the datasource's `timeInterval`.
   */
  readonly prometheus: IPrometheus;
  /**
   * The admin password as a Terraform expression (a sensitive variable or local), never a literal: the synthesized
   * JSON and snapshots must not hold a secret.
   */
  readonly adminPassword: string;
}

/** The admin user Grafana creates on its first start. */
export const GRAFANA_ADMIN_USER = "admin";

/** Problems with the Grafana settings, named under `path` (for example `grafana`). */
export function grafanaOptionProblems(path: string, options: GrafanaOptions): ConfigProblem[] {
  const resolved = resolveGrafanaOptions(options, "monitoring");
  return [
    ...serviceOptionProblems(path, resolved),
    ...(resolved.folderTitle.trim() === ""
      ? [
          {
            path: joinPath(path, "folderTitle"),
            message: `${joinPath(path, "folderTitle")} must not be empty (got "")`,
          },
        ]
      : []),
    ...(options.dataVolumeName !== undefined
      ? checkDockerName(joinPath(path, "dataVolumeName"), options.dataVolumeName)
      : []),
  ];
}

/**
 * Grafana: a hardened container with its database on a named volume, no anonymous access and no sign-up, the admin
 * password supplied by the stack (never a default), and through the Grafana provider: the Prometheus datasource with
 * a fixed uid, a folder, and one dashboard per {@link addDashboard}. Every Grafana resource depends on the container,
 * which Terraform waits on until its healthcheck passes.
 */
export class Grafana extends Construct implements IGrafana {
  /** The port Grafana listens on inside the container. */
  public static readonly INTERNAL_PORT = 3000;
  /** Grafana's alias on the network. */
  public static readonly ALIAS = "grafana";
  /** The Prometheus job scraping Grafana's own /metrics. */
  public static readonly JOB_NAME = "grafana";
  /** The host port Grafana is published on unless `hostPort` says otherwise. */
  public static readonly DEFAULT_HOST_PORT = 3000;
  /** The uid of the folder holding the stack's dashboards. */
  public static readonly FOLDER_UID = GRAFANA_FOLDER_UID;

  /**
   * A Grafana that already runs, by URL, with credentials from a sensitive Terraform variable: the stack deploys its
   * datasource, folder and dashboards there and creates no container; see {@link ExistingGrafana}.
   * @example Grafana.fromExisting(stack, "Grafana", { url: "https://grafana.acme.example", prometheus })
   */
  public static fromExisting(scope: Construct, id: string, attrs: ExistingGrafanaAttributes): IGrafana {
    return new ExistingGrafana(scope, id, attrs);
  }

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolveGrafanaOptions>;
  /** Grafana's own /metrics, scraped by Prometheus. */
  public readonly scrapeTarget: ScrapeTarget;
  /** URL of Grafana from the host; the Grafana provider's URL. */
  public readonly hostUrl: string;
  /** The pulled image. */
  public readonly image: Image;
  /** The Grafana container. */
  public readonly container: Container;
  /** The stack deploys this Grafana. */
  public readonly managedByStack = true;
  /** The provider every Grafana resource of this construct uses. */
  public readonly provider: GrafanaProvider;
  /** The Prometheus datasource. */
  public readonly datasource: DataSource;
  /** The folder holding the dashboards. */
  public readonly folder: Folder;

  private readonly dashboards = new Map<string, Dashboard>();

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    this.options = resolveGrafanaOptions(props, props.network.name);
    throwIfProblems(`Grafana "${id}"`, [
      ...grafanaOptionProblems("", props),
      ...(props.adminPassword.trim() === ""
        ? [
            {
              path: "adminPassword",
              message: `adminPassword must be a Terraform expression holding the password (got "")`,
            },
          ]
        : []),
    ]);

    props.network.registerService(Grafana.ALIAS);
    this.hostUrl = `http://${hostAddress(this.options.bindAddress)}:${this.options.hostPort}`;
    this.scrapeTarget = {
      jobName: Grafana.JOB_NAME,
      host: Grafana.ALIAS,
      port: Grafana.INTERNAL_PORT,
      metricsPath: "/metrics",
    };

    this.image = new Image(this, "Image", { name: this.options.image, keepLocally: true });
    this.container = new Container(
      this,
      "Container",
      hardenedContainerConfig({
        name: `${props.network.name}-grafana`,
        image: this.image.imageId,
        // uid 472 with gid 0 is how the official image owns /var/lib/grafana; gid 0 grants no privilege.
        user: "472:0",
        alias: Grafana.ALIAS,
        networkName: props.network.network.name,
        internalPort: Grafana.INTERNAL_PORT,
        options: this.options,
        env: [
          `GF_SERVER_HTTP_PORT=${Grafana.INTERNAL_PORT}`,
          `GF_SERVER_ROOT_URL=${this.hostUrl}/`,
          `GF_SECURITY_ADMIN_USER=${GRAFANA_ADMIN_USER}`,
          `GF_SECURITY_ADMIN_PASSWORD=${props.adminPassword}`,
          "GF_SECURITY_DISABLE_GRAVATAR=true",
          "GF_AUTH_ANONYMOUS_ENABLED=false",
          "GF_USERS_ALLOW_SIGN_UP=false",
          "GF_USERS_ALLOW_ORG_CREATE=false",
          // Nothing phones home: no update checks, no usage reporting, no news feed.
          "GF_ANALYTICS_REPORTING_ENABLED=false",
          "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
          "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
          "GF_NEWS_NEWS_FEED_ENABLED=false",
          // Logs go to stdout (rotated by Docker), not to files on the read-only root filesystem.
          "GF_LOG_MODE=console",
          "GF_METRICS_ENABLED=true",
        ],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        mounts: [namedVolumeMount(this.options.dataVolumeName, "/var/lib/grafana")],
        // The Alpine-based image has busybox wget.
        healthcheck: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Grafana.INTERNAL_PORT}/api/health`],
        // The first start migrates the database.
        startPeriodSeconds: 60,
        waitTimeoutSeconds: 180,
      }),
    );

    this.provider = new GrafanaProvider(this, "Provider", {
      url: this.hostUrl,
      auth: `${GRAFANA_ADMIN_USER}:${props.adminPassword}`,
      // Grafana may still be finishing its start when the first resource is created.
      retries: 5,
      retryWait: 5,
    });

    const datasource = renderPrometheusDatasource({
      url: props.prometheus.datasourceUrl,
      scrapeIntervalSeconds: props.prometheus.scrapeIntervalSeconds,
      prometheusImage: props.prometheus.pinnedImage,
    });
    this.datasource = new DataSource(this, "PrometheusDatasource", {
      provider: this.provider,
      dependsOn: [this.container],
      name: datasource.name,
      type: datasource.type,
      uid: datasource.uid,
      url: datasource.url,
      accessMode: datasource.access,
      isDefault: datasource.isDefault,
      jsonDataEncoded: JSON.stringify(datasource.jsonData),
    });
    this.folder = new Folder(this, "Folder", {
      provider: this.provider,
      dependsOn: [this.container],
      title: this.options.folderTitle,
      uid: Grafana.FOLDER_UID,
    });
  }

  /** {@link hostUrl}. */
  public get url(): string {
    return this.hostUrl;
  }

  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  public addDashboard(dashboard: RenderedDashboard): Dashboard {
    if (this.dashboards.has(dashboard.uid)) {
      throw new Error(`Grafana "${this.node.id}": a dashboard with uid ${show(dashboard.uid)} was already added`);
    }
    const resource = new Dashboard(this, `Dashboard-${dashboard.uid}`, {
      provider: this.provider,
      // The datasource first: a dashboard's panels reference it by uid.
      dependsOn: [this.container, this.datasource],
      configJson: JSON.stringify(dashboard.model),
      folder: this.folder.uid,
      overwrite: true,
      message: "Deployed by the monitoring stack (cdktf)",
    });
    this.dashboards.set(dashboard.uid, resource);
    return resource;
  }
}

function resolveGrafanaOptions(options: GrafanaOptions, networkName: string) {
  return {
    ...resolveServiceOptions(options, { hostPort: Grafana.DEFAULT_HOST_PORT, memoryMb: 512, image: IMAGES.grafana }),
    folderTitle: options.folderTitle ?? "Monitoring stack",
    dataVolumeName: options.dataVolumeName ?? `${networkName}-grafana-data`,
  } satisfies ResolvedServiceOptions & Record<string, unknown>;
}
