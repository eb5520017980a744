import { Construct } from "constructs";
import type { MonitoringNetwork } from "../core/network";
import { SERVICE_DEFAULTS, Service, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import type { ConfigProblem } from "../core/validation";
import { toGeneratedYaml } from "../prometheus/config";
import type { AlertReceiver, Prometheus } from "../prometheus/prometheus";
import { AlertmanagerConfigInput, alertmanagerConfigProblems, renderAlertmanagerConfig } from "./config";
import { ALERTMANAGER_DEFAULTS } from "./defaults";

/** Settings of Alertmanager a stack user can change; the service settings are those of every `Service`. */
export interface AlertmanagerOptions
  extends
    Pick<ServiceOptions, "hostPort" | "bindAddress" | "memoryMb" | "image" | "relax">,
    Omit<AlertmanagerConfigInput, "webhookUrlFile" | "watchdogUrlFile"> {
  /** Host port of the Alertmanager UI and API. @default ALERTMANAGER_DEFAULTS.hostPort, bound to 127.0.0.1 */
  readonly hostPort?: number;
  /** Container memory limit in MiB. @default ALERTMANAGER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Alertmanager image. @default ALERTMANAGER_DEFAULTS.image */
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
  /**
   * Absolute path, on the Docker host, of a file holding the URL of a dead man's switch (a heartbeat monitor outside
   * this stack, which pages when the heartbeats stop) to post the Watchdog to, every 5 minutes. Mounted read-only like
   * `webhookUrlFile`; readable by uid 65534. @default none: the Watchdog is only visible in the Alertmanager UI
   */
  readonly watchdogUrlFile?: string;
}

/** Alertmanager on the stack's network. @example new Alertmanager(this, "Alertmanager", { network }) */
export interface AlertmanagerProps extends AlertmanagerOptions {
  readonly network: MonitoringNetwork;
}

/**
 * Alertmanager: receives Prometheus' alerts, groups them and shows them in its UI (and posts them to a webhook when
 * one is configured). A `Service` like any other, its state on a named volume and its config baked into its image like
 * Prometheus' (a config change rebuilds the image and replaces the container).
 */
export class Alertmanager extends Service {
  /** The port Alertmanager listens on inside the container. */
  public static readonly INTERNAL_PORT = 9093;
  /** Alertmanager's service name: its alias on the network and its job. */
  public static readonly NAME = "alertmanager";
  /** Where the generated config lives inside the container. */
  public static readonly CONFIG_DIR = "/etc/alertmanager";
  /** Where the webhook URL file is mounted inside the container. */
  public static readonly WEBHOOK_URL_FILE = "/run/secrets/alertmanager-webhook-url";
  /** Where the dead man's switch URL file is mounted inside the container. */
  public static readonly WATCHDOG_URL_FILE = "/run/secrets/alertmanager-watchdog-url";

  /** Resolved settings. */
  public readonly options: ReturnType<typeof resolveAlertmanagerOptions>;
  /** Where Prometheus sends alerts, inside the network. */
  public readonly receiver: AlertReceiver;

  private readonly amProps: AlertmanagerProps;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    const options = resolveAlertmanagerOptions(props, props.network.name);
    super(scope, id, {
      name: Alertmanager.NAME,
      network: props.network,
      image: options.image,
      port: Alertmanager.INTERNAL_PORT,
      description: "Alertmanager UI",
      hostPort: options.hostPort,
      bindAddress: options.bindAddress,
      memoryMb: options.memoryMb,
      ...(props.relax !== undefined ? { relax: props.relax } : {}),
      command: [
        `--config.file=${Alertmanager.CONFIG_DIR}/alertmanager.yml`,
        "--storage.path=/alertmanager",
        `--web.listen-address=:${Alertmanager.INTERNAL_PORT}`,
        // A single instance: no gossip port, no peers to look for.
        "--cluster.listen-address=",
      ],
      mounts: [
        {
          type: "volume",
          source: options.dataVolumeName,
          target: "/alertmanager",
          readOnly: false,
          setting: props.dataVolumeName !== undefined ? `${Alertmanager.NAME}.dataVolumeName` : "networkName",
        },
        ...(props.webhookUrlFile !== undefined
          ? [
              {
                type: "bind" as const,
                source: props.webhookUrlFile,
                target: Alertmanager.WEBHOOK_URL_FILE,
                readOnly: true,
                setting: `${Alertmanager.NAME}.webhookUrlFile`,
              },
            ]
          : []),
        ...(props.watchdogUrlFile !== undefined
          ? [
              {
                type: "bind" as const,
                source: props.watchdogUrlFile,
                target: Alertmanager.WATCHDOG_URL_FILE,
                readOnly: true,
                setting: `${Alertmanager.NAME}.watchdogUrlFile`,
              },
            ]
          : []),
      ],
      configFiles: {
        targetDir: Alertmanager.CONFIG_DIR,
        files: () => [{ path: "alertmanager.yml", content: this.configYaml }],
        pullBaseImage: false,
      },
      // The image is busybox-based: wget is there, curl is not.
      healthcheck: {
        command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${Alertmanager.INTERNAL_PORT}/-/ready`],
      },
      healthEndpoint: { path: "/-/healthy" },
      localRun: {
        binary: "alertmanager",
        args: (ctx) => [
          `--config.file=${ctx.configDir}/alertmanager.yml`,
          `--storage.path=${ctx.dataDir}`,
          `--web.listen-address=${ctx.address}`,
          "--cluster.listen-address=",
        ],
        readyPattern: /Listening on/,
      },
    });
    this.options = options;
    this.amProps = props;
    this.receiver = { host: Alertmanager.NAME, port: Alertmanager.INTERNAL_PORT };
  }

  /** The rendered alertmanager.yml (rendered when asked: at synth, once the settings were checked). */
  public get configYaml(): string {
    return toGeneratedYaml(
      renderAlertmanagerConfig({
        ...this.amProps,
        webhookUrlFile: this.amProps.webhookUrlFile !== undefined ? Alertmanager.WEBHOOK_URL_FILE : undefined,
        watchdogUrlFile: this.amProps.watchdogUrlFile !== undefined ? Alertmanager.WATCHDOG_URL_FILE : undefined,
      }),
    );
  }

  /** Every problem with Alertmanager's settings. */
  public override configProblems(): ConfigProblem[] {
    const path = Alertmanager.NAME;
    const props = this.amProps;
    return [
      ...super.configProblems(),
      // The host file's path is checked by Service (its bind mount); the renderer sees the path inside the container.
      ...alertmanagerConfigProblems({ ...props, webhookUrlFile: undefined, watchdogUrlFile: undefined }, path),
    ];
  }
}

/**
 * Adds Alertmanager to `stack` and sends Prometheus' alerts to it (Prometheus scrapes it like every service).
 * @returns Alertmanager, or undefined when the stack already has one (reported at synth)
 * @example addAlertmanager(stack, { webhookUrlFile: "/etc/monitoring/webhook-url" })
 */
export function addAlertmanager(
  stack: MonitoringStackBase<Prometheus>,
  options: AlertmanagerOptions = {},
): Alertmanager | undefined {
  if (stack.services.has(Alertmanager.NAME) || stack.node.tryFindChild("Alertmanager") !== undefined) {
    stack.reportProblems({
      path: Alertmanager.NAME,
      message: `${Alertmanager.NAME}: the stack already has a service or construct of that name; add Alertmanager once`,
    });
    return undefined;
  }
  const alertmanager = new Alertmanager(stack, "Alertmanager", { ...options, network: stack.network });
  stack.prometheus.addAlertmanager(alertmanager.receiver);
  return alertmanager;
}

function resolveAlertmanagerOptions(options: AlertmanagerOptions, networkName: string) {
  const d = ALERTMANAGER_DEFAULTS;
  return {
    image: options.image ?? d.image,
    hostPort: options.hostPort ?? d.hostPort,
    bindAddress: options.bindAddress ?? SERVICE_DEFAULTS.bindAddress,
    memoryMb: options.memoryMb ?? d.memoryMb,
    dataVolumeName: options.dataVolumeName ?? `${networkName}-alertmanager-data`,
  };
}
