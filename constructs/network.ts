import { Network } from "@cdktf/provider-docker/lib/network";
import { Construct } from "constructs";
import { checkDockerName, show, throwIfProblems } from "./validation";

/** The Docker network every service joins. @example new MonitoringNetwork(this, "Network", { name: "monitoring" }) */
export interface MonitoringNetworkProps {
  /** Docker network name; also the prefix of container and volume names. @default "monitoring" */
  readonly name?: string;
}

/** A user-defined bridge network: services reach each other by alias (`api`, `prometheus`, `grafana`). */
export class MonitoringNetwork extends Construct {
  /** The Docker network name. */
  public readonly name: string;
  /** The `docker_network` resource. */
  public readonly network: Network;

  private readonly aliases = new Set<string>();

  constructor(scope: Construct, id: string, props: MonitoringNetworkProps = {}) {
    super(scope, id);
    this.name = props.name ?? "monitoring";
    throwIfProblems(`MonitoringNetwork "${id}"`, checkDockerName("name", this.name));
    this.network = new Network(this, "Network", { name: this.name, driver: "bridge" });
  }

  /** The aliases of the services deployed on this network, sorted. */
  public get services(): readonly string[] {
    return [...this.aliases].sort();
  }

  /** Records that a service is deployed on this network under `alias`; each alias belongs to one service. */
  public registerService(alias: string): void {
    if (this.aliases.has(alias)) {
      throw new Error(
        `MonitoringNetwork "${this.node.id}": the alias ${show(alias)} is already taken by another service`,
      );
    }
    this.aliases.add(alias);
  }

  /** Whether a service is deployed on this network under `alias`. */
  public hasService(alias: string): boolean {
    return this.aliases.has(alias);
  }
}
