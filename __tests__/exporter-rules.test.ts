/**
 * The host (node-exporter) and probe (blackbox-exporter) alert rules: the renderer's output, its validation, and the
 * real promtool's `check rules` and `test rules`, with fixtures derived from the same thresholds the rules are rendered
 * from, for every alert both when it must fire and when it must not.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  EXPORTER_ALERT_NAMES,
  hostAlertRulesProblems,
  probeFailedForSeconds,
  renderHostAlertRules,
  renderProbeAlertRules,
  resolveHostAlertThresholds,
} from "../constructs/exporter-rules";
import { toGeneratedYaml } from "../constructs/prometheus/config";
import { formatDuration } from "../constructs/core/validation";
import { EXPORTER_NAMES, NODE_METRICS, PROBE_METRICS } from "../dashboards/exporter-metrics";
import { describeWithBinaries, runBinary, type RunResult } from "./support/prometheus-binaries";

const SCRAPE_INTERVAL_SECONDS = 15;
const STEP_SECONDS = SCRAPE_INTERVAL_SECONDS;
const NODE_JOB = EXPORTER_NAMES.nodeExporter;
const PROBE_JOB = EXPORTER_NAMES.probes;
const INSTANCE = "node-exporter:9100";
const HOST = renderHostAlertRules({ jobName: NODE_JOB, scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });
const PROBES = renderProbeAlertRules({ jobName: PROBE_JOB, scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });
const T = resolveHostAlertThresholds(undefined, SCRAPE_INTERVAL_SECONDS);
const PROBE_FOR_SECONDS = probeFailedForSeconds({ scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS });

type Labels = Readonly<Record<string, string>>;
interface ExpectedAlert {
  readonly exp_labels: Labels;
  readonly exp_annotations: Labels;
}
interface AlertTest {
  readonly eval_time: string;
  readonly alertname: string;
  /** Empty: must not be firing at `eval_time` (pending does not count). */
  readonly exp_alerts: readonly ExpectedAlert[];
}
interface InputSeries {
  readonly series: string;
  readonly values: string;
}

function series(metric: string, labels: Labels, values: string): InputSeries {
  return {
    series: `${metric}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",")}}`,
    values,
  };
}

/** `samples` samples of the same value. */
function flat(value: number, samples: number): string {
  return `${value}+0x${samples - 1}`;
}

/** A counter growing by `perStep` every step. */
function counter(perStep: number, samples: number): string {
  return `0+${perStep}x${samples - 1}`;
}

/** What Prometheus' `humanizePercentage` prints for a ratio (4 significant digits). */
function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}

/** Long enough for the rate window to fill and the `for:` to pass, with two steps of margin. */
const HOST_FIRES_AT = T.rateWindowSeconds + T.forSeconds + 2 * STEP_SECONDS;
const SAMPLES = HOST_FIRES_AT / STEP_SECONDS + 2;
const NODE = { job: NODE_JOB, instance: INSTANCE };
const ROOT_FS = { device: "/dev/vda", fstype: "ext4", mountpoint: "/" };

function annotations(alert: string, summary: string, description: string): Labels {
  return { summary, description, runbook: `README.md, section "Runbook: ${alert}"` };
}

function cpuAlert(busy: number): ExpectedAlert {
  const alert = EXPORTER_ALERT_NAMES.hostCpuSaturated;
  return {
    exp_labels: { instance: INSTANCE, severity: "warning" },
    exp_annotations: annotations(
      alert,
      "The host's CPUs are saturated",
      `${INSTANCE}: CPUs busy ${pct(busy)} of the time over ${formatDuration(T.rateWindowSeconds)} (threshold ${pct(T.cpuBusyRatio)}).`,
    ),
  };
}

/** The idle counter of one CPU busy `busy` of the time. */
function idleCpu(busy: number): InputSeries {
  return series(
    NODE_METRICS.cpuSecondsTotal.name,
    { ...NODE, cpu: "0", mode: "idle" },
    counter(STEP_SECONDS * (1 - busy), SAMPLES),
  );
}

