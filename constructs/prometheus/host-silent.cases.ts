/**
 * The promtool cases of `rules/hosts.yml`, from the same input as the rule: HostSilent fires for a host whose series
 * stopped, for that host only, once the window and the `for:` have passed; it must not fire while the series arrive,
 * nor before the window has passed.
 */
import { evaluation, flat, series, testGroup } from "../core/rule-tests";
import type { RuleTestCase } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { formatDuration } from "../core/validation";
import { SCRAPE_METRICS } from "../../dashboards/metrics";
import { HOST_SILENT_ALERT, HostSilentInput, hostSilentDurations } from "./host-silent";

/** promtool evaluates the rules once a minute (its default evaluation_interval): margins are in whole minutes. */
const PROMTOOL_EVALUATION_SECONDS = 60;

/** The promtool cases of `rules/hosts.yml`. */
export function hostSilentRuleTests(input: HostSilentInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const { windowSeconds, forSeconds } = hostSilentDurations(step);
  const [silent, ...others] = [...input.hosts].sort();
  if (silent === undefined) return [];
  const up = (host: string) => ({ job: "node-exporter", instance: "node-exporter:9100", host });
  // The silent host sends for `sent` samples, then nothing; every other host keeps sending.
  const sentSamples = 10;
  const stopsAt = (sentSamples - 1) * step;
  const roundUp = (seconds: number) => Math.ceil(seconds / PROMTOOL_EVALUATION_SECONDS) * PROMTOOL_EVALUATION_SECONDS;
  const firesAt = roundUp(stopsAt + windowSeconds + forSeconds) + 2 * PROMTOOL_EVALUATION_SECONDS;
  const total = Math.ceil(firesAt / step) + 2;
  const description = `${silent}: no sample from its agent for ${formatDuration(windowSeconds + forSeconds)}: the host, its link to the central Prometheus or its agent is down.`;
  const firing = {
    exp_labels: { host: silent, severity: "critical" },
    exp_annotations: {
      summary: "A host's series stopped arriving",
      description,
      ...runbookAnnotations(HOST_SILENT_ALERT, input.runbookBaseUrl),
    },
  };
  const name = SCRAPE_METRICS.up.name;
  const stopped = series(name, up(silent), `${flat(1, sentSamples)} _x${total - sentSamples}`);
  const everyone = others.map((host) => series(name, up(host), flat(1, total)));
  return [
    {
      alert: HOST_SILENT_ALERT,
      fires: true,
      title: `${HOST_SILENT_ALERT} fires for a host whose series stopped, and only for it`,
      group: testGroup("host silent", step, [stopped, ...everyone], [evaluation(firesAt, HOST_SILENT_ALERT, [firing])]),
    },
    {
      alert: HOST_SILENT_ALERT,
      fires: false,
      title: `${HOST_SILENT_ALERT} does not fire while every host's series arrive`,
      group: testGroup(
        "hosts sending",
        step,
        input.hosts.map((host) => series(name, up(host), flat(1, total))),
        [evaluation(firesAt, HOST_SILENT_ALERT, [])],
      ),
    },
    {
      alert: HOST_SILENT_ALERT,
      fires: false,
      title: `${HOST_SILENT_ALERT} does not fire within its window after the last sample`,
      group: testGroup(
        "host briefly silent",
        step,
        [stopped, ...everyone],
        [evaluation(Math.floor((stopsAt + windowSeconds - step) / step) * step, HOST_SILENT_ALERT, [])],
      ),
    },
  ];
}
