/**
 * The containers as synthesized, on a real Docker engine: stand-in base images with the upstream tags, the stack's
 * docker_network, docker_image and docker_container resources created from a freshly synthesized cdk.tf.json by the
 * test applier (provider 3.6.2 semantics, every attribute mapped or the test fails), then health, hardening from
 * inside, targets UP, `npm run verify`, every dashboard query, data kept across replacement, and an API source change
 * redeployed. Alertmanager receiving the Watchdog is docker-alertmanager.test.ts, the PostgreSQL recipe
 * docker-postgres.test.ts: separate files, so jest runs their waits beside this one's.
 *
 * It runs when an engine answers; otherwise it is registered skipped with reason `no-docker-engine`
 * (support/skips.ts), which the skip reporter prints as a banner and, under CI=true (where .ci/run makes this suite
 * mandatory), turns into a failed run. What cannot run here (an image no stand-in has: Grafana's; the grafana_*
 * resources) is reported as not run by the applier, and the suite derives that set from the stand-ins and cdk.tf.json.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { APPLIER_LABEL, ApplyReport, DockerApplier, TerraformJson } from "./support/docker/applier";
import { describeUnless } from "./support/skips";
import { PROJECT_ROOT, ProjectCopy, copyProject, synthIn } from "./support/docker/project-copy";
import { ensureStandIns, standIns } from "./support/docker/stand-ins";
import {
  assertHardened,
  containerOf as containerOfAlias,
  eventually,
  freePort,
  getJson,
  noEngine,
  removeRun,
  STAND_IN_CACHE_DIR,
  Targets,
} from "./support/docker/suite";
import { REPLACE_ON_CHANGE_LABEL } from "../constructs/core/container-defaults";
import { digestOfSynthesized, type SynthesizedContainer } from "./support/container-json";
import { inspectMonitoringStack } from "../main";
import { dashboardQueries, describeQuery, runPanelQuery } from "../scripts/verify/panel-queries";
import { PrometheusClient } from "../scripts/verify/prometheus-client";
import { PROBE_JOB } from "../constructs/blackbox-exporter";
import { NODE_EXPORTER_NAME } from "../constructs/node-exporter";
import { metricOwners, missingOwners } from "../scripts/verify/panel-queries";
import { SCRAPE_SERIES } from "../dashboards/metrics";

const execFileAsync = promisify(execFile);
const SCRAPE_INTERVAL_SECONDS = 2;
const CACHE_DIR = STAND_IN_CACHE_DIR;

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

describeUnless("the synthesized stack on a real Docker engine", noEngine, () => {
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
  let urls: { api: string; prometheus: string };
  /** The services that do not run here (no stand-in for their image), as the applier reported them. */
  let notRunServices: string[];

  const containerOf = (alias: string): string => containerOfAlias(json, applier, alias);
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

    const [api, prometheus, grafana] = await Promise.all([freePort(), freePort(), freePort()]);
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
    };
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
    await removeRun(docker, runId, network);
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
      // The label that makes a change the provider would not apply replace the container reached the engine.
      expect(info.Config.Labels[REPLACE_ON_CHANGE_LABEL]).toBe(
        digestOfSynthesized(json.resource?.docker_container?.[name] as SynthesizedContainer),
      );
      expect(info.State.Health?.Log.at(-1)?.ExitCode).toBe(0);
      // stop_timeout reached the engine (the provider sets Config.StopTimeout).
      const stopTimeout = json.resource?.docker_container?.[name]?.stop_timeout;
      expect(stopTimeout).toEqual(expect.any(Number));
      expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(stopTimeout);
    }
  });

  it("the hardening holds from inside every container", async () => {
    const addresses = applier.addresses("docker_container");
    // Every container synthesized but those not run.
    expect(addresses).toHaveLength(Object.keys(json.resource?.docker_container ?? {}).length - notRunServices.length);
    const { stack } = inspectMonitoringStack({ ...process.env, ...env });
    for (const alias of [...stack.services.keys()].filter((name) => !notRunServices.includes(name))) {
      expect(addresses.map((address) => applier.dockerId(address))).toContain(containerOf(alias));
    }
    for (const address of addresses) await assertHardened(docker, applier, json, address);
  });

  it("Prometheus reaches every deployed target by its alias: all up but those not run, every probe succeeds but theirs", async () => {
    const notRunHealth = (url: string): boolean =>
      notRunServices.some((service) => url.startsWith(`http://${service}:`));
    const targets = await eventually(
      "every target up but those of services not run, every probe succeeding but theirs",
      60_000,
      async () => {
        const answer = (await getJson(`${urls.prometheus}/api/v1/targets`)) as Targets;
        const others = answer.data.activeTargets.filter((target) => !notRunServices.includes(target.labels.job ?? ""));
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
    const prometheusAddress = applier.addresses("docker_container").find((address) => /Prometheus/.test(address)) ?? "";
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
});
