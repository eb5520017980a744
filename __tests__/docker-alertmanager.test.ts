/**
 * Alertmanager as the stack synthesizes it with ALERTMANAGER_ENABLED=true, on a real Docker engine: healthy by its own
 * healthcheck, hardened from inside, scraped by Prometheus, receiving Prometheus' Watchdog, and posting it to a dead
 * man's switch (ALERTMANAGER_WATCHDOG_URL_FILE: an HTTP server of this suite on the network's gateway address, the URL
 * written into the mounted file once the network exists; Alertmanager reads the file at every notification).
 *
 * It applies that cdk.tf.json without the API's image and container (docker-deploy.test.ts builds and proves those):
 * the proof here is the alerting path, and the wait it cannot shorten is Prometheus' own. Measured with Debian's
 * prometheus 3.5.3 and alertmanager 0.33.1 on this machine, Alertmanager up first: the Watchdog reached it 63 s after
 * Prometheus started, because the notifier drops the first notification before it has discovered any Alertmanager
 * and sends again after `--rules.alert.resend-delay` (1 m). In its own file, jest runs that minute beside the
 * other suites.
 *
 * Skipped with reason `no-docker-engine` when no engine answers (a failed run under CI=true).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { DockerApplier, TerraformJson } from "./support/docker/applier";
import { ProjectCopy, copyProject, synthIn } from "./support/docker/project-copy";
import { ensureStandIns } from "./support/docker/stand-ins";
import {
  assertHardened,
  containerOf,
  eventually,
  freePort,
  getJson,
  noEngine,
  removeRun,
  STAND_IN_CACHE_DIR,
  Targets,
} from "./support/docker/suite";
import { describeUnless } from "./support/skips";
import { Alertmanager } from "../constructs/alertmanager";

const ALERTMANAGER_NAME = Alertmanager.NAME;

/** The API's image: the one built FROM the Node.js base image (its build argument). */
function isApiImage(image: { build?: unknown }): boolean {
  return image.build !== undefined && JSON.stringify(image.build).includes("NODE_IMAGE");
}

/** `json` without the API's image and the containers that run it. */
function withoutApi(json: TerraformJson): { json: TerraformJson; left: string[] } {
  const images = json.resource?.docker_image ?? {};
  const apiImages = Object.keys(images).filter((name) => isApiImage(images[name] ?? {}));
  const containers = json.resource?.docker_container ?? {};
  const runsApi = (name: string): boolean =>
    apiImages.some((image) => containers[name]?.image === `\${docker_image.${image}.image_id}`);
  const left = [
    ...apiImages.map((name) => `docker_image.${name}`),
    ...Object.keys(containers)
      .filter(runsApi)
      .map((name) => `docker_container.${name}`),
  ];
  const resource = {
    ...json.resource,
    docker_image: Object.fromEntries(Object.entries(images).filter(([name]) => !apiImages.includes(name))),
    docker_container: Object.fromEntries(Object.entries(containers).filter(([name]) => !runsApi(name))),
  };
  return { json: { ...json, resource }, left };
}

