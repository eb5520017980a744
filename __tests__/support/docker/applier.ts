/**
 * A test applier: creates the `docker_network`, `docker_image` and `docker_container` resources of a synthesized
 * `cdk.tf.json` through the Docker Engine API (dockerode), with the semantics of kreuzwerker/docker 3.6.2 (the
 * provider version `@cdktf/provider-docker` pins). Terraform cannot run here (no provider downloads); this is the
 * closest real thing: the JSON Terraform would read, applied to a real engine; with provider aliases (one per host,
 * `provider = "docker.<alias>"`), each resource is applied to its alias' engine, reached at its `unix://` host.
 *
 * Strict by design: every attribute is mapped one to one or the apply FAILS (nothing is silently ignored), every
 * interpolation is resolved explicitly or the apply fails. Resources are found by type, never by construct id, and
 * no service is named here: what it learns comes from cdk.tf.json. What cannot run here is reported "not run", with
 * why: an image that is not on the engine (no registry answers, no stand-in has its tag: Grafana's, a user's own),
 * whatever is built from it or runs it, and every resource of another provider (the `grafana_*` ones); any other
 * resource or attribute it cannot map fails.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import dockerignore from "@balena/dockerignore";
import type Docker from "dockerode";
import { followBuild } from "./stand-ins";

/** Label every object the applier creates carries, so cleanup finds them even after a failed test. */
export const APPLIER_LABEL = "org.monitoring-stack.test.applier";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `cdk.tf.json`, as far as the applier reads it. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, JsonObject>>;
  readonly locals?: JsonObject;
  readonly variable?: Record<string, JsonObject>;
  readonly provider?: Record<string, Json>;
  readonly terraform?: JsonObject;
  readonly output?: Record<string, JsonObject>;
}

/** What one apply did. */
export interface ApplyReport {
  readonly created: readonly string[];
  readonly replaced: readonly string[];
  readonly unchanged: readonly string[];
  /** Containers changed without a replacement: `docker update`, or the state only (see {@link planContainerChange}). */
  readonly updated: readonly { readonly address: string; readonly change: ContainerChange }[];
  /** Resources not run, with the reason (Grafana). */
  readonly notRun: readonly { readonly address: string; readonly reason: string }[];
}

/** A resource the applier created, as a Terraform state entry would record it. */
interface Applied {
  readonly type: "docker_network" | "docker_image" | "docker_container";
  /** The resolved configuration: a change replaces the resource (a container: see {@link planContainerChange}). */
  readonly fingerprint: string;
  readonly config: JsonObject;
  /** Attributes other resources reference (`image_id`, `name`, `id`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly dockerId: string;
  readonly destroyGraceSeconds?: number;
  /** An image with `keep_locally = true`: destroy leaves it on the engine, as the provider does. */
  readonly keepLocally?: boolean;
}

const NETWORK_ATTRIBUTES = new Set(["name", "driver", "provider"]);
/** An image reference with a tag (`prom/prometheus:v3.5.3`), as a build argument names a base image. */
const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._/-]*:[\w][\w.-]*$/;
const IMAGE_ATTRIBUTES = new Set(["name", "build", "triggers", "keep_locally", "provider"]);
const BUILD_ATTRIBUTES = new Set(["context", "dockerfile", "build_args"]);
const CONTAINER_ATTRIBUTES = new Set([
  "name",
  "image",
  "user",
  "command",
  "env",
  "restart",
  "must_run",
  "wait",
  "wait_timeout",
  "destroy_grace_seconds",
  "stop_timeout",
  "read_only",
  "tmpfs",
  "capabilities",
  "security_opts",
  "privileged",
  "memory",
  "memory_swap",
  "log_driver",
  "log_opts",
  "healthcheck",
  "networks_advanced",
  "ports",
  "labels",
  "mounts",
  "depends_on",
  "provider",
  "lifecycle",
]);
/**
 * Container attributes provider 3.6.2 changes without replacing the container: its update runs `docker update` for
 * these (restart, memory and swap; the CPU settings too, which the stack does not set).
 */
const CONTAINER_UPDATED_IN_PLACE = new Set(["restart", "memory", "memory_swap"]);
/**
 * Container attributes neither ForceNew in 3.6.2's schema nor handled by its update: a change is written to the state
 * and nothing else (`healthcheck`, `tmpfs`: kreuzwerker/terraform-provider-docker#988), or only matters at create and
 * destroy (`wait`, `must_run`, ...). Every other mapped attribute is ForceNew.
 */
const CONTAINER_STATE_ONLY = new Set([
  "healthcheck",
  "tmpfs",
  "must_run",
  "wait",
  "wait_timeout",
  "destroy_grace_seconds",
]);
/** Terraform's meta-arguments: not attributes of the container, so no change to compare. */
const META_ARGUMENTS = new Set(["depends_on", "provider", "lifecycle"]);
/** The attributes a resolved configuration's `lifecycle.ignore_changes` names. */
function ignoredAttributes(config: JsonObject): string[] {
  const lifecycle = config.lifecycle === undefined ? {} : asObject("lifecycle", config.lifecycle);
  checkMapped("lifecycle", lifecycle, LIFECYCLE_ATTRIBUTES);
  return lifecycle.ignore_changes === undefined
    ? []
    : asStringList("lifecycle.ignore_changes", lifecycle.ignore_changes);
}

