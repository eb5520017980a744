import { Fn, ref } from "cdktf";
import { Construct } from "constructs";
import type { MonitoringHost } from "../core/hosts";
import { SERVICE_DEFAULTS, Service } from "../core/service";
import { renderPrometheusConfig, toGeneratedYaml } from "./config";
import type { Prometheus, RemoteWriteReceiver } from "./prometheus";
import { REMOTE_WRITE_PASSWORD_PATH, REMOTE_WRITE_USER } from "./remote-write";

/** The agent's service name on its host: its alias and its job. */
export const PROMETHEUS_AGENT_NAME = "prometheus-agent";

/** A Prometheus agent on an extra host. @example new PrometheusAgent(host, "PrometheusAgent", { host, central }) */
export interface PrometheusAgentProps {
  /** The host it runs on: it scrapes every service of that host's network, itself included. */
  readonly host: MonitoringHost;
  /** The central Prometheus: its image, scrape settings and remote-write receiver. */
  readonly central: Prometheus;
  /** The receiver the agent writes to (the central Prometheus' {@link Prometheus.acceptRemoteWrite}). */
  readonly receiver: RemoteWriteReceiver;
}

/**
 * A Prometheus in agent mode (`--agent`, the central Prometheus' pinned image) on an extra host: it scrapes that
 * host's services (node-exporter, what was placed there, itself) with the central scrape settings and remote-writes
 * every sample to the central Prometheus with `external_labels.host` = the host's name, authenticated with the
 * remote-write password file (mounted read-only from the same path on that host). Its WAL, on a named volume, keeps
 * `outageCoverageHours` of samples while the centre cannot be reached, and replays them when the link is back. It
 * evaluates no rules: the centre alone does.
 */
export class PrometheusAgent extends Service {
  /** The port it listens on inside the container. */
  public static readonly INTERNAL_PORT = 9090;
  /** Its service name. */
  public static readonly NAME = PROMETHEUS_AGENT_NAME;
  /** Where its generated config lives inside the container. */
  public static readonly CONFIG_DIR = "/etc/prometheus";

  /** The host's name: the agent's `external_labels.host`. */
  public readonly hostName: string;

  private readonly agentProps: PrometheusAgentProps;

  constructor(scope: Construct, id: string, props: PrometheusAgentProps) {
    const central = props.central.options;
    super(scope, id, {
      name: PrometheusAgent.NAME,
      network: props.host.network,
      buildDir: `${props.host.name}/${PrometheusAgent.NAME}`,
      image: central.image,
      port: PrometheusAgent.INTERNAL_PORT,
      description: `Prometheus agent on ${props.host.name}`,
      memoryMb: 256,
      user: SERVICE_DEFAULTS.user,
      command: [
        "--agent",
        `--config.file=${PrometheusAgent.CONFIG_DIR}/prometheus.yml`,
        "--storage.agent.path=/prometheus",
        // What is not sent yet is kept this long, and no longer: the disk stays bounded during a long outage.
        `--storage.agent.retention.max-time=${props.receiver.outageCoverageHours}h`,
        `--web.listen-address=:${PrometheusAgent.INTERNAL_PORT}`,
      ],
      mounts: [
        {
          type: "volume",
          source: `${props.host.network.name}-prometheus-agent-data`,
          target: "/prometheus",
          readOnly: false,
          setting: "networkName",
        },
        {
          type: "bind",
          // The same path on the host as on the machine that deploys: copy the file there (docs/multi-host.md).
          source: Fn.abspath(`${ref("path.cwd")}/${props.receiver.passwordFile.pathFromStackDir}`),
          target: REMOTE_WRITE_PASSWORD_PATH,
          readOnly: true,
        },
      ],
      configFiles: { targetDir: PrometheusAgent.CONFIG_DIR, files: () => this.renderFiles(), pullBaseImage: false },
      healthcheck: {
        command: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${PrometheusAgent.INTERNAL_PORT}/-/ready`],
        startPeriodSeconds: 15,
      },
      metricNames: [],
    });
    this.hostName = props.host.name;
    this.agentProps = props;
  }

  /** prometheus.yml of the agent: its host's targets labelled `host`, `external_labels.host`, remote_write to the centre. */
  private renderFiles() {
    const central = this.agentProps.central.options;
    const receiver = this.agentProps.receiver;
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: central.scrapeIntervalSeconds,
      scrapeTimeoutSeconds: central.scrapeTimeoutSeconds,
      evaluationIntervalSeconds: central.evaluationIntervalSeconds,
      sampleLimit: central.sampleLimit,
      labelLimit: central.labelLimit,
      targets: this.agentProps.host.network.services.flatMap((service) => service.scrapeTargets),
      ruleFiles: [],
      // host="<name>" as a target label, so a scraped series' own `host` becomes `exported_host` (as at the centre):
      // an external label is only added where the series has no `host`, and two hosts' series would merge.
      hostLabel: this.hostName,
      externalLabels: { host: this.hostName },
      // An invalid URL is reported by the central Prometheus; the agent's file is still rendered.
      remoteWrite: [
        {
          url: receiver.url ?? "http://central-prometheus.invalid/api/v1/write",
          basicAuth: { username: REMOTE_WRITE_USER, passwordFile: REMOTE_WRITE_PASSWORD_PATH },
        },
      ],
    });
    return [{ path: "prometheus.yml", content: toGeneratedYaml(config) }];
  }
}
