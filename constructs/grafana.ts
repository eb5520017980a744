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
import { GrafanaContent } from "./grafana-content";
import { GRAFANA_FOLDER_UID } from "./grafana-datasource";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "./grafana-provider";
import { MonitoringNetwork } from "./network";
import { ScrapeTarget } from "./scrape-target";
import { ConfigProblem, checkDockerName, joinPath, throwIfProblems } from "./validation";
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
  /**
   * The admin password file Grafana reads on its first start (`GF_SECURITY_ADMIN_PASSWORD__FILE`), bind-mounted
   * read-only, so the password is in neither the container's environment nor the Terraform state.
   * @default no file: Grafana gets no admin password from the stack (only for tests of other settings)
   */
  readonly adminPasswordFile?: GrafanaPasswordFile;
}

/** Where the admin password file is on the Docker host, and who owns it. */
export interface GrafanaPasswordFile {
  /** Absolute path on the Docker host, or a Terraform expression giving one (`${abspath(...)}`). */
  readonly hostPath: string;
  /**
   * The file's owner: Grafana runs as this uid:gid so it can read a file only its owner may read (mode 0600). The
   * official image makes its data paths world-writable, so any uid works. Never root.
   * @default Grafana's own uid:gid 472:0
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
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
  /** Where the admin password file is mounted inside the container. */
  public static readonly ADMIN_PASSWORD_PATH = "/run/secrets/grafana-admin-password";
  /** The uid of the official image's `grafana` user. */
  public static readonly DEFAULT_UID = 472;
  /** The gid the official image owns /var/lib/grafana with. */
  public static readonly DEFAULT_GID = 0;

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

  private readonly content: GrafanaContent;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    this.options = resolveGrafanaOptions(props, props.network.name);
    throwIfProblems(`Grafana "${id}"`, [
      ...grafanaOptionProblems("", props),
      ...(props.adminPasswordFile?.owner?.uid === 0
        ? [
            {
              path: "adminPasswordFile.owner.uid",
              message: `adminPasswordFile.owner.uid must not be 0: Grafana would run as root to read the password file; give the file to an unprivileged user (got 0)`,
            },
          ]
        : []),
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
        // The password file's owner, so Grafana can read the 0600 file (the official image's data paths are mode 777);
        // else uid 472 with gid 0, how the official image owns /var/lib/grafana (gid 0 grants no privilege).
        user:
          props.adminPasswordFile?.owner !== undefined
            ? `${props.adminPasswordFile.owner.uid}:${props.adminPasswordFile.owner.gid}`
            : `${Grafana.DEFAULT_UID}:${Grafana.DEFAULT_GID}`,
        alias: Grafana.ALIAS,
        networkName: props.network.network.name,
        internalPort: Grafana.INTERNAL_PORT,
        options: this.options,
        env: [
          `GF_SERVER_HTTP_PORT=${Grafana.INTERNAL_PORT}`,
          `GF_SERVER_ROOT_URL=${this.hostUrl}/`,
          `GF_SECURITY_ADMIN_USER=${GRAFANA_ADMIN_USER}`,
          // The file, never the value: `docker inspect` and the Terraform state show the environment.
          ...(props.adminPasswordFile !== undefined
            ? [`GF_SECURITY_ADMIN_PASSWORD__FILE=${Grafana.ADMIN_PASSWORD_PATH}`]
            : []),
          "GF_SECURITY_DISABLE_GRAVATAR=true",
          "GF_AUTH_ANONYMOUS_ENABLED=false",
          "GF_USERS_ALLOW_SIGN_UP=false",
          "GF_USERS_ALLOW_ORG_CREATE=false",
          // Nothing phones home: no update checks, no usage reporting, no news feed.
          "GF_ANALYTICS_REPORTING_ENABLED=false",
          "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
          "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
          "GF_NEWS_NEWS_FEED_ENABLED=false",
          // Grafana 12 downloads its "preinstalled" plugins at every start unless told not to: a failing download on a
          // host without internet, a call home on any other.
          "GF_PLUGINS_PREINSTALL_DISABLED=true",
          // Logs go to stdout (rotated by Docker), not to files on the read-only root filesystem.
          "GF_LOG_MODE=console",
          "GF_METRICS_ENABLED=true",
        ],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        mounts: [
          namedVolumeMount(this.options.dataVolumeName, "/var/lib/grafana"),
          ...(props.adminPasswordFile !== undefined
            ? [
                {
                  type: "bind",
                  source: props.adminPasswordFile.hostPath,
                  target: Grafana.ADMIN_PASSWORD_PATH,
                  readOnly: true,
                },
              ]
            : []),
        ],
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

    this.content = new GrafanaContent(this, {
      provider: this.provider,
      prometheus: props.prometheus,
      folderTitle: this.options.folderTitle,
      dependsOn: [this.container],
      describedAs: `Grafana "${id}"`,
    });
    this.datasource = this.content.datasource;
    this.folder = this.content.folder;
  }

  /** {@link hostUrl}. */
  public get url(): string {
    return this.hostUrl;
  }

  /** Deploys `dashboard` into the stack's folder; its uid must be unique in this Grafana. */
  public addDashboard(dashboard: RenderedDashboard): Dashboard {
    return this.content.addDashboard(dashboard);
  }
}

function resolveGrafanaOptions(options: GrafanaOptions, networkName: string) {
  return {
    ...resolveServiceOptions(options, { hostPort: Grafana.DEFAULT_HOST_PORT, memoryMb: 512, image: IMAGES.grafana }),
    folderTitle: options.folderTitle ?? "Monitoring stack",
    dataVolumeName: options.dataVolumeName ?? `${networkName}-grafana-data`,
  } satisfies ResolvedServiceOptions & Record<string, unknown>;
}
