/**
 * Runs every check of `npm run verify` in order (API, Prometheus, Grafana, data) and reports each result as soon as
 * it is known. The CLI (`scripts/verify.ts`) resolves URLs and the password and prints; tests call this directly too.
 */
import { runTraffic, type TrafficSummary } from "../traffic";
import {
  checkApiHealth,
  checkApiMetrics,
  checkGrafana,
  checkPrometheusReady,
  checkPrometheusVersion,
  checkRules,
  checkTargets,
  fail,
  notRunningHint,
  pass,
  skip,
  type CheckResult,
  type PasswordSource,
} from "./checks";
import type { ServiceName, StackExpectations } from "./expectations";
import { GrafanaClient } from "./grafana-client";
import { pollUntil, type BasicAuth } from "./http";
import {
  dashboardQueries,
  dashboardWindow,
  describeQuery,
  missingOwners,
  rateIntervalSeconds,
  runPanelQuery,
  type PanelQueryOutcome,
} from "./panel-queries";
import { PrometheusClient, type PrometheusRuleGroup } from "./prometheus-client";

/** What {@link runVerify} checks and how. */
export interface VerifyOptions {
  /** The URL of each service. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  /** The Grafana admin password (never printed) and where it came from. */
  readonly password: { readonly value: string | undefined; readonly description: string };
  /**
   * The basic auth sent to Prometheus (with extra hosts: the user and the stack's password file), or why none could
   * be read. @default none
   */
  readonly prometheusAuth?: { readonly basicAuth: BasicAuth | undefined; readonly problem?: string };
  /** Leave Grafana out: its checks and the panels over its own metrics are skipped, its targets' health not judged. */
  readonly skipGrafana: boolean;
  /** How long the data check sends traffic, in seconds. @default 3 */
  readonly burstSeconds?: number;
  /** Requests per second of the burst. @default 20 */
  readonly burstRatePerSecond?: number;
  /** Bound of every HTTP request, in milliseconds. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Told what verify is waiting for during the data checks (the burst, each scrape, the queries). @default ignored */
  readonly onProgress?: (section: "Data", message: string) => void;
}

/** The reason printed for everything `--skip-grafana` leaves out. */
export const SKIP_GRAFANA_REASON = "--skip-grafana: no Grafana to check";

/** Seed of the burst's traffic mix, so two runs send the same requests. */
const BURST_SEED = 20_240_601;

/**
 * Runs every check against the running stack and resolves with all results; `onResult` sees each as soon as it is
 * known. Never rejects on a failing check; every wait is bounded.
 */