/** `next`, with the attributes its `lifecycle.ignore_changes` names taken from `previous` (as Terraform's state keeps them). */
function withIgnoredFrom(previous: JsonObject, next: JsonObject): JsonObject {
  const kept = ignoredAttributes(next)
    .filter((key) => key in previous)
    .map((key) => [key, previous[key]]);
  return { ...next, ...Object.fromEntries(kept) };
}

/** What `lifecycle` may hold here: `ignore_changes`, a list of attribute names. */
const LIFECYCLE_ATTRIBUTES = new Set(["ignore_changes"]);

/** What provider 3.6.2 does with a changed container configuration. */
export type ContainerChange = "none" | "replace" | "update in place" | "state only";

/**
 * How provider 3.6.2 plans the change from `previous` to `next` (resolved `docker_container` configurations): the
 * attributes `lifecycle.ignore_changes` of `next` names are not compared; a changed ForceNew attribute replaces the
 * container; otherwise a changed restart or memory setting is updated in place; any other change only reaches the
 * state.
 */
export function planContainerChange(previous: JsonObject, next: JsonObject): ContainerChange {
  const ignored = new Set(ignoredAttributes(next));
  const changed = [...new Set([...Object.keys(previous), ...Object.keys(next)])].filter(
    (key) =>
      !ignored.has(key) && !META_ARGUMENTS.has(key) && JSON.stringify(previous[key]) !== JSON.stringify(next[key]),
  );
  if (changed.length === 0) return "none";
  if (changed.some((key) => !CONTAINER_UPDATED_IN_PLACE.has(key) && !CONTAINER_STATE_ONLY.has(key))) return "replace";
  return changed.some((key) => CONTAINER_UPDATED_IN_PLACE.has(key)) ? "update in place" : "state only";
}
/** What a `docker` provider block may set here: an alias and a Docker endpoint the applier can reach itself. */
const PROVIDER_ATTRIBUTES = new Set(["alias", "host", "ssh_opts"]);
const HEALTHCHECK_ATTRIBUTES = new Set(["test", "interval", "timeout", "start_period", "retries"]);
const MOUNT_ATTRIBUTES = new Set(["type", "source", "target", "read_only"]);
const PORT_ATTRIBUTES = new Set(["internal", "external", "ip", "protocol"]);
const NETWORK_ADVANCED_ATTRIBUTES = new Set(["name", "aliases"]);

/** Fails on any key of `object` outside `known` (the `//` metadata of cdktf excepted). */
function checkMapped(address: string, object: JsonObject, known: ReadonlySet<string>): void {
  const unknown = Object.keys(object).filter((key) => key !== "//" && !known.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `${address}: the test applier does not map ${unknown.map((key) => `"${key}"`).join(", ")}; map it in __tests__/support/docker/applier.ts (with the provider's semantics) or the Docker suite proves nothing about it`,
    );
  }
}

function asObject(address: string, value: Json | undefined): JsonObject {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${address}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value;
}

