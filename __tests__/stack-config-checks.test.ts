import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Alertmanager } from "../constructs/alertmanager";
import type { GeneratedFile } from "../constructs/core/config-image-files";
import { describeWithBinaries, runBinary } from "./support/prometheus-binaries";
import { synthMonitoringStack } from "./support/stack";

/** Writes files (paths relative to `dir`) as the config images would hold them. */
function writeFiles(dir: string, files: readonly GeneratedFile[]): void {
  for (const file of files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
}

// The files the stack itself bakes into its images, not hand-built ones, checked by the real tools.
describeWithBinaries("the stack's own config files pass promtool and amtool", ["promtool", "amtool"], (bins) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stack-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // The environment variables main.ts reads, as a user sets them.
  it.each<[string, Record<string, string>]>([
    ["the default stack", {}],
    ["a stack with Alertmanager", { ALERTMANAGER_ENABLED: "true" }],
    [
      "a stack scraping every 5 s with custom thresholds",
      { SCRAPE_INTERVAL_SECONDS: "5", ALERT_API_ERROR_RATIO: "0.2" },
    ],
  ])("promtool check config accepts prometheus.yml and its rules for %s", async (_name, env) => {
    const { stack } = synthMonitoringStack({}, env);
    writeFiles(dir, stack.prometheus.configFiles());
    const result = await runBinary(bins.promtool, ["check", "config", "--lint=all", "--lint-fatal", "prometheus.yml"], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
      exitCode: 0,
      // Every rule file the stack adds (Prometheus', the demo API's, node-exporter's, the blackbox exporter's).
      output: expect.stringContaining(`SUCCESS: ${stack.ruleFiles.length} rule files found`),
    });
  });

  it("amtool check-config accepts the Alertmanager config the stack bakes in, with and without a webhook", async () => {
    for (const env of [
      { ALERTMANAGER_ENABLED: "true" },
      { ALERTMANAGER_ENABLED: "true", ALERTMANAGER_WEBHOOK_URL_FILE: "/etc/monitoring/webhook-url" },
    ]) {
      const alertmanager = synthMonitoringStack({}, env).stack.services.get(Alertmanager.NAME);
      if (!(alertmanager instanceof Alertmanager)) throw new Error("the stack deploys no Alertmanager");
      // The file exactly as the stack bakes it into the Alertmanager image.
      const config = alertmanager.configImage?.contextFiles().find((f) => f.path.endsWith("/alertmanager.yml"));
      if (config === undefined) throw new Error("the Alertmanager image holds no alertmanager.yml");
      writeFileSync(join(dir, "alertmanager.yml"), config.content);
      const result = await runBinary(bins.amtool, ["check-config", "alertmanager.yml"], {
        cwd: dir,
        timeoutMs: 20_000,
      });
      expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
        exitCode: 0,
        output: expect.stringContaining("SUCCESS"),
      });
    }
  });
});
