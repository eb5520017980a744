/**
 * What a first real deploy would otherwise hit: paths in cdk.tf.json that depend on where the checkout lives, a
 * dockerfile the two provider generations would resolve differently, Grafana's plugin downloads at start, the admin
 * password in the container's environment (and so in `docker inspect` and the Terraform state), and provider 3.6.2
 * not applying a changed healthcheck or tmpfs (kreuzwerker/terraform-provider-docker#988), or reading durations back in
 * another form than the stack wrote them.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Testing } from "cdktf";
import type { ContainerHealthcheck } from "@cdktf/provider-docker/lib/container";
import {
  REPLACE_ON_CHANGE_LABEL,
  dockerDuration,
  hardenedContainerConfig,
  replaceOnChangeDigest,
} from "../constructs/core/container-defaults";
import { ConfigError } from "../constructs/core/validation";
import { GRAFANA_USER, Grafana } from "../constructs/grafana";
import { STACK_NAME } from "../constructs/monitoring-stack";
import { buildMonitoringStack } from "../main";
import { digestOfSynthesized, type SynthesizedContainer } from "./support/container-json";
import { PROJECT_ROOT, copyProject, synthIn } from "./support/docker/project-copy";
import { TerraformJson, synthMonitoringStack, testApp, testInputs } from "./support/stack";

type Resource = Record<string, unknown>;

function resources(json: { resource: Record<string, Record<string, Resource>> }, type: string): Resource[] {
  return Object.values(json.resource[type] ?? {});
}

/**
 * The whole stack as main.ts builds it, in a test app whose Grafana admin password file already exists at
 * `<folder>/.secrets/grafana-admin-password` (`prepare` sets it up) and whose Grafana user is left to the stack: it
 * runs as the file's owner. Synthesized for real (`app.synth()`), which hands a root-owned file to Grafana's own uid.
 */
function synthWithPasswordFile(prepare: (file: string) => void): { json: TerraformJson; file: string } {
  const { app, folder } = testApp();
  const file = join(folder, ".secrets", "grafana-admin-password");
  writeFileSync(file, "a-password-a-deploy-user-wrote\n", { mode: 0o600 });
  prepare(file);
  buildMonitoringStack(app, testInputs(folder), { grafana: { adminPasswordFile: file } });
  // A real synth: the stack checks and hands over the file only then (Testing.synth writes nothing).
  app.synth();
  const cdkTfJson = join(folder, "cdktf.out", "stacks", STACK_NAME, "cdk.tf.json");
  return { json: JSON.parse(readFileSync(cdkTfJson, "utf8")) as TerraformJson, file };
}

/** The synthesized Grafana container. */
function grafanaContainer(json: TerraformJson): { env: string[]; mounts: Record<string, unknown>[]; user: string } {
  const found = resources(json, "docker_container").find((container) =>
    JSON.stringify(container.env ?? []).includes("GF_SERVER_HTTP_PORT"),
  );
  if (found === undefined) throw new Error("no Grafana container");
  return found as { env: string[]; mounts: Record<string, unknown>[]; user: string };
}

const isRoot = process.getuid?.() === 0;

