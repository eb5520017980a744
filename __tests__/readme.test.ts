import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { ALERTMANAGER_DEFAULTS } from "../constructs/alertmanager";
import { DEFAULT_API_ALERT_THRESHOLDS, DEMO_API_DEFAULTS } from "../constructs/api";
import { ENV_SETTINGS, describeSetting } from "../constructs/env-config";
import { GRAFANA_DEFAULTS } from "../constructs/grafana";
import { PROMETHEUS_DEFAULTS } from "../constructs/prometheus";
import { ALERTS_DOC, withAlertsIndex } from "../scripts/docs/alerts";
import { CONFIGURATION_DOC, formattedConfigurationDoc, prettierMarkdown } from "../scripts/docs/configuration";
import { IMAGES } from "./support/versions";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts,
);

/** The cells of every Markdown table row of `markdown`, trimmed. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

/**
 * The HTML comments of `markdown` that never end, or that hold another `<!--`, as "line N: ..." messages. Each `<!--`
 * must have a later `-->`, and comments do not nest. Outside a comment, fenced code blocks and code spans are code, not
 * Markdown, and are skipped.
 */
function unclosedComments(markdown: string): string[] {
  const problems: string[] = [];
  let openedOn: number | undefined;
  let fence: string | undefined;
  markdown.split("\n").forEach((line, index) => {
    const lineNumber = index + 1;
    if (openedOn === undefined) {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence !== undefined) {
        if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
        return;
      }
      if (marker !== undefined) {
        fence = marker;
        return;
      }
    }
    let rest = line;
    for (;;) {
      if (openedOn === undefined) {
        rest = rest.replace(/`[^`]*`/g, "");
        const start = rest.indexOf("<!--");
        if (start < 0) break;
        openedOn = lineNumber;
        rest = rest.slice(start + "<!--".length);
      } else {
        const end = rest.indexOf("-->");
        const nested = rest.indexOf("<!--");
        if (nested >= 0 && (end < 0 || nested < end)) {
          problems.push(`line ${lineNumber}: <!-- inside the comment opened on line ${openedOn}`);
        }
        if (end < 0) break;
        openedOn = undefined;
        rest = rest.slice(end + "-->".length);
      }
    }
  });
  if (openedOn !== undefined) problems.push(`line ${openedOn}: <!-- never closed by a later -->`);
  return problems;
}

const rows = tableRows(readme);
const docsDir = join(root, "docs");
const configuration = readFileSync(join(root, CONFIGURATION_DOC), "utf8");
const commands = readFileSync(join(docsDir, "commands.md"), "utf8");

describe("README.md tells the truth", () => {
  it.each([
    ["`monitoring-api`", IMAGES.node, DEMO_API_DEFAULTS.hostPort],
    ["`monitoring-prometheus`", IMAGES.prometheus, PROMETHEUS_DEFAULTS.hostPort],
    ["`monitoring-grafana`", IMAGES.grafana, GRAFANA_DEFAULTS.hostPort],
    ["`monitoring-alertmanager` (opt-in)", IMAGES.alertmanager, ALERTMANAGER_DEFAULTS.hostPort],
  ])("the deployed table gives %s its image %s and host port %d", (container, image, port) => {
    const row = rows.find((cells) => cells[0] === container);
    expect(row?.[1]).toContain(image);
    expect(row?.[2]).toBe(String(port));
  });

  it.each([
    ["`monitoring-node-exporter`", IMAGES["node-exporter"]],
    ["`monitoring-blackbox-exporter`", IMAGES["blackbox-exporter"]],
    ["`monitoring-cadvisor` (opt-in)", IMAGES.cadvisor],
  ])("the deployed table gives the exporter %s its image %s and publishes nothing", (container, image) => {
    const row = rows.find((cells) => cells[0] === container);
    expect(row?.[1]).toContain(`\`${image}\``);
    expect(row?.[2]).toBe("none (scraped inside the network)");
  });

  it("points at the runbook pages", () => {
    expect(readme).toContain("[`docs/runbooks/`](docs/runbooks/README.md)");
  });

  it("is a front page of at most 12 KB", () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
  });

  it("links every page of docs/ from its Documentation list", () => {
    const list = readme.slice(readme.indexOf("\n## Documentation\n"));
    const pages = readdirSync(docsDir).filter((name) => name.endsWith(".md"));
    expect(pages.length).toBeGreaterThanOrEqual(8);
    expect(pages.filter((page) => !list.includes(`](docs/${page})`))).toEqual([]);
  });

  it("and the pages of docs/ link only to files that exist", () => {
    const pages = [
      "README.md",
      ...readdirSync(docsDir)
        .filter((name) => name.endsWith(".md"))
        .map((name) => `docs/${name}`),
    ];
    const broken = pages.flatMap((page) =>
      [...readFileSync(join(root, page), "utf8").matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)]
        .map((match) => match[1])
        .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith("<"))
        .filter((target) => !existsSync(join(root, dirname(page), target)))
        .map((target) => `${page}: ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it("and no page of README.md or docs/ (recursively) leaves an HTML comment open, which would hide the rest", () => {
    const pages = [
      "README.md",
      ...readdirSync(docsDir, { recursive: true, encoding: "utf8" })
        .filter((name) => name.endsWith(".md"))
        .map((name) => `docs/${name}`),
    ];
    expect(pages).toContain("docs/runbooks/README.md");
    const problems = pages.flatMap((page) =>
      unclosedComments(readFileSync(join(root, page), "utf8")).map((problem) => `${page}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });
});

