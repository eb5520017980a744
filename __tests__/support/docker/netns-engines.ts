/**
 * Several Docker engines on one machine, each in its own network namespace, all on one bridge: the multi-host suite's
 * "hosts". Topology (measured in ../shared/notes/multi-host-lab.md): a namespace holding a bridge without an address,
 * one namespace per host with a veth to that bridge and an address in a private /24, and NO default route in the host
 * namespaces, so nothing can leave the machine through them. Links are created inside the namespaces; nothing is
 * added to the root namespace but the namespaces' own mount points under /run/netns.
 *
 * An engine: `nsenter --net` into its namespace, `unshare --mount --uts --propagation slave`, the cgroup tree bound
 * aside, a sysfs of the namespace mounted, the cgroup tree moved back, a hostname, then dockerd with its own
 * data-root, exec-root, pidfile, socket, bridge address, address pool and cgroup parent. Its unix socket is a path:
 * the root namespace's dockerode and docker CLI reach it there.
 *
 * Safety: every name has the caller's prefix; test traffic is sent only from inside a host namespace, after
 * {@link checkRouteViaBridge} proved that the route to the destination is the namespace's veth on the test bridge.
 * Every wait is bounded.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";

const run = promisify(execFile);

/** One engine of the set: its namespace, address and socket. */
export interface NetnsEngine {
  /** The host's name in the stack (`central`, `edge-1`). */
  readonly host: string;
  /** The network namespace (`<prefix>-<host>`). */
  readonly netns: string;
  /** Its address on the test bridge. */
  readonly address: string;
  /** The engine's socket, as the provider's `host` names it: `unix://<path>`. */
  readonly dockerHost: string;
  readonly socketPath: string;
  /** dockerode client of the engine. */
  readonly docker: Docker;
  /** dockerd's process id (from its pidfile). */
  pid(): number | undefined;
}

/** The whole set: the bridge namespace, the engines, and what teardown must remove. */
export interface NetnsEngines {
  readonly prefix: string;
  readonly bridgeNetns: string;
  readonly engines: readonly NetnsEngine[];
  /** A namespace on the bridge without an engine, the tests send from (`<prefix>-probe`, address `.100`). */
  readonly probe: { readonly netns: string; readonly address: string };
  /** The engine of `host`. */
  engine(host: string): NetnsEngine;
  /** Cuts `host`'s link to the bridge (its veth on the bridge side goes down) or restores it. */
  setLink(host: string, up: boolean): Promise<void>;
  /** Stops `host`'s engine for good (SIGTERM, bounded wait). */
  stopEngine(host: string): Promise<void>;
  /** Stops every engine, removes cgroups, namespaces and folders; returns what is left (should be nothing). */
  teardown(): Promise<string[]>;
}

/** Runs `ip` with a timeout. */
async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run("ip", args, { timeout: 10_000 });
  return stdout;
}

/** Waits for `condition` every 200 ms, up to `timeoutMs`; fails with `what`. */
async function until(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cgroup folders of `parent` in every controller of the cgroup v1 tree (or the v2 one), deepest first.
 */
function cgroupFolders(parent: string): string[] {
  const root = "/sys/fs/cgroup";
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const controllers = existsSync(join(root, "cgroup.controllers")) ? [""] : readdirSync(root);
  for (const controller of controllers) {
    const folder = join(root, controller, parent);
    if (!existsSync(folder)) continue;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
      }
      found.push(dir);
    };
    walk(folder);
  }
  return found;
}

/**
 * Proves that traffic from `netns` to `address` goes out through the namespace's veth on the test bridge, directly
 * (no gateway): `ip route get` inside the namespace. Throws otherwise, before any packet is sent.
 */
export async function checkRouteViaBridge(netns: string, address: string, device: string): Promise<void> {
  const route = await ip("-n", netns, "route", "get", address);
  if (!new RegExp(`^${address.replace(/\./g, "\\.")} dev ${device} `).test(route.trim()) || / via /.test(route)) {
    throw new Error(
      `refusing to send test traffic from ${netns} to ${address}: the route is not the test bridge (${route.trim()})`,
    );
  }
}

