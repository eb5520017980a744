import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

  it.each([
    ["the default stack", {}],
    ["a stack with Alertmanager", { alertmanager: { enabled: true } }],
    [
      "a stack scraping every 5 s with custom thresholds",
      { scrapeIntervalSeconds: 5, alerting: { thresholds: { apiErrorRatio: 0.2 } } },
    ],
  ])("promtool check config accepts prometheus.yml and its rules for %s", async (_name, overrides) => {
    writeFiles(dir, synthMonitoringStack(overrides).stack.prometheus.configFiles());
    const result = await runBinary(bins.promtool, ["check", "config", "--lint=all", "--lint-fatal", "prometheus.yml"], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
      exitCode: 0,
      // rules/alerts.yml and the demo API's rules/api.yml
      // alerts.yml, api.yml, and node-exporter's host.yml and the blackbox exporter's probes.yml.
      output: expect.stringContaining("SUCCESS: 4 rule files found"),
    });
  });

  it("amtool check-config accepts the Alertmanager config the stack bakes in, with and without a webhook", async () => {
    for (const alertmanager of [{ enabled: true }, { enabled: true, webhookUrlFile: "/etc/monitoring/webhook-url" }]) {
      const stack = synthMonitoringStack({ alertmanager }).stack;
      const config = stack.alertmanager?.image.contextFiles().find((f) => f.path.endsWith("/alertmanager.yml"));
      writeFileSync(join(dir, "alertmanager.yml"), config?.content ?? "");
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
