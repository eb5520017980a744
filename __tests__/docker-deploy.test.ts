/**
 * The containers as synthesized, on a real Docker engine: stand-in base images with the upstream tags, the stack's
 * docker_network, docker_image and docker_container resources created from a freshly synthesized cdk.tf.json by the
 * test applier (provider 3.6.2 semantics, every attribute mapped or the test fails), then health, hardening from
 * inside, targets UP, `npm run verify`, every dashboard query, data kept across replacement, an API source change
 * redeployed, and Alertmanager receiving the Watchdog.
 *
 * It runs when an engine answers; otherwise it is registered skipped with reason `no-docker-engine`
 * (support/skips.ts), which the skip reporter prints as a banner and, under CI=true (where .ci/run makes this suite
 * mandatory), turns into a failed run. What cannot run here (an image no stand-in has: Grafana's; the grafana_*
 * resources) is reported as not run by the applier, and the suite derives that set from the stand-ins and cdk.tf.json.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import Docker from "dockerode";
import { APPLIER_LABEL, ApplyReport, DockerApplier, TerraformJson } from "./support/docker/applier";
import { probeEngine } from "./support/docker/engine";
import { describeUnless } from "./support/skips";
import { PROJECT_ROOT, ProjectCopy, copyProject, synthIn } from "./support/docker/project-copy";
import { ensureStandIns, standIns } from "./support/docker/stand-ins";
import { HEALTHCHECK_LABEL, healthcheckDigest } from "../constructs/core/container-defaults";
import { inspectMonitoringStack } from "../main";
import { dashboardQueries, describeQuery, runPanelQuery } from "../scripts/verify/panel-queries";
import { PrometheusClient } from "../scripts/verify/prometheus-client";
import { PROBE_JOB } from "../constructs/blackbox-exporter";
import { NODE_EXPORTER_NAME } from "../constructs/node-exporter";
import { metricOwners, missingOwners } from "../scripts/verify/panel-queries";
import { SCRAPE_SERIES } from "../dashboards/metrics";
import { MonitoringStack, STACK_NAME } from "../constructs/monitoring-stack";
import { POSTGRES_PASSWORD_PATH, POSTGRES_VERSION, postgresService, STATEFUL_RECIPES } from "../constructs/stateful";
import { testStackProps } from "./support/stack";

const execFileAsync = promisify(execFile);
const engine = probeEngine();
const SCRAPE_INTERVAL_SECONDS = 2;
const CACHE_DIR = join(PROJECT_ROOT, ".cache", "docker-stand-ins");

/** A free TCP port on 127.0.0.1 (the stack's host ports, so a running stack on this machine is never disturbed). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} within ${timeoutMs} ms${last !== undefined ? `: ${String(last)}` : ""}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Runs `command` inside a container as its own user; returns exit code and output. */
async function execIn(
  docker: Docker,
  containerId: string,
  command: string[],
): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolveStream, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolveStream());
    stream.on("error", reject);
  });
  // The multiplexed stream: 8-byte frame headers before each payload.
  const raw = Buffer.concat(chunks);
  let output = "";
  for (let offset = 0; offset + 8 <= raw.length;) {
    const size = raw.readUInt32BE(offset + 4);
    output += raw.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output };
}

/**
 * The docker_image and docker_container addresses that cannot run here, from cdk.tf.json and the stand-in tags alone:
 * a pulled image no stand-in has, an image built FROM one (a build argument naming it), and the containers running
 * either. The applier must report exactly these.
 */
function expectedNotRun(json: TerraformJson, standInTags: ReadonlySet<string>): string[] {
  const images = Object.entries(json.resource?.docker_image ?? {});
  const missing = images
    .filter(([, image]) => {
      if (image.build === undefined) return !standInTags.has(String(image.name));
      const args = Object.values((image.build as { build_args?: Record<string, string> }).build_args ?? {});
      return args.some((value) => /:[\w][\w.-]*$/.test(value) && !standInTags.has(value) && !/:local$/.test(value));
    })
    .map(([name]) => name);
  const containers = Object.entries(json.resource?.docker_container ?? {})
    .filter(([, container]) => missing.some((image) => container.image === `\${docker_image.${image}.image_id}`))
    .map(([name]) => `docker_container.${name}`);
  return [...missing.map((name) => `docker_image.${name}`), ...containers].sort();
}