function asString(address: string, value: Json | undefined): string {
  if (typeof value !== "string") throw new Error(`${address}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function asNumber(address: string, value: Json | undefined): number {
  if (typeof value !== "number") throw new Error(`${address}: expected a number, got ${JSON.stringify(value)}`);
  return value;
}

function asStringList(address: string, value: Json | undefined): string[] {
  if (!Array.isArray(value)) throw new Error(`${address}: expected a list, got ${JSON.stringify(value)}`);
  return value.map((item, i) => asString(`${address}[${i}]`, item));
}

/** Docker durations as the provider parses them (Go's time.ParseDuration, the units the stack uses), in ns. */
function durationNs(address: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (match === null) throw new Error(`${address}: cannot parse the duration ${JSON.stringify(value)}`);
  const factor = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * factor;
}

/**
 * Every attribute of every docker_* resource the applier would create, nested blocks included, checked against what
 * it maps, before anything is created: one unmapped attribute fails the whole apply.
 */
export function checkAllMapped(json: TerraformJson): void {
  const resources = json.resource ?? {};
  const blocks = (address: string, value: Json | undefined): JsonObject[] =>
    value === undefined
      ? []
      : Array.isArray(value)
        ? value.map((item, i) => asObject(`${address}[${i}]`, item))
        : [asObject(address, value)];
  for (const [name, raw] of Object.entries(resources.docker_network ?? {})) {
    checkMapped(`docker_network.${name}`, raw, NETWORK_ATTRIBUTES);
  }
  for (const [name, raw] of Object.entries(resources.docker_image ?? {})) {
    checkMapped(`docker_image.${name}`, raw, IMAGE_ATTRIBUTES);
    for (const build of blocks(`docker_image.${name}.build`, raw.build)) {
      checkMapped(`docker_image.${name}.build`, build, BUILD_ATTRIBUTES);
    }
  }
  const nested: readonly [string, ReadonlySet<string>][] = [
    ["healthcheck", HEALTHCHECK_ATTRIBUTES],
    ["mounts", MOUNT_ATTRIBUTES],
    ["ports", PORT_ATTRIBUTES],
    ["networks_advanced", NETWORK_ADVANCED_ATTRIBUTES],
    ["labels", new Set(["label", "value"])],
    ["capabilities", new Set(["add", "drop"])],
    ["lifecycle", LIFECYCLE_ATTRIBUTES],
  ];
  for (const [name, raw] of Object.entries(resources.docker_container ?? {})) {
    const address = `docker_container.${name}`;
    checkMapped(address, raw, CONTAINER_ATTRIBUTES);
    for (const [key, known] of nested) {
      for (const block of blocks(`${address}.${key}`, raw[key])) checkMapped(`${address}.${key}`, block, known);
    }
  }
}

/** Where a build's context and Dockerfile come from, as provider 3.6.2 resolves them. */
export interface BuildPaths {
  /** The context folder, absolute, symlinks resolved. */
  readonly contextDir: string;
  /** The Dockerfile's path inside the context the daemon is told. */
  readonly dockerfile: string;
  /** A Dockerfile found outside the context, sent inside it under a generated name. */
  readonly outsideContext?: string;
}

/**
 * Provider 3.6.2's `prepareBuildContext` over docker/cli's `GetContextFromLocalDir`: `context` is made absolute against
 * the working directory (the stack folder); `dockerfile` too, first: if a file is there, it is used (relative to the
 * context, or from outside it); if not, the lookup error is swallowed and the daemon reads `dockerfile` relative to the
 * context.
 * @throws when the context is not a directory
 */
export function resolveBuildPaths(workingDir: string, context: string, dockerfile: string): BuildPaths {
  const contextPath = resolve(workingDir, context);
  if (!existsSync(contextPath) || !statSync(contextPath).isDirectory()) {
    throw new Error(`build context ${contextPath} is not a directory`);
  }
  const contextDir = realpathSync(contextPath);
  const fromWorkingDir = resolve(workingDir, dockerfile);
  if (!existsSync(fromWorkingDir)) return { contextDir, dockerfile };
  const rel = relative(contextDir, realpathSync(fromWorkingDir));
  return rel.startsWith(`..${sep}`)
    ? { contextDir, dockerfile, outsideContext: fromWorkingDir }
    : { contextDir, dockerfile: rel };
}

/** Applies a synthesized stack to a Docker engine; keeps its own state between applies, like a tfstate. */
export class DockerApplier {
  private readonly state = new Map<string, Applied>();
  private readonly log: (line: string) => void;
  /** The engine of every provider alias ("" is the default provider: the engine the applier was given). */
  private readonly engines = new Map<string, Docker>();
  private readonly addressEngine = new Map<string, string>();

  constructor(
    docker: Docker,
    /** Every run's objects carry this value in {@link APPLIER_LABEL}. */
    private readonly runId: string,
    log?: (line: string) => void,
  ) {
    this.log = log ?? (() => undefined);
    this.engines.set("", docker);
  }

  /**
   * The `docker` provider blocks, as the provider reads them: the default one (no alias) must set nothing (it is the
   * engine this applier was given); one with `alias` talks to its `host`. Only `unix://` endpoints can be reached
   * from here (the test's engines in their namespaces are sockets); `ssh_opts` only matter to ssh, so they are
   * accepted and unused for a socket. Anything else fails.
   */
  private configureProviders(blocks: readonly Json[]): void {
    for (const [i, item] of blocks.entries()) {
      const block = asObject(`provider.docker[${i}]`, item);
      checkMapped(`provider.docker[${i}]`, block, PROVIDER_ATTRIBUTES);
      if (block.alias === undefined) {
        if (Object.keys(block).filter((key) => key !== "//").length > 0) {
          throw new Error("provider.docker (the default one) has settings the test applier does not map");
        }
        continue;
      }
      const alias = asString(`provider.docker[${i}].alias`, block.alias);
      const host = asString(`provider.docker[${i}].host`, block.host);
      const socket = /^unix:\/\/(\/.+)$/.exec(host)?.[1];
      if (socket === undefined) {
        throw new Error(`provider.docker[${i}] (${alias}): the applier reaches only unix:// engines, not ${host}`);
      }
      if (!this.engines.has(alias)) {
        // The constructor is dockerode's own: the same module the test's default engine comes from.
        const DockerClass = (this.engines.get("") as Docker).constructor as new (options: {
          socketPath: string;
        }) => Docker;
        this.engines.set(alias, new DockerClass({ socketPath: socket }));
      }
    }
  }

  /** The engine the resource at `address` is created on (its provider's). */
  private engineOf(address: string): Docker {
    return this.engines.get(this.addressEngine.get(address) ?? "") as Docker;
  }

  /**
   * Creates or replaces every resource of `stackDir/cdk.tf.json` in dependency order (network, images, containers).
   * `replace` forces the replacement of the given addresses (`terraform apply -replace`).
   */
  public async apply(stackDir: string, options: { readonly replace?: readonly string[] } = {}): Promise<ApplyReport> {
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as TerraformJson;
    const report = {
      created: [] as string[],
      replaced: [] as string[],
      unchanged: [] as string[],
      updated: [] as { address: string; change: ContainerChange }[],
      notRun: [] as { address: string; reason: string }[],
    };
    const resources = json.resource ?? {};
    checkAllMapped(json);
    const notRunImages = new Set<string>();

    // Resources of any provider but docker need that provider, which Terraform cannot download here: not run.
    const otherProviders = Object.keys(json.provider ?? {}).filter((name) => name !== "docker");
    for (const type of Object.keys(resources).sort()) {
      const provider = type.split("_")[0];
      if (provider !== "docker" && otherProviders.includes(provider)) {
        for (const name of Object.keys(resources[type] ?? {}).sort()) {
          report.notRun.push({
            address: `${type}.${name}`,
            reason: `needs Terraform's ${provider} provider (and what it talks to), which cannot run here`,
          });
        }
      } else if (!["docker_network", "docker_image", "docker_container"].includes(type)) {
        throw new Error(`resource type ${type} is not mapped by the test applier`);
      }
    }
    for (const [name, provider] of Object.entries(json.provider ?? {})) {
      if (name !== "docker") {
        report.notRun.push({ address: `provider.${name}`, reason: "no provider downloads here" });
      } else {
        this.configureProviders(Array.isArray(provider) ? provider : [provider]);
      }
    }
    // Every resource goes to its provider's engine: `provider = "docker.<alias>"`, or the default provider's.
    for (const type of ["docker_network", "docker_image", "docker_container"]) {
      for (const [name, raw] of Object.entries(resources[type] ?? {})) {
        const provider = raw.provider === undefined ? undefined : asString(`${type}.${name}.provider`, raw.provider);
        const alias = provider === undefined ? "" : /^docker\.([A-Za-z0-9_-]+)$/.exec(provider)?.[1];
        if (alias === undefined || !this.engines.has(alias)) {
          throw new Error(`${type}.${name}: provider ${JSON.stringify(provider)} is no docker provider of cdk.tf.json`);
        }
        this.addressEngine.set(`${type}.${name}`, alias);
      }
    }

    const resolver = (address: string) => (value: string) => this.interpolate(address, value, stackDir, json);
    const wanted = new Set<string>();
    // Like Terraform (parallelism 10), resources that do not depend on each other are created concurrently: here,
    // all of one type at once (networks, then images, then containers, which reference the first two).
    let pending: Promise<void>[] = [];
    const settle = async (): Promise<void> => {
      const results = await Promise.allSettled(pending);
      pending = [];
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failures.length > 0) throw new Error(failures.map((failure) => String(failure.reason)).join("\n"));
    };

    for (const [name, raw] of Object.entries(resources.docker_network ?? {}).sort()) {
      const address = `docker_network.${name}`;
      wanted.add(address);
      checkMapped(address, raw, NETWORK_ATTRIBUTES);
      const config = this.resolveDeep(address, raw, resolver(address));
      pending.push(this.ensure(address, config, options, report, () => this.createNetwork(address, config)));
    }
    await settle();
    for (const [name, raw] of Object.entries(resources.docker_image ?? {}).sort()) {
      const address = `docker_image.${name}`;
      checkMapped(address, raw, IMAGE_ATTRIBUTES);
      if (raw.build === undefined) {
        // The provider's findImage: an image already on the engine under exactly this name is used as is (no pull);
        // only a missing one is pulled. No registry answers here, so an image without a stand-in under this exact tag
        // (Grafana's: no binary; a user's own image) is not run, nor is anything built from it or running it.
        const imageName = asString(`${address}.name`, raw.name);
        const local = await this.localImageId(address, imageName);
        if (local !== undefined) {
          wanted.add(address);
          const config = this.resolveDeep(address, raw, resolver(address));
          pending.push(
            this.ensure(address, config, options, report, () =>
              Promise.resolve(this.localImage(address, config, local)),
            ),
          );
          continue;
        }
        notRunImages.add(name);
        report.notRun.push({
          address,
          reason: `pulls ${imageName}: no registry answers here and no stand-in has this tag`,
        });
        continue;
      }
      // A build FROM an image that is not here cannot run either (the base is a build argument, as the stack writes it).
      const buildArgs = asObject(`${address}.build`, raw.build).build_args;
      const bases = buildArgs === undefined ? [] : Object.values(asObject(`${address}.build.build_args`, buildArgs));
      const missingBase = (
        await Promise.all(
          bases
            .filter((value): value is string => typeof value === "string" && IMAGE_REFERENCE.test(value))
            .map(async (base) => ((await this.localImageId(address, base)) === undefined ? base : undefined)),
        )
      ).find((base) => base !== undefined);
      if (missingBase !== undefined) {
        notRunImages.add(name);
        report.notRun.push({
          address,
          reason: `builds FROM ${missingBase}, which is not here (no stand-in has this tag)`,
        });
        continue;
      }
      wanted.add(address);
      const config = this.resolveDeep(address, raw, resolver(address));
      pending.push(this.ensure(address, config, options, report, () => this.buildImage(address, config, stackDir)));
    }
    await settle();
    const containers: { address: string; raw: JsonObject; dependsOn: string[] }[] = [];
    for (const [name, raw] of Object.entries(resources.docker_container ?? {}).sort()) {
      const address = `docker_container.${name}`;
      const imageRef = /^\$\{docker_image\.([^.]+)\.image_id\}$/.exec(typeof raw.image === "string" ? raw.image : "");
      if (imageRef !== null && notRunImages.has(imageRef[1] ?? "")) {
        report.notRun.push({ address, reason: `runs docker_image.${imageRef[1]}, which is not run here` });
        continue;
      }
      wanted.add(address);
      checkMapped(address, raw, CONTAINER_ATTRIBUTES);
      const dependsOn = raw.depends_on === undefined ? [] : asStringList(`${address}.depends_on`, raw.depends_on);
      containers.push({ address, raw, dependsOn });
    }
    // Containers in waves: one whose depends_on names another container is created after it (Terraform's order).
    const done = new Set<string>();
    while (containers.length > 0) {
      const inPlan = new Set(containers.map((item) => item.address));
      const ready = containers.filter((item) => item.dependsOn.every((dep) => !inPlan.has(dep) || done.has(dep)));
      if (ready.length === 0) throw new Error(`depends_on cycle among ${[...inPlan].join(", ")}`);
      for (const { address, raw } of ready) {
        const config = this.resolveDeep(address, raw, resolver(address));
        pending.push(this.ensure(address, config, options, report, () => this.createContainer(address, config)));
      }
      await settle();
      for (const { address } of ready) done.add(address);
      containers.splice(0, containers.length, ...containers.filter((item) => !ready.includes(item)));
    }
    for (const address of [...this.state.keys()].filter((key) => !wanted.has(key)).reverse()) {
      await this.destroyOne(address);
    }
    return report;
  }

  /** The Docker id of an applied resource (`docker_container.X`). */
  public dockerId(address: string): string {
    const applied = this.state.get(address);
    if (applied === undefined) throw new Error(`${address} was not applied`);
    return applied.dockerId;
  }

  /** Addresses applied so far, by type. */
  public addresses(type: Applied["type"]): string[] {
    return [...this.state.entries()].filter(([, applied]) => applied.type === type).map(([address]) => address);
  }

  /** `terraform destroy` for the containers and networks (images stay, as a test's cache); volumes are never touched. */
  public async destroyContainersAndNetworks(): Promise<void> {
    for (const [address, applied] of [...this.state.entries()].reverse()) {
      if (applied.type !== "docker_image") await this.destroyOne(address);
    }
  }

  /** Destroys everything applied, images included unless `keep_locally = true`. */
  public async destroyAll(): Promise<void> {
    for (const address of [...this.state.keys()].reverse()) await this.destroyOne(address);
  }

  private async ensure(
    address: string,
    config: JsonObject,
    options: { readonly replace?: readonly string[] },
    report: {
      created: string[];
      replaced: string[];
      unchanged: string[];
      updated: { address: string; change: ContainerChange }[];
    },
    create: () => Promise<Omit<Applied, "fingerprint" | "config">>,
  ): Promise<void> {
    const fingerprint = JSON.stringify(config);
    const existing = this.state.get(address);
    const forced = (options.replace ?? []).includes(address);
    if (existing !== undefined && !forced) {
      if (existing.fingerprint === fingerprint) {
        report.unchanged.push(address);
        return;
      }
      if (existing.type === "docker_container") {
        const change = planContainerChange(existing.config, config);
        if (change === "none") {
          report.unchanged.push(address);
          return;
        }
        if (change !== "replace") {
          if (change === "update in place") await this.updateContainer(address, existing.dockerId, config);
          // Terraform keeps an ignored attribute's old value in its state.
          const kept = withIgnoredFrom(existing.config, config);
          this.state.set(address, { ...existing, config: kept, fingerprint: JSON.stringify(kept) });
          report.updated.push({ address, change });
          return;
        }
      }
    }
    if (existing !== undefined) {
      // The provider's ForceNew path: destroy, then create (no create_before_destroy in the stack).
      await this.destroyOne(address);
      report.replaced.push(address);
    } else {
      report.created.push(address);
    }
    this.log(`${existing === undefined ? "creating" : "replacing"} ${address}`);
    this.state.set(address, { ...(await create()), fingerprint, config });
  }

  /** The provider's update: `docker update` with the restart policy and the memory limits of `config`. */
  private async updateContainer(address: string, dockerId: string, config: JsonObject): Promise<void> {
    this.log(`updating ${address} in place`);
    const mib = 1024 * 1024;
    const memory = config.memory === undefined ? 0 : asNumber(`${address}.memory`, config.memory);
    const swap = config.memory_swap === undefined ? 0 : asNumber(`${address}.memory_swap`, config.memory_swap);
    await this.engineOf(address)
      .getContainer(dockerId)
      .update({
        RestartPolicy: { Name: typeof config.restart === "string" ? config.restart : "no", MaximumRetryCount: 0 },
        Memory: memory * mib,
        MemorySwap: swap > 0 ? swap * mib : swap,
      });
  }

  /** Resolves every `${...}` in every string of `value`. */
  private resolveDeep(address: string, value: JsonObject, resolveString: (value: string) => string): JsonObject {
    const walk = (item: Json): Json => {
      if (typeof item === "string") return resolveString(item);
      if (Array.isArray(item)) return item.map(walk);
      if (item !== null && typeof item === "object") {
        return Object.fromEntries(
          Object.entries(item)
            .filter(([key]) => key !== "//")
            .map(([key, inner]) => [key, walk(inner)]),
        );
      }
      return item;
    };
    return asObject(address, walk(value));
  }

  /**
   * Terraform interpolations the applier knows: `path.cwd` (the stack folder Terraform runs in), attributes of applied
   * docker resources, and locals or variables that are plain literals. Anything else fails loudly.
   */
  private interpolate(address: string, value: string, stackDir: string, json: TerraformJson): string {
    // Terraform's abspath() of a path under path.cwd (a bind mount's source, as the stack writes it): the folder
    // Terraform runs in is the stack folder, so this is that path, made absolute and cleaned.
    const abspath = /^\$\{abspath\("\$\{path\.cwd\}\/([^"$]*)"\)\}$/.exec(value);
    if (abspath !== null) return resolve(stackDir, abspath[1] ?? "");
    return value.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
      const expr = expression.trim();
      if (expr === "path.cwd") return stackDir;
      const reference = /^(docker_network|docker_image|docker_container)\.([^.]+)\.([a-z_]+)$/.exec(expr);
      if (reference !== null) {
        const applied = this.state.get(`${reference[1]}.${reference[2]}`);
        const attribute = applied?.attributes[reference[3] ?? ""];
        if (attribute === undefined) {
          throw new Error(`${address}: ${whole} references a resource or attribute the applier has not created yet`);
        }
        return attribute;
      }
      const local = /^local\.([A-Za-z0-9_-]+)$/.exec(expr);
      if (local !== null) {
        const literal = json.locals?.[local[1] ?? ""];
        if (typeof literal === "string" && !literal.includes("${")) return literal;
        throw new Error(
          `${address}: ${whole} is a Terraform expression the applier cannot evaluate (${JSON.stringify(literal)})`,
        );
      }
      const variable = /^var\.([A-Za-z0-9_-]+)$/.exec(expr);
      if (variable !== null) {
        const fallback = json.variable?.[variable[1] ?? ""]?.default;
        if (typeof fallback === "string") return fallback;
        throw new Error(`${address}: ${whole} has no literal default the applier can use`);
      }
      throw new Error(`${address}: the applier cannot resolve the interpolation ${whole}`);
    });
  }

  private labels(): Record<string, string> {
    return { [APPLIER_LABEL]: this.runId };
  }

  private async createNetwork(address: string, config: JsonObject): Promise<Omit<Applied, "fingerprint" | "config">> {
    const name = asString(`${address}.name`, config.name);
    const network = await this.engineOf(address).createNetwork({
      Name: name,
      Driver: typeof config.driver === "string" ? config.driver : "bridge",
      CheckDuplicate: true,
      Labels: this.labels(),
    });
    return { type: "docker_network", attributes: { name, id: network.id }, dockerId: network.id };
  }

  /**
   * Builds like provider 3.6.2's `prepareBuildContext`: the context resolved against the working directory (the stack
   * folder); the dockerfile resolved against the working directory first (docker/cli's `GetContextFromLocalDir`): if a
   * file is there it is used, even outside the context (then sent inside the context under a generated name); if not,
   * the error is swallowed and the daemon reads `dockerfile` relative to the context. `.dockerignore` applies, but
   * never to the Dockerfile or `.dockerignore` themselves. Files are sent owned by 0:0. BuildKit, as the provider uses
   * it against API >= 1.39.
   */
  private async buildImage(
    address: string,
    config: JsonObject,
    stackDir: string,
  ): Promise<Omit<Applied, "fingerprint" | "config">> {
    const name = asString(`${address}.name`, config.name);
    const build = asObject(`${address}.build`, config.build);
    checkMapped(`${address}.build`, build, BUILD_ATTRIBUTES);
    const specifiedContext = asString(`${address}.build.context`, build.context);
    const specifiedDockerfile = typeof build.dockerfile === "string" ? build.dockerfile : "Dockerfile";
    const paths = resolveBuildPaths(stackDir, specifiedContext, specifiedDockerfile);
    const contextDir = paths.contextDir;
    let dockerfileInTar = paths.dockerfile;
    const outside = paths.outsideContext;
    const staging = mkdtempSync(join(tmpdir(), "applier-build-"));
    try {
      const ignoreFile = join(contextDir, ".dockerignore");
      const ignore = dockerignore({ ignorecase: false });
      if (existsSync(ignoreFile)) ignore.add(readFileSync(ignoreFile, "utf8"));
      ignore.add([`!${specifiedDockerfile}`, "!.dockerignore"]);
      const entries: string[] = [];
      const walk = (dir: string): void => {
        for (const entry of readdirSync(join(contextDir, dir), { withFileTypes: true }).sort((a, b) =>
          a.name.localeCompare(b.name),
        )) {
          const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
          if (ignore.ignores(path)) continue;
          entries.push(path);
          if (entry.isDirectory()) walk(path);
        }
      };
      walk("");
      const list = join(staging, "files");
      writeFileSync(list, `${entries.join("\n")}\n`);
      const tarArgs = [
        "-czf",
        "-",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--no-recursion",
        "-C",
        contextDir,
        "-T",
        list,
      ];
      if (outside !== undefined) {
        dockerfileInTar = `.dockerfile.${randomBytes(10).toString("hex")}`;
        writeFileSync(join(staging, dockerfileInTar), readFileSync(outside));
        tarArgs.push("-C", staging, dockerfileInTar);
      }
      const tarball = execFileSync("tar", tarArgs, { maxBuffer: 1024 * 1024 * 1024 });
      const buildArgs = build.build_args === undefined ? {} : asObject(`${address}.build.build_args`, build.build_args);
      const stream = await this.engineOf(address).buildImage(tarball as unknown as NodeJS.ReadableStream, {
        t: name,
        dockerfile: dockerfileInTar,
        buildargs: Object.fromEntries(Object.entries(buildArgs).map(([key, value]) => [key, asString(key, value)])),
        labels: this.labels(),
        version: "2",
      });
      await followBuild(this.engineOf(address), stream, address);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    const inspected = await this.engineOf(address).getImage(name).inspect();
    return {
      type: "docker_image",
      attributes: { image_id: inspected.Id, name, id: `${inspected.Id}${name}` },
      dockerId: inspected.Id,
    };
  }

  /**
   * A `docker_image` without `build` whose image the engine already has: the provider's findImage returns the local
   * image without pulling, and sets `image_id` to its ID.
   */
  /** The id of the image on the engine under exactly `name`, or undefined when there is none. */
  private async localImageId(address: string, name: string): Promise<string | undefined> {
    const image = await this.engineOf(address)
      .getImage(name)
      .inspect()
      .catch(() => undefined);
    return image?.Id;
  }

  private localImage(address: string, config: JsonObject, imageId: string): Omit<Applied, "fingerprint" | "config"> {
    const name = asString(`${address}.name`, config.name);
    if (config.keep_locally !== true) {
      // The provider would delete a pulled image on destroy: here that is a stand-in, which the suite keeps cached.
      throw new Error(`${address}: keep_locally is not true, so destroy would remove ${name}; the applier refuses`);
    }
    this.log(`${address}: ${name} found on the engine (the provider's findImage uses a local image before pulling)`);
    return {
      type: "docker_image",
      attributes: { image_id: imageId, name, id: `${imageId}${name}` },
      dockerId: imageId,
    };
  }

  private async createContainer(address: string, config: JsonObject): Promise<Omit<Applied, "fingerprint" | "config">> {
    const at = (key: string): string => `${address}.${key}`;
    const name = asString(at("name"), config.name);
    const healthRaw = config.healthcheck === undefined ? undefined : asObject(at("healthcheck"), config.healthcheck);
    if (healthRaw !== undefined) checkMapped(at("healthcheck"), healthRaw, HEALTHCHECK_ATTRIBUTES);
    const mounts = (config.mounts === undefined ? [] : (config.mounts as Json[])).map((item, i) => {
      const mount = asObject(at(`mounts[${i}]`), item);
      checkMapped(at(`mounts[${i}]`), mount, MOUNT_ATTRIBUTES);
      const type = asString(at(`mounts[${i}].type`), mount.type);
      if (type !== "volume" && type !== "bind")
        throw new Error(`${at(`mounts[${i}]`)}: mount type ${type} is not mapped`);
      return {
        Type: type,
        Source: asString(at(`mounts[${i}].source`), mount.source),
        Target: asString(at(`mounts[${i}].target`), mount.target),
        ReadOnly: mount.read_only === true,
      } as const;
    });
    const exposed: Record<string, Record<string, never>> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    (config.ports === undefined ? [] : (config.ports as Json[])).forEach((item, i) => {
      const port = asObject(at(`ports[${i}]`), item);
      checkMapped(at(`ports[${i}]`), port, PORT_ATTRIBUTES);
      const key = `${asNumber(at(`ports[${i}].internal`), port.internal)}/${typeof port.protocol === "string" ? port.protocol : "tcp"}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({
        HostIp: typeof port.ip === "string" ? port.ip : "0.0.0.0",
        HostPort: port.external === undefined ? "" : String(asNumber(at(`ports[${i}].external`), port.external)),
      });
    });
    const capabilities = config.capabilities === undefined ? {} : asObject(at("capabilities"), config.capabilities);
    checkMapped(at("capabilities"), capabilities, new Set(["add", "drop"]));
    const labels = Object.fromEntries(
      (config.labels === undefined ? [] : (config.labels as Json[])).map((item, i) => {
        const label = asObject(at(`labels[${i}]`), item);
        checkMapped(at(`labels[${i}]`), label, new Set(["label", "value"]));
        return [asString(at(`labels[${i}].label`), label.label), asString(at(`labels[${i}].value`), label.value)];
      }),
    );
    const mib = 1024 * 1024;
    const docker = this.engineOf(address);
    const created = await docker.createContainer({
      name,
      Image: asString(at("image"), config.image),
      ...(config.user !== undefined ? { User: asString(at("user"), config.user) } : {}),
      ...(config.command !== undefined ? { Cmd: asStringList(at("command"), config.command) } : {}),
      // The provider sets Config.StopTimeout (seconds) when stop_timeout is set, and leaves the engine's default otherwise.
      ...(config.stop_timeout !== undefined ? { StopTimeout: asNumber(at("stop_timeout"), config.stop_timeout) } : {}),
      ...(config.env !== undefined ? { Env: asStringList(at("env"), config.env) } : {}),
      Labels: { ...labels, ...this.labels() },
      ExposedPorts: exposed,
      ...(healthRaw !== undefined
        ? {
            Healthcheck: {
              Test: asStringList(at("healthcheck.test"), healthRaw.test),
              ...(healthRaw.interval !== undefined
                ? {
                    Interval: durationNs(
                      at("healthcheck.interval"),
                      asString(at("healthcheck.interval"), healthRaw.interval),
                    ),
                  }
                : {}),
              ...(healthRaw.timeout !== undefined
                ? {
                    Timeout: durationNs(
                      at("healthcheck.timeout"),
                      asString(at("healthcheck.timeout"), healthRaw.timeout),
                    ),
                  }
                : {}),
              ...(healthRaw.start_period !== undefined
                ? {
                    StartPeriod: durationNs(
                      at("healthcheck.start_period"),
                      asString(at("healthcheck.start_period"), healthRaw.start_period),
                    ),
                  }
                : {}),
              ...(healthRaw.retries !== undefined
                ? { Retries: asNumber(at("healthcheck.retries"), healthRaw.retries) }
                : {}),
            },
          }
        : {}),
      HostConfig: {
        RestartPolicy: { Name: typeof config.restart === "string" ? config.restart : "no", MaximumRetryCount: 0 },
        Mounts: mounts,
        ReadonlyRootfs: config.read_only === true,
        LogConfig: {
          Type: typeof config.log_driver === "string" ? config.log_driver : "json-file",
          Config: Object.fromEntries(
            Object.entries(config.log_opts === undefined ? {} : asObject(at("log_opts"), config.log_opts)).map(
              ([key, value]) => [key, asString(key, value)],
            ),
          ),
        },
        ...(config.tmpfs !== undefined
          ? {
              Tmpfs: Object.fromEntries(
                Object.entries(asObject(at("tmpfs"), config.tmpfs)).map(([key, value]) => [key, asString(key, value)]),
              ),
            }
          : {}),
        PortBindings: bindings,
        ...(capabilities.add !== undefined ? { CapAdd: asStringList(at("capabilities.add"), capabilities.add) } : {}),
        ...(capabilities.drop !== undefined
          ? { CapDrop: asStringList(at("capabilities.drop"), capabilities.drop) }
          : {}),
        // The provider's `privileged` is HostConfig.Privileged.
        ...(config.privileged !== undefined ? { Privileged: config.privileged === true } : {}),
        ...(config.security_opts !== undefined
          ? { SecurityOpt: asStringList(at("security_opts"), config.security_opts) }
          : {}),
        ...(config.memory !== undefined ? { Memory: asNumber(at("memory"), config.memory) * mib } : {}),
        ...(config.memory_swap !== undefined
          ? {
              MemorySwap:
                asNumber(at("memory_swap"), config.memory_swap) > 0
                  ? asNumber(at("memory_swap"), config.memory_swap) * mib
                  : asNumber(at("memory_swap"), config.memory_swap),
            }
          : {}),
        Init: false,
      },
    });
    // Like the provider: created on the default bridge, disconnected from it, then connected to networks_advanced.
    if (config.networks_advanced !== undefined) {
      await docker
        .getNetwork("bridge")
        .disconnect({ Container: created.id })
        .catch((error: Error) => {
          if (!/is not connected to the network bridge/.test(error.message)) throw error;
        });
      for (const [i, item] of (config.networks_advanced as Json[]).entries()) {
        const network = asObject(at(`networks_advanced[${i}]`), item);
        checkMapped(at(`networks_advanced[${i}]`), network, NETWORK_ADVANCED_ATTRIBUTES);
        await docker.getNetwork(asString(at(`networks_advanced[${i}].name`), network.name)).connect({
          Container: created.id,
          EndpointConfig: {
            Aliases:
              network.aliases === undefined ? [] : asStringList(at(`networks_advanced[${i}].aliases`), network.aliases),
          },
        });
      }
    }
    await created.start();
    const destroyGraceSeconds =
      config.destroy_grace_seconds === undefined
        ? undefined
        : asNumber(at("destroy_grace_seconds"), config.destroy_grace_seconds);
    const applied = {
      type: "docker_container" as const,
      attributes: { id: created.id, name },
      dockerId: created.id,
      ...(destroyGraceSeconds !== undefined ? { destroyGraceSeconds } : {}),
    };
    if (config.wait === true) {
      const timeoutSeconds = config.wait_timeout === undefined ? 60 : asNumber(at("wait_timeout"), config.wait_timeout);
      await this.waitHealthy(address, created, timeoutSeconds);
    }
    if (config.must_run !== false) {
      const state = (await created.inspect()).State;
      if (!state.Running)
        throw new Error(`${address}: container ${name} is not running (must_run): ${JSON.stringify(state)}`);
    }
    return applied;
  }

  /**
   * The provider's `wait`: poll the health status every second until healthy, fail after `wait_timeout` seconds,
   * whether the container still runs or not (3.6.2 waits out the timeout for a container that exited too).
   */
  private async waitHealthy(address: string, container: Docker.Container, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const info = await container.inspect();
      if (info.State.Health === undefined) {
        throw new Error(`${address}: wait = true but the container has no healthcheck`);
      }
      if (info.State.Health.Status === "healthy") return;
      if (Date.now() > deadline) {
        const logs = (await container.logs({ stdout: true, stderr: true, tail: 30 })).toString("utf8");
        throw new Error(
          `${address}: container failed to be in healthy state within wait_timeout ${timeoutSeconds}s (status ${info.State.Health.Status}, running ${info.State.Running}); last probes: ${JSON.stringify(info.State.Health.Log.slice(-2))}\nlogs:\n${logs}`,
        );
      }
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 1000));
    }
  }

  private async destroyOne(address: string): Promise<void> {
    const applied = this.state.get(address);
    if (applied === undefined) return;
    this.log(`destroying ${address}`);
    if (applied.type === "docker_container") {
      const container = this.engineOf(address).getContainer(applied.dockerId);
      await container.stop({ t: applied.destroyGraceSeconds ?? 0 }).catch(() => undefined);
      // The provider's remove_volumes defaults to true: anonymous volumes go, named ones stay.
      await container.remove({ force: true, v: true });
    } else if (applied.type === "docker_network") {
      await this.engineOf(address).getNetwork(applied.dockerId).remove();
    } else if (applied.keepLocally !== true) {
      await this.engineOf(address)
        .getImage(applied.dockerId)
        .remove({ force: true })
        .catch(() => undefined);
    }
    this.state.delete(address);
  }
}
