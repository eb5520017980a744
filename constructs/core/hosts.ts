/**
 * Docker hosts beyond the one the stack's default provider talks to: their names and Docker endpoints, parsed and
 * checked here (pure, no cdktf), and the {@link MonitoringHost} construct that gives each one its own Docker provider
 * alias and network. What runs on a host (node-exporter, a Prometheus agent, services placed there) is added by the
 * components through {@link MonitoringHost.addService}; the core names none of them.
 */
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Construct } from "constructs";
import { MonitoringNetwork } from "./network";
import { ConfigProblem, ISelfValidating, show, validateItself } from "./validation";

/** The name the stack's own host (the central Prometheus' host) carries in the `host` label. */
export const CENTRAL_HOST_NAME = "central";

/** A host name: a DNS label (it becomes a provider alias, a label value and part of Terraform addresses). */
const HOST_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** A Docker endpoint as the provider's `host` takes it. */
export type DockerEndpoint =
  | { readonly scheme: "unix"; readonly path: string }
  | { readonly scheme: "tcp"; readonly host: string; readonly port: number }
  | { readonly scheme: "ssh"; readonly user: string; readonly host: string; readonly port: number };

/** A host as declared: its name and its Docker endpoint. */
export interface HostDeclaration {
  readonly name: string;
  readonly dockerHost: string;
}

const HOSTNAME_OR_IPV4 =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}$/;

/** Every problem with a host name, under `path`. */
export function hostNameProblems(path: string, name: string): ConfigProblem[] {
  if (HOST_NAME.test(name) && name !== CENTRAL_HOST_NAME) return [];
  const rule =
    name === CENTRAL_HOST_NAME
      ? `${show(CENTRAL_HOST_NAME)} is the name of the stack's own host (the central Prometheus' series carry host="${CENTRAL_HOST_NAME}")`
      : 'a host name must be a DNS label: lowercase letters, digits and "-", starting with a letter, not ending with "-", at most 32 characters';
  return [{ path, message: `${path}: ${rule} (got ${show(name)}); name it like edge-1` }];
}

/**
 * Parses a Docker endpoint the way the provider's `host` takes it: `unix:///absolute/path.sock`, `tcp://host:port`
 * or `ssh://user@host[:port]` (port 22 by default).
 */