/** The aliases of the containers at `addresses`: the services they run. */
function aliasesOf(json: TerraformJson, addresses: readonly string[]): string[] {
  return addresses.flatMap((address) => {
    const container = json.resource?.docker_container?.[address.split(".")[1] ?? ""];
    const networks = (container?.networks_advanced ?? []) as { aliases?: string[] }[];
    return networks.flatMap((item) => item.aliases ?? []);
  });
}

interface Targets {
  readonly data: {
    readonly activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string; lastError: string }[];
  };
}

describeUnless(
  "the synthesized stack on a real Docker engine",
  engine.available
    ? undefined
    : {
        reason: "no-docker-engine",
        detail: `${engine.reason}. Start one (apt-get install docker.io busybox-static; dockerd &) or run CI=true bash .ci/run, which starts one`,
      },
  () => {
    const docker = new Docker();
    const runId = randomBytes(4).toString("hex");
    const network = `mdt-${runId}`;
    const log = (line: string): void => {
      process.stdout.write(`[docker-deploy] ${line}\n`);
    };
    let copy: ProjectCopy;
    let env: Record<string, string>;
    let applier: DockerApplier;
    let stackDir: string;
    let json: TerraformJson;
    let report: ApplyReport;
    let urls: { api: string; prometheus: string; alertmanager: string };
    let alertmanagerPort: number;
    /** The services that do not run here (no stand-in for their image), as the applier reported them. */
    let notRunServices: string[];

    const containerOf = (alias: string): string => {
      const entry = Object.entries(json.resource?.docker_container ?? {}).find(([, container]) =>
        JSON.stringify(container.networks_advanced).includes(`"${alias}"`),
      );
      if (entry === undefined) throw new Error(`no docker_container with alias ${alias}`);
      return applier.dockerId(`docker_container.${entry[0]}`);
    };
    const synth = (extra: Record<string, string> = {}): void => {
      stackDir = synthIn(copy.root, { ...env, ...extra });
      json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as TerraformJson;
    };

    beforeAll(async () => {
      const started = Date.now();
      const { standIns, built } = await ensureStandIns(docker, CACHE_DIR, log);
      log(
        `stand-ins ready in ${Math.round((Date.now() - started) / 1000)} s (built: ${built.join(", ") || "none, cached"})`,
      );
      for (const standIn of standIns) {
        log(`stand-in ${standIn.tag} mirrors: ${standIn.mirrors}`);
        for (const difference of standIn.differences) log(`stand-in ${standIn.tag} differs: ${difference}`);
      }

      const [api, prometheus, grafana, alertmanager] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      env = {
        MONITORING_NETWORK: network,
        SCRAPE_INTERVAL_SECONDS: String(SCRAPE_INTERVAL_SECONDS),
        API_HOST_PORT: String(api),
        PROMETHEUS_HOST_PORT: String(prometheus),
        GRAFANA_HOST_PORT: String(grafana),
      };
      urls = {
        api: `http://127.0.0.1:${api}`,
        prometheus: `http://127.0.0.1:${prometheus}`,
        alertmanager: `http://127.0.0.1:${alertmanager}`,
      };
      alertmanagerPort = alertmanager;
      copy = copyProject();
      applier = new DockerApplier(docker, runId, log);
      synth();
      report = await applier.apply(stackDir);
      notRunServices = aliasesOf(
        json,
        report.notRun.map((item) => item.address).filter((address) => address.startsWith("docker_container.")),
      );
      log(`NOT RUN (no stand-in under their image's tag, never faked): ${notRunServices.join(", ")}`);
      log(`deployed in ${Math.round((Date.now() - started) / 1000)} s`);
    }, 900_000);

    afterAll(async () => {
      // Everything this run created, even after a failure: containers, networks, volumes, the images it built.
      const mine = { label: [`${APPLIER_LABEL}=${runId}`] };
      for (const info of await docker.listContainers({ all: true, filters: mine })) {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
      }
      for (const info of await docker.listNetworks({ filters: mine })) await docker.getNetwork(info.Id).remove();
      const { Volumes } = await docker.listVolumes();
      for (const volume of Volumes.filter((candidate) => candidate.Name.startsWith(`${network}-`))) {
        await docker.getVolume(volume.Name).remove();
      }
      // Images built FROM a stand-in inherit its STAND_IN_LABEL, so that label cannot tell them apart (it let every
      // built image leak): the stand-ins never carry this run's label, and are never removed by tag either.
      const standInTags = new Set(standIns(CACHE_DIR).map((standIn) => standIn.tag));
      for (const info of await docker.listImages({ filters: mine })) {
        if (!(info.RepoTags ?? []).some((tag) => standInTags.has(tag))) {
          await docker.getImage(info.Id).remove({ force: true });
        }
      }
      copy?.remove();
    }, 120_000);

    it("applies every docker resource it has images for, and reports exactly the others and the other providers' as not run", () => {
      const notRun = report.notRun.map((item) => item.address);
      const tags = new Set(standIns(CACHE_DIR).map((standIn) => standIn.tag));
      const expected = expectedNotRun(json, tags);
      expect(notRun.filter((address) => address.startsWith("docker_")).sort()).toEqual(expected);
      // The only image no stand-in has in the default stack is Grafana's: no Grafana binary exists here.
      expect(notRunServices).toEqual(["grafana"]);
      const otherProviders = Object.keys(json.provider ?? {}).filter((name) => name !== "docker");
      expect(notRun.filter((address) => !address.startsWith("docker_")).sort()).toEqual(
        [
          ...otherProviders.map((name) => `provider.${name}`),
          ...Object.entries(json.resource ?? {})
            .filter(([type]) => otherProviders.includes(type.split("_")[0] ?? ""))
            .flatMap(([type, resources]) => Object.keys(resources).map((name) => `${type}.${name}`)),
        ].sort(),
      );
      expect(report.created).toHaveLength(
        Object.keys(json.resource?.docker_network ?? {}).length +
          Object.keys(json.resource?.docker_image ?? {}).length +
          Object.keys(json.resource?.docker_container ?? {}).length -
          expected.length,
      );
      log(`not run: ${report.notRun.map((item) => `${item.address} (${item.reason})`).join("; ")}`);
    });

    it("every container is healthy by its own healthcheck", async () => {
      for (const address of applier.addresses("docker_container")) {
        const info = await docker.getContainer(applier.dockerId(address)).inspect();
        const name = address.split(".")[1] ?? "";
        const declared = json.resource?.docker_container?.[name]?.healthcheck as
          { test?: string[]; interval?: string; timeout?: string; start_period?: string; retries?: number } | undefined;
        expect(declared?.test).toBeDefined();
        expect(info.Config.Healthcheck?.Test).toEqual(declared?.test);
        expect(info.State.Health?.Status).toBe("healthy");
        // The label that makes a healthcheck change replace the container reached the engine with the right digest.
        expect(info.Config.Labels[HEALTHCHECK_LABEL]).toBe(
          healthcheckDigest({
            test: declared?.test ?? [],
            interval: declared?.interval,
            timeout: declared?.timeout,
            startPeriod: declared?.start_period,
            retries: declared?.retries,
          }),
        );
        expect(info.State.Health?.Log.at(-1)?.ExitCode).toBe(0);
        // stop_timeout reached the engine (the provider sets Config.StopTimeout).
        const stopTimeout = json.resource?.docker_container?.[name]?.stop_timeout;
        expect(stopTimeout).toEqual(expect.any(Number));
        expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(stopTimeout);
      }
    });

    /** From inside: the configured uid:gid, `/` read-only, /tmp writable, no capability in any set, no-new-privileges. */
    const assertHardened = async (address: string): Promise<void> => {
      const id = applier.dockerId(address);
      const name = address.split(".")[1] ?? "";
      const [uid, gid] = String(json.resource?.docker_container?.[name]?.user ?? "").split(":");
      expect(uid).toMatch(/^[1-9]\d*$/);
      expect((await execIn(docker, id, ["id", "-u"])).output.trim()).toBe(uid);
      expect((await execIn(docker, id, ["id", "-g"])).output.trim()).toBe(gid);
      const rootWrite = await execIn(docker, id, ["touch", "/hardening-probe"]);
      expect(rootWrite.code).not.toBe(0);
      expect(rootWrite.output).toMatch(/Read-only file system/);
      expect(await execIn(docker, id, ["touch", "/tmp/hardening-probe"])).toEqual({ code: 0, output: "" });
      const status = (await execIn(docker, id, ["cat", "/proc/self/status"])).output;
      for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
        expect(status).toMatch(new RegExp(`${set}:\\s+0000000000000000`));
      }
      expect(status).toMatch(/NoNewPrivs:\s+1/);
    };

    it("the hardening holds from inside every container", async () => {
      const addresses = applier.addresses("docker_container");
      // Every container synthesized but those not run.
      expect(addresses).toHaveLength(Object.keys(json.resource?.docker_container ?? {}).length - notRunServices.length);
      const { stack } = inspectMonitoringStack({ ...process.env, ...env });
      for (const alias of [...stack.services.keys()].filter((name) => !notRunServices.includes(name))) {
        expect(addresses.map((address) => applier.dockerId(address))).toContain(containerOf(alias));
      }
      for (const address of addresses) await assertHardened(address);
    });

    it("Prometheus reaches every deployed target by its alias: all up but those not run, every probe succeeds but theirs", async () => {
      const notRunHealth = (url: string): boolean =>
        notRunServices.some((service) => url.startsWith(`http://${service}:`));
      const targets = await eventually(
        "every target up but those of services not run, every probe succeeding but theirs",
        60_000,
        async () => {
          const answer = (await getJson(`${urls.prometheus}/api/v1/targets`)) as Targets;
          const others = answer.data.activeTargets.filter(
            (target) => !notRunServices.includes(target.labels.job ?? ""),
          );
          if (others.length === 0 || !others.every((target) => target.health === "up")) return undefined;
          const probes = await new PrometheusClient(urls.prometheus).query(
            `probe_success{job="${PROBE_JOB}"}`,
            Date.now() / 1000,
          );
          const failing = probes.series
            .filter((series) => series.values[0] !== 1)
            .map((series) => series.metric.instance);
          const probed = probes.series.length === others.filter((target) => target.labels.job === PROBE_JOB).length;
          return probed && failing.length === notRunServices.length && failing.every((url) => notRunHealth(url ?? ""))
            ? answer.data.activeTargets
            : undefined;
        },
      );
      expect(targets.find((target) => target.labels.job === "api")?.scrapeUrl).toBe("http://api:8000/metrics");
      const { stack } = inspectMonitoringStack({ ...process.env, ...env });
      expect([...new Set(targets.map((target) => target.labels.job))].sort()).toEqual(stack.deployedJobs);
      expect(targets.find((target) => target.labels.job === NODE_EXPORTER_NAME)?.scrapeUrl).toBe(
        "http://node-exporter:9100/metrics",
      );
      // The targets of services not run exist (the stack deploys them) and are down only because they cannot run here.
      for (const service of notRunServices) {
        expect(targets.find((target) => target.labels.job === service)?.health).not.toBe("up");
      }
      // One probe per health endpoint, each scraped through blackbox-exporter; only those of services not run fail.
      const probeTargets = targets.filter((target) => target.labels.job === PROBE_JOB);
      expect(probeTargets.map((target) => target.labels.instance).sort()).toEqual(
        stack.healthEndpoints.map((endpoint) => endpoint.url).sort(),
      );
      expect(probeTargets.filter((target) => notRunHealth(target.labels.instance ?? ""))).toHaveLength(
        stack.healthEndpoints.filter((endpoint) => notRunServices.includes(endpoint.service)).length,
      );
      for (const target of probeTargets) expect(target.scrapeUrl).toMatch(/^http:\/\/blackbox-exporter:9115\/probe\?/);
    }, 90_000);

    it("npm run verify passes against the deployed stack (Grafana reported not run)", async () => {
      const result = await execFileAsync(
        join(PROJECT_ROOT, "node_modules", ".bin", "tsx"),
        ["scripts/verify.ts", "--api-url", urls.api, "--prometheus-url", urls.prometheus, "--skip-grafana"],
        { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      ).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
        throw new Error(
          `npm run verify failed (exit ${String(error.code)}):\n${error.stdout ?? ""}\n${error.stderr ?? ""}`,
        );
      });
      log(`npm run verify:\n${result.stdout}`);
      expect(result.stdout).not.toMatch(/\bFAIL/);
      expect(result.stdout).toMatch(/SKIP/);
    }, 150_000);

    it("every dashboard panel query returns data, except those that need a service not run here", async () => {
      const { stack } = inspectMonitoringStack({ ...process.env, ...env });
      const client = new PrometheusClient(urls.prometheus);
      const end = Date.now() / 1000;
      const window = {
        startSeconds: end - 300,
        endSeconds: end,
        stepSeconds: SCRAPE_INTERVAL_SECONDS,
        scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      };
      const owners = metricOwners(stack.services.values(), stack.prometheus.name, SCRAPE_SERIES, stack.scrapeJobs);
      const withoutData: string[] = [];
      let checked = 0;
      for (const item of dashboardQueries(stack.dashboards)) {
        if (missingOwners(item.query, owners, (name) => !notRunServices.includes(name)).length > 0) continue;
        const outcome = await runPanelQuery(client, item, window);
        checked += 1;
        if (outcome.status !== "data")
          withoutData.push(`${describeQuery(item.query)}: ${outcome.status} ${outcome.error ?? ""}`);
      }
      expect(withoutData).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    }, 60_000);

    it("a replaced Prometheus container on the same volume keeps its samples", async () => {
      const client = new PrometheusClient(urls.prometheus);
      const at = Date.now() / 1000;
      const expr = 'count_over_time(up{job="api"}[10m])';
      const before = (await client.query(expr, at)).series.flatMap((series) => series.values);
      expect(before[0]).toBeGreaterThan(0);
      const prometheusAddress =
        applier.addresses("docker_container").find((address) => /Prometheus/.test(address)) ?? "";
      const oldId = applier.dockerId(prometheusAddress);
      const replaced = await applier.apply(stackDir, { replace: [prometheusAddress] });
      expect(replaced.replaced).toEqual([prometheusAddress]);
      expect(applier.dockerId(prometheusAddress)).not.toBe(oldId);
      const after = await eventually("the samples answered again", 30_000, async () => {
        const values = (await client.query(expr, at)).series.flatMap((series) => series.values);
        return values.length > 0 ? values : undefined;
      });
      expect(after).toEqual(before);
    }, 120_000);

    it("an API source change changes the image trigger, replaces image and container, and the new container serves", async () => {
      const apiImage = (): [string, Record<string, unknown>] => {
        const entry = Object.entries(json.resource?.docker_image ?? {}).find(
          ([, image]) => image.build !== undefined && JSON.stringify(image.build).includes("NODE_IMAGE"),
        );
        if (entry === undefined) throw new Error("no API image in cdk.tf.json");
        return entry;
      };
      const [imageName, before] = apiImage();
      const oldContainer = containerOf("api");
      appendFileSync(join(copy.root, "app", "src", "main.ts"), `\n// docker-deploy test change ${runId}\n`);
      synth();
      const [, after] = apiImage();
      expect(after.triggers).not.toEqual(before.triggers);
      const changed = await applier.apply(stackDir);
      expect(changed.replaced).toEqual(expect.arrayContaining([`docker_image.${imageName}`]));
      expect(changed.replaced.filter((address) => address.startsWith("docker_container."))).toHaveLength(1);
      expect(containerOf("api")).not.toBe(oldContainer);
      const health = await fetch(`${urls.api}/health`);
      expect(health.status).toBe(200);
    }, 300_000);

    it("removing the containers and the network keeps the data volumes", async () => {
      const volumes = (json.output?.data_volumes?.value ?? []) as string[];
      await applier.destroyContainersAndNetworks();
      expect(await docker.listContainers({ all: true, filters: { label: [`${APPLIER_LABEL}=${runId}`] } })).toEqual([]);
      expect(await docker.listNetworks({ filters: { name: [network] } })).toEqual([]);
      const present = (await docker.listVolumes()).Volumes.map((volume) => volume.Name);
      // The volumes of services not run are never created here (their containers do not run).
      const notRunVolumes = notRunServices.map((service) => `${network}-${service}-data`);
      for (const volume of volumes.filter((name) => !notRunVolumes.includes(name))) expect(present).toContain(volume);
    }, 120_000);

    describe("with ALERTMANAGER_ENABLED=true", () => {
      beforeAll(async () => {
        synth({ ALERTMANAGER_ENABLED: "true", ALERTMANAGER_HOST_PORT: String(alertmanagerPort) });
        report = await applier.apply(stackDir);
      }, 300_000);

      it("Alertmanager is healthy, hardened, scraped, and receives Prometheus' Watchdog", async () => {
        const id = containerOf("alertmanager");
        const info = await docker.getContainer(id).inspect();
        expect(info.State.Health?.Status).toBe("healthy");
        const address = applier.addresses("docker_container").find((candidate) => applier.dockerId(candidate) === id);
        await assertHardened(address ?? "");
        await eventually("every target up but those not run, alertmanager included", 30_000, async () => {
          const answer = (await getJson(`${urls.prometheus}/api/v1/targets`)) as Targets;
          const others = answer.data.activeTargets.filter(
            (target) => !notRunServices.includes(target.labels.job ?? ""),
          );
          return others.some((target) => target.labels.job === "alertmanager") &&
            others.every((target) => target.health === "up")
            ? true
            : undefined;
        });
        const alerts = await eventually("the Watchdog in Alertmanager", 60_000, async () => {
          const answer = (await getJson(`${urls.alertmanager}/api/v2/alerts`)) as { labels: Record<string, string> }[];
          return answer.some((alert) => alert.labels.alertname === "Watchdog") ? answer : undefined;
        });
        expect(alerts.map((alert) => alert.labels.alertname)).toContain("Watchdog");
      }, 120_000);
    });
  },
);

