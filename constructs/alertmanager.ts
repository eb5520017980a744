import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Construct } from "constructs";
import { AlertmanagerConfigInput, alertmanagerConfigProblems, renderAlertmanagerConfig } from "./alertmanager-config";
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
import { ConfigProblem, checkDockerName, joinPath, throwIfProblems } from "./validation";
import { IMAGES } from "./versions";

/** Settings of Alertmanager a stack user can change; it is deployed only when `enabled`. */
export interface AlertmanagerOptions extends ServiceOptions, AlertmanagerConfigInput {
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
    ...alertmanagerConfigProblems(options, path),
  ];
}

/**
 * Alertmanager: receives Prometheus' alerts, groups them and shows them in its UI (and posts them to a webhook when
 * one is configured). A hardened container with its state on a named volume and its config uploaded like
 * Prometheus' (a config change replaces the container).
 */
export class Alertmanager extends Construct {
  /** The port Alertmanager listens on inside the container. */
  public static readonly INTERNAL_PORT = 9093;
  /** Alertmanager's alias on the network. */
  public static readonly ALIAS = "alertmanager";
  /** The Prometheus job scraping Alertmanager. */
  public static readonly JOB_NAME = "alertmanager";
  /** Where the generated config lives inside the container. */
  public static readonly CONFIG_DIR = "/etc/alertmanager";

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolveAlertmanagerOptions>;
  /** Alertmanager's own /metrics. */
  public readonly scrapeTarget: ScrapeTarget;
  /** Where Prometheus sends alerts, inside the network. */
  public readonly internalAddress: string;
  /** URL of the Alertmanager UI from the host. */
  public readonly hostUrl: string;
  /** The rendered alertmanager.yml. */
  public readonly configYaml: string;
  /** The pulled image. */
  public readonly image: Image;
  /** The Alertmanager container. */
  public readonly container: Container;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    this.options = resolveAlertmanagerOptions(props, props.network.name);
    throwIfProblems(`Alertmanager "${id}"`, alertmanagerOptionProblems("", props));

    props.network.registerService(Alertmanager.ALIAS);
    this.internalAddress = `${Alertmanager.ALIAS}:${Alertmanager.INTERNAL_PORT}`;
    this.hostUrl = `http://${hostAddress(this.options.bindAddress)}:${this.options.hostPort}`;
    this.scrapeTarget = {
      jobName: Alertmanager.JOB_NAME,
      host: Alertmanager.ALIAS,
      port: Alertmanager.INTERNAL_PORT,
      metricsPath: "/metrics",
    };
    this.configYaml = toGeneratedYaml(renderAlertmanagerConfig(props));

    this.image = new Image(this, "Image", { name: this.options.image, keepLocally: true });
    this.container = new Container(
      this,
      "Container",
      hardenedContainerConfig({
        name: `${props.network.name}-alertmanager`,
        image: this.image.imageId,
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
          // Writable place for the uploaded config on a read-only root filesystem; removed with the container.
          { type: "volume", target: Alertmanager.CONFIG_DIR },
        ],
        upload: [
          { file: `${Alertmanager.CONFIG_DIR}/alertmanager.yml`, content: this.configYaml, permissions: "0644" },
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
    ...resolveServiceOptions(options, { hostPort: 9093, memoryMb: 128, image: IMAGES.alertmanager }),
    dataVolumeName: options.dataVolumeName ?? `${networkName}-alertmanager-data`,
  } satisfies ResolvedServiceOptions & Record<string, unknown>;
}
