/**
 * The promtool cases of an SLO rule file, generated from the declaration (the objective, the request metrics, the
 * series the owner excludes, the low-traffic guard) with the same context as the rules: a fast burn pages, slow burns
 * open a ticket and do not page, an error ratio well inside the budget fires nothing, and a quiet service whose few
 * requests fail fires nothing. Only SLOs over the declared request metrics get cases (a custom query's input series
 * cannot be derived).
 */
import { HISTOGRAM_LABELS } from "../../dashboards/metrics";
import {
  ExpectedAlert,
  Labels,
  counter,
  evaluation,
  humanizePercentage,
  requireThat,
  samplesUntil,
  series,
  testGroup,
} from "./rule-tests";
import type { RuleTestCase, RuleTestSeries } from "./rules";
import {
  BURN_CONDITIONS,
  ResolvedSlo,
  SLO_ALERT_NAMES,
  SloDeclaration,
  SloRenderContext,
  renderSloGroups,
  resolveSlos,
  sloLabels,
} from "./slo";

/** Requests per step of busy user traffic. */
const BUSY_PER_STEP = 1000;
/** Requests per step on each excluded label value (probes, scrapes): counted, they would change every result. */
const EXCLUDED_PER_STEP = 100 * BUSY_PER_STEP;
/** The label value of user traffic on a label whose other values the owner excludes. */
const USER_VALUE = "slo-case-user";
const HOUR = 3600;
/** The shortest SLI window, in seconds. */
const BURN_SHORTEST = 300;

/** The request flows of one case: a share of bad requests among busy traffic, excluded series good or bad. */
interface Traffic {
  /** Share of user requests that fail (availability) or are slower than the threshold (latency). */
  readonly badRatio: number;
  /** Whether the excluded series (probes) are all good or all bad. */
  readonly excluded: "good" | "bad";
}

/** The promtool cases of every SLO of a declaration that reads the declared request metrics. */
export function sloRuleTests(decl: SloDeclaration, ctx: SloRenderContext): RuleTestCase[] {
  return resolveSlos(decl)
    .filter((slo) => slo.fromRequestMetrics)
    .flatMap((slo) => casesOf(decl, slo, ctx));
}