/**
 * The PostgreSQL recipe (constructs/stateful, STATEFUL_RECIPES.postgres) as the stack synthesizes it, on a real engine:
 * a stack with `postgresService(...)` is synthesized, and its network and the postgres image and container are applied
 * from that cdk.tf.json unchanged (Prometheus and Grafana are proven above). The stand-in `postgres:15.18-bookworm` is
 * built from Debian 12's postgresql packages (its differences from upstream are printed with the other stand-ins').
 */
describeUnless(
  "the PostgreSQL recipe on a real Docker engine",
  engine.available
    ? undefined
    : {
        reason: "no-docker-engine",
        detail: `${engine.reason}. Start one (apt-get install docker.io busybox-static; dockerd &) or run CI=true bash .ci/run, which starts one`,
      },
  () => {
    const docker = new Docker();
    const runId = randomBytes(4).toString("hex");
    const network = `mdt-${runId}`;
    const volume = `${network}-postgres-data`;
    const password = randomBytes(12).toString("hex");
    const log = (line: string): void => {
      process.stdout.write(`[docker-deploy postgres] ${line}\n`);
    };
    let folder: string;
    let applyDir: string;
    let applier: DockerApplier;
    let container: Record<string, unknown>;
    let address: string;
    /** When this block's beforeAll started (the other block runs first in the same file). */
    let started = 0;

    /** psql from this machine (Debian's postgresql-client) to the container's address on the network. */
    const psql = async (sql: string, pass = password): Promise<{ code: number; output: string }> => {
      const info = await docker.getContainer(applier.dockerId(address)).inspect();
      const ip = info.NetworkSettings.Networks[network]?.IPAddress ?? "";
      try {
        const { stdout } = await execFileAsync(
          "/usr/bin/psql",
          ["-h", ip, "-U", "postgres", "-d", "postgres", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
          { env: { PATH: process.env.PATH ?? "", PGPASSWORD: pass, PGCONNECT_TIMEOUT: "5" }, timeout: 20_000 },
        );
        return { code: 0, output: stdout.trim() };
      } catch (error) {
        const failed = error as { code?: number; stderr?: string };
        return { code: typeof failed.code === "number" ? failed.code : -1, output: String(failed.stderr ?? error) };
      }
    };

    beforeAll(async () => {
      started = Date.now();
      // Only the image this block runs: the postgres stand-in.
      const { standIns: all } = await ensureStandIns(docker, CACHE_DIR, log, [STATEFUL_RECIPES.postgres.image]);
      const standIn = all.find((candidate) => candidate.tag === STATEFUL_RECIPES.postgres.image);
      if (standIn === undefined) throw new Error(`no stand-in for ${STATEFUL_RECIPES.postgres.image}`);
      for (const difference of standIn.differences) log(`stand-in ${standIn.tag} differs: ${difference}`);
      folder = mkdtempSync(join(tmpdir(), "docker-postgres-"));
      // The password file as the recipe asks: readable by the image's user only.
      const passwordFile = join(folder, "postgres-password");
      writeFileSync(passwordFile, password, { mode: 0o400 });
      chownSync(passwordFile, 999, 999);
      const app = Testing.app({ outdir: join(folder, "cdktf.out") });
      mkdirSync(join(folder, ".secrets"));
      const stack = new MonitoringStack(app, STACK_NAME, { ...testStackProps(folder), networkName: network });
      stack.addService("postgres", postgresService({ dataVolumeName: volume, passwordFile }));
      const synthesized = JSON.parse(Testing.synth(stack)) as TerraformJson;
      // The network and the postgres resources, exactly as synthesized.
      const pick = (type: string, keep: (name: string) => boolean) =>
        Object.fromEntries(Object.entries(synthesized.resource?.[type] ?? {}).filter(([name]) => keep(name)));
      const postgresOnly: TerraformJson = {
        ...synthesized,
        resource: {
          docker_network: pick("docker_network", () => true),
          docker_image: pick("docker_image", (name) => name.startsWith("Postgres_")),
          docker_container: pick("docker_container", (name) => name.startsWith("Postgres_")),
        },
        provider: { docker: synthesized.provider?.docker ?? [{}] },
      };
      const containerName = Object.keys(postgresOnly.resource?.docker_container ?? {})[0] ?? "";
      container = postgresOnly.resource?.docker_container?.[containerName] ?? {};
      address = `docker_container.${containerName}`;
      applyDir = join(folder, "apply");
      mkdirSync(applyDir);
      writeFileSync(join(applyDir, "cdk.tf.json"), JSON.stringify(postgresOnly, null, 2));
      applier = new DockerApplier(docker, runId, log);
      await applier.apply(applyDir);
      log(`postgres applied and healthy in ${Math.round((Date.now() - started) / 1000)} s`);
    }, 300_000);

    afterAll(async () => {
      const mine = { label: [`${APPLIER_LABEL}=${runId}`] };
      for (const info of await docker.listContainers({ all: true, filters: mine })) {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
      }
      for (const info of await docker.listNetworks({ filters: mine })) await docker.getNetwork(info.Id).remove();
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
      log(`the PostgreSQL proof took ${Math.round((Date.now() - started) / 1000)} s`);
    }, 120_000);

    it("runs with exactly the recipe's settings: its user, read-only root, no capability, data on the volume, tmpfs", async () => {
      expect(container).toMatchObject({
        user: STATEFUL_RECIPES.postgres.user,
        read_only: true,
        capabilities: { drop: ["ALL"] },
        tmpfs: STATEFUL_RECIPES.postgres.tmpfs,
        env: [`POSTGRES_PASSWORD_FILE=${POSTGRES_PASSWORD_PATH}`],
      });
      const info = await docker.getContainer(applier.dockerId(address)).inspect();
      expect(info.Config.User).toBe("999:999");
      expect(info.HostConfig.ReadonlyRootfs).toBe(true);
      expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
      expect(info.HostConfig.Privileged).toBe(false);
      expect(Object.keys(info.HostConfig.Tmpfs ?? {}).sort()).toEqual(["/tmp", "/var/run/postgresql"]);
      expect(info.Mounts.map((mount) => [mount.Type, mount.Name ?? mount.Source, mount.Destination, mount.RW])).toEqual(
        expect.arrayContaining([
          ["volume", volume, STATEFUL_RECIPES.postgres.dataPath, true],
          ["bind", expect.stringContaining("postgres-password"), POSTGRES_PASSWORD_PATH, false],
        ]),
      );
      expect((await execIn(docker, info.Id, ["id", "-u"])).output.trim()).toBe("999");
      const rootWrite = await execIn(docker, info.Id, ["touch", "/probe"]);
      expect(rootWrite.code).not.toBe(0);
      expect(rootWrite.output).toMatch(/Read-only file system/);
      expect((await execIn(docker, info.Id, ["grep", "^CapEff", "/proc/1/status"])).output.trim()).toBe(
        "CapEff:\t0000000000000000",
      );
    });

    it("becomes healthy by its own healthcheck (pg_isready)", async () => {
      const info = await docker.getContainer(applier.dockerId(address)).inspect();
      expect(info.Config.Healthcheck?.Test).toEqual([...STATEFUL_RECIPES.postgres.healthcheck.command]);
      expect(info.State.Health?.Status).toBe("healthy");
      expect(info.State.Health?.Log.at(-1)?.ExitCode).toBe(0);
    });

    it("accepts a connection with the password from the file, and refuses a wrong one", async () => {
      expect(await psql("select current_user || ' ' || current_setting('server_version')")).toEqual({
        code: 0,
        output: `postgres ${POSTGRES_VERSION} (Debian ${POSTGRES_VERSION}-0+deb12u1)`,
      });
      const wrong = await psql("select 1", "not-the-password");
      expect(wrong.code).not.toBe(0);
      expect(wrong.output).toMatch(/password authentication failed for user "postgres"/);
    });

    it("keeps its data across a container replacement (the volume), without a second initdb", async () => {
      expect(
        await psql("create table kept (note text); insert into kept values ('written before the replacement')"),
      ).toMatchObject({ code: 0 });
      const before = applier.dockerId(address);
      const replaced = await applier.apply(applyDir, { replace: [address] });
      expect(replaced.replaced).toEqual([address]);
      const after = applier.dockerId(address);
      expect(after).not.toBe(before);
      expect((await docker.getContainer(after).inspect()).State.Health?.Status).toBe("healthy");
      expect(await psql("select note from kept")).toEqual({ code: 0, output: "written before the replacement" });
      const logs = (await docker.getContainer(after).logs({ stdout: true, stderr: true })).toString("utf8");
      expect(logs).not.toMatch(/initdb|Success\. You can now start/);
      expect(logs).toMatch(/database system is ready to accept connections/);
    }, 120_000);
  },
);
