import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { filesDigest } from "../constructs/core/config-image-files";
import { inspectMonitoringStack } from "../main";

const projectRoot = resolve(__dirname, "..");

/**
 * Runs main.ts the way `cdktf synth` does (the app command from cdktf.json), into a temporary outdir; as node with
 * tsx as a loader, so one process runs main.ts and a timeout's SIGKILL stops main.ts itself, not a wrapper.
 */
function synth(
  outdir: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CDKTF_OUTDIR: outdir, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A Node stack trace line (`    at foo (file:1:2)`): never shown to a user. */
const STACK_TRACE_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** The problems main.ts printed, one `  - ` line each. */
function problemLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("  - "));
}

/** Every file below `dir` (none when it does not exist): what a failed synth left for Terraform to read. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((path) => statSync(join(dir, path)).isFile());
}

describe("main.ts (the cdktf app)", () => {
  let work: string;
  let passwordFile: string;

  /**
   * A problem with the password file as main.ts prints it: the setting, the file as a person finds it (relative to the
   * project, the folder the output folder is in, `work` here; absolute when outside it), what is wrong, the fix, and
   * the variable that sets it.
   */
  const passwordFileProblem = (file: string, what: string): string => {
    const shown = file;
    return `grafana.adminPasswordFile (${shown}): ${what}; point grafana.adminPasswordFile at a file in an existing folder you can write, or leave it unset to use the default [set by GRAFANA_ADMIN_PASSWORD_FILE]`;
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "monitoring-main-"));
    // The folder must exist: main.ts creates only the default .secrets/ folder, never a user's folder.
    mkdirSync(join(work, "secrets"));
    passwordFile = join(work, "secrets", "grafana-admin-password");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("synthesizes cdktf.out/stacks/monitoring/cdk.tf.json with Node alone, generating the admin password once", () => {
    // given no password file yet
    expect(existsSync(passwordFile)).toBe(false);

    // when
    const first = synth(join(work, "out1"), { GRAFANA_ADMIN_PASSWORD_FILE: passwordFile });

    // then
    expect(first.stdout).toContain("Generated the Grafana admin password");
    expect(first.status).toBe(0);
    const stackFile = join(work, "out1", "stacks", "monitoring", "cdk.tf.json");
    const json = JSON.parse(readFileSync(stackFile, "utf8")) as {
      resource: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(json.resource).sort()).toEqual([
      "docker_container",
      "docker_image",
      "docker_network",
      "grafana_dashboard",
      "grafana_data_source",
      "grafana_folder",
    ]);
    // One container per service of the stack (cAdvisor only with CADVISOR_ENABLED=true).
    expect(Object.keys(json.resource.docker_container)).toHaveLength(inspectMonitoringStack({}).stack.services.size);

    const password = readFileSync(passwordFile, "utf8").trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(stackFile, "utf8")).not.toContain(password);
  });

  it("writes the Prometheus image's build context next to cdk.tf.json, matching the image's trigger", () => {
    const stackDir = join(work, "out1", "stacks", "monitoring");
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: { docker_image: Record<string, { name: string; triggers?: { context_sha256: string } }> };
    };
    const image = Object.values(json.resource.docker_image).find((i) => i.name === "monitoring-prometheus:local");
    const paths = [
      "Dockerfile",
      "prometheus.yml",
      "rules/alerts.yml",
      "rules/slo-api.yml",
      "rules/api.yml",
      "rules/host.yml",
      "rules/probes.yml",
    ];
    const files = paths.map((path) => ({
      path: `build/prometheus/${path}`,
      content: readFileSync(join(stackDir, "build", "prometheus", path), "utf8"),
    }));
    expect(image?.triggers?.context_sha256).toBe(filesDigest(files));
    for (const path of paths) {
      expect(statSync(join(stackDir, "build", "prometheus", path)).mode & 0o777).toBe(0o644);
    }
  });

  it("writes the blackbox exporter image's build context (its rendered config) next to cdk.tf.json, matching the image's trigger", () => {
    const stackDir = join(work, "out1", "stacks", "monitoring");
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: { docker_image: Record<string, { name: string; triggers?: { context_sha256: string } }> };
    };
    const image = Object.values(json.resource.docker_image).find(
      (i) => i.name === "monitoring-blackbox-exporter:local",
    );
    const files = ["Dockerfile", "config.yml"].map((path) => ({
      path: `build/blackbox-exporter/${path}`,
      content: readFileSync(join(stackDir, "build", "blackbox-exporter", path), "utf8"),
    }));
    expect(image?.triggers?.context_sha256).toBe(filesDigest(files));
    expect(files[0].content).toContain("COPY config.yml /etc/blackbox_exporter/config.yml");
  });

  it("synthesizes byte-identical output twice and keeps the password", () => {
    const password = readFileSync(passwordFile, "utf8");
    const second = synth(join(work, "out2"), { GRAFANA_ADMIN_PASSWORD_FILE: passwordFile });
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain("Generated");
    expect(readFileSync(passwordFile, "utf8")).toBe(password);
    expect(readFileSync(join(work, "out2", "stacks", "monitoring", "cdk.tf.json"), "utf8")).toBe(
      readFileSync(join(work, "out1", "stacks", "monitoring", "cdk.tf.json"), "utf8"),
    );
  });

  it("points Terraform at the password file relative to the stack directory", () => {
    const json = JSON.parse(readFileSync(join(work, "out1", "stacks", "monitoring", "cdk.tf.json"), "utf8")) as {
      locals: Record<string, string>;
    };
    const relativePath = /file\("([^"]+)"\)/.exec(json.locals.grafana_admin_password_value)?.[1] ?? "";
    expect(resolve(work, "out1", "stacks", "monitoring", relativePath)).toBe(passwordFile);
  });

  it("fails when a variable is invalid, naming the variable, the value and the rule", () => {
    const result = synth(join(work, "bad"), {
      GRAFANA_ADMIN_PASSWORD_FILE: passwordFile,
      API_HOST_PORT: "0",
      GRAFANA_HOST_PORT: "9090",
      PROMETHEUS_RETENTION_DAYS: "many",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PROMETHEUS_RETENTION_DAYS must be an integer (got "many")');
    // No cdk.tf.json, manifest or build context: nothing Terraform could apply. (The App creates the output folder
    // and its empty `stacks` folder before the synth checks anything.)
    expect(filesUnder(join(work, "bad"))).toEqual([]);
  });

  it("fails with every invalid stack setting at once, each with the variable that sets it", () => {
    const result = synth(join(work, "bad2"), {
      GRAFANA_ADMIN_PASSWORD_FILE: passwordFile,
      API_HOST_PORT: "0",
      GRAFANA_HOST_PORT: "9090",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MonitoringStack "monitoring": 2 invalid settings:');
    expect(result.stderr).toContain(
      "api.hostPort must be an integer between 1 and 65535 (got 0) [set by API_HOST_PORT]",
    );
    expect(result.stderr).toContain(
      "grafana.hostPort clashes with prometheus.hostPort: both publish port 9090 on 127.0.0.1; give each service its own host port [set by GRAFANA_HOST_PORT]",
    );
  });

  it("fails when the password file is empty, saying how to fix it", () => {
    const empty = join(work, "empty-password");
    writeFileSync(empty, "\n");
    const result = synth(join(work, "bad3"), { GRAFANA_ADMIN_PASSWORD_FILE: empty });
    expect(result.status).toBe(1);
    expect(problemLines(result.stderr)).toEqual([
      `  - ${passwordFileProblem(empty, "is empty: write the password into it, or delete it to have one generated")}`,
    ]);
  });

  it("fails when the password file's folder is a file, naming it, without a stack trace", () => {
    const result = synth(join(work, "bad4"), { GRAFANA_ADMIN_PASSWORD_FILE: "/etc/passwd/pw" }, 30_000);

    expect(result.status).toBe(1);
    expect(problemLines(result.stderr)).toEqual([
      `  - ${passwordFileProblem("/etc/passwd/pw", "/etc/passwd is a file, not a folder")}`,
    ]);
    expect(result.stderr).not.toMatch(STACK_TRACE_LINE);
    expect(result.stderr.split("/etc/passwd/pw").length - 1).toBe(1);
  });

  it("fails at once when the password file's folder does not exist (no recursive mkdir under /proc)", () => {
    const result = synth(join(work, "bad5"), { GRAFANA_ADMIN_PASSWORD_FILE: "/proc/nope/pw" }, 30_000);

    expect(result.status).toBe(1);
    expect(problemLines(result.stderr)).toEqual([
      `  - ${passwordFileProblem("/proc/nope/pw", "the folder /proc/nope does not exist (it is not created for you)")}`,
    ]);
    expect(result.stderr).not.toMatch(STACK_TRACE_LINE);
  });

  it("fails when the password file is a folder", () => {
    const folder = join(work, "secrets");
    const result = synth(join(work, "bad6"), { GRAFANA_ADMIN_PASSWORD_FILE: folder }, 30_000);

    expect(result.status).toBe(1);
    expect(problemLines(result.stderr)).toEqual([
      `  - ${passwordFileProblem(folder, "is not a regular file (a folder?)")}`,
    ]);
  });

  it("reports environment and stack problems in one round", () => {
    const result = synth(
      join(work, "bad7"),
      {
        GRAFANA_ADMIN_PASSWORD_FILE: join(work, "never-written"),
        API_HOST_PORT: "abc",
        GRAFANA_HOST_PORT: "9090",
        SCRAPE_INTERVAL_SECONDS: "-1",
        ALERTMANAGER_ENABLED: "maybe",
      },
      60_000,
    );

    expect(result.status).toBe(1);
    // Each once, in one error: the variables that do not parse, then the stack's own settings, then the constructs'.
    expect(problemLines(result.stderr)).toEqual([
      '  - ALERTMANAGER_ENABLED must be true or false (got "maybe")',
      '  - API_HOST_PORT must be an integer (got "abc")',
      "  - scrapeIntervalSeconds must be an integer between 1 and 3600 (got -1) [set by SCRAPE_INTERVAL_SECONDS]",
      "  - grafana.hostPort clashes with prometheus.hostPort: both publish port 9090 on 127.0.0.1; give each service its own host port [set by GRAFANA_HOST_PORT]",
    ]);
    expect(result.stderr.split("\n")[0]).toBe('MonitoringStack "monitoring": 4 invalid settings:');
    // Nothing is left behind by a synth that fails: no password, nothing in the output folder.
    expect(existsSync(join(work, "never-written"))).toBe(false);
    expect(filesUnder(join(work, "bad7"))).toEqual([]);
    expect(existsSync(join(work, "bad7"))).toBe(false);
  });

  it("generates no password when the stack is only inspected (npm run verify, npm run dev), only on a real synth", () => {
    const file = join(work, "inspected-password");
    const { stack } = inspectMonitoringStack({ GRAFANA_ADMIN_PASSWORD_FILE: file });
    expect(stack.grafana.passwordFile.path).toBe(file);
    expect(existsSync(file)).toBe(false);
  });

  it("generates the password file even when TF_VAR_grafana_admin_password is set: Grafana reads its password from it", () => {
    const file = join(work, "tfvar-password");
    const result = synth(join(work, "tfvar"), {
      GRAFANA_ADMIN_PASSWORD_FILE: file,
      TF_VAR_grafana_admin_password: "from-the-variable",
    });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Generated");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, "tfvar", "stacks", "monitoring", "cdk.tf.json"), "utf8")).not.toContain(
      "from-the-variable",
    );
  });
});
