/**
 * End to end on 127.0.0.1: every service of the default stack that declares how it runs as a local process (the real
 * API built from app/, the exporters' and Prometheus' binaries), Prometheus running the stack's generated
 * prometheus.yml and rule files (only the target addresses mapped to loopback ports), traffic sent in two phases, then
 * every target, rule group, panel query and metric name checked against what the stack defines.
 *
 * A service without a local process (Grafana: no binary, no images here) is not run: its job is rendered, so its
 * target exists and must be down, and the panel queries over metrics only it exposes are reported as "not provable
 * here" (never faked). Which services run, and so which queries are provable, is read from the stack.
 */
import { runTraffic } from "../scripts/traffic";
import { stackExpectations } from "../scripts/verify/expectations";
import {
  dashboardQueries,
  describeQuery,
  missingOwners,
  runPanelQuery,
  type DashboardQuery,
  type PanelQueryOutcome,
  type QueryWindow,
} from "../scripts/verify/panel-queries";
import { pollUntil } from "../scripts/verify/http";
import { waitForScrapes } from "../scripts/verify/run";
import { metricNamesInExpr, SCRAPE_SERIES } from "../dashboards";
import { apiOverviewQueries, DemoApi } from "../constructs/api";
import { PROBE_ALERT_NAMES, PROBE_JOB, PROBE_METRICS, PROBES_UID } from "../constructs/blackbox-exporter";
import { HOST_UID } from "../constructs/node-exporter";
import { PROMETHEUS_ALERT_NAMES, PROMETHEUS_SELF_METRICS } from "../constructs/prometheus";
import { IMAGES } from "./support/versions";
import { SLI_WINDOWS, SLO_ALERT_NAMES, sliErrorSeries, sloGroupNames, sloSeries } from "../constructs/core/slo";
import {
  buildDefaultMonitoringStack,
  DEMO_API_BINARY,
  mapUrlToLoopback,
  processAlive,
  startLocalStack,
  startSuccessfulTraffic,
  type BackgroundTraffic,
  type LocalStack,
} from "../scripts/harness/local-stack";
import { describeWithBinaries, prometheusVersion } from "./support/prometheus-binaries";

/** The stack setting under test: scrape (and evaluate rules) every second, so the suite needs seconds, not minutes. */
const SCRAPE_INTERVAL_SECONDS = 1;
/** Bound of one wait for Prometheus to see something, in milliseconds. */
const WAIT_MS = 15_000;
/**
 * The SLO windows at this interval: an hour lasts a minute (5m -> 5s, 1h -> 1m, 6h -> 6m, 3d -> 72m, 30d -> 12h), so
 * the page's windows fill within the suite. Only this suite's stack is scaled; the default synth keeps 1.
 */
const SLO_WINDOW_SCALE = 1 / 60;

const stack = buildDefaultMonitoringStack(SCRAPE_INTERVAL_SECONDS, { sloWindowScale: SLO_WINDOW_SCALE });
const SLOS = stack.slos;
const AVAILABILITY = SLOS.find((slo) => slo.id === `${DemoApi.NAME}-availability`);
const LATENCY = SLOS.find((slo) => slo.id === `${DemoApi.NAME}-latency`);
const exp = stackExpectations(stack);
const services = [...stack.services.values()];
/** The services the harness runs here: every one that declares a local process (`localRun`). */
const LOCAL = services.filter((service) => service.localRun !== undefined).map((service) => service.name);
/** The others: reported "not run", their targets down. */
const NOT_LOCAL = services.filter((service) => service.localRun === undefined).map((service) => service.name);
/** The binaries the local services run (the API is built from app/ instead). */
const BINARY_NAMES = [
  ...new Set(
    services.flatMap((service) =>
      service.localRun !== undefined && service.localRun.binary !== DEMO_API_BINARY ? [service.localRun.binary] : [],
    ),
  ),
];
const queries = dashboardQueries(stack.dashboards);
/** The services a query needs that do not run here (the services run as the harness will run them). */
const missingHere = (item: DashboardQuery): string[] =>
  missingOwners(item.query, exp.metricOwners, (name) => LOCAL.includes(name));
