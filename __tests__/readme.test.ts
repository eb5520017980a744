import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Alertmanager } from "../constructs/alertmanager";
import { ApiService } from "../constructs/api";
import { ENV_SETTINGS } from "../constructs/env-config";
import { Grafana } from "../constructs/grafana";
import { Prometheus } from "../constructs/prometheus";
import { EXPORTER_ALERT_NAMES } from "../constructs/exporter-rules";
import { IMAGES } from "./support/versions";

const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts,
);

/** The cells of every Markdown table row, trimmed. */
const rows = readme
  .split("\n")
  .filter((line) => line.startsWith("|"))
  .map((line) =>
    line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim()),
  );

describe("README.md tells the truth", () => {
  it.each([
    ["`monitoring-api`", IMAGES.node, ApiService.DEFAULT_HOST_PORT],
    ["`monitoring-prometheus`", IMAGES.prometheus, Prometheus.DEFAULT_HOST_PORT],
    ["`monitoring-grafana`", IMAGES.grafana, Grafana.DEFAULT_HOST_PORT],
    ["`monitoring-alertmanager` (opt-in)", IMAGES.alertmanager, Alertmanager.DEFAULT_HOST_PORT],
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

  it("has a runbook section for every host and probe alert the rules link to", () => {
    for (const alert of Object.values(EXPORTER_ALERT_NAMES)) {
      expect(readme).toContain(`\n### Runbook: ${alert}\n`);
    }
  });

  it("documents every environment variable main.ts reads, with its setting and meaning", () => {
    for (const setting of ENV_SETTINGS) {
      expect(rows).toContainEqual([`\`${setting.env}\``, `\`${setting.path}\``, setting.description]);
    }
  });

  it("documents no environment variable that does not exist", () => {
    const documented = rows.flatMap((cells) => (/^`[A-Z][A-Z0-9_]+`$/.test(cells[0]) ? [cells[0].slice(1, -1)] : []));
    expect(documented.sort()).toEqual(ENV_SETTINGS.map((setting) => setting.env).sort());
  });

  it("lists every npm script in the commands table, and only those", () => {
    const listed = rows.flatMap((cells) => {
      const match = /^`npm (?:run )?([a-z:-]+)`$/.exec(cells[0]);
      return match === null ? [] : [match[1]];
    });
    const userFacing = scripts.filter((script) => script !== "format");
    expect(listed.sort()).toEqual(userFacing.sort());
  });

  it("tells a fresh clone to run npm ci && npm test, which is exactly what .ci/run runs", () => {
    const ciCommands = readFileSync(join(root, ".ci", "run"), "utf8")
      .split("\n")
      .filter((line) => /^npm /.test(line));

    expect(readme).toContain("```sh\nnpm ci && npm test\n```");
    expect(ciCommands).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
  });

  it("needs nothing outside the repository: no ../shared in the README, CI or the code", () => {
    const files = ["README.md", ".ci/run", "package.json", "jest.config.js", "constructs/versions.ts"];
    const mentions = files.filter((file) => readFileSync(join(root, file), "utf8").includes("../shared"));

    expect(mentions).toEqual([]);
  });
});
