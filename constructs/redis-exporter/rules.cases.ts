/**
 * The promtool cases of the Redis rules (`rules/redis.yml`), rendered from the same input as the rules:
 * each alert fires after its `for:` for the failing server only, and stays quiet when all is well.
 */
import { evaluation, flat, humanizePercentage, requireThat, series, testGroup, upCases } from "../core/rule-tests";
import type { RuleTestCase } from "../core/rules";
import { runbookAnnotations } from "../core/rules";
import { REDIS_METRICS } from "./catalog";
import { REDIS_ALERT_NAMES, RedisAlertRulesInput, percentText, resolveRedisThresholds } from "./rules";

/** The promtool cases of `rules/redis.yml`. */
export function redisRuleTests(input: RedisAlertRulesInput): RuleTestCase[] {
  const step = input.scrapeIntervalSeconds;
  const t = resolveRedisThresholds(input.thresholds, step);
  const a = REDIS_ALERT_NAMES;
  const m = REDIS_METRICS;
  const down = { job: input.jobName, instance: "redis-exporter:9121" };
  const other = { job: input.jobName, instance: "redis-exporter-2:9121" };
  const longest = Math.max(t.forSeconds, t.downForSeconds);
  const samples = longest / step + 4;
  const maxBytes = 64 * 1024 * 1024;
  // Memory as a share of maxmemory: above and below the threshold, far from it on both sides.
  const busy = Math.min(maxBytes, Math.ceil(((1 + t.memoryRatio) / 2) * maxBytes));
  const calm = Math.floor((t.memoryRatio / 2) * maxBytes);
  requireThat(busy / maxBytes > t.memoryRatio, `${busy} bytes are above the threshold`);
  const memory = (instance: typeof down, used: number, max: number = maxBytes) => [
    series(m.memoryUsedBytes.name, instance, flat(used, samples)),
    series(m.memoryMaxBytes.name, instance, flat(max, samples)),
  ];
  const titles = {
    downFires: "RedisDown fires for a server the exporter cannot query, after its for: duration, and only for it",
    downQuiet: "RedisDown stays quiet while every server answers",
    connFires: "RedisMemoryNearLimit fires above the share of maxmemory",
    connQuiet: "RedisMemoryNearLimit stays quiet below it, and for a server without maxmemory",
  };
  return [
    ...upCases({
      alert: a.redisDown,
      metric: m.up.name,
      stepSeconds: step,
      samples,
      forSeconds: t.downForSeconds,
      failing: down,
      other,
      expected: {
        exp_labels: { ...down, severity: "critical" },
        exp_annotations: {
          summary: "Redis cannot be queried",
          description: `${down.instance}: redis_exporter cannot query its Redis server (down, unreachable, or refusing the exporter's password).`,
          ...runbookAnnotations(a.redisDown, input.runbookBaseUrl),
        },
      },
      titles: { fires: titles.downFires, quiet: titles.downQuiet },
    }),
    {
      alert: a.redisMemoryNearLimit,
      fires: true,
      title: titles.connFires,
      group: testGroup(
        titles.connFires,
        step,
        [...memory(down, busy), ...memory(other, calm)],
        [
          evaluation(t.forSeconds + step, a.redisMemoryNearLimit, [
            {
              exp_labels: { ...down, severity: "warning" },
              exp_annotations: {
                summary: "Redis is running out of memory",
                description: `${down.instance}: ${humanizePercentage(busy / maxBytes)} of maxmemory in use (threshold ${percentText(t.memoryRatio)}).`,
                ...runbookAnnotations(a.redisMemoryNearLimit, input.runbookBaseUrl),
              },
            },
          ]),
          evaluation(t.forSeconds - step, a.redisMemoryNearLimit, []),
        ],
      ),
    },
    {
      alert: a.redisMemoryNearLimit,
      fires: false,
      title: titles.connQuiet,
      group: testGroup(
        titles.connQuiet,
        step,
        [...memory(down, calm), ...memory(other, busy, 0)],
        [evaluation(t.forSeconds + step, a.redisMemoryNearLimit, [])],
      ),
    },
  ];
}
