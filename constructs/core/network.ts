import { Network } from "@cdktf/provider-docker/lib/network";
import type { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Construct } from "constructs";
import { LOOPBACK } from "./container-defaults";
import type { Service } from "./service";
import { ConfigProblem, ISelfValidating, checkDockerName, show, validateItself } from "./validation";

/** The default Docker network name; also the prefix of container and volume names. */
export const DEFAULT_NETWORK_NAME = "monitoring";

/** The Docker network every service joins. @example new MonitoringNetwork(this, "Network", { name: "monitoring" }) */
export interface MonitoringNetworkProps {
  /** Docker network name; also the prefix of container and volume names. @default DEFAULT_NETWORK_NAME */
  readonly name?: string;
  /**
   * The Docker provider (alias) of the host the network is on; every service on it uses the same one. Given, the
   * network's name is not checked here (the stack's own network reports it once). @default the stack's default provider
   */
  readonly provider?: DockerProvider;
}

/** A host port published by one service: who claims it, where. */
export interface HostPortClaim {
  /** The setting that published it, as the user wrote it (`prometheus.hostPort`, `orders.hostPort`). */
  readonly owner: string;
  readonly port: number;
  /** The host address the port binds to. @default "127.0.0.1" */
  readonly bindAddress?: string;
}

/**
 * A user-defined bridge network: services reach each other by alias (`api`, `prometheus`, `grafana`). The network owns
 * what its services share: the registry of the services on it (every {@link Service} adds itself), their aliases and
 * the host ports they publish; {@link configProblems} reports every alias taken twice and every host port clash.
 */
export class MonitoringNetwork extends Construct implements ISelfValidating {
  /** The Docker network name. */
  public readonly name: string;
  /** The `docker_network` resource. */
  public readonly network: Network;
  /** The provider of the host the network is on; undefined for the stack's default provider. */
  public readonly provider: DockerProvider | undefined;

  private readonly serviceList: Service[] = [];
  private readonly aliasOwners = new Map<string, string>();
  private readonly aliasClashes: ConfigProblem[] = [];
  private readonly hostPorts: HostPortClaim[] = [];

  constructor(scope: Construct, id: string, props: MonitoringNetworkProps = {}) {
    super(scope, id);
    this.name = props.name ?? DEFAULT_NETWORK_NAME;
    this.provider = props.provider;
    this.network = new Network(this, "Network", {
      name: this.name,
      driver: "bridge",
      ...(props.provider !== undefined ? { provider: props.provider } : {}),
    });
    validateItself(this);
  }

  /** Every service on this network, in the order they were created. */
  public get services(): readonly Service[] {
    return [...this.serviceList];
  }

  /** The aliases of the services on this network, sorted. */
  public get aliases(): readonly string[] {
    return [...this.aliasOwners.keys()].sort();
  }

  /**
   * Adds a service to the registry and claims its aliases (one per replica) for it; a second claim of an alias is
   * reported by {@link configProblems}. Called by every {@link Service} it is given to.
   */
  public addService(service: Service): void {
    this.serviceList.push(service);
    for (const alias of service.aliases) this.claimAlias(alias, service.name);
  }

  /** Whether a service on this network answers to `alias`. */
  public hasAlias(alias: string): boolean {
    return this.aliasOwners.has(alias);
  }

  /** Records a host port a service publishes; two services publishing one port on overlapping addresses clash. */
  public claimHostPort(claim: HostPortClaim): void {
    this.hostPorts.push(claim);
  }

  /** Every alias taken twice and every host port clash, in the order they were claimed; the network's name. */
  public configProblems(): ConfigProblem[] {
    const problems = [
      ...(this.provider === undefined ? checkDockerName("networkName", this.name) : []),
      ...this.aliasClashes,
    ];
    // One problem per pair of settings, however many replicas' ports clash.
    const reported = new Set<string>();
    this.hostPorts.forEach((b, i) => {
      const a = this.hostPorts.slice(0, i).find((earlier) => clashes(earlier, b));
      if (a !== undefined && !reported.has(`${a.owner}\0${b.owner}`)) {
        reported.add(`${a.owner}\0${b.owner}`);
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

  private claimAlias(alias: string, owner: string): void {
    const first = this.aliasOwners.get(alias);
    if (first !== undefined) {
      this.aliasClashes.push({
        path: owner,
        message: `${owner}: the alias ${show(alias)} on network ${show(this.name)} is already taken by ${first}; give each service its own name`,
      });
      return;
    }
    this.aliasOwners.set(alias, owner);
  }
}

function clashes(a: HostPortClaim, b: HostPortClaim): boolean {
  const addressA = a.bindAddress ?? LOOPBACK;
  const addressB = b.bindAddress ?? LOOPBACK;
  return a.port === b.port && (addressA === addressB || addressA === "0.0.0.0" || addressB === "0.0.0.0");
}