function casesOf(decl: SloDeclaration, slo: ResolvedSlo, ctx: SloRenderContext): RuleTestCase[] {
  const scale = ctx.windowScale ?? 1;
  requireThat(scale === 1, "the cases run on unscaled windows");
  // Fail early if the rules cannot be rendered for this SLO.
  renderSloGroups(slo, ctx);
  // Input samples a minute apart (or a scrape interval, if longer): the 5m window still holds 5, and promtool runs the
  // hours these cases span in seconds, while the rules are evaluated at the stack's interval.
  const step = Math.max(60, ctx.scrapeIntervalSeconds);
  requireThat(BURN_SHORTEST >= 3 * step, "the shortest window holds at least 3 input samples");
  const metrics = decl.requestMetrics;
  if (metrics === undefined) throw new Error(`${decl.owner}: an SLO over request metrics without request metrics`);
  const budget = slo.budget;
  const pageAt = BURN_CONDITIONS.page[0].factor * budget;
  const exclusions = (metric: string): { label: string; values: readonly string[] }[] =>
    decl.seriesExclusions.filter((rule) => rule.series.includes(metric) && rule.values.length > 0);
  const userLabels = (metric: string): Labels => ({
    job: decl.jobName,
    ...Object.fromEntries(exclusions(metric).map((rule) => [rule.label, USER_VALUE])),
  });
  const excludedLabels = (metric: string): Labels[] =>
    exclusions(metric).flatMap((rule) =>
      rule.values.map((value) => ({
        ...userLabels(metric),
        [rule.label]: value,
      })),
    );

  /** The input series of `good` and `bad` requests per sample (cumulative counts), user and excluded. */
  const requestSeries = (
    good: (i: number) => number,
    bad: (i: number) => number,
    samples: number,
  ): RuleTestSeries[] => {
    const values = (count: (i: number) => number) =>
      Array.from({ length: samples }, (_, i) => String(Number(count(i).toPrecision(12)))).join(" ");
    if (slo.kind === "availability") {
      const name = metrics.requestsTotal;
      return [
        series(name, { ...userLabels(name), [metrics.statusLabel]: "200" }, values(good)),
        series(name, { ...userLabels(name), [metrics.statusLabel]: "500" }, values(bad)),
      ];
    }
    const histogram = metrics.durationHistogram?.name ?? "";
    const { le } = HISTOGRAM_LABELS;
    return [
      series(
        `${histogram}_bucket`,
        { ...userLabels(`${histogram}_bucket`), [le]: slo.thresholdLe ?? "" },
        values(good),
      ),
      series(
        `${histogram}_bucket`,
        { ...userLabels(`${histogram}_bucket`), [le]: "+Inf" },
        values((i) => good(i) + bad(i)),
      ),
      series(
        `${histogram}_count`,
        userLabels(`${histogram}_count`),
        values((i) => good(i) + bad(i)),
      ),
    ];
  };
  /** Busy excluded traffic, all good or all bad. */
  const excludedSeries = (kind: "good" | "bad", samples: number): RuleTestSeries[] => {
    const perStep = EXCLUDED_PER_STEP;
    if (slo.kind === "availability") {
      const name = metrics.requestsTotal;
      return excludedLabels(name).map((labels) =>
        series(name, { ...labels, [metrics.statusLabel]: kind === "good" ? "200" : "503" }, counter(perStep, samples)),
      );
    }
    const histogram = metrics.durationHistogram?.name ?? "";
    const { le } = HISTOGRAM_LABELS;
    return excludedLabels(`${histogram}_count`).flatMap((labels) => [
      series(
        `${histogram}_bucket`,
        { ...labels, [le]: slo.thresholdLe ?? "" },
        counter(kind === "good" ? perStep : 0, samples),
      ),
      series(`${histogram}_bucket`, { ...labels, [le]: "+Inf" }, counter(perStep, samples)),
      series(`${histogram}_count`, labels, counter(perStep, samples)),
    ]);
  };
  const busy = (traffic: Traffic, samples: number): RuleTestSeries[] => [
    ...requestSeries(
      (i) => i * BUSY_PER_STEP * (1 - traffic.badRatio),
      (i) => i * BUSY_PER_STEP * traffic.badRatio,
      samples,
    ),
    ...excludedSeries(traffic.excluded, samples),
  ];
  const expected = (severity: "page" | "ticket", longRatio: number): ExpectedAlert => {
    const rule = renderSloGroups(slo, ctx)
      .flatMap((group) => group.rules)
      .find((r) => "alert" in r && r.alert === SLO_ALERT_NAMES[severity]);
    if (rule === undefined || !("alert" in rule)) throw new Error(`no ${severity} alert rendered for ${slo.id}`);
    return {
      exp_labels: { ...sloLabels(slo), ...rule.labels },
      exp_annotations: {
        ...rule.annotations,
        description: rule.annotations.description.replace(
          "{{ $value | humanizePercentage }}",
          humanizePercentage(longRatio),
        ),
      },
    };
  };
  const what = slo.kind === "availability" ? "errors" : `requests slower than ${slo.thresholdSeconds} s`;
  const pct = (ratio: number) => humanizePercentage(ratio);
  const busyCase = (
    severity: "page" | "ticket",
    title: string,
    traffic: Traffic,
    evalSeconds: number,
    firing: ExpectedAlert[],
  ): RuleTestCase => {
    const samples = samplesUntil(evalSeconds, step);
    const alert = SLO_ALERT_NAMES[severity];
    return {
      alert,
      fires: firing.length > 0,
      title: `${slo.id}: ${alert} ${title}`,
      group: testGroup(`${slo.id}: ${alert} ${title}`, step, busy(traffic, samples), [
        evaluation(evalSeconds, alert, firing),
      ]),
    };
  };
  const hasExcluded = () =>
    excludedLabels(
      slo.kind === "availability" ? metrics.requestsTotal : `${metrics.durationHistogram?.name ?? ""}_count`,
    ).length > 0;
  const ignoring = (kind: "good" | "bad") =>
    hasExcluded() ? `, ignoring busy ${kind === "good" ? "healthy" : "failing"} excluded series (probes)` : "";

  // A fast burn: 2% for an hour where that is above 14.4 × the budget (99.9%: 1.44%), else 1.25 × 14.4 × the budget.
  const pageRatio = 0.02 > 1.1 * pageAt ? 0.02 : Number((1.25 * pageAt).toPrecision(6));
  requireThat(pageRatio > pageAt && pageRatio < 1, "the fast burn is above 14.4 × the budget and below 100%");
  // Diluted by the excluded series, the ratio would be far below the threshold.
  requireThat(
    !hasExcluded() || pageRatio / (1 + EXCLUDED_PER_STEP / BUSY_PER_STEP) < pageAt,
    "counted probes would hide it",
  );
  // Well inside the budget: 0.05% (half of a 99.9% budget), or half the budget if that is smaller.
  const quietRatio = Math.min(0.0005, budget / 2);
  // Slow burns: 4 × the budget (above the ticket's 3 ×, below the page's 6 ×), and 1.5 × (above 1 ×, below 3 ×).
  const slowRatio = 4 * budget;
  const slowerRatio = 1.5 * budget;
  requireThat(slowRatio > 3 * budget && slowRatio < 6 * budget, "4 × the budget opens a ticket but does not page");

  const cases: RuleTestCase[] = [
    busyCase(
      "page",
      `fires at ${pct(pageRatio)} ${what} for an hour (14.4 × the ${pct(budget)} budget is ${pct(pageAt)})${ignoring("good")}`,
      { badRatio: pageRatio, excluded: "good" },
      HOUR,
      [expected("page", pageRatio)],
    ),
    busyCase(
      "page",
      `does not fire at ${pct(quietRatio)} ${what} for 2 hours${ignoring("bad")}`,
      { badRatio: quietRatio, excluded: "bad" },
      2 * HOUR,
      [],
    ),
    busyCase(
      "ticket",
      `does not fire at ${pct(quietRatio)} ${what} for 2 hours${ignoring("bad")}`,
      { badRatio: quietRatio, excluded: "bad" },
      2 * HOUR,
      [],
    ),
    busyCase(
      "ticket",
      `fires on a slow burn: ${pct(slowRatio)} ${what} (4 × the budget) for 2 hours, over 3 × in 1d and 2h`,
      { badRatio: slowRatio, excluded: "good" },
      2 * HOUR,
      [expected("ticket", slowRatio)],
    ),
    busyCase(
      "page",
      `does not fire on a slow burn: ${pct(slowRatio)} ${what} (4 × the budget) for 2 hours`,
      { badRatio: slowRatio, excluded: "good" },
      2 * HOUR,
      [],
    ),
    busyCase(
      "ticket",
      `fires on a slower burn: ${pct(slowerRatio)} ${what} (1.5 × the budget) for 2 hours, over 1 × in 3d and 6h but under 3 × in 1d`,
      { badRatio: slowerRatio, excluded: "good" },
      2 * HOUR,
      [expected("ticket", slowerRatio)],
    ),
  ];
  cases.push(...lowTrafficCases(slo, step, requestSeries, what));
  return cases;
}

