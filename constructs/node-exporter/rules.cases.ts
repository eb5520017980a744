/**
 * The promtool cases of the host rules (`rules/host.yml`), rendered from the same input as the rules (the job, the
 * scrape interval, the thresholds): each alert fires past its threshold for its `for:` and stays quiet short of it,
 * and the filesystem alerts ignore memory filesystems.
 */
import {
  ExpectedAlert,
  Labels,
  counter,
  evaluation,
  flat,
  humanizePercentage,
  series,
  testGroup,
} from "../core/rule-tests";
import type { RuleTestCase, RuleTestSeries } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { NODE_METRICS } from "./catalog";
import { HOST_ALERT_NAMES, HostAlertRulesInput, resolveHostAlertThresholds } from "./rules";

/** The promtool cases of `rules/host.yml`. */
export function hostRuleTests(input: HostAlertRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolveHostAlertThresholds(input.thresholds, step);
  const a = HOST_ALERT_NAMES;
  const instance = `${input.jobName}:9100`;
  const node: Labels = { job: input.jobName, instance };
  const rootFs: Labels = { device: "/dev/vda", fstype: "ext4", mountpoint: "/" };
  // Long enough for the rate window to fill and the `for:` to pass, with two steps of margin.
  const firesAt = t.rateWindowSeconds + t.forSeconds + 2 * step;
  const samples = firesAt / step + 2;
  const pct = (ratio: number) => `${Number((ratio * 100).toPrecision(4))}%`;
  const annotations = (alert: string, summary: string, description: string) => ({
    summary,
    description,
    ...runbookAnnotations(alert, input.runbookBaseUrl),
  });
  const idleCpu = (busy: number): RuleTestSeries =>
    series(NODE_METRICS.cpuSecondsTotal.name, { ...node, cpu: "0", mode: "idle" }, counter(step * (1 - busy), samples));
  const memory = (availableRatio: number): RuleTestSeries[] => {
    const total = 1_000_000_000;
    return [
      series(NODE_METRICS.memoryTotalBytes.name, node, flat(total, samples)),
      series(NODE_METRICS.memoryAvailableBytes.name, node, flat(total * availableRatio, samples)),
    ];
  };
  const filesystem = (fs: Labels, availableRatio: number, readonly: 0 | 1): RuleTestSeries[] => {
    const size = 100_000_000_000;
    return [
      series(NODE_METRICS.filesystemSizeBytes.name, { ...node, ...fs }, flat(size, samples)),
      series(NODE_METRICS.filesystemAvailBytes.name, { ...node, ...fs }, flat(size * availableRatio, samples)),
      series(NODE_METRICS.filesystemReadonly.name, { ...node, ...fs }, flat(readonly, samples)),
    ];
  };
  const cpuAlert = (busy: number): ExpectedAlert => ({
    exp_labels: { instance, severity: "warning" },
    exp_annotations: annotations(
      a.hostCpuSaturated,
      "The host's CPUs are saturated",
      `${instance}: CPUs busy ${humanizePercentage(busy)} of the time over ${formatDuration(t.rateWindowSeconds)} (threshold ${pct(t.cpuBusyRatio)}).`,
    ),
  });
  const kase = (
    alert: string,
    fires: boolean,
    title: string,
    input: RuleTestSeries[],
    tests: ReturnType<typeof evaluation>[],
  ): RuleTestCase => ({
    alert,
    fires,
    title,
    group: testGroup(title, step, input, tests),
  });
  // Above the threshold by half the distance to 100%; below it by a tenth.
  const busyAbove = (1 + t.cpuBusyRatio) / 2;
  const busyBelow = t.cpuBusyRatio - 0.1;
  const memoryBelow = t.memoryAvailableRatio / 2;
  const diskBelow = t.filesystemAvailableRatio / 2;

  return [
    kase(
      a.hostCpuSaturated,
      true,
      "HostCpuSaturated fires above the threshold for its for: duration",
      [idleCpu(busyAbove)],
      [
        evaluation(firesAt, a.hostCpuSaturated, [cpuAlert(busyAbove)]),
        // Above, but not yet for its whole for: duration: pending, not firing.
        evaluation(t.forSeconds - step, a.hostCpuSaturated, []),
      ],
    ),
    kase(
      a.hostCpuSaturated,
      false,
      "HostCpuSaturated stays quiet below the threshold",
      [idleCpu(busyBelow)],
      [evaluation(firesAt, a.hostCpuSaturated, [])],
    ),
    kase(a.hostMemoryPressure, true, "HostMemoryPressure fires below the available share", memory(memoryBelow), [
      evaluation(firesAt, a.hostMemoryPressure, [
        {
          exp_labels: { ...node, severity: "warning" },
          exp_annotations: annotations(
            a.hostMemoryPressure,
            "The host is running out of memory",
            `${instance}: only ${humanizePercentage(memoryBelow)} of memory available (threshold ${pct(t.memoryAvailableRatio)}).`,
          ),
        },
      ]),
    ]),
    kase(
      a.hostMemoryPressure,
      false,
      "HostMemoryPressure stays quiet above the available share",
      memory(t.memoryAvailableRatio * 2),
      [evaluation(firesAt, a.hostMemoryPressure, [])],
    ),
    kase(
      a.hostDiskFilling,
      true,
      "HostDiskFilling fires for a disk filesystem below the free share",
      filesystem(rootFs, diskBelow, 0),
      [
        evaluation(firesAt, a.hostDiskFilling, [
          {
            exp_labels: { ...node, ...rootFs, severity: "warning" },
            exp_annotations: annotations(
              a.hostDiskFilling,
              "A filesystem of the host is almost full",
              `${instance}: / (/dev/vda) has ${humanizePercentage(diskBelow)} of its space left (threshold ${pct(t.filesystemAvailableRatio)}).`,
            ),
          },
        ]),
      ],
    ),
    kase(
      a.hostDiskFilling,
      false,
      "HostDiskFilling stays quiet with free space, for a full tmpfs, and for a read-only filesystem",
      [
        ...filesystem(rootFs, t.filesystemAvailableRatio * 2, 0),
        ...filesystem({ device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" }, 0.01, 0),
        ...filesystem({ device: "/dev/sr0", fstype: "iso9660", mountpoint: "/media/cd" }, 0, 1),
      ],
      [evaluation(firesAt, a.hostDiskFilling, [])],
    ),
    kase(
      a.hostFilesystemReadOnly,
      true,
      "HostFilesystemReadOnly fires for a read-only disk filesystem",
      filesystem(rootFs, 0.5, 1),
      [
        evaluation(firesAt, a.hostFilesystemReadOnly, [
          {
            exp_labels: { ...node, ...rootFs, severity: "warning" },
            exp_annotations: annotations(
              a.hostFilesystemReadOnly,
              "A filesystem of the host is read-only",
              `${instance}: / (/dev/vda) is mounted read-only; writes to it fail.`,
            ),
          },
        ]),
      ],
    ),
    kase(
      a.hostFilesystemReadOnly,
      false,
      "HostFilesystemReadOnly stays quiet for read-write filesystems and a read-only tmpfs",
      [
        ...filesystem(rootFs, 0.5, 0),
        ...filesystem({ device: "tmpfs", fstype: "tmpfs", mountpoint: "/sys/fs/cgroup" }, 0.5, 1),
      ],
      [evaluation(firesAt, a.hostFilesystemReadOnly, [])],
    ),
  ];
}
