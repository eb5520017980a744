import { Container } from "@cdktf/provider-docker/lib/container";
import { Construct } from "constructs";
import { AlertmanagerConfigInput, alertmanagerConfigProblems, renderAlertmanagerConfig } from "./alertmanager-config";
import { ConfigImage } from "./config-image";
import {
  ResolvedServiceOptions,
  ServiceOptions,
  hardenedContainerConfig,
  hostAddress,
  namedVolumeMount,
  resolveServiceOptions,
  serviceOptionProblems,
} from "./container-defaults";
import { MonitoringNetwork } from "./network";
import { toGeneratedYaml } from "./prometheus-config";
import { ScrapeTarget } from "./scrape-target";
import { ConfigProblem, checkDockerName, joinPath, show, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";

/** Settings of Alertmanager a stack user can change; it is deployed only when `enabled`. */
export interface AlertmanagerOptions extends ServiceOptions, Omit<AlertmanagerConfigInput, "webhookUrlFile"> {
  /** Deploy Alertmanager and send Prometheus' alerts to it. @default false */
  readonly enabled?: boolean;
  /** Host port of the Alertmanager UI and API. @default 9093, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default 128 */
  readonly memoryMb?: number;
  /** Alertmanager image. @default IMAGES.alertmanager */
  readonly image?: string;
  /** Named volume holding silences and notification state. @default "<network>-alertmanager-data" */
  readonly dataVolumeName?: string;
  /**
   * Absolute path, on the Docker host, of a file holding the webhook URL alerts are posted to. The file is mounted
   * read-only into the container and Alertmanager reads it, so the URL (often with a token) never enters the
   * synthesized JSON or the Terraform state. It must be readable by uid 65534 (the container's user).
   * @default none: alerts are only visible in the Alertmanager UI
   */
  readonly webhookUrlFile?: string;
}

/** Where Prometheus sends alerts: an Alertmanager's alias and port on the network. */
export interface AlertReceiver {
  readonly host: string;
  readonly port: number;
}

/** Alertmanager on the stack's network. @example new Alertmanager(this, "Alertmanager", { network }) */
export interface AlertmanagerProps extends Omit<AlertmanagerOptions, "enabled"> {
  readonly network: MonitoringNetwork;
}

/** Problems with the Alertmanager settings, named under `path` (for example `alertmanager`). */
export function alertmanagerOptionProblems(
  path: string,
  options: Omit<AlertmanagerOptions, "enabled">,
): ConfigProblem[] {
  const resolved = resolveAlertmanagerOptions(options, "monitoring");
  return [
    ...serviceOptionProblems(path, resolved),
    ...(options.dataVolumeName !== undefined
      ? checkDockerName(joinPath(path, "dataVolumeName"), options.dataVolumeName)
      : []),
    // The host file's path is checked here; the renderer sees the path inside the container.
    ...alertmanagerConfigProblems({ ...options, webhookUrlFile: undefined }, path),
    ...(options.webhookUrlFile !== undefined && !options.webhookUrlFile.startsWith("/")
      ? [
          {
            path: joinPath(path, "webhookUrlFile"),
            message: `${joinPath(path, "webhookUrlFile")} must be the absolute path of a file on the Docker host holding the webhook URL (got ${show(options.webhookUrlFile)})`,
          },
        ]
      : []),
  ];
}

/**
 * Alertmanager: receives Prometheus' alerts, groups them and shows them in its UI (and posts them to a webhook when
 * one is configured). A hardened container with its state on a named volume and its config baked into its image
 * like Prometheus' (a config change rebuilds the image and replaces the container).
 */
export class Alertmanager extends Construct {
  /** The port Alertmanager listens on inside the container. */
  public static readonly INTERNAL_PORT = 9093;
  /** Alertmanager's alias on the network. */
  public static readonly ALIAS = "alertmanager";
  /** The Prometheus job scraping Alertmanager. */
  public static readonly JOB_NAME = "alertmanager";
  /** The host port Alertmanager is published on unless `hostPort` says otherwise. */
  public static readonly DEFAULT_HOST_PORT = 9093;
  /** Where the generated config lives inside the container. */
  public static readonly CONFIG_DIR = "/etc/alertmanager";
  /** Where the webhook URL file is mounted inside the container. */
  public static readonly WEBHOOK_URL_FILE = "/run/secrets/alertmanager-webhook-url";

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolveAlertmanagerOptions>;
  /** Alertmanager's own /metrics. */
  public readonly scrapeTarget: ScrapeTarget;
  /** Where Prometheus sends alerts, inside the network. */
  public readonly receiver: AlertReceiver;
  /** URL of the Alertmanager UI from the host. */
  public readonly hostUrl: string;
  /** The rendered alertmanager.yml. */
  public readonly configYaml: string;
  /** The image: the pinned Alertmanager image with the generated config baked in. */
  public readonly image: ConfigImage;
  /** The Alertmanager container. */
  public readonly container: Container;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    this.options = resolveAlertmanagerOptions(props, props.network.name);
    throwIfProblems(`Alertmanager "${id}"`, alertmanagerOptionProblems("", props));

    props.network.registerService(Alertmanager.ALIAS);
    this.receiver = { host: Alertmanager.ALIAS, port: Alertmanager.INTERNAL_PORT };
    this.hostUrl = `http://${hostAddress(this.options.bindAddress)}:${this.options.hostPort}`;
    this.scrapeTarget = {
      jobName: Alertmanager.JOB_NAME,
      host: Alertmanager.ALIAS,
      port: Alertmanager.INTERNAL_PORT,
      metricsPath: "/metrics",
    };
    this.configYaml = toGeneratedYaml(
      renderAlertmanagerConfig({
        ...props,
        webhookUrlFile: props.webhookUrlFile !== undefined ? Alertmanager.WEBHOOK_URL_FILE : undefined,
      }),
    );

    this.image = new ConfigImage(this, "Image", {
      name: `${props.network.name}-alertmanager`,
      baseImage: this.options.image,
      contextDir: "build/alertmanager",
      targetDir: Alertmanager.CONFIG_DIR,
      files: () => [{ path: "alertmanager.yml", content: this.configYaml }],
    });
    this.container = new Container(
      this,
      "Container",
      hardenedContainerConfig({
        name: `${props.network.name}-alertmanager`,
        image: this.image.image.imageId,
        // nobody:nogroup, the user of the official image.
        user: "65534:65534",
        alias: Alertmanager.ALIAS,
        networkName: props.network.network.name,
        internalPort: Alertmanager.INTERNAL_PORT,
        options: this.options,
        command: [
          `--config.file=${Alertmanager.CONFIG_DIR}/alertmanager.yml`,
          "--storage.path=/alertmanager",
          `--web.listen-address=:${Alertmanager.INTERNAL_PORT}`,
          // A single instance: no gossip port, no peers to look for.
          "--cluster.listen-address=",
        ],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
        mounts: [
          namedVolumeMount(this.options.dataVolumeName, "/alertmanager"),
          ...(props.webhookUrlFile !== undefined
            ? [{ type: "bind", source: props.webhookUrlFile, target: Alertmanager.WEBHOOK_URL_FILE, readOnly: true }]
            : []),
        ],
        // The image is busybox-based: wget is there, curl is not.
        healthcheck: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Alertmanager.INTERNAL_PORT}/-/ready`],
        startPeriodSeconds: 10,
        waitTimeoutSeconds: 60,
      }),
    );
  }
}

function resolveAlertmanagerOptions(options: Omit<AlertmanagerOptions, "enabled">, networkName: string) {
  return {
    ...resolveServiceOptions(options, {
      hostPort: Alertmanager.DEFAULT_HOST_PORT,
      memoryMb: 128,
      image: IMAGES.alertmanager,
    }),
    dataVolumeName: options.dataVolumeName ?? `${networkName}-alertmanager-data`,
  } satisfies ResolvedServiceOptions & Record<string, unknown>;
}