describe("cdk.tf.json does not depend on where the checkout lives", () => {
  // Two copies at different depths, synthesized the way `cdktf synth` does (cdktf.json's app, outdir cdktf.out).
  const first = copyProject(mkdtempSync(join(tmpdir(), "clone-a-")));
  const second = copyProject(join(mkdtempSync(join(tmpdir(), "clone-b-")), "nested"));
  let stackA: string;
  let stackB: string;

  beforeAll(() => {
    stackA = synthIn(first.root, {});
    stackB = synthIn(second.root, {});
  }, 120_000);
  afterAll(() => {
    first.remove();
    second.remove();
  });

  it("two clones in different folders synthesize byte-identical JSON and build contexts", () => {
    const a = readFileSync(join(stackA, "cdk.tf.json"), "utf8");
    const b = readFileSync(join(stackB, "cdk.tf.json"), "utf8");
    expect(a).toEqual(b);
    for (const root of [first.root, second.root, PROJECT_ROOT]) expect(a).not.toContain(root);
    const files = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((path) => statSync(join(dir, path)).isFile())
        .sort();
    expect(files(stackA)).toEqual(files(stackB));
    for (const path of files(stackA)) {
      expect(readFileSync(join(stackA, path), "utf8")).toEqual(readFileSync(join(stackB, path), "utf8"));
    }
  });

  it("the local backend's state file is relative to the stack folder and lands in the project folder", () => {
    const json = JSON.parse(readFileSync(join(stackA, "cdk.tf.json"), "utf8")) as {
      terraform: { backend: { local: { path: string } } };
    };
    const path = json.terraform.backend.local.path;
    expect(path.startsWith("/")).toBe(false);
    expect(resolve(stackA, path)).toBe(join(first.root, `terraform.${STACK_NAME}.tfstate`));
  });

  it("every image build works under provider 3.6.2's and v4's dockerfile rules", () => {
    const json = JSON.parse(readFileSync(join(stackA, "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Resource>>;
    };
    const builds = resources(json, "docker_image")
      .map((image) => image.build as { context: string; dockerfile: string } | undefined)
      .filter((build) => build !== undefined);
    expect(builds.length).toBeGreaterThanOrEqual(2);
    for (const build of builds) {
      // The context: `${path.cwd}/<relative>`, resolved in the stack folder where Terraform runs.
      expect(build.context).toMatch(/^\$\{path\.cwd\}\/[^/$]/);
      const context = resolve(build.context.replace("${path.cwd}", stackA));
      // v4 resolves a relative dockerfile against the context: it must be there.
      expect(build.dockerfile).toBe("Dockerfile");
      expect(existsSync(join(context, build.dockerfile))).toBe(true);
    }
    // 3.6.2 (docker/cli GetContextFromLocalDir) tries the working directory first: it must hold no file of that name,
    // or that file would be built instead, even from outside the context.
    expect(readdirSync(stackA).filter((name) => name.toLowerCase() === "dockerfile")).toEqual([]);
  });

  it("the Grafana password file is mounted from the stack folder's relative path, made absolute by Terraform", () => {
    const json = JSON.parse(readFileSync(join(stackA, "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Resource>>;
    };
    const grafana = resources(json, "docker_container").find((container) =>
      JSON.stringify(container.env ?? []).includes("GF_SECURITY_ADMIN_PASSWORD__FILE"),
    );
    const mount = (grafana?.mounts as { type: string; source: string }[]).find((item) => item.type === "bind");
    expect(mount?.source).toBe('${abspath("${path.cwd}/../../../.secrets/grafana-admin-password")}');
    expect(resolve(stackA, "../../../.secrets/grafana-admin-password")).toBe(
      join(first.root, ".secrets", "grafana-admin-password"),
    );
  });

  it("Grafana can read the 0600 password file and nobody else can: it runs as the file's owner, never root", () => {
    const file = join(first.root, ".secrets", "grafana-admin-password");
    const { uid, gid, mode } = statSync(file);
    expect(mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(join(stackA, "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Resource>>;
    };
    const grafana = resources(json, "docker_container").find((container) =>
      JSON.stringify(container.env ?? []).includes("GF_SECURITY_ADMIN_PASSWORD__FILE"),
    );
    // A file generated by root is handed to Grafana's own 472:0 (Grafana must never run as root); else the owner's.
    const expected = isRoot ? GRAFANA_USER : { uid: process.getuid?.(), gid: process.getgid?.() };
    expect({ uid, gid }).toEqual(expected);
    expect(grafana?.user).toBe(`${expected.uid}:${expected.gid}`);
    expect(grafana?.user).not.toMatch(/^0:/);
  });
});

describe("Grafana's first start", () => {
  // A password file a deploy user wrote (uid 1000 when the tests run as root, who can hand it over): Grafana runs as
  // its owner, so it can read the 0600 file.
  const { json, file } = synthWithPasswordFile((path) => {
    if (isRoot) chownSync(path, 1000, 1000);
  });
  const grafana = grafanaContainer(json);

  it("downloads no plugins (Grafana 12 preinstalls plugins from the internet unless disabled)", () => {
    expect(grafana.env).toContain("GF_PLUGINS_PREINSTALL_DISABLED=true");
  });

  it("reads the admin password from a read-only mounted file, never from the environment", () => {
    expect(grafana.env).toContain(`GF_SECURITY_ADMIN_PASSWORD__FILE=${Grafana.ADMIN_PASSWORD_PATH}`);
    expect(grafana.env.filter((entry) => entry.startsWith("GF_SECURITY_ADMIN_PASSWORD="))).toEqual([]);
    expect(grafana.mounts).toContainEqual({
      type: "bind",
      source: '${abspath("${path.cwd}/../../../.secrets/grafana-admin-password")}',
      target: Grafana.ADMIN_PASSWORD_PATH,
      read_only: true,
    });
    const owner = statSync(file);
    expect(grafana.user).toBe(isRoot ? "1000:1000" : `${owner.uid}:${owner.gid}`);
  });

  it("no docker resource holds the password: nothing of it reaches the Terraform state through them", () => {
    for (const type of ["docker_container", "docker_image", "docker_network"]) {
      expect(JSON.stringify(json.resource[type] ?? {})).not.toMatch(/grafana_admin_password/);
    }
    expect(JSON.stringify(json)).not.toContain("a-password-a-deploy-user-wrote");
    // Where it remains, by necessity: the Grafana provider's auth (provider configuration is not stored in state).
    expect(JSON.stringify(json.provider.grafana)).toMatch(/local\.grafana_admin_password_value/);
  });

  it("hands a root-owned password file to Grafana's own 472:0 at synth and runs Grafana as 472:0, never root", () => {
    // Only root can own a file by root: as another user, the file stays theirs and Grafana runs as them.
    const me = { uid: process.getuid?.(), gid: process.getgid?.() };
    const synthesized = synthWithPasswordFile((path) => {
      if (isRoot) chownSync(path, 0, 0);
    });
    const expected = isRoot ? GRAFANA_USER : me;
    expect(statSync(synthesized.file)).toMatchObject(expected);
    expect(statSync(synthesized.file).mode & 0o777).toBe(0o600);
    expect(grafanaContainer(synthesized.json).user).toBe(`${expected.uid}:${expected.gid}`);
  });

  it("fails when Grafana is set to run as root", () => {
    const { app, folder } = testApp();
    const inputs = testInputs(folder);
    const stack = buildMonitoringStack(app, inputs, { grafana: { ...inputs.props.grafana, user: "0:0" } });
    let error: unknown;
    try {
      Testing.synth(stack);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.message)).toEqual([
      'grafana.user must not be root: the stack runs every container as a non-root user (got "0:0"); use the image\'s own user, or set relax.runAsRoot: true to accept the risk',
    ]);
  });
});

describe("a change provider 3.6.2 would not apply replaces the container (healthcheck, tmpfs, log options)", () => {
  const spec = {
    name: "x",
    image: "img",
    user: "1000:1000",
    alias: "x",
    networkName: "n",
    internalPort: 8000,
    options: { hostPort: 8000, bindAddress: "127.0.0.1", memoryMb: 64, image: "img" },
    healthcheck: ["CMD", "true"],
    startPeriodSeconds: 10,
    waitTimeoutSeconds: 60,
    tmpfs: { "/tmp": "rw,size=16m" },
  };
  const label = (config: ReturnType<typeof hardenedContainerConfig>): string | undefined =>
    (config.labels as { label: string; value: string }[]).find((item) => item.label === REPLACE_ON_CHANGE_LABEL)?.value;

  it("carries the digest of those settings in a label (labels are ForceNew in provider 3.6.2's schema)", () => {
    const config = hardenedContainerConfig(spec);
    expect(label(config)).toBe(
      replaceOnChangeDigest({
        healthcheck: config.healthcheck as ContainerHealthcheck,
        tmpfs: spec.tmpfs,
        logDriver: config.logDriver,
        logOpts: config.logOpts as Record<string, string>,
      }),
    );
    expect(label(config)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a different healthcheck command, start period or tmpfs gives a different label; the name does not", () => {
    const base = label(hardenedContainerConfig(spec));
    expect(label(hardenedContainerConfig({ ...spec, healthcheck: ["CMD", "false"] }))).not.toBe(base);
    expect(label(hardenedContainerConfig({ ...spec, startPeriodSeconds: 11 }))).not.toBe(base);
    expect(label(hardenedContainerConfig({ ...spec, tmpfs: { "/tmp": "rw,size=32m" } }))).not.toBe(base);
    expect(label(hardenedContainerConfig({ ...spec, tmpfs: { ...spec.tmpfs, "/run": "rw,size=1m" } }))).not.toBe(base);
    expect(label(hardenedContainerConfig({ ...spec, name: "y" }))).toBe(base);
  });

  it("the digest covers the log options, whose own changes Terraform ignores (the daemon adds its defaults to them)", () => {
    const settings = { tmpfs: spec.tmpfs, logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3" } };
    const base = replaceOnChangeDigest(settings);
    expect(replaceOnChangeDigest({ ...settings, logOpts: { "max-size": "20m", "max-file": "3" } })).not.toBe(base);
    expect(replaceOnChangeDigest({ ...settings, logDriver: "local" })).not.toBe(base);
    // The order of a map's keys is no change.
    expect(replaceOnChangeDigest({ ...settings, logOpts: { "max-file": "3", "max-size": "10m" } })).toBe(base);
    expect(hardenedContainerConfig(spec).lifecycle).toEqual({ ignoreChanges: ["log_opts"] });
  });

  it("writes healthcheck durations as Go's time.Duration.String() does, the form the provider reads back into its state", () => {
    expect([0, 5, 10, 59, 60, 90, 3599, 3600, 5400].map(dockerDuration)).toEqual([
      "0s",
      "5s",
      "10s",
      "59s",
      "1m0s",
      "1m30s",
      "59m59s",
      "1h0m0s",
      "1h30m0s",
    ]);
  });

  it("every container of the synthesized stack carries the digest of its own synthesized settings, in Go's duration form, ignoring log_opts changes", () => {
    const { stack, json } = synthMonitoringStack({}, { ALERTMANAGER_ENABLED: "true" });
    const containers = resources(json, "docker_container");
    // Every container of every service the stack deploys (API, Prometheus, Grafana, Alertmanager, node-exporter,
    // blackbox-exporter), each checked below.
    expect(stack.services.has("alertmanager")).toBe(true);
    expect(containers.length).toBe([...stack.services.values()].flatMap((service) => service.containers).length);
    for (const container of containers) {
      const synthesized = container as SynthesizedContainer;
      expect(container.labels).toContainEqual({
        label: REPLACE_ON_CHANGE_LABEL,
        value: digestOfSynthesized(synthesized),
      });
      expect(container.lifecycle).toEqual({ ignore_changes: ["log_opts"] });
      const health = synthesized.healthcheck;
      if (health === undefined) continue;
      for (const duration of [health.interval, health.timeout, health.start_period]) {
        const seconds = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/.exec(duration ?? "");
        expect({ duration, parsed: seconds !== null }).toEqual({ duration, parsed: true });
        const total = Number(seconds?.[1] ?? 0) * 3600 + Number(seconds?.[2] ?? 0) * 60 + Number(seconds?.[3]);
        expect(duration).toBe(dockerDuration(total));
      }
    }
    // Grafana's 60 s start period, as the provider reads it back.
    expect(containers.map((container) => (container as SynthesizedContainer).healthcheck?.start_period)).toContain(
      "1m0s",
    );
  });
});