const provable = queries.filter((item) => missingHere(item).length === 0);
const notProvable = queries.filter((item) => missingHere(item).length > 0);
const errorRatioExpr = apiOverviewQueries(stack.dashboardContext()).errorRatio;
const errorRatioQueries = queries.filter((item) => item.query.expr === errorRatioExpr);

/** The `host:port` of a scrape target or a URL's address. */
function addressOf(target: { readonly host: string; readonly port: number }): string {
  return `${target.host}:${target.port}`;
}

/** The service whose scrape target is `address`, if any. */
function serviceAt(address: string): string | undefined {
  return services.find((service) => service.scrapeTargets.some((target) => addressOf(target) === address))?.name;
}

/** A range window from `startSeconds` to now, one point per scrape, as Grafana asks for it. */
function windowSince(startSeconds: number): QueryWindow {
  return {
    startSeconds,
    endSeconds: Date.now() / 1000,
    stepSeconds: SCRAPE_INTERVAL_SECONDS,
    scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
  };
}

describeWithBinaries(
  "end to end: every service with a local process (the real API, the exporters) and a real Prometheus with the generated config",
  BINARY_NAMES,
  (bins) => {
    const suiteStartedAt = Date.now();
    let e2e: LocalStack | undefined;
    let background: BackgroundTraffic | undefined;
    const outcomes = new Map<string, PanelQueryOutcome>();

    /** The running stack; fails the test (not the harness) when the start failed. */
    const running = (): LocalStack => {
      if (e2e === undefined) throw new Error("the end-to-end stack did not start (see the beforeAll error)");
      return e2e;
    };
    /** The API's base URL on loopback. */
    const apiUrl = (): string => {
      const api = running().services[DemoApi.NAME];
      if (api === undefined) throw new Error(`the harness did not run ${DemoApi.NAME}`);
      return api.baseUrl;
    };

    beforeAll(async () => {
      e2e = await startLocalStack({ stack, binaries: bins });
      // Phase 1 traffic: successful requests only, kept running until the end so instant queries see recent traffic.
      background = startSuccessfulTraffic(apiUrl(), 10);
    }, 150_000);

    afterAll(async () => {
      const sent = await background?.stop();
      await e2e?.stop();
      const proven = [...outcomes.values()].filter((outcome) => outcome.status === "data").length;
      const byDashboard = stack.dashboards.map((dashboard) => {
        const items = provable.filter((item) => item.dashboard.uid === dashboard.uid);
        const withData = items.filter((item) => outcomes.get(describeQuery(item.query))?.status === "data");
        const panels = new Set(items.map((item) => item.query.panelTitle));
        const panelsWithData = new Set(withData.map((item) => item.query.panelTitle));
        return `    - ${dashboard.title}: ${panelsWithData.size} of ${panels.size} panels with data (${withData.length} of ${items.length} queries)`;
      });
      console.log(
        [
          `e2e summary: ${proven} of ${provable.length} panel queries proven with data on the real API, exporters + Prometheus;`,
          ...byDashboard,
          `  ${notProvable.length} not provable here (they read only metrics of services that do not run here: ${NOT_LOCAL.join(", ")}):`,
          ...notProvable.map((item) => `    - ${describeQuery(item.query)} (needs ${missingHere(item).join(", ")})`),
          `  background 2xx traffic: ${JSON.stringify(sent?.byStatus ?? {})}`,
          `  wall time ${((Date.now() - suiteStartedAt) / 1000).toFixed(1)} s`,
        ].join("\n"),
      );
    }, 30_000);

    it("runs every service that declares a local process, and reports exactly the others as not run", () => {
      const local = running();

      expect(Object.keys(local.services).sort()).toEqual([...LOCAL].sort());
      expect(Object.keys(local.notRun).sort()).toEqual([...NOT_LOCAL].sort());
      expect(Object.entries(local.notRun)).toEqual(
        NOT_LOCAL.map((name) => [
          name,
          `no local process (localRun): its target ${local.addresses[stack.jobs[name]]} is down`,
        ]),
      );
      for (const service of Object.values(local.services)) {
        expect({ name: service.name, alive: processAlive(service.pid), baseUrl: service.baseUrl }).toEqual({
          name: service.name,
          alive: true,
          baseUrl: `http://${local.addresses[stack.jobs[service.name]]}`,
        });
        expect(service.address).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      expect(local.prometheus).toMatchObject({
        name: stack.prometheus.name,
        url: local.services[stack.prometheus.name].baseUrl,
      });
      // The queries counted as provable before the start are exactly the ones the running services can answer.
      const missing = (item: DashboardQuery) =>
        missingOwners(item.query, exp.metricOwners, (name) => name in local.services);
      expect(queries.filter((item) => missing(item).length > 0).map((item) => describeQuery(item.query))).toEqual(
        notProvable.map((item) => describeQuery(item.query)),
      );
      expect(notProvable.flatMap(missing).filter((name) => !(name in local.notRun))).toEqual([]);
    });

    it("runs the Prometheus version the stack deploys (IMAGES.prometheus)", async () => {
      const tag = /:v(\d+\.\d+\.\d+)$/.exec(IMAGES.prometheus)?.[1];
      expect(tag).toBeDefined();
      expect(prometheusVersion()).toBe(tag);
      expect(await running().prometheus.client.version()).toMatch(new RegExp(`^${tag}(\\+|$)`));
      expect(stack.prometheus.options.image).toBe(IMAGES.prometheus);
    });

    it("changes nothing in the generated files but the target addresses", () => {
      const generated = stack.prometheus.configFiles();
      const written = running().files;
      const loopback = running().loopback;
      expect(written.map((file) => file.path)).toEqual(generated.map((file) => file.path));
      // Every rendered address has a loopback address, and each loopback address stands for one rendered address.
      expect(
        stack.prometheus.scrapedTargets.map(addressOf).filter((address) => loopback[address] === undefined),
      ).toEqual([]);
      const renderedOf = new Map<string, string[]>();
      for (const [rendered, mapped] of Object.entries(loopback)) {
        renderedOf.set(mapped, [...(renderedOf.get(mapped) ?? []), rendered]);
      }
      expect([...renderedOf.values()].filter((rendered) => rendered.length !== 1)).toEqual([]);
      // Undo the mapping (targets, and the probes' URLs): the result must be the generated text, byte for byte.
      let restored = written[0].content;
      for (const [mapped, [rendered]] of renderedOf) {
        restored = restored.replace(new RegExp(`${mapped.replace(/\./g, "\\.")}(?!\\d)`, "g"), rendered);
      }
      expect(restored).toBe(generated[0].content);
      expect(written.slice(1)).toEqual(generated.slice(1));
      expect(Object.values(loopback).every((address) => address.startsWith("127.0.0.1:"))).toBe(true);
      expect(Object.keys(loopback).filter((address) => written[0].content.includes(`- ${address}`))).toEqual([]);
    });

    it("answers the error-ratio query with exactly 0 while only successful requests were sent", async () => {
      // given only 2xx traffic so far (the background sender), and the two error-ratio panels
      const { client } = running().prometheus;
      expect(errorRatioQueries.map((item) => item.query.panelTitle)).toEqual(["Error ratio (5xx)", "5xx error ratio"]);
      const phase1Start = running().startedAtSeconds;

      // when Prometheus has scraped that traffic (the ratio is empty, not 0, before there is traffic in its window)
      const first = await pollUntil(
        async () => {
          const outcome = await runPanelQuery(client, errorRatioQueries[0], windowSince(phase1Start));
          return outcome.status === "data" ? outcome : undefined;
        },
        { timeoutMs: WAIT_MS, what: "the error ratio to have data" },
      );

      // then every error-ratio query returns 0, and nothing else, over the whole window
      expect(first.values.filter((value) => value !== 0)).toEqual([]);
      for (const item of errorRatioQueries) {
        const outcome = await runPanelQuery(client, item, windowSince(phase1Start));
        expect({
          panel: describeQuery(item.query),
          status: outcome.status,
          nonZero: outcome.values.filter((v) => v !== 0),
        }).toEqual({
          panel: describeQuery(item.query),
          status: "data",
          nonZero: [],
        });
        const instantOutcome = await client.query(outcome.promql);
        expect(instantOutcome.series.map((series) => series.values)).toEqual([[0]]);
      }
    }, 30_000);

    it("scrapes every target of every job the stack renders: up where its service runs, down where it does not, and no other target", async () => {
      const { client } = running().prometheus;
      const targets = await pollUntil(
        async () => {
          const { active } = await client.targets();
          return active.length > 0 && active.every((target) => target.health !== "unknown") ? active : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every target to be scraped once" },
      );
      type Seen = { instance: string; health: string };
      const byInstance = (a: Seen, b: Seen) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0);
      const group = (items: readonly (Seen & { job: string })[]): Record<string, Seen[]> => {
        const byJob: Record<string, Seen[]> = {};
        for (const { job, instance, health } of items) byJob[job] = [...(byJob[job] ?? []), { instance, health }];
        for (const job of Object.keys(byJob)) byJob[job].sort(byInstance);
        return byJob;
      };
      const { loopback, services: runningServices } = running();
      // A target's instance is its loopback address, or the label the stack gives it (a probe's URL, mapped to
      // loopback); it is up when the service it scrapes runs here. The probe job scrapes the blackbox exporter's
      // /probe, which succeeds even when the probe fails.
      const expected = group(
        stack.prometheus.scrapedTargets.map((target) => {
          const service = serviceAt(addressOf(target));
          return {
            job: target.jobName,
            instance:
              target.labels?.instance !== undefined
                ? mapUrlToLoopback(target.labels.instance, loopback)
                : (loopback[addressOf(target)] ?? "unmapped"),
            health: service !== undefined && service in runningServices ? "up" : "down",
          };
        }),
      );
      expect(group(targets)).toEqual(expected);
      // Exactly one target per target the stack renders: nothing else (the original stack scraped kafka and spark).
      expect(targets).toHaveLength(stack.prometheus.scrapedTargets.length);
      expect((await client.targets()).droppedCount).toBe(0);
      expect(expected[PROBE_JOB]).toHaveLength(stack.healthEndpoints.length);
      expect(stack.healthEndpoints.length).toBeGreaterThanOrEqual(4);
      // The targets of the services not run are down because nothing listens on their port.
      const notRunJobs = Object.keys(running().notRun).map((name) => stack.jobs[name]);
      expect(
        targets
          .filter((target) => notRunJobs.includes(target.job))
          .map((target) => ({
            job: target.job,
            health: target.health,
            refused: /connection refused/.test(target.lastError),
          })),
      ).toEqual(notRunJobs.map((job) => ({ job, health: "down", refused: true })));
    }, 30_000);

    it("evaluates every rule group without error; Watchdog fires; TargetDown fires for exactly the services not run", async () => {
      const { client } = running().prometheus;
      const expectedDown = Object.keys(running().notRun)
        .map((name) => stack.jobs[name])
        .sort();
      const downJobs = (loaded: Awaited<ReturnType<typeof client.ruleGroups>>): (string | undefined)[] =>
        loaded
          .flatMap((group) => group.rules)
          .filter((rule) => rule.name === PROMETHEUS_ALERT_NAMES.targetDown)
          .flatMap((rule) => rule.alerts.map((alert) => alert.labels.job))
          .sort();
      // Every rule evaluated, and TargetDown evaluated after the down targets' first scrape: on a loaded machine the
      // first evaluation can come before Prometheus has scraped (and failed) a target that does not run.
      const groups = await pollUntil(
        async () => {
          const loaded = await client.ruleGroups();
          const evaluated = loaded.every((group) => group.rules.every((rule) => rule.health !== "unknown"));
          const settled = JSON.stringify(downJobs(loaded)) === JSON.stringify(expectedDown);
          return loaded.length > 0 && evaluated && settled ? loaded : undefined;
        },
        { timeoutMs: WAIT_MS, what: `every rule evaluated once and TargetDown firing for ${expectedDown.join(", ")}` },
      );
      // Prometheus lists the groups sorted by name.
      expect(groups.map((group) => group.name).sort()).toEqual([...exp.ruleGroups].sort());
      const problems = groups.flatMap((group) =>
        group.rules
          .filter((rule) => rule.health !== "ok" || rule.lastError !== "")
          .map((rule) => `${group.name}/${rule.name}: ${rule.health} ${rule.lastError}`),
      );
      expect(problems).toEqual([]);
      const rules = groups.flatMap((group) => group.rules);
      expect(rules.find((rule) => rule.name === PROMETHEUS_ALERT_NAMES.watchdog)?.state).toBe("firing");
      const targetDown = rules.find((rule) => rule.name === PROMETHEUS_ALERT_NAMES.targetDown);
      expect(targetDown?.alerts.map((alert) => alert.labels.job).sort()).toEqual(expectedDown);
    }, 30_000);

    it("probes every health endpoint from the blackbox exporter: up where a service runs, failing where none does, and ProbeFailed pending for those alone", async () => {
      const { client } = running().prometheus;
      const runs = (service: string) => service in running().services;
      const success = `${PROBE_METRICS.success.name}{job="${PROBE_JOB}"}`;
      const results = await pollUntil(
        async () => {
          const result = await client.query(success);
          return result.series.length === stack.healthEndpoints.length ? result.series : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every health endpoint to be probed once" },
      );
      const byService = Object.fromEntries(
        results.map((series) => [series.metric.service, series.values[series.values.length - 1]]),
      );
      const expected = Object.fromEntries(
        stack.healthEndpoints.map((endpoint) => [endpoint.service, runs(endpoint.service) ? 1 : 0]),
      );
      expect(byService).toEqual(expected);
      expect(Object.keys(expected).sort()).toEqual(["api", "blackbox-exporter", "grafana", "prometheus"]);
      // The status code: 200 from every running service, 0 (no answer) from a port where nothing listens.
      const codes = await client.query(`${PROBE_METRICS.httpStatusCode.name}{job="${PROBE_JOB}"}`);
      expect(
        Object.fromEntries(
          codes.series.map((series) => [series.metric.service, series.values[series.values.length - 1]]),
        ),
      ).toEqual(Object.fromEntries(Object.entries(expected).map(([service, up]) => [service, up === 1 ? 200 : 0])));

      const probeFailed = await pollUntil(
        async () => {
          const rule = (await client.ruleGroups())
            .flatMap((group) => group.rules)
            .find((candidate) => candidate.name === PROBE_ALERT_NAMES.probeFailed);
          return rule !== undefined && rule.alerts.length > 0 ? rule : undefined;
        },
        { timeoutMs: WAIT_MS, what: "ProbeFailed to become active" },
      );
      // Pending, not firing: its for: (60 s) is longer than this suite waits; what it watches is exactly the probes of
      // the services not run.
      expect(probeFailed.alerts.map((alert) => [alert.labels.service, alert.state]).sort()).toEqual(
        stack.healthEndpoints
          .filter((endpoint) => !runs(endpoint.service))
          .map((endpoint) => [endpoint.service, "pending"])
          .sort(),
      );
    }, 30_000);

    it("records the SLO series of the API's SLOs with data (windows scaled 1/60), and no page while only 2xx were sent", async () => {
      const { client } = running().prometheus;
      if (AVAILABILITY === undefined || LATENCY === undefined) throw new Error("the API declares no SLOs");
      const series = [
        ...Object.keys(SLI_WINDOWS).map(sliErrorSeries),
        sliErrorSeries(AVAILABILITY.window),
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
        "sloth_slo_info",
      ];
      const values = async (slo: typeof AVAILABILITY) =>
        Object.fromEntries(
          await Promise.all(
            series.map(async (name) => {
              const result = await client.query(sloSeries(name, slo));
              return [name, result.series.map((s) => s.values[s.values.length - 1])] as const;
            }),
          ),
        );
      // when every series of both SLOs has a sample
      const seen = await pollUntil(
        async () => {
          const both = { availability: await values(AVAILABILITY), latency: await values(LATENCY) };
          const complete = Object.values(both).every((byName) => Object.values(byName).every((v) => v.length === 1));
          return complete ? both : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every SLO series to have a sample" },
      );
      console.log(`e2e SLO series (windows × ${SLO_WINDOW_SCALE}): ${JSON.stringify(seen)}`);
      // then the availability SLI is exactly 0 (no 5xx yet), the meta series are the declaration's
      const a = seen.availability;
      expect(Object.keys(SLI_WINDOWS).map((w) => a[sliErrorSeries(w)])).toEqual(
        Object.keys(SLI_WINDOWS).map(() => [0]),
      );
      expect([a["slo:objective:ratio"], a["slo:error_budget:ratio"], a["slo:time_period:days"]]).toEqual([
        [0.999],
        [0.001],
        [30 * SLO_WINDOW_SCALE],
      ]);
      expect(a["slo:period_error_budget_remaining:ratio"]).toEqual([1]);
      expect(seen.latency["slo:objective:ratio"]).toEqual([0.99]);
      const page = (await client.ruleGroups())
        .find((group) => group.name === sloGroupNames(AVAILABILITY).alerts)
        ?.rules.find((rule) => rule.name === SLO_ALERT_NAMES.page);
      expect({ state: page?.state, alerts: page?.alerts.length }).toEqual({ state: "inactive", alerts: 0 });
    }, 30_000);

    it("fires the availability page under injected 5xx (1h and 5m, scaled to 1m and 5s, above 14.4 × 0.1%), not the latency page", async () => {
      const { client } = running().prometheus;
      if (AVAILABILITY === undefined || LATENCY === undefined) throw new Error("the API declares no SLOs");
      const group = sloGroupNames(AVAILABILITY).alerts;
      const pageOf = async (groupName: string) =>
        (await client.ruleGroups())
          .find((candidate) => candidate.name === groupName)
          ?.rules.find((rule) => rule.name === SLO_ALERT_NAMES.page);
      // given 5xx at 20 req/s on top of the 2xx background traffic (10 req/s)
      const injected: Record<string, number> = {};
      const pending = new Set<Promise<void>>();
      const startedAt = Date.now();
      const timer = setInterval(() => {
        const done: Promise<void> = fetch(`${apiUrl()}/api/simulate?status=500`, { signal: AbortSignal.timeout(5000) })
          .then(async (response) => {
            await response.text();
            injected[response.status] = (injected[response.status] ?? 0) + 1;
          })
          .catch(() => {
            injected.failed = (injected.failed ?? 0) + 1;
          })
          .finally(() => pending.delete(done));
        pending.add(done);
      }, 50);
      let firing;
      try {
        // when the page fires (its for: is 2 scrape intervals)
        firing = await pollUntil(async () => (await pageOf(group))?.alerts.find((alert) => alert.state === "firing"), {
          timeoutMs: 30_000,
          what: `${SLO_ALERT_NAMES.page} to fire for ${AVAILABILITY.id}`,
        });
      } finally {
        clearInterval(timer);
        await Promise.all(pending);
      }
      const firedAfterSeconds = (Date.now() - startedAt) / 1000;
      const ratio = async (window: string) =>
        (await client.query(sloSeries(sliErrorSeries(window), AVAILABILITY))).series[0]?.values[0];
      const figures = {
        firedAfterSeconds,
        injected,
        errorRatio1h: await ratio("1h"),
        errorRatio5m: await ratio("5m"),
        errorRatio6h: await ratio("6h"),
        burnRate5m: (await client.query(sloSeries("slo:current_burn_rate:ratio", AVAILABILITY))).series[0]?.values[0],
        budgetRemaining: (await client.query(sloSeries("slo:period_error_budget_remaining:ratio", AVAILABILITY)))
          .series[0]?.values[0],
      };
      console.log(`e2e SLO page: ${JSON.stringify(figures)}`);
      // then it is the availability page of the API, its long-window ratio above 14.4 × the budget
      expect(firing.labels).toEqual({
        alertname: SLO_ALERT_NAMES.page,
        severity: "critical",
        sloth_severity: "page",
        sloth_id: AVAILABILITY.id,
        sloth_service: DemoApi.NAME,
        sloth_slo: "availability",
      });
      expect(injected).toEqual({ 500: expect.any(Number) });
      expect(figures.errorRatio1h).toBeGreaterThan(14.4 * AVAILABILITY.budget);
      // The 500s answer at once: the latency SLO's page stays quiet.
      expect((await pageOf(sloGroupNames(LATENCY).alerts))?.alerts.filter((alert) => alert.state === "firing")).toEqual(
        [],
      );
    }, 60_000);

    it("shows the errors and slow requests: the error ratio rises above 0", async () => {
      // given errors and slow requests on top of the successful background traffic
      const { client } = running().prometheus;
      const phase2Start = Date.now() / 1000;
      const summary = await runTraffic({
        baseUrl: apiUrl(),
        durationSeconds: 3,
        ratePerSecond: 30,
        seed: 42,
      });
      const explicit = await Promise.all([
        ...Array.from({ length: 4 }, () => fetch(`${apiUrl()}/api/simulate?status=500`)),
        ...Array.from({ length: 2 }, () => fetch(`${apiUrl()}/api/simulate?status=503`)),
        ...Array.from({ length: 3 }, () => fetch(`${apiUrl()}/api/simulate?latency_ms=700`)),
        ...Array.from({ length: 3 }, () => fetch(`${apiUrl()}/api/items/999999999`)),
      ]);
      expect(explicit.map((response) => response.status).sort()).toEqual([
        200, 200, 200, 404, 404, 404, 500, 500, 500, 500, 503, 503,
      ]);
      const classes = new Set(Object.keys(summary.byStatus).map((status) => `${status[0]}xx`));
      expect({ failed: summary.failed, classes: [...classes].sort() }).toEqual({
        failed: 0,
        classes: ["2xx", "4xx", "5xx"],
      });

      // when Prometheus has scraped it twice
      await waitForScrapes(client, exp.jobs.api, 2, WAIT_MS);

      // then both error-ratio panels show a ratio above 0 (and at most 1) during phase 2
      for (const item of errorRatioQueries) {
        const outcome = await runPanelQuery(client, item, windowSince(phase2Start));
        const max = Math.max(...outcome.values);
        expect({
          panel: describeQuery(item.query),
          status: outcome.status,
          positive: max > 0,
          atMostOne: max <= 1,
        }).toEqual({
          panel: describeQuery(item.query),
          status: "data",
          positive: true,
          atMostOne: true,
        });
      }
    }, 45_000);

    describe("every panel query of every dashboard returns data", () => {
      beforeAll(async () => {
        if (e2e === undefined) return;
        // The whole run, one point per scrape: what the dashboards would show for it.
        const window = windowSince(e2e.startedAtSeconds);
        for (const item of provable) {
          outcomes.set(describeQuery(item.query), await runPanelQuery(e2e.prometheus.client, item, window));
        }
      }, 60_000);

      it("covers every dashboard the stack deploys, the Host and Service health dashboards included", () => {
        expect([...new Set(queries.map((item) => item.dashboard.uid))]).toEqual(stack.dashboards.map((d) => d.uid));
        expect(provable.length).toBeGreaterThan(0);
        expect(stack.dashboards.map((d) => d.uid)).toEqual(expect.arrayContaining([HOST_UID, PROBES_UID]));
        // Nothing on them needs a service that does not run here: every one of their queries is proven here.
        expect(notProvable.filter((item) => [HOST_UID, PROBES_UID].includes(item.dashboard.uid))).toEqual([]);
      });

      it.each(provable.map((item) => [describeQuery(item.query), item] as const))("%s", (title) => {
        const outcome = outcomes.get(title);
        expect({
          panel: title,
          status: outcome?.status,
          error: outcome?.error,
          series: (outcome?.seriesCount ?? 0) > 0,
        }).toEqual({ panel: title, status: "data", error: undefined, series: true });
      });
    });

    it("finds every metric name that dashboards and rules use in the scraped data", async () => {
      const used = new Set([
        ...queries.flatMap((item) => item.query.metricNames),
        ...exp.rules.flatMap((rule) => metricNamesInExpr(rule.expr)),
        ...PROMETHEUS_SELF_METRICS,
        ...SCRAPE_SERIES,
      ]);
      // Not provable here: a name only services that do not run here expose. A name nobody declares must be present.
      const onlyOfNotRun = (name: string) => {
        const owners = exp.metricOwners[name] ?? [];
        return owners.length > 0 && !owners.some((owner) => owner in running().services);
      };
      const provableNames = [...used].filter((name) => !onlyOfNotRun(name)).sort();
      const present = new Set(await running().prometheus.client.metricNames());
      expect(provableNames.filter((name) => !present.has(name))).toEqual([]);
      // The contract is not trivially satisfied: the API's, Prometheus' and the rules' names are all in the list.
      expect(provableNames).toEqual(
        expect.arrayContaining(["http_requests_total", "http_request_duration_seconds_bucket", "up"]),
      );
      const notProvableNames = [...used].filter(onlyOfNotRun).sort();
      console.log(
        `e2e metric names: ${provableNames.length} present; not provable here (only ${Object.keys(running().notRun).join(", ")} expose them): ${notProvableNames.join(", ")}`,
      );
    });
  },
);
