import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { filesDigest } from "../constructs/config-image-files";

const projectRoot = resolve(__dirname, "..");
const tsx = join(projectRoot, "node_modules", ".bin", "tsx");

/** Runs main.ts the way `cdktf synth` does (the app command from cdktf.json), into a temporary outdir. */
function synth(
  outdir: string,
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(tsx, ["main.ts"], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CDKTF_OUTDIR: outdir, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("main.ts (the cdktf app)", () => {
  let work: string;
  let passwordFile: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "monitoring-main-"));
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
    expect(Object.keys(json.resource.docker_container)).toHaveLength(3);

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
    const paths = ["Dockerfile", "prometheus.yml", "rules/alerts.yml", "rules/api.yml"];
    const files = paths.map((path) => ({
      path: `build/prometheus/${path}`,
      content: readFileSync(join(stackDir, "build", "prometheus", path), "utf8"),
    }));
    expect(image?.triggers?.context_sha256).toBe(filesDigest(files));
    for (const path of paths) {
      expect(statSync(join(stackDir, "build", "prometheus", path)).mode & 0o777).toBe(0o644);
    }
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
    expect(existsSync(join(work, "bad", "stacks"))).toBe(false);
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
    expect(result.stderr).toContain("is empty: write the password into it, or delete it to have one generated");
  });
});
