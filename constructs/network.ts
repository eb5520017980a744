import { Network } from "@cdktf/provider-docker/lib/network";
import { Construct } from "constructs";
import { LOOPBACK } from "./container-defaults";
import { ConfigProblem, checkDockerName, show, throwIfProblems } from "./validation";

/** The Docker network every service joins. @example new MonitoringNetwork(this, "Network", { name: "monitoring" }) */
export interface MonitoringNetworkProps {
  /** Docker network name; also the prefix of container and volume names. @default "monitoring" */
  readonly name?: string;
}

/** A host port published by one service: who claims it, where. */
export interface HostPortClaim {
  /** The setting that published it, as the user wrote it (`prometheus.hostPort`, `services.orders.hostPort`). */
  readonly owner: string;
  readonly port: number;
  /** The host address the port binds to. @default "127.0.0.1" */
  readonly bindAddress?: string;
}

/** Claims of aliases and host ports, and the problems they make: what a network owns, without the network. */
export class MonitoringNetworkClaims {
  private readonly aliases = new Map<string, string>();
  private readonly aliasClashes: ConfigProblem[] = [];
  private readonly hostPorts: HostPortClaim[] = [];

  constructor(private readonly networkName = "monitoring") {}

  /** The aliases claimed, sorted. */
  public get services(): readonly string[] {
    return [...this.aliases.keys()].sort();
  }

  /** Claims `alias` for `owner`; a second claim is a problem. */
  public claimAlias(alias: string, owner: string): void {
    const first = this.aliases.get(alias);
    if (first !== undefined) {
      this.aliasClashes.push({
        path: owner,
        message: `${owner}: the alias ${show(alias)} on network ${show(this.networkName)} is already taken by ${first}; give each service its own name`,
      });
      return;
    }
    this.aliases.set(alias, owner);
  }

  /** Whether `alias` is claimed. */
  public hasAlias(alias: string): boolean {
    return this.aliases.has(alias);
  }

  /** Claims a host port; two claims of one port on overlapping addresses clash. */
  public claimHostPort(claim: HostPortClaim): void {
    this.hostPorts.push(claim);
  }

  /** Every alias taken twice and every host port clash, in the order they were claimed. */
  public problems(): ConfigProblem[] {
    const problems = [...this.aliasClashes];
    this.hostPorts.forEach((b, i) => {
      const a = this.hostPorts.slice(0, i).find((earlier) => clashes(earlier, b));
      if (a !== undefined) {
        const addressA = a.bindAddress ?? LOOPBACK;
        const addressB = b.bindAddress ?? LOOPBACK;
        problems.push({
          path: b.owner,
          message: `${b.owner} clashes with ${a.owner}: both publish port ${b.port} on ${addressB === addressA ? addressA : `${addressA} and ${addressB}`}; give each service its own host port`,
        });
      }
    });
    return problems;
  }
}

/**
 * A user-defined bridge network: services reach each other by alias (`api`, `prometheus`, `grafana`). The network owns
 * the names on it and the host ports its services publish: every service claims them here, and {@link problems}
 * reports every clash at once.
 */
export class MonitoringNetwork extends Construct {
  /** The Docker network name. */
  public readonly name: string;
  /** The `docker_network` resource. */
  public readonly network: Network;

  private readonly claims: MonitoringNetworkClaims;

  constructor(scope: Construct, id: string, props: MonitoringNetworkProps = {}) {
    super(scope, id);
    this.name = props.name ?? "monitoring";
    throwIfProblems(`MonitoringNetwork "${id}"`, checkDockerName("name", this.name));
    this.claims = new MonitoringNetworkClaims(this.name);
    this.network = new Network(this, "Network", { name: this.name, driver: "bridge" });
    this.node.addValidation({ validate: () => this.problems().map((problem) => problem.message) });
  }

  /** The aliases of the services deployed on this network, sorted. */
  public get services(): readonly string[] {
    return this.claims.services;
  }

  /**
   * Records that a service is deployed on this network under `alias`; each alias belongs to one service. A second
   * claim is reported by {@link problems}.
   * @param owner the setting that chose the alias, for messages. @default the alias
   */
  public registerService(alias: string, owner: string = alias): void {
    this.claims.claimAlias(alias, owner);
  }

  /** Whether a service is deployed on this network under `alias`. */
  public hasService(alias: string): boolean {
    return this.claims.hasAlias(alias);
  }

  /** Records a host port a service publishes; two services publishing one port on overlapping addresses clash. */
  public claimHostPort(claim: HostPortClaim): void {
    this.claims.claimHostPort(claim);
  }

  /** Every alias taken twice and every host port clash, in the order they were claimed. */
  public problems(): ConfigProblem[] {
    return this.claims.problems();
  }
}

function clashes(a: HostPortClaim, b: HostPortClaim): boolean {
  const addressA = a.bindAddress ?? LOOPBACK;
  const addressB = b.bindAddress ?? LOOPBACK;
  return a.port === b.port && (addressA === addressB || addressA === "0.0.0.0" || addressB === "0.0.0.0");
}