export function parseDockerHost(
  path: string,
  value: string,
): { readonly endpoint: DockerEndpoint } | { readonly problem: ConfigProblem } {
  const fail = (why: string) => ({
    problem: {
      path,
      message: `${path} ${why} (got ${show(value)}); use unix:///run/docker.sock, tcp://10.0.0.5:2376 or ssh://ops@10.0.0.5[:22]`,
    },
  });
  const unix = /^unix:\/\/(\/.*)$/.exec(value);
  if (unix !== null) {
    const socket = unix[1];
    if (socket.endsWith("/") || socket.includes("//") || /\s/.test(socket)) {
      return fail("must name a socket file by its absolute path");
    }
    return { endpoint: { scheme: "unix", path: socket } };
  }
  const tcp = /^tcp:\/\/([^:/@]+):(\d+)$/.exec(value);
  if (tcp !== null) {
    const port = Number(tcp[2]);
    if (!HOSTNAME_OR_IPV4.test(tcp[1])) return fail("must have a host name or IPv4 address");
    if (port < 1 || port > 65535) return fail("must have a port between 1 and 65535");
    return { endpoint: { scheme: "tcp", host: tcp[1], port } };
  }
  const ssh = /^ssh:\/\/([^@/]+)@([^:/@]+)(?::(\d+))?$/.exec(value);
  if (ssh !== null) {
    const port = ssh[3] === undefined ? 22 : Number(ssh[3]);
    if (!SSH_USER.test(ssh[1])) return fail("must name a login user (lowercase letters, digits, _ . -)");
    if (!HOSTNAME_OR_IPV4.test(ssh[2])) return fail("must have a host name or IPv4 address");
    if (port < 1 || port > 65535) return fail("must have a port between 1 and 65535");
    return { endpoint: { scheme: "ssh", user: ssh[1], host: ssh[2], port } };
  }
  if (/^tcp:\/\//.test(value)) return fail("must be tcp://host:port, with the port");
  if (/^ssh:\/\//.test(value)) return fail("must be ssh://user@host or ssh://user@host:port, with the user");
  return fail("must start with unix://, tcp:// or ssh://");
}

/**
 * Parses `MONITORING_HOSTS` (`name=dockerHost,name=dockerHost`): every entry's shape, name and endpoint, and names
 * and endpoints given twice; every problem at once, each naming the variable, the entry and the fix. Only valid
 * entries are returned.
 */
export function parseHostList(
  variable: string,
  raw: string,
): { readonly hosts: readonly HostDeclaration[]; readonly problems: readonly ConfigProblem[] } {
  const hosts: HostDeclaration[] = [];
  const problems: ConfigProblem[] = [];
  raw.split(",").forEach((item, i) => {
    const entry = item.trim();
    const at = `${variable} entry ${i + 1}`;
    const eq = entry.indexOf("=");
    if (eq <= 0 || eq === entry.length - 1) {
      problems.push({
        path: "hosts",
        message: `${at} must be name=dockerHost (got ${show(entry)}); e.g. ${variable}=edge-1=ssh://ops@10.0.0.5,edge-2=tcp://10.0.0.6:2376`,
      });
      return;
    }
    const declaration = { name: entry.slice(0, eq).trim(), dockerHost: entry.slice(eq + 1).trim() };
    const entryProblems = hostDeclarationProblems(`${at} (${declaration.name})`, declaration);
    problems.push(...entryProblems.map((problem) => ({ ...problem, path: "hosts" })));
    if (entryProblems.length === 0) hosts.push(declaration);
  });
  // A name or endpoint given twice is reported here; only the first entry is kept, so the stack does not report it again.
  const kept = hosts.filter(
    (host, i) => !hosts.slice(0, i).some((h) => h.name === host.name || h.dockerHost === host.dockerHost),
  );
  const duplicates = duplicateHostProblems(variable, hosts).map((problem) => ({ ...problem, path: "hosts" }));
  return { hosts: kept, problems: [...problems, ...duplicates] };
}

/** Every problem with one host's name and endpoint, under `path`. */
export function hostDeclarationProblems(path: string, host: HostDeclaration): ConfigProblem[] {
  const parsed = parseDockerHost(`${path}: the dockerHost`, host.dockerHost);
  return [...hostNameProblems(`${path}: the name`, host.name), ...("problem" in parsed ? [parsed.problem] : [])];
}

/** Host names and Docker endpoints given twice (two hosts on one engine would clash on every container name). */
export function duplicateHostProblems(path: string, hosts: readonly HostDeclaration[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  hosts.forEach((host, i) => {
    const earlier = hosts.slice(0, i);
    if (earlier.some((other) => other.name === host.name)) {
      problems.push({
        path,
        message: `${path}: the host name ${show(host.name)} is given twice; give each host its own name`,
      });
    } else {
      const same = earlier.find((other) => other.dockerHost === host.dockerHost);
      if (same !== undefined) {
        problems.push({
          path,
          message: `${path}: hosts ${show(same.name)} and ${show(host.name)} have the same dockerHost ${show(host.dockerHost)}; each host is its own Docker engine`,
        });
      }
    }
  });
  return problems;
}

/** The provider arguments of an endpoint: ssh gets batch-mode options so Terraform never waits at a prompt. */
export function providerArguments(endpoint: DockerEndpoint, dockerHost: string): { host: string; sshOpts?: string[] } {
  if (endpoint.scheme !== "ssh") return { host: dockerHost };
  // kreuzwerker/docker passes ssh_opts to the ssh binary (docker's connhelper): the user's ~/.ssh/config, agent and
  // known_hosts apply; BatchMode makes a missing key fail at once instead of prompting.
  return { host: dockerHost, sshOpts: ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] };
}

/**
 * kreuzwerker/docker 3.6.2's provider `context` defaults to `DOCKER_CONTEXT` and, when set, overrides `host`: an extra
 * host's provider would create its resources on that context's engine. Read where synth runs, which is where
 * `cdktf deploy` runs Terraform.
 */
export function dockerContextProblems(
  hosts: readonly HostDeclaration[],
  env: NodeJS.ProcessEnv = process.env,
): ConfigProblem[] {
  const context = env.DOCKER_CONTEXT ?? "";
  if (context === "" || hosts.length === 0) return [];
  return [
    {
      path: "hosts",
      message: `hosts: DOCKER_CONTEXT is set (got ${show(context)}), and the Docker provider uses that context's engine instead of each host's dockerHost, so the networks and containers of ${hosts.map((host) => host.name).join(", ")} would be created there; unset DOCKER_CONTEXT for synth and deploy (each host's engine is its dockerHost)`,
    },
  ];
}

/** A Docker host of the stack. @example stack.addHost("edge-1", { dockerHost: "ssh://ops@10.0.0.5" }) */
export interface MonitoringHostProps {
  /** The host's name: the `host` label of its series, its provider alias. */
  readonly name: string;
  /** The Docker endpoint: `unix:///path.sock`, `tcp://host:port` or `ssh://user@host[:port]`. */
  readonly dockerHost: string;
  /** The Docker network created on that host (the stack's network name). */
  readonly networkName: string;
  /**
   * Options passed to `ssh` for an `ssh://` endpoint. @default ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
   */
  readonly sshOpts?: readonly string[];
}

/**
 * One extra Docker host: a Docker provider alias (`docker.<name>`, `host` = its endpoint) and a network on it, with
 * the stack's network name. Every resource on the host is created through that provider; services placed there join
 * that network and are scraped by the host's own agent, never from the centre.
 */
export class MonitoringHost extends Construct implements ISelfValidating {
  /** The host's name. */
  public readonly name: string;
  /** The Docker endpoint, as given. */
  public readonly dockerHost: string;
  /** The parsed endpoint, when it parses. */
  public readonly endpoint: DockerEndpoint | undefined;
  /** The provider alias every resource on the host uses. */
  public readonly provider: DockerProvider;
  /** The host's network, and its registry of services. */
  public readonly network: MonitoringNetwork;

  constructor(scope: Construct, id: string, props: MonitoringHostProps) {
    super(scope, id);
    this.name = props.name;
    this.dockerHost = props.dockerHost;
    const parsed = parseDockerHost("", props.dockerHost);
    this.endpoint = "endpoint" in parsed ? parsed.endpoint : undefined;
    const args =
      this.endpoint !== undefined ? providerArguments(this.endpoint, props.dockerHost) : { host: props.dockerHost };
    this.provider = new DockerProvider(this, "Provider", {
      alias: props.name,
      host: args.host,
      ...(props.sshOpts !== undefined
        ? { sshOpts: [...props.sshOpts] }
        : args.sshOpts !== undefined
          ? { sshOpts: args.sshOpts }
          : {}),
    });
    this.network = new MonitoringNetwork(this, "Network", { name: props.networkName, provider: this.provider });
    validateItself(this);
  }

  /** The host's name and endpoint problems, under `hosts.<name>`. */
  public configProblems(): ConfigProblem[] {
    return hostDeclarationProblems(`hosts.${this.name}`, { name: this.name, dockerHost: this.dockerHost });
  }
}