describe("docs/configuration.md is generated from the code (npm run docs)", () => {
  it("is current: what `npm run docs` writes now", () => {
    expect(configuration).toBe(formattedConfigurationDoc(root));
  });

  it.each(ENV_SETTINGS.map((setting) => [setting.env, setting] as const))(
    "documents the environment variable %s with its setting and its meaning (with its default)",
    (env, setting) => {
      expect(tableRows(configuration)).toContainEqual([`\`${env}\``, `\`${setting.path}\``, describeSetting(setting)]);
    },
  );

  it("documents no environment variable that does not exist", () => {
    const documented = tableRows(configuration).flatMap((cells) =>
      /^`[A-Z][A-Z0-9_]+`$/.test(cells[0]) ? [cells[0].slice(1, -1)] : [],
    );
    expect(documented.sort()).toEqual(ENV_SETTINGS.map((setting) => setting.env).sort());
  });

  it("lists the resolved defaults of the constructs, read from their constants", () => {
    expect(tableRows(configuration)).toContainEqual(["`hostPort`", `\`${PROMETHEUS_DEFAULTS.hostPort}\``]);
    expect(tableRows(configuration)).toContainEqual(["`retentionDays`", `\`${PROMETHEUS_DEFAULTS.retentionDays}\``]);
    expect(tableRows(configuration)).toContainEqual(["`image`", `\`${GRAFANA_DEFAULTS.image}\``]);
  });
});

describe("docs/alerts.md's alert index is generated from the rule files (npm run docs)", () => {
  const page = readFileSync(join(root, ALERTS_DOC), "utf8");

  it("is current: what `npm run docs` writes now", () => {
    expect(page).toBe(prettierMarkdown(root, ALERTS_DOC, withAlertsIndex(page)));
  });

  it("lists every alert with its runbook page and the default thresholds of the code", () => {
    const alerts = tableRows(page).flatMap((cells) => {
      const match = /^\[`(\w+)`\]\(runbooks\/(\w+)\.md\)$/.exec(cells[0]);
      return match === null ? [] : [match[1]];
    });
    const runbooks = readdirSync(join(docsDir, "runbooks")).filter((name) => name !== "README.md");
    expect([...new Set(alerts)].sort()).toEqual(runbooks.map((name) => name.replace(/\.md$/, "")).sort());
    // A row's expression holds escaped pipes (`\|`): the whole line is read.
    const latency = page.split("\n").find((line) => line.startsWith("| [`ApiHighLatencyP95`]"));
    expect(latency).toContain(`> ${DEFAULT_API_ALERT_THRESHOLDS.latencyP95Seconds} and`);
  });
});

describe("docs/commands.md", () => {
  it("lists every npm script in the commands table, and only those", () => {
    const listed = tableRows(commands).flatMap((cells) => {
      const match = /^`npm (?:run )?([a-z:-]+)`$/.exec(cells[0]);
      return match === null ? [] : [match[1]];
    });
    // `prepack` is npm's hook (it runs `build`), not a command anyone types.
    const userFacing = scripts.filter((script) => script !== "format" && script !== "prepack");
    expect(listed.sort()).toEqual(userFacing.sort());
  });
});

describe("README.md and CI agree", () => {
  it("tells a fresh clone to run npm ci && npm test, which is exactly what .ci/run runs", () => {
    const ciCommands = readFileSync(join(root, ".ci", "run"), "utf8")
      .split("\n")
      .filter((line) => /^npm /.test(line));

    expect(readme).toContain("```sh\nnpm ci && npm test\n```");
    expect(ciCommands).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
  });

  it("needs nothing outside the repository: no ../shared in the README, CI or the code", () => {
    // The pinned versions live in each component's defaults.ts, collected by the registry.
    const defaults = readdirSync(join(root, "constructs"), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && readdirSync(join(root, "constructs", entry.name)).includes("defaults.ts"),
      )
      .map((entry) => `constructs/${entry.name}/defaults.ts`);
    expect(defaults.length).toBeGreaterThan(0);
    const files = ["README.md", ".ci/run", "package.json", "jest.config.js", "constructs/components.ts", ...defaults];
    const mentions = files.filter((file) => readFileSync(join(root, file), "utf8").includes("../shared"));

    expect(mentions).toEqual([]);
  });
});
