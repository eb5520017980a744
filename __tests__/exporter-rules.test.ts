/**
 * The host (node-exporter) and probe (blackbox-exporter) alert rules: the renderers' output and their validation.
 * promtool's `check rules` and `test rules` on these files, with the cases each component registers next to its rules
 * (`rules.cases.ts`), are in rule-cases.test.ts.
 */
import { PROBE_ALERT_NAMES, PROBE_JOB, renderProbeAlertRules } from "../constructs/blackbox-exporter";
import {
  HOST_ALERT_NAMES,
  NodeExporter,
  hostAlertRulesProblems,
  renderHostAlertRules,
} from "../constructs/node-exporter";

const SCRAPE_INTERVAL_SECONDS = 15;
const NODE_JOB = NodeExporter.NAME;
const HOST = renderHostAlertRules({ jobName: NODE_JOB, scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });
const PROBES = renderProbeAlertRules({ jobName: PROBE_JOB, scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });

describe("the host and probe rules", () => {
  it("render one rule per alert, each with a for: of at least two scrape intervals", () => {
    const rules = [...HOST.groups, ...PROBES.groups].flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual([
      ...Object.values(HOST_ALERT_NAMES),
      ...Object.values(PROBE_ALERT_NAMES),
    ]);
    expect(rules.map((rule) => rule.for)).toEqual(["5m", "5m", "5m", "5m", "1m"]);
  });

  it("select only their own job", () => {
    for (const rule of HOST.groups[0].rules) expect(rule.expr).toContain(`job="${NODE_JOB}"`);
    expect(PROBES.groups[0].rules[0].expr).toBe(`probe_success{job="${PROBE_JOB}"} == 0`);
  });

  it("accepts the defaults", () => {
    expect(
      hostAlertRulesProblems({ jobName: NODE_JOB, scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS }, "node-exporter"),
    ).toEqual([]);
  });

  it("fails when a ratio is outside (0, 1) or a duration is shorter than the scrape interval allows", () => {
    expect(
      hostAlertRulesProblems(
        {
          jobName: NODE_JOB,
          scrapeIntervalSeconds: 60,
          thresholds: { cpuBusyRatio: 1.5, forSeconds: 60, rateWindowSeconds: 120 },
        },
        "node-exporter",
      ),
    ).toEqual([
      {
        path: "node-exporter.thresholds.cpuBusyRatio",
        message: "node-exporter.thresholds.cpuBusyRatio must be a number greater than 0 and less than 1 (got 1.5)",
      },
      {
        path: "node-exporter.thresholds.rateWindowSeconds",
        message:
          "node-exporter.thresholds.rateWindowSeconds must be a whole number of seconds between 240 and 86400; the rate window of HostCpuSaturated must span at least 4 scrape intervals (4 × 60s) so rate() always has enough samples (got 120)",
      },
      {
        path: "node-exporter.thresholds.forSeconds",
        message:
          "node-exporter.thresholds.forSeconds must be a whole number of seconds between 120 and 86400; the for: duration of every host alert must span at least 2 scrape intervals (2 × 60s) so one missed scrape cannot fire it (got 60)",
      },
    ]);
  });
});