/**
 * Starts one engine per host in `hosts`, each in its own namespace on one bridge. `subnet` is the /24's first three
 * octets (`10.218.18`); host i gets `.<i + 1>`.
 */
export async function startNetnsEngines(options: {
  readonly prefix: string;
  readonly hosts: readonly string[];
  readonly subnet: string;
  readonly baseDir: string;
  readonly log: (line: string) => void;
}): Promise<NetnsEngines> {
  const { prefix, hosts, subnet, baseDir, log } = options;
  const bridgeNetns = `${prefix}-br`;
  const children: ChildProcess[] = [];
  const pidfiles = new Map<string, string>();
  const engines: NetnsEngine[] = [];
  const netnsOf = (host: string) => `${prefix}-${host}`;
  const vethOf = (i: number) => `${prefix}v${i}`;
  const cgroupParent = (host: string) => `${prefix}-${host}`;

  const teardown = async (): Promise<string[]> => {
    for (const engine of engines) {
      await stopOne(engine.host).catch((error: unknown) => log(`stopping ${engine.host}: ${String(error)}`));
    }
    for (const child of children) if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
    for (const host of hosts) {
      // Deepest first: a cgroup folder is removed once it holds no process and no child.
      for (const folder of cgroupFolders(cgroupParent(host))) {
        try {
          rmdirSync(folder);
        } catch (error) {
          // Still busy: reported below as left behind.
          log(`cannot remove ${folder}: ${String(error)}`);
        }
      }
    }
    for (const host of hosts) await ip("netns", "del", netnsOf(host)).catch(() => "");
    await ip("netns", "del", `${prefix}-probe`).catch(() => "");
    await ip("netns", "del", bridgeNetns).catch(() => "");
    rmSync(baseDir, { recursive: true, force: true });
    const left: string[] = [];
    const netns = await ip("netns", "list");
    for (const line of netns.split("\n")) if (line.startsWith(`${prefix}-`)) left.push(`netns ${line.split(" ")[0]}`);
    for (const host of hosts) {
      for (const folder of cgroupFolders(cgroupParent(host))) left.push(`cgroup ${folder}`);
      const pid = engines.find((engine) => engine.host === host)?.pid();
      if (alive(pid)) left.push(`dockerd ${host} (pid ${pid})`);
    }
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      if (line.includes(baseDir) || line.includes(`/run/netns/${prefix}-`)) left.push(`mount ${line}`);
    }
    if (existsSync(baseDir)) left.push(`folder ${baseDir}`);
    return left;
  };

  const stopOne = async (host: string): Promise<void> => {
    const engine = engines.find((candidate) => candidate.host === host);
    const pid = engine?.pid();
    if (!alive(pid)) return;
    process.kill(pid as number, "SIGTERM");
    await until(`dockerd of ${host} stops`, 30_000, () => !alive(pid));
  };

  try {
    mkdirSync(baseDir, { recursive: true });
    await ip("netns", "add", bridgeNetns);
    await ip("-n", bridgeNetns, "link", "add", "br0", "type", "bridge");
    await ip("-n", bridgeNetns, "link", "set", "br0", "up");
    const probeIndex = hosts.length;
    await ip("netns", "add", `${prefix}-probe`);
    await ip(
      "-n",
      bridgeNetns,
      "link",
      "add",
      vethOf(probeIndex),
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      `${prefix}-probe`,
    );
    await ip("-n", bridgeNetns, "link", "set", vethOf(probeIndex), "master", "br0", "up");
    await ip("-n", `${prefix}-probe`, "addr", "add", `${subnet}.100/24`, "dev", "eth0");
    await ip("-n", `${prefix}-probe`, "link", "set", "eth0", "up");
    await ip("-n", `${prefix}-probe`, "link", "set", "lo", "up");
    for (const [i, host] of hosts.entries()) {
      const netns = netnsOf(host);
      const address = `${subnet}.${i + 1}`;
      await ip("netns", "add", netns);
      // Created inside the bridge namespace, its peer moved straight into the host's: nothing in the root namespace.
      await ip("-n", bridgeNetns, "link", "add", vethOf(i), "type", "veth", "peer", "name", "eth0", "netns", netns);
      await ip("-n", bridgeNetns, "link", "set", vethOf(i), "master", "br0", "up");
      await ip("-n", netns, "addr", "add", `${address}/24`, "dev", "eth0");
      await ip("-n", netns, "link", "set", "eth0", "up");
      await ip("-n", netns, "link", "set", "lo", "up");

      const dir = join(baseDir, host);
      for (const sub of ["data", "exec", "cg"]) mkdirSync(join(dir, sub), { recursive: true });
      const socketPath = join(dir, "docker.sock");
      const pidfile = join(dir, "dockerd.pid");
      pidfiles.set(host, pidfile);
      const script = [
        "set -e",
        // ip netns exec would mount an empty /sys; instead: keep the cgroup tree, mount this namespace's sysfs.
        `mount --rbind /sys/fs/cgroup ${dir}/cg`,
        "mount -t sysfs sysfs /sys",
        `mount --move ${dir}/cg /sys/fs/cgroup`,
        `hostname ${netns}`,
        [
          "exec dockerd",
          `--data-root=${dir}/data`,
          `--exec-root=${dir}/exec`,
          `--pidfile=${pidfile}`,
          `--host=unix://${socketPath}`,
          `--bip=10.${220 + i}.0.1/24`,
          `--default-address-pool=base=10.${230 + i}.0.0/16,size=24`,
          `--cgroup-parent=/${cgroupParent(host)}`,
          "--storage-driver=overlay2",
          "--userland-proxy=false",
          `>${dir}/dockerd.log 2>&1`,
        ].join(" "),
      ].join("\n");
      writeFileSync(join(dir, "start.sh"), script);
      const child = spawn(
        "nsenter",
        [
          `--net=/run/netns/${netns}`,
          "unshare",
          "--mount",
          "--uts",
          "--propagation",
          "slave",
          "sh",
          join(dir, "start.sh"),
        ],
        { stdio: "ignore", detached: false },
      );
      children.push(child);
      const docker = new Docker({ socketPath });
      engines.push({
        host,
        netns,
        address,
        dockerHost: `unix://${socketPath}`,
        socketPath,
        docker,
        pid: () => {
          try {
            return Number(readFileSync(pidfile, "utf8").trim()) || undefined;
          } catch {
            return undefined;
          }
        },
      });
    }
    await Promise.all(
      engines.map((engine) =>
        until(`the engine of ${engine.host} answers on ${engine.socketPath}`, 30_000, async () =>
          engine.docker.ping().then(
            () => true,
            () => false,
          ),
        ),
      ),
    );
    log(`engines up: ${engines.map((engine) => `${engine.host} ${engine.address} pid ${engine.pid()}`).join(", ")}`);
  } catch (error) {
    const left = await teardown();
    throw new Error(`${String(error)}${left.length > 0 ? `; left behind: ${left.join(", ")}` : ""}`);
  }

  return {
    prefix,
    bridgeNetns,
    engines,
    probe: { netns: `${prefix}-probe`, address: `${subnet}.100` },
    engine: (host) => {
      const engine = engines.find((candidate) => candidate.host === host);
      if (engine === undefined) throw new Error(`no engine ${host}`);
      return engine;
    },
    setLink: async (host, up) => {
      await ip("-n", bridgeNetns, "link", "set", vethOf(hosts.indexOf(host)), up ? "up" : "down");
    },
    stopEngine: stopOne,
    teardown,
  };
}