describeUnless("Alertmanager on a real Docker engine (ALERTMANAGER_ENABLED=true)", noEngine, () => {
  const docker = new Docker();
  const runId = randomBytes(4).toString("hex");
  const network = `mdt-${runId}`;
  const log = (line: string): void => {
    process.stdout.write(`[docker-alertmanager] ${line}\n`);
  };
  let copy: ProjectCopy;
  let applier: DockerApplier;
  let json: TerraformJson;
  let urls: { prometheus: string; alertmanager: string };
  /** The jobs whose targets cannot be up here: the API (left out) and the services no stand-in exists for. */
  let notRunJobs: string[];
  let prometheusStarted = 0;
  /** The dead man's switch: every request it received, as method, path and JSON body. */
  const heartbeats: {
    method: string;
    path: string;
    body: { receiver?: string; alerts?: { labels: Record<string, string> }[] };
  }[] = [];
  let deadMansSwitch: Server | undefined;
  const secretsDir = mkdtempSync(join(tmpdir(), "mdt-am-"));
  const watchdogUrlFile = join(secretsDir, "watchdog-url");

  beforeAll(async () => {
    // Read by the container's uid 65534 through the bind mount; the URL is written once the network's gateway is known.
    chmodSync(secretsDir, 0o755);
    writeFileSync(watchdogUrlFile, "http://not-yet.invalid/\n", { mode: 0o644 });
    const started = Date.now();
    const { built } = await ensureStandIns(docker, STAND_IN_CACHE_DIR, log);
    log(`stand-ins ready in ${Math.round((Date.now() - started) / 1000)} s (built: ${built.join(", ") || "none"})`);
    const [api, prometheus, grafana, alertmanager] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    urls = { prometheus: `http://127.0.0.1:${prometheus}`, alertmanager: `http://127.0.0.1:${alertmanager}` };
    copy = copyProject();
    const stackDir = synthIn(copy.root, {
      MONITORING_NETWORK: network,
      SCRAPE_INTERVAL_SECONDS: "2",
      API_HOST_PORT: String(api),
      PROMETHEUS_HOST_PORT: String(prometheus),
      GRAFANA_HOST_PORT: String(grafana),
      ALERTMANAGER_ENABLED: "true",
      ALERTMANAGER_HOST_PORT: String(alertmanager),
      ALERTMANAGER_WATCHDOG_URL_FILE: watchdogUrlFile,
    });
    const synthesized = withoutApi(JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as TerraformJson);
    expect(synthesized.left).toHaveLength(2);
    json = synthesized.json;
    writeFileSync(join(stackDir, "cdk.tf.json"), JSON.stringify(json, null, 2));
    applier = new DockerApplier(docker, runId, log);
    const report = await applier.apply(stackDir);
    prometheusStarted = Date.now();
    // The switch listens on the network's gateway, which the containers reach and nothing outside this machine does.
    const gateway = String((await docker.getNetwork(network).inspect()).IPAM?.Config?.[0]?.Gateway ?? "");
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    deadMansSwitch = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        heartbeats.push({ method: request.method ?? "", path: request.url ?? "", body: JSON.parse(body || "{}") });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((done) => deadMansSwitch?.listen(0, gateway, done));
    const switchPort = (deadMansSwitch.address() as AddressInfo).port;
    writeFileSync(watchdogUrlFile, `http://${gateway}:${switchPort}/heartbeat\n`);
    const notRunAliases = report.notRun
      .map((item) => item.address)
      .filter((address) => address.startsWith("docker_container."))
      .flatMap((address) => {
        const networks = (json.resource?.docker_container?.[address.split(".")[1] ?? ""]?.networks_advanced ?? []) as {
          aliases?: string[];
        }[];
        return networks.flatMap((item) => item.aliases ?? []);
      });
    notRunJobs = ["api", ...notRunAliases];
    log(`applied in ${Math.round((Date.now() - started) / 1000)} s; not run here: ${notRunJobs.join(", ")}`);
  }, 600_000);

  afterAll(async () => {
    await removeRun(docker, runId, network);
    copy?.remove();
    await new Promise((done) => (deadMansSwitch === undefined ? done(undefined) : deadMansSwitch.close(done)));
    rmSync(secretsDir, { recursive: true, force: true });
  }, 120_000);

  it("Alertmanager is healthy by its own healthcheck and hardened from inside", async () => {
    const id = containerOf(json, applier, ALERTMANAGER_NAME);
    const info = await docker.getContainer(id).inspect();
    expect(info.State.Health?.Status).toBe("healthy");
    const address = applier.addresses("docker_container").find((candidate) => applier.dockerId(candidate) === id);
    expect(address).toBeDefined();
    await assertHardened(docker, applier, json, address ?? "");
  });

  it("Prometheus scrapes Alertmanager: its target and every other one of what runs here are up", async () => {
    const up = await eventually("the alertmanager target and every target that runs here up", 30_000, async () => {
      const answer = (await getJson(`${urls.prometheus}/api/v1/targets`)) as Targets;
      const running = answer.data.activeTargets.filter((target) => !notRunJobs.includes(target.labels.job ?? ""));
      return running.some((target) => target.labels.job === ALERTMANAGER_NAME) &&
        running.every((target) => target.health === "up")
        ? running
        : undefined;
    });
    expect(up.find((target) => target.labels.job === ALERTMANAGER_NAME)?.scrapeUrl).toMatch(
      new RegExp(`^http://${ALERTMANAGER_NAME}:${Alertmanager.INTERNAL_PORT}/`),
    );
  }, 60_000);

  it("receives Prometheus' Watchdog", async () => {
    // Up to the notifier's resend delay (1 m) after Prometheus started, plus an evaluation and the delivery.
    const alerts = await eventually("the Watchdog in Alertmanager", 90_000, async () => {
      const answer = (await getJson(`${urls.alertmanager}/api/v2/alerts`)) as { labels: Record<string, string> }[];
      return answer.some((alert) => alert.labels.alertname === "Watchdog") ? answer : undefined;
    });
    expect(alerts.map((alert) => alert.labels.alertname)).toContain("Watchdog");
    log(`the Watchdog reached Alertmanager ${Math.round((Date.now() - prometheusStarted) / 1000)} s after apply`);
  }, 120_000);

  it("posts the Watchdog to the dead man's switch, the URL read from the mounted file", async () => {
    // Alertmanager notifies at once (group_wait 0s) once the Watchdog arrives, the wait of the test above.
    const heartbeat = await eventually("a Watchdog heartbeat at the dead man's switch", 90_000, async () =>
      heartbeats.find((request) => request.body.alerts?.some((alert) => alert.labels.alertname === "Watchdog")),
    );
    expect(heartbeat).toMatchObject({ method: "POST", path: "/heartbeat", body: { receiver: "watchdog" } });
    expect(heartbeats.every((request) => request.body.receiver === "watchdog")).toBe(true);
    log(
      `the Watchdog reached the dead man's switch ${Math.round((Date.now() - prometheusStarted) / 1000)} s after apply`,
    );
  }, 120_000);
});