function memory(availableRatio: number): InputSeries[] {
  const total = 1_000_000_000;
  return [
    series(NODE_METRICS.memoryTotalBytes.name, NODE, flat(total, SAMPLES)),
    series(NODE_METRICS.memoryAvailableBytes.name, NODE, flat(total * availableRatio, SAMPLES)),
  ];
}

function filesystem(fs: Labels, availableRatio: number, readonly: 0 | 1): InputSeries[] {
  const size = 100_000_000_000;
  return [
    series(NODE_METRICS.filesystemSizeBytes.name, { ...NODE, ...fs }, flat(size, SAMPLES)),
    series(NODE_METRICS.filesystemAvailBytes.name, { ...NODE, ...fs }, flat(size * availableRatio, SAMPLES)),
    series(NODE_METRICS.filesystemReadonly.name, { ...NODE, ...fs }, flat(readonly, SAMPLES)),
  ];
}

// Above the threshold by half the distance to 100%; below it by a tenth.
const BUSY_ABOVE = (1 + T.cpuBusyRatio) / 2;
const BUSY_BELOW = T.cpuBusyRatio - 0.1;
const MEMORY_BELOW = T.memoryAvailableRatio / 2;
const DISK_BELOW = T.filesystemAvailableRatio / 2;

/** Each test group: its input series and what must (not) fire at which time. */
const GROUPS: readonly { readonly name: string; readonly input: InputSeries[]; readonly tests: AlertTest[] }[] = [
  {
    name: "HostCpuSaturated fires above the threshold for its for: duration",
    input: [idleCpu(BUSY_ABOVE)],
    tests: [
      {
        eval_time: formatDuration(HOST_FIRES_AT),
        alertname: EXPORTER_ALERT_NAMES.hostCpuSaturated,
        exp_alerts: [cpuAlert(BUSY_ABOVE)],
      },
      // Above, but not yet for its whole for: duration: pending, not firing.
      {
        eval_time: formatDuration(T.forSeconds - STEP_SECONDS),
        alertname: EXPORTER_ALERT_NAMES.hostCpuSaturated,
        exp_alerts: [],
      },
    ],
  },
  {
    name: "HostCpuSaturated stays quiet below the threshold",
    input: [idleCpu(BUSY_BELOW)],
    tests: [
      { eval_time: formatDuration(HOST_FIRES_AT), alertname: EXPORTER_ALERT_NAMES.hostCpuSaturated, exp_alerts: [] },
    ],
  },
  {
    name: "HostMemoryPressure fires below the available share",
    input: memory(MEMORY_BELOW),
    tests: [
      {
        eval_time: formatDuration(HOST_FIRES_AT),
        alertname: EXPORTER_ALERT_NAMES.hostMemoryPressure,
        exp_alerts: [
          {
            exp_labels: { ...NODE, severity: "warning" },
            exp_annotations: annotations(
              EXPORTER_ALERT_NAMES.hostMemoryPressure,
              "The host is running out of memory",
              `${INSTANCE}: only ${pct(MEMORY_BELOW)} of memory available (threshold ${pct(T.memoryAvailableRatio)}).`,
            ),
          },
        ],
      },
    ],
  },
  {
    name: "HostMemoryPressure stays quiet above the available share",
    input: memory(T.memoryAvailableRatio * 2),
    tests: [
      { eval_time: formatDuration(HOST_FIRES_AT), alertname: EXPORTER_ALERT_NAMES.hostMemoryPressure, exp_alerts: [] },
    ],
  },
  {
    name: "HostDiskFilling fires for a disk filesystem below the free share",
    input: filesystem(ROOT_FS, DISK_BELOW, 0),
    tests: [
      {
        eval_time: formatDuration(HOST_FIRES_AT),
        alertname: EXPORTER_ALERT_NAMES.hostDiskFilling,
        exp_alerts: [
          {
            exp_labels: { ...NODE, ...ROOT_FS, severity: "warning" },
            exp_annotations: annotations(
              EXPORTER_ALERT_NAMES.hostDiskFilling,
              "A filesystem of the host is almost full",
              `${INSTANCE}: / (/dev/vda) has ${pct(DISK_BELOW)} of its space left (threshold ${pct(T.filesystemAvailableRatio)}).`,
            ),
          },
        ],
      },
    ],
  },
  {
    name: "HostDiskFilling stays quiet with free space, for a full tmpfs, and for a read-only filesystem",
    input: [
      ...filesystem(ROOT_FS, T.filesystemAvailableRatio * 2, 0),
      ...filesystem({ device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" }, 0.01, 0),
      ...filesystem({ device: "/dev/sr0", fstype: "iso9660", mountpoint: "/media/cd" }, 0, 1),
    ],
    tests: [
      { eval_time: formatDuration(HOST_FIRES_AT), alertname: EXPORTER_ALERT_NAMES.hostDiskFilling, exp_alerts: [] },
    ],
  },
  {
    name: "HostFilesystemReadOnly fires for a read-only disk filesystem",
    input: filesystem(ROOT_FS, 0.5, 1),
    tests: [
      {
        eval_time: formatDuration(HOST_FIRES_AT),
        alertname: EXPORTER_ALERT_NAMES.hostFilesystemReadOnly,
        exp_alerts: [
          {
            exp_labels: { ...NODE, ...ROOT_FS, severity: "warning" },
            exp_annotations: annotations(
              EXPORTER_ALERT_NAMES.hostFilesystemReadOnly,
              "A filesystem of the host is read-only",
              `${INSTANCE}: / (/dev/vda) is mounted read-only; writes to it fail.`,
            ),
          },
        ],
      },
    ],
  },
  {
    name: "HostFilesystemReadOnly stays quiet for read-write filesystems and a read-only tmpfs",
    input: [
      ...filesystem(ROOT_FS, 0.5, 0),
      ...filesystem({ device: "tmpfs", fstype: "tmpfs", mountpoint: "/sys/fs/cgroup" }, 0.5, 1),
    ],
    tests: [
      {
        eval_time: formatDuration(HOST_FIRES_AT),
        alertname: EXPORTER_ALERT_NAMES.hostFilesystemReadOnly,
        exp_alerts: [],
      },
    ],
  },
  {
    name: "ProbeFailed fires for a failing probe after its for: duration, and only for that one",
    input: [
      series(
        PROBE_METRICS.success.name,
        { job: PROBE_JOB, instance: "http://grafana:3000/api/health", service: "grafana" },
        flat(0, PROBE_FOR_SECONDS / STEP_SECONDS + 4),
      ),
      series(
        PROBE_METRICS.success.name,
        { job: PROBE_JOB, instance: "http://api:8000/health", service: "api" },
        flat(1, PROBE_FOR_SECONDS / STEP_SECONDS + 4),
      ),
    ],
    tests: [
      {
        eval_time: formatDuration(PROBE_FOR_SECONDS + 2 * STEP_SECONDS),
        alertname: EXPORTER_ALERT_NAMES.probeFailed,
        exp_alerts: [
          {
            exp_labels: {
              job: PROBE_JOB,
              instance: "http://grafana:3000/api/health",
              service: "grafana",
              severity: "critical",
            },
            exp_annotations: annotations(
              EXPORTER_ALERT_NAMES.probeFailed,
              "A health endpoint fails its probe",
              "http://grafana:3000/api/health (grafana) fails its probe from inside the network: no answer, or not 2xx.",
            ),
          },
        ],
      },
      // One failed probe is not an outage: pending only, until the for: duration has passed.
      {
        eval_time: formatDuration(PROBE_FOR_SECONDS - STEP_SECONDS),
        alertname: EXPORTER_ALERT_NAMES.probeFailed,
        exp_alerts: [],
      },
    ],
  },
];

describe("the host and probe rules", () => {
  it("render one rule per alert, each with a for: of at least two scrape intervals", () => {
    const rules = [...HOST.groups, ...PROBES.groups].flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(Object.values(EXPORTER_ALERT_NAMES));
    expect(rules.map((rule) => rule.for)).toEqual(["5m", "5m", "5m", "5m", "1m"]);
  });

  it("select only their own job", () => {
    for (const rule of HOST.groups[0].rules) expect(rule.expr).toContain(`job="${NODE_JOB}"`);
    expect(PROBES.groups[0].rules[0].expr).toBe(`probe_success{job="${PROBE_JOB}"} == 0`);
  });

  it("fails when a ratio is outside (0, 1) or a duration is shorter than the scrape interval allows", () => {
    expect(
      hostAlertRulesProblems(
        {
          jobName: NODE_JOB,
          scrapeIntervalSeconds: 60,
          thresholds: { cpuBusyRatio: 1.5, forSeconds: 60, rateWindowSeconds: 120 },
        },
        "nodeExporter",
      ).map((problem) => problem.message),
    ).toEqual([
      "nodeExporter.thresholds.cpuBusyRatio must be a number greater than 0 and less than 1 (got 1.5)",
      "nodeExporter.thresholds.rateWindowSeconds must be a whole number of seconds between 240 and 86400 (at least 4 scrape intervals) (got 120)",
      "nodeExporter.thresholds.forSeconds must be a whole number of seconds between 120 and 86400 (at least 2 scrape intervals) (got 60)",
    ]);
  });
});

describeWithBinaries("promtool on the host and probe rules", ["promtool"], (bins) => {
  let dir = "";
  const promtool = (args: readonly string[]): Promise<RunResult> =>
    runBinary(bins.promtool, args, { cwd: dir, timeoutMs: 20_000 });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "exporter-rules-"));
    writeFileSync(join(dir, "host.yml"), toGeneratedYaml(HOST));
    writeFileSync(join(dir, "probes.yml"), toGeneratedYaml(PROBES));
  });

  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("check rules accepts both files", async () => {
    const result = await promtool(["check", "rules", "--lint=all", "--lint-fatal", "host.yml", "probes.yml"]);
    expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
      exitCode: 0,
      output: expect.stringContaining("SUCCESS: 4 rules found"),
    });
  });

  it.each(GROUPS.map((group) => [group.name, group] as const))("test rules: %s", async (_name, group) => {
    writeFileSync(
      join(dir, "test.yml"),
      stringify(
        {
          rule_files: ["host.yml", "probes.yml"],
          evaluation_interval: formatDuration(SCRAPE_INTERVAL_SECONDS),
          tests: [
            {
              name: group.name,
              interval: formatDuration(STEP_SECONDS),
              input_series: group.input,
              alert_rule_test: group.tests,
            },
          ],
        },
        { lineWidth: 0 },
      ),
    );
    const result = await promtool(["test", "rules", "test.yml"]);
    expect({ exitCode: result.exitCode, output: result.stdout + result.stderr }).toEqual({
      exitCode: 0,
      output: expect.stringContaining("SUCCESS"),
    });
  });

  it("test rules fails when a firing case's threshold is crossed the wrong way (the tests can fail)", async () => {
    writeFileSync(
      join(dir, "inverted.yml"),
      stringify({
        rule_files: ["host.yml"],
        evaluation_interval: formatDuration(SCRAPE_INTERVAL_SECONDS),
        tests: [
          {
            interval: formatDuration(STEP_SECONDS),
            input_series: [idleCpu(BUSY_BELOW)],
            alert_rule_test: [
              {
                eval_time: formatDuration(HOST_FIRES_AT),
                alertname: EXPORTER_ALERT_NAMES.hostCpuSaturated,
                exp_alerts: [cpuAlert(BUSY_BELOW)],
              },
            ],
          },
        ],
      }),
    );
    const result = await promtool(["test", "rules", "inverted.yml"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain(EXPORTER_ALERT_NAMES.hostCpuSaturated);
  });
});