export async function runVerify(
  exp: StackExpectations,
  options: VerifyOptions,
  onResult: (result: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (items: CheckResult | readonly CheckResult[]): void => {
    for (const item of Array.isArray(items) ? items : [items]) {
      results.push(item);
      onResult(item);
    }
  };
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const basicAuth = options.prometheusAuth?.basicAuth;
  const prometheus = new PrometheusClient(options.urls.prometheus, {
    timeoutMs,
    ...(basicAuth !== undefined ? { basicAuth } : {}),
  });

  // API
  const apiHealth = await checkApiHealth(options.urls.api, exp);
  report(apiHealth);
  report(await checkApiMetrics(options.urls.api, exp));

  // Prometheus
  const ready = await checkPrometheusReady(prometheus, exp, options.prometheusAuth?.problem);
  report(ready);
  if (ready.status === "pass") {
    report(await checkPrometheusVersion(prometheus, exp));
    report(
      await checkTargets(prometheus, exp, {
        skipHealth: options.skipGrafana ? new Map([[exp.jobs.grafana, SKIP_GRAFANA_REASON]]) : new Map(),
      }),
    );
    report(await checkRules(prometheus, exp));
  } else {
    report(skip("Prometheus", "targets, rules and version", "Prometheus is not ready"));
  }

  // Grafana
  if (options.skipGrafana) {
    report(skip("Grafana", "health, datasource and dashboards", SKIP_GRAFANA_REASON));
  } else {
    const grafana = new GrafanaClient(options.urls.grafana, {
      user: exp.grafanaAdminUser,
      password: options.password.value,
      timeoutMs,
    });
    const source: PasswordSource = {
      found: options.password.value !== undefined,
      description: options.password.description,
    };
    report(await checkGrafana(grafana, exp, source));
  }

  // Data
  if (apiHealth.status !== "pass" || ready.status !== "pass") {
    report(skip("Data", "traffic burst and dashboard queries", "the API or Prometheus is not up, see above"));
    return results;
  }
  report(await dataChecks(prometheus, exp, options));
  return results;
}

/**
 * Sends the traffic mix (2xx, some 4xx and 5xx, some slow) for at least the burst's seconds and until Prometheus has
 * scraped the API three times, then runs every panel query of every dashboard and reports each with or without data.
 */
async function dataChecks(
  prometheus: PrometheusClient,
  exp: StackExpectations,
  options: VerifyOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const burstSeconds = options.burstSeconds ?? 3;
  const ratePerSecond = options.burstRatePerSecond ?? 20;
  const interval = exp.scrapeIntervalSeconds;
  // The traffic runs until Prometheus has scraped the API three times since it began: a series the burst creates
  // (right after a start, every traffic series) gets its first sample at the first or second scrape and must grow
  // before the next for `rate` to see traffic; a ratio or a quantile over a rate that stayed 0 is NaN, "no data".
  const scrapes = 3;
  const waitBoundSeconds = (scrapes + 1) * interval + 10;
  const burstTitle = `traffic burst: ${ratePerSecond} req/s for at least ${burstSeconds} s and ${scrapes} scrapes of the API, some 4xx, 5xx and slow requests`;
  const waitTitle = `Prometheus scraped the API ${scrapes} times during the traffic (scrape interval ${interval} s)`;
  const progress = (message: string): void => options.onProgress?.("Data", message);
  progress(
    `sending traffic to the API for at least ${burstSeconds} s, until Prometheus scraped it ${scrapes} times (scrape interval ${interval} s; up to ${waitBoundSeconds} s) ...`,
  );
  const stopTraffic = new AbortController();
  const traffic = runTraffic({
    baseUrl: options.urls.api,
    durationSeconds: burstSeconds + waitBoundSeconds,
    ratePerSecond,
    seed: BURST_SEED,
    signal: stopTraffic.signal,
  });
  // Whatever happens to the waits, the traffic is stopped and its outcome read before the checks go on.
  traffic.catch(() => undefined);
  const minimum = new Promise((elapsed) => setTimeout(elapsed, burstSeconds * 1000));
  let scraped: string | undefined;
  let lastScrapeSeconds: number | undefined;
  try {
    lastScrapeSeconds = await waitForScrapes(
      prometheus,
      exp.jobs.api,
      scrapes,
      waitBoundSeconds * 1000,
      (seen, count) => progress(`scrape ${seen} of ${count} seen`),
    );
  } catch (error) {
    scraped = error instanceof Error ? error.message : String(error);
  }
  await minimum;
  stopTraffic.abort();
  let summary: TrafficSummary;
  try {
    summary = await traffic;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.push(fail("Data", burstTitle, message, notRunningHint("api", exp, options.urls.api)));
    results.push(skip("Data", "dashboard queries", "no traffic could be sent"));
    return results;
  }
  const byStatus = Object.entries(summary.byStatus)
    .map(([status, count]) => `${status}=${count}`)
    .join(" ");
  if (summary.failed > 0 || summary.completed === 0) {
    results.push(
      fail(
        "Data",
        burstTitle,
        `${summary.failed} of ${summary.sent} requests got no answer (${byStatus})`,
        `the API drops requests: docker logs --tail 50 ${exp.containers.api}; docker stats --no-stream ${exp.containers.api}`,
      ),
    );
  } else {
    results.push(
      pass("Data", burstTitle, `${summary.completed} answered in ${summary.elapsedSeconds.toFixed(0)} s: ${byStatus}`),
    );
  }
  if (scraped === undefined) {
    results.push(pass("Data", waitTitle));
  } else {
    results.push(
      fail("Data", waitTitle, scraped, `Prometheus is not scraping the API: see the job "${exp.jobs.api}" check above`),
    );
  }
  // The panels over recorded series (the SLOs') read what the rule groups computed from those scrapes: a loaded
  // machine measured "no data" on "Error budget remaining" when the groups had not run since the burst's last scrape.
  if (lastScrapeSeconds !== undefined) {
    progress("waiting until Prometheus has evaluated every rule group after the last of those scrapes ...");
    results.push(await ruleEvaluationCheck(prometheus, lastScrapeSeconds));
  }

  let knownNames: ReadonlySet<string> = new Set();
  try {
    knownNames = new Set(await prometheus.metricNames());
  } catch {
    // Only used to make the hints more precise.
  }
  let startedSeconds = Number.NEGATIVE_INFINITY;
  try {
    startedSeconds = await prometheus.startTimeSeconds();
  } catch {
    // Without it, windows span the dashboards' full default ranges.
  }
  const endSeconds = Date.now() / 1000;
  progress(`running every panel query of ${exp.dashboards.length} dashboards ...`);
  for (const item of dashboardQueries(exp.dashboards)) {
    const title = describeQuery(item.query);
    const grafana = exp.grafanaService;
    if (
      options.skipGrafana &&
      missingOwners(item.query, exp.metricOwners, (name) => name !== grafana).includes(grafana)
    ) {
      results.push(skip("Data", title, `reads only Grafana's own metrics; ${SKIP_GRAFANA_REASON}`));
      continue;
    }
    const window = dashboardWindow(item.dashboard, endSeconds, exp.scrapeIntervalSeconds, startedSeconds);
    const outcome = await runPanelQuery(prometheus, item, window);
    const samples =
      outcome.status === "no-data" ? await samplesInWindow(prometheus, outcome, rateIntervalSeconds(item, window)) : {};
    results.push(queryResult(title, outcome, knownNames, exp, samples));
  }
  return results;
}

/** What Prometheus holds of a query's metrics in the last rate window: the most samples of any one series. */
export interface WindowSamples {
  readonly windowSeconds?: number;
  readonly mostSamples?: number;
}

/**
 * For a query without data: how many samples its metrics' series have in the last `windowSeconds` (the rate window).
 * `rate` needs two; fewer means the data is not there yet (a series born a scrape ago), not a wrong query.
 */
async function samplesInWindow(
  prometheus: PrometheusClient,
  outcome: PanelQueryOutcome,
  windowSeconds: number,
): Promise<WindowSamples> {
  if (outcome.query.metricNames.length === 0) return {};
  const names = outcome.query.metricNames.map((name) => name.replace(/[^A-Za-z0-9_:]/g, "")).join("|");
  try {
    const result = await prometheus.query(`max(count_over_time({__name__=~"${names}"}[${windowSeconds}s]))`);
    return { windowSeconds, mostSamples: result.series[0]?.values[0] ?? 0 };
  } catch {
    return {};
  }
}

/** One panel query's line of the checklist. */
export function queryResult(
  title: string,
  outcome: PanelQueryOutcome,
  knownNames: ReadonlySet<string>,
  exp: StackExpectations,
  samples: WindowSamples,
): CheckResult {
  if (outcome.status === "data") {
    return pass("Data", title, `${outcome.seriesCount} series`);
  }
  if (outcome.status === "error") {
    return fail(
      "Data",
      title,
      outcome.error ?? "query failed",
      `Prometheus rejects the panel's query: fix it in dashboards/ (module or dashboards/json/) and npm run deploy`,
    );
  }
  const missing = outcome.query.metricNames.filter((name) => knownNames.size > 0 && !knownNames.has(name));
  const hint =
    missing.length > 0
      ? `Prometheus has no series named ${missing.join(", ")}: the target exposing ${missing.length === 1 ? "it" : "them"} is down or does not expose ${missing.length === 1 ? "it" : "them"} (see the targets above)` +
        (missingOwners(outcome.query, exp.metricOwners, (name) => name !== exp.grafanaService).includes(
          exp.grafanaService,
        )
          ? `; Grafana's own metrics need GF_METRICS_ENABLED=true in ${exp.containers[exp.grafanaService]}`
          : "")
      : samples.mostSamples !== undefined && samples.mostSamples < 2
        ? `the data is not there yet: no series of ${outcome.query.metricNames.join(", ")} has 2 samples in the last ${samples.windowSeconds} s (the rate window; ${samples.mostSamples} at most), which rate() needs: wait one or two scrape intervals (${exp.scrapeIntervalSeconds} s) and run verify again, or send traffic (npm run traffic)`
        : `the metrics have samples, but no series matches the panel's selectors in the dashboard's time range: check the query's job and label matchers in the dashboard's module (dashboards/ or the component's dashboard file)`;
  return fail("Data", title, outcome.seriesCount > 0 ? "only NaN samples" : "no data", hint);
}

/**
 * Waits until Prometheus has evaluated every rule group after `afterSeconds` (Prometheus' clock), bounded by the
 * longest group interval plus 10 s; the check fails naming the groups that did not run.
 */
export async function ruleEvaluationCheck(prometheus: PrometheusClient, afterSeconds: number): Promise<CheckResult> {
  const stale = (groups: readonly PrometheusRuleGroup[]) =>
    groups.filter((group) => (group.lastEvaluationSeconds ?? Number.NEGATIVE_INFINITY) <= afterSeconds);
  let groups = await prometheus.ruleGroups().catch(() => [] as PrometheusRuleGroup[]);
  const boundSeconds = Math.max(0, ...groups.map((group) => group.intervalSeconds)) + 10;
  const title = () => `Prometheus evaluated its ${groups.length} rule groups after the traffic's last scrape`;
  try {
    await pollUntil(
      async () => {
        groups = await prometheus.ruleGroups();
        return stale(groups).length === 0 ? true : undefined;
      },
      { timeoutMs: boundSeconds * 1000, intervalMs: 200, what: "every rule group evaluated after the last scrape" },
    );
    return pass("Data", title());
  } catch (error) {
    const left = stale(groups);
    return fail(
      "Data",
      title(),
      left.length > 0
        ? `not evaluated within ${boundSeconds} s: ${left.map((group) => `${group.name} (${group.file})`).join(", ")}`
        : error instanceof Error
          ? error.message
          : String(error),
      "Prometheus is not evaluating these groups: check its log for rule evaluation errors and the groups' interval in the rule files",
    );
  }
}

/**
 * Waits until Prometheus has scraped `job` `count` more times, comparing Prometheus' own `lastScrape` times (so the
 * clocks of this machine and Prometheus' need not agree); bounded by `timeoutMs`. `onScrape` hears of each scrape.
 */
export async function waitForScrapes(
  prometheus: PrometheusClient,
  job: string,
  count: number,
  timeoutMs: number,
  onScrape: (seen: number, count: number) => void = () => undefined,
): Promise<number> {
  const lastScrape = async (): Promise<number> => {
    const { active } = await prometheus.targets();
    const times = active.filter((target) => target.job === job).map((target) => target.lastScrapeSeconds);
    if (times.length === 0) throw new Error(`no target of job "${job}"`);
    return Math.min(...times);
  };
  const deadline = Date.now() + timeoutMs;
  // Right after a start, service discovery may not have produced the target yet: that is retried too.
  let previous = await pollUntil(lastScrape, {
    timeoutMs: timeoutMs,
    intervalMs: 200,
    what: `a target of job "${job}"`,
  });
  for (let seen = 0; seen < count; seen++) {
    const before = previous;
    previous = await pollUntil(
      async () => {
        const now = await lastScrape();
        return now > before ? now : undefined;
      },
      {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 200,
        what: `scrape ${seen + 1} of ${count} of job "${job}"`,
      },
    );
    onScrape(seen + 1, count);
  }
  return previous;
}
