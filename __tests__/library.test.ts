/**
 * The stack as a library: the package entry point another cdktf app imports, the metrics contract reached by package
 * name only, and the package as a user gets it: `npm pack` (its `prepack` builds dist/), the tarball installed with
 * cdktf and constructs into a fresh app outside the checkout, the README's "Monitor your own service" example
 * type-checked and synthesized there exactly as the README prints it, and a plain-node app (`require`, no tsx).
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  lstatSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { App } from "cdktf";
import * as library from "../constructs";
import { addAlertmanager } from "../constructs/alertmanager";
import { MonitoringStack } from "../constructs/monitoring-stack";

const root = resolve(__dirname, "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** Every file below `dir` (paths relative to it, `/`-separated, sorted), skipping `skip` folder names. */
function walk(dir: string, skip: readonly string[] = []): string[] {
  const files: string[] = [];
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) files.push(relative(dir, full).split("\\").join("/"));
    }
  };
  visit(dir);
  return files.sort();
}

/** The files of a synthesized output folder with their contents, for a byte-for-byte comparison. */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(walk(dir).map((path) => [path, readFileSync(join(dir, path), "utf8")]));
}

/** The first ```ts block of the README section `heading`. */
function readmeCodeBlock(heading: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section ${JSON.stringify(heading)}`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (match === null) throw new Error(`README.md section ${JSON.stringify(heading)} has no ts code block`);
  return match[1];
}

/** The environment of an npm child: npm's own `npm_*` variables of an enclosing `npm test` left out. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** Runs `command` in `cwd`; throws with its output when it fails. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): string {
  const result = spawnSync(command, args, { cwd, env: npmEnv(), encoding: "utf8", timeout: timeoutMs });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `npm pack` of this checkout into `dir` (its `prepack` builds dist/): the tarball's path. */
function packInto(dir: string): string {
  const out = run("npm", ["pack", "--json", "--pack-destination", dir], root, 180_000);
  const [packed] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string }[];
  return join(dir, packed.filename);
}

/** How the tests install: exact versions, no audit or funding calls, npm's cache first. */
const NPM_INSTALL = ["install", "--save-exact", "--no-audit", "--no-fund", "--prefer-offline"] as const;

/** A dashboard as Grafana exports it: a `${DS_PROMETHEUS}` input, querying the example's service. */
const ORDERS_DASHBOARD_EXPORT = {
  __inputs: [{ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }],
  uid: "orders",
  title: "Orders",
  schemaVersion: 41,
  panels: [
    {
      id: 1,
      type: "timeseries",
      title: "Backlog",
      gridPos: { x: 0, y: 0, w: 24, h: 8 },
      datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" },
      targets: [
        {
          refId: "A",
          datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" },
          expr: 'sum(orders_backlog{job="orders"})',
        },
      ],
    },
  ],
};

describe("the package entry point", () => {
  it("declares exports pointing at the build of constructs/index.ts, cdktf and constructs as peers", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, Record<string, string> | string>;
      files: string[];
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const build = JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as {
      compilerOptions: { outDir: string };
      include: string[];
    };
    expect(pkg.name).toBe("monitoring-stack");
    expect(build.include).toEqual(["constructs/index.ts"]);
    expect(build.compilerOptions.outDir).toBe("dist");
    expect(pkg.exports["."]).toEqual({
      types: "./dist/constructs/index.d.ts",
      require: "./dist/constructs/index.js",
      default: "./dist/constructs/index.js",
    });
    expect(pkg.scripts.prepack).toBe("npm run build");
    expect(pkg.files).toContain("dist/");
    // One copy of cdktf and constructs in a user's app: theirs. Kept as devDependencies so this checkout runs.
    expect(pkg.peerDependencies).toEqual({ cdktf: "^0.21.0", constructs: "^10.4.2" });
    expect(pkg.dependencies).not.toHaveProperty("cdktf");
    expect(pkg.dependencies).not.toHaveProperty("constructs");
    expect(pkg.devDependencies).toMatchObject({ cdktf: "0.21.0", constructs: "10.4.2" });
    expect(pkg.dependencies).toHaveProperty("@cdktf/provider-docker");
  });

  it("exposes the constructs, the components' add calls and the types a user needs", () => {
    expect(library.MonitoringStack).toBe(MonitoringStack);
    expect(typeof library.Service).toBe("function");
    expect(typeof library.Prometheus).toBe("function");
    expect(typeof library.Grafana).toBe("function");
    expect(typeof library.ConfigImage).toBe("function");
    expect(typeof library.jobOf).toBe("function");
    expect(typeof library.MonitoringStackBase).toBe("function");
    expect(typeof library.addAlertmanager).toBe("function");
    expect(typeof library.addNodeExporter).toBe("function");
    expect(typeof library.addBlackboxExporter).toBe("function");
    expect(typeof library.addCadvisor).toBe("function");
    expect(library.PROMETHEUS_DATASOURCE_UID).toBe("prometheus");
  });

  it("leaves out the demo API, which needs this repository's app/ (its contract included)", () => {
    const exported = Object.keys(library);
    expect(exported.filter((name) => /demo|^API_|HTTP_METRICS/i.test(name))).toEqual([]);
  });
});

describe("the metrics contract has one home (app/), reached by package name", () => {
  it("is exported by app/package.json as @monitoring-stack/api/contract", () => {
    const pkg = JSON.parse(readFileSync(join(root, "app", "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, { types: string; default: string }>;
    };
    expect(pkg.name).toBe("@monitoring-stack/api");
    expect(pkg.exports["./contract"]).toEqual({ types: "./src/contract.ts", default: "./src/contract.ts" });
  });

  it("is never imported through a relative path into app/ from outside app/", () => {
    const sources = walk(root, ["node_modules", "app", "cdktf.out", ".cache", ".git", "dist", "coverage", ".gen"])
      .filter((path) => /\.(ts|js|mjs|cjs)$/.test(path))
      .filter((path) => path !== "__tests__/library.test.ts");
    expect(sources.length).toBeGreaterThan(50);
    // import/export ... from "...", require("..."), import("..."), jest.mock("...") of any path through app/.
    const specifier = /(?:from\s+|require\(\s*|import\(\s*|mock\(\s*)["']([^"']*\bapp\/(?:src|test)\b[^"']*)["']/g;
    const offenders = sources.flatMap((path) =>
      [...readFileSync(join(root, path), "utf8").matchAll(specifier)].map((match) => `${path}: ${match[1]}`),
    );
    expect(offenders).toEqual([]);
  });

  it("finds a relative import into app/src when one is there (the check above can fail)", () => {
    const specifier = /(?:from\s+|require\(\s*|import\(\s*|mock\(\s*)["']([^"']*\bapp\/(?:src|test)\b[^"']*)["']/g;
    expect([...'import { HTTP_METRICS } from "../app/src/metrics";'.matchAll(specifier)].map((m) => m[1])).toEqual([
      "../app/src/metrics",
    ]);
  });
});

describe("constructs write their own generated files during synth", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "monitoring-library-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function synthInProcess(outdir: string): void {
    const app = new App({ outdir });
    // The password file next to the output folders (generated by the first synth), as a project keeps it.
    const stack = new MonitoringStack(app, "monitoring", { projectDir: work, grafana: { adminPasswordFile: "pw" } });
    addAlertmanager(stack);
    stack.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080 });
    app.synth();
  }

  it("writes every config image's build context next to cdk.tf.json, without main.ts", () => {
    synthInProcess(join(work, "a"));
    const stackDir = join(work, "a", "stacks", "monitoring");
    const files = walk(stackDir);
    expect(files).toEqual(
      expect.arrayContaining([
        "build/alertmanager/Dockerfile",
        "build/alertmanager/alertmanager.yml",
        "build/prometheus/Dockerfile",
        "build/prometheus/prometheus.yml",
        "build/prometheus/rules/alerts.yml",
        "cdk.tf.json",
      ]),
    );
    expect(readFileSync(join(stackDir, "build/prometheus/prometheus.yml"), "utf8")).toContain("job_name: orders");
    expect(statSync(join(stackDir, "build/prometheus/prometheus.yml")).mode & 0o777).toBe(0o644);
  });

  it("synthesizes byte-identical folders twice, with no path of the output folder in them", () => {
    synthInProcess(join(work, "b"));
    const a = tree(join(work, "a", "stacks", "monitoring"));
    const b = tree(join(work, "b", "stacks", "monitoring"));
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toEqual(a);
    // The whole file, the local backend's state path included: every path is relative to the stack's folder.
    const json = a["cdk.tf.json"];
    expect(json).not.toContain(work);
    expect(json).not.toContain(root);
    const contexts = [...json.matchAll(/"context": "([^"]+)"/g)].map((match) => match[1]).sort();
    expect(contexts).toEqual(["${path.cwd}/build/alertmanager", "${path.cwd}/build/prometheus"]);
  });

  it("replaces what an earlier synth left in a build context", () => {
    const stale = join(work, "a", "stacks", "monitoring", "build", "prometheus", "rules", "stale.yml");
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, "groups: []\n");
    synthInProcess(join(work, "a"));
    expect(walk(join(work, "a", "stacks", "monitoring", "build", "prometheus"))).not.toContain("rules/stale.yml");
  });
});

describe('the packed package in a fresh app, and the README "Monitor your own service"', () => {
  let consumer: string;
  let tarball: string;
  let installSeconds: number;
  beforeAll(() => {
    // A fresh cdktf app outside the checkout, with the package installed from its tarball (a copy, not a link to the
    // checkout, as a registry or a git dependency installs it) next to the app's own cdktf and constructs: exactly
    // the install the README prints, from the npm registry (or npm's cache). @types/node is linked for the type check.
    consumer = mkdtempSync(join(tmpdir(), "acme-monitoring-"));
    tarball = packInto(consumer);
    writeFileSync(join(consumer, "package.json"), `${JSON.stringify({ name: "acme-monitoring", private: true })}\n`);
    const started = Date.now();
    run("npm", [...NPM_INSTALL, tarball, "cdktf@0.21.0", "constructs@10.4.2"], consumer, 240_000);
    installSeconds = (Date.now() - started) / 1000;
    mkdirSync(join(consumer, "node_modules", "@types"), { recursive: true });
    symlinkSync(join(root, "node_modules", "@types", "node"), join(consumer, "node_modules", "@types", "node"), "dir");
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "node16",
          moduleResolution: "node16",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          noEmit: true,
          types: ["node"],
        },
        include: ["main.ts"],
      }),
    );
    writeFileSync(join(consumer, "main.ts"), readmeCodeBlock("## Monitor your own service"));
    writeFileSync(join(consumer, "orders.json"), JSON.stringify(ORDERS_DASHBOARD_EXPORT, null, 2));
  }, 400_000);
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  function synth(outdir: string) {
    return spawnSync(tsx, ["main.ts"], {
      cwd: consumer,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
    });
  }

  it("is a complete app of about 15 lines importing the package by name", () => {
    const code = readmeCodeBlock("## Monitor your own service");
    expect(code).toContain('from "monitoring-stack"');
    // No props: nothing about the password file to write by hand.
    expect(code).toContain('new MonitoringStack(app, "monitoring");');
    expect(code).not.toMatch(/from "\.\.?\//);
    expect(code.trim().split("\n").length).toBeLessThanOrEqual(20);
  });

  it("type-checks in a fresh app", () => {
    const result = spawnSync(process.execPath, [tsc, "-p", consumer], { encoding: "utf8", timeout: 180_000 });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 200_000);

  it("synthesizes the service, its rule, its dashboard and the Prometheus build context, byte-identical twice", () => {
    const first = synth("out1");
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const second = synth("out2");
    expect(second.status).toBe(0);

    const out = tree(join(consumer, "out1", "stacks", "monitoring"));
    expect(tree(join(consumer, "out2", "stacks", "monitoring"))).toEqual(out);
    const json = JSON.parse(out["cdk.tf.json"]) as {
      resource: {
        docker_container: Record<string, { name: string }>;
        grafana_dashboard: Record<string, { config_json: string }>;
      };
    };
    expect(Object.values(json.resource.docker_container).map((c) => c.name)).toContain("monitoring-orders");
    const dashboards = Object.values(json.resource.grafana_dashboard).map(
      (d) => JSON.parse(d.config_json) as { uid: string; panels: { datasource: { uid: string } }[] },
    );
    const orders = dashboards.find((d) => d.uid === "orders");
    expect(orders?.panels[0].datasource.uid).toBe("prometheus");
    expect(out["build/prometheus/prometheus.yml"]).toContain("job_name: orders");
    expect(out["build/prometheus/rules/orders.yml"]).toContain("alert: OrdersBacklogHigh");
    expect(out["build/prometheus/rules/alerts.yml"]).toMatch(/job=~"[^"]*\borders\b/);
    expect(out["cdk.tf.json"]).not.toContain(consumer);
    expect(out["cdk.tf.json"]).not.toContain(root);

    // No prop: the password was generated by the first synth only, in the project's .secrets/ (mode 0600, its folder
    // 0700 with a .gitignore), and is in no synthesized file.
    expect(first.stdout).toContain(
      "Generated the Grafana admin password in .secrets/grafana-admin-password (mode 0600; keep it private).",
    );
    expect(second.stdout).not.toContain("Generated");
    const secrets = join(consumer, ".secrets");
    const password = readFileSync(join(secrets, "grafana-admin-password"), "utf8").trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(join(secrets, "grafana-admin-password")).mode & 0o777).toBe(0o600);
    expect(statSync(secrets).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(secrets, ".gitignore"), "utf8")).toMatch(/^\*$/m);
    expect(Object.values(out).join("\n")).not.toContain(password);
  }, 300_000);

  it("installs as a copy with only the runtime dependencies: no TypeScript source, no app/, no tsx", () => {
    const installed = join(consumer, "node_modules", "monitoring-stack");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    const files = walk(installed);
    expect(files).toEqual(expect.arrayContaining(["dist/constructs/index.js", "dist/constructs/index.d.ts"]));
    expect(files.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((path) => /^(app|__tests__|scripts)\//.test(path))).toEqual([]);
    // The demo API and its contract are not in the package, and nothing in it needs them.
    const text = files
      .filter((path) => path.endsWith(".js"))
      .map((path) => readFileSync(join(installed, path), "utf8"));
    expect(text.filter((code) => code.includes("@monitoring-stack/api"))).toEqual([]);
    // The runbook pages the alerts' `runbook` annotation names travel with the package.
    expect(files).toContain("docs/runbooks/TargetDown.md");
    // So do the pages the README links: every relative link of the installed README resolves in the package, but the
    // demo API's folder, which the package leaves out (above).
    const links = [...readFileSync(join(installed, "README.md"), "utf8").matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map(
      (match) => match[1] ?? "",
    );
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((link) => link !== "app/" && !existsSync(join(installed, link)))).toEqual([]);
    const installedPackages = readdirSync(join(consumer, "node_modules"));
    expect(installedPackages).not.toContain("tsx");
    expect(installedPackages).not.toContain("typescript");
    expect(installedPackages).not.toContain("cdktf-cli");
    // Measured for the report; the whole install (npm's cache warm) is well under the suite's timeout.
    expect(installSeconds).toBeLessThan(240);
  });

  /** `node main.js` in `project`, with nothing of this checkout's environment but PATH and HOME. */
  const runPlainNode = (project: string) =>
    spawnSync(process.execPath, ["main.js"], {
      cwd: project,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
    });

  it("a plain-node app (require, no tsx) with a zero-props stack and one service synthesizes cdk.tf.json", () => {
    // The smallest app: no props at all, one service, synth; in a project folder of its own (the consumer's deps).
    const project = join(consumer, "minimal");
    mkdirSync(project);
    writeFileSync(
      join(project, "main.js"),
      [
        'const { App } = require("cdktf");',
        'const { MonitoringStack } = require("monitoring-stack");',
        "",
        "const app = new App();",
        'const monitoring = new MonitoringStack(app, "monitoring");',
        'monitoring.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080 });',
        "app.synth();",
        "",
      ].join("\n"),
    );
    const result = runPlainNode(project);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);

    const file = join(project, ".secrets", "grafana-admin-password");
    expect(readFileSync(file, "utf8").trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(project, ".secrets", ".gitignore"), "utf8")).toMatch(/^\*$/m);
    const stackDir = join(project, "cdktf.out", "stacks", "monitoring");
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: { docker_container: Record<string, { name: string; mounts?: { type: string; source: string }[] }> };
      output: Record<string, { value: string }>;
    };
    const names = Object.values(json.resource.docker_container).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["monitoring-orders", "monitoring-prometheus", "monitoring-grafana"]));
    expect(readFileSync(join(stackDir, "build/prometheus/prometheus.yml"), "utf8")).toContain("job_name: orders");
    // Terraform and Grafana read the generated file, relative to the stack's folder.
    const grafana = Object.values(json.resource.docker_container).find((c) => c.name === "monitoring-grafana");
    expect(grafana?.mounts?.find((mount) => mount.type === "bind")?.source).toBe(
      '${abspath("${path.cwd}/../../../.secrets/grafana-admin-password")}',
    );
    expect(json.output.grafana_admin_password_hint.value).toMatch(/^cat \.secrets\/grafana-admin-password /);
  }, 200_000);

  it("a plain-node app ending in synthOrExit(app) prints a bad setting once, without a stack trace, and exits 1", () => {
    const project = join(consumer, "mistake");
    mkdirSync(project);
    writeFileSync(
      join(project, "main.js"),
      [
        'const { App } = require("cdktf");',
        'const { MonitoringStack, synthOrExit } = require("monitoring-stack");',
        "",
        "const app = new App();",
        'const monitoring = new MonitoringStack(app, "monitoring");',
        'monitoring.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: "8080" });',
        "synthOrExit(app);",
        "",
      ].join("\n"),
    );
    const result = runPlainNode(project);
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 1,
      stdout: "",
      stderr:
        'MonitoringStack "monitoring": 1 invalid setting:\n' +
        '  - orders.port must be an integer between 1 and 65535 (got "8080")\n',
    });
    // Nothing half-written: no stack output, no password generated.
    expect(existsSync(join(project, "cdktf.out", "stacks", "monitoring", "cdk.tf.json"))).toBe(false);
    expect(existsSync(join(project, ".secrets", "grafana-admin-password"))).toBe(false);
  }, 200_000);
});