/**
 * A quiet service: requests at 60% of the guard's count per hour, the last few failing, so that without the guard
 * both windows of the page (and of the ticket) would be over their thresholds. Nothing may fire.
 */
function lowTrafficCases(
  slo: ResolvedSlo,
  step: number,
  requestSeries: (good: (i: number) => number, bad: (i: number) => number, samples: number) => RuleTestSeries[],
  what: string,
): RuleTestCase[] {
  const perHour = Math.floor(slo.minRequests * 0.6);
  if (perHour < 5) return [];
  const everySteps = Math.max(1, Math.round(HOUR / step / perHour));
  const evalSeconds = HOUR + 10 * 60;
  const samples = samplesUntil(evalSeconds, step);
  const total = (i: number) => Math.floor(i / everySteps);
  const final = total(samples - 1);
  const shortWindow = 300;
  const inShort = Math.floor(shortWindow / (everySteps * step));
  const pageAt = BURN_CONDITIONS.page[0].factor * slo.budget;
  // Enough failures that the hour's ratio is 1.5 × the page's threshold, all of them in the last requests.
  const failing = Math.max(inShort, Math.ceil(1.5 * pageAt * perHour));
  requireThat(inShort >= 1 && failing <= final, "the failing requests fit in the series");
  requireThat(failing / (perHour + 10) > pageAt, "without the guard, the hour's error ratio would page");
  requireThat(perHour * (evalSeconds / HOUR) + 1 < slo.minRequests, "every window holds fewer requests than the guard");
  const bad = (i: number) => Math.max(0, total(i) - (final - failing));
  const good = (i: number) => total(i) - bad(i);
  const inputSeries = requestSeries(good, bad, samples);
  return (["page", "ticket"] as const).map((severity) => {
    const alert = SLO_ALERT_NAMES[severity];
    const title = `${slo.id}: ${alert} does not fire on low traffic: ${perHour} requests an hour (guard: ${slo.minRequests} in the long window), the last ${failing} of them ${what}`;
    return {
      alert,
      fires: false,
      title,
      group: testGroup(title, step, inputSeries, [evaluation(evalSeconds, alert, [])]),
    };
  });
}
