/**
 * End to end on 127.0.0.1: the real API (built from app/) and a real Prometheus 3.5 running the stack's generated
 * prometheus.yml and rule files (only the target addresses mapped to loopback ports), traffic sent in two phases,
 * then every target, rule group, panel query and metric name checked against what the stack defines.
 *
 * Grafana cannot run here (no binary, no images): its job is rendered, so its target exists and must be down, and the
 * panel queries over Grafana's own metrics are reported as "not provable here" (never faked).
 */
import { runTraffic } from "../scripts/traffic";
import { stackExpectations } from "../scripts/verify/expectations";
import {
  dashboardQueries,
  describeQuery,
  runPanelQuery,
  type PanelQueryOutcome,
  type QueryWindow,
} from "../scripts/verify/panel-queries";
import { pollUntil } from "../scripts/verify/http";
import { waitForScrapes } from "../scripts/verify/run";
import {
  apiOverviewQueries,
  GRAFANA_SELF_METRICS,
  metricNamesInExpr,
  PROMETHEUS_SELF_METRICS,
  SCRAPE_SERIES,
} from "../dashboards";
import { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "../constructs/grafana/datasource";
import { IMAGES } from "./support/versions";
import { BlackboxExporter } from "../constructs/blackbox-exporter";
import { EXPORTER_ALERT_NAMES } from "../constructs/exporter-rules";
import { NodeExporter } from "../constructs/node-exporter";
import { HOST_UID, PROBES_UID } from "../dashboards";
import { PROBE_METRICS } from "../dashboards/exporter-metrics";
import {
  buildDefaultMonitoringStack,
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

const stack = buildDefaultMonitoringStack(SCRAPE_INTERVAL_SECONDS);
const exp = stackExpectations(stack);
const queries = dashboardQueries(stack.dashboards);
const provable = queries.filter((item) => !item.query.needsGrafana);
const notProvable = queries.filter((item) => item.query.needsGrafana);
const errorRatioExpr = apiOverviewQueries({
  datasource: { type: PROMETHEUS_DATASOURCE_TYPE, uid: PROMETHEUS_DATASOURCE_UID },
  jobs: exp.jobs,
  scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
}).errorRatio;
const errorRatioQueries = queries.filter((item) => item.query.expr === errorRatioExpr);

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
  "end to end: the real API, node-exporter, blackbox-exporter and a real Prometheus with the generated config",
  ["prometheus", "node-exporter", "blackbox-exporter"],
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

    beforeAll(async () => {
      e2e = await startLocalStack({
        prometheusBin: bins.prometheus,
        nodeExporterBin: bins["node-exporter"],
        blackboxExporterBin: bins["blackbox-exporter"],
        stack,
      });
      // Phase 1 traffic: successful requests only, kept running until the end so instant queries see recent traffic.
      background = startSuccessfulTraffic(e2e.api.baseUrl, 10);
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
          `  ${notProvable.length} not provable here (they read only Grafana's own metrics; no Grafana runs on this machine):`,
          ...notProvable.map((item) => `    - ${describeQuery(item.query)}`),
          `  background 2xx traffic: ${JSON.stringify(sent?.byStatus ?? {})}`,
          `  wall time ${((Date.now() - suiteStartedAt) / 1000).toFixed(1)} s`,
        ].join("\n"),
      );
    }, 30_000);

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
      expect(written.map((file) => file.path)).toEqual(generated.map((file) => file.path));
      const addresses = Object.values(running().addresses);
      const rendered = stack.prometheus.scrapeTargets.map((target) => `${target.host}:${target.port}`);
      const renderedByJob = Object.fromEntries(
        stack.prometheus.scrapeTargets.map((target) => [target.jobName, `${target.host}:${target.port}`]),
      );
      // Undo the mapping (targets, and the probes' URLs): the result must be the generated text, byte for byte.
      let restored = written[0].content;
      for (const [job, loopback] of Object.entries(running().addresses)) {
        restored = restored.replace(new RegExp(`${loopback.replace(/\./g, "\\.")}(?!\\d)`, "g"), renderedByJob[job]);
      }
      expect(restored).toBe(generated[0].content);
      expect(written.slice(1)).toEqual(generated.slice(1));
      expect(addresses.every((address) => address.startsWith("127.0.0.1:"))).toBe(true);
      expect(rendered.every((address) => !written[0].content.includes(`- ${address}`))).toBe(true);
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

    it("scrapes every target of every job that can run here, Grafana's down, and no other target", async () => {
      const { client } = running().prometheus;
      const targets = await pollUntil(
        async () => {
          const { active } = await client.targets();
          return active.length > 0 && active.every((target) => target.health !== "unknown") ? active : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every target to be scraped once" },
      );
      const byJob: Record<string, { instance: string; health: string }[]> = {};
      for (const target of targets) {
        byJob[target.job] = [...(byJob[target.job] ?? []), { instance: target.instance, health: target.health }].sort(
          (a, b) => (a.instance < b.instance ? -1 : 1),
        );
      }
      const addresses = running().addresses;
      // The probe job's instances are the health endpoints' URLs (mapped to loopback), whatever the probe says: the
      // scrape of the blackbox exporter's /probe succeeds even when the probe fails.
      const probeInstances = stack.healthEndpoints
        .map((endpoint) => {
          const address = /^http:\/\/([^/]+)/.exec(endpoint.url)?.[1] ?? "";
          const job = Object.keys(addresses).find((name) =>
            stack.prometheus.scrapeTargets.some((t) => t.jobName === name && `${t.host}:${t.port}` === address),
          );
          return endpoint.url.replace(address, job !== undefined ? addresses[job] : "unmapped");
        })
        .sort()
        .map((instance) => ({ instance, health: "up" }));
      expect(byJob).toEqual({
        [exp.jobs.api]: [{ instance: addresses[exp.jobs.api], health: "up" }],
        [exp.jobs.prometheus]: [{ instance: addresses[exp.jobs.prometheus], health: "up" }],
        [exp.jobs.grafana]: [{ instance: addresses[exp.jobs.grafana], health: "down" }],
        [NodeExporter.NAME]: [{ instance: addresses[NodeExporter.NAME], health: "up" }],
        [BlackboxExporter.NAME]: [{ instance: addresses[BlackboxExporter.NAME], health: "up" }],
        [BlackboxExporter.PROBE_JOB]: probeInstances,
      });
      expect(probeInstances.length).toBeGreaterThanOrEqual(4);
      // Exactly one target per job the stack renders: nothing else (the original stack scraped kafka and spark).
      expect(targets).toHaveLength(stack.prometheus.scrapeTargets.length);
      expect((await client.targets()).droppedCount).toBe(0);
      expect(targets.find((target) => target.job === exp.jobs.grafana)?.lastError).toMatch(/connection refused/);
    }, 30_000);

    it("evaluates every rule group without error; Watchdog fires; TargetDown watches only the down Grafana target", async () => {
      const { client } = running().prometheus;
      const groups = await pollUntil(
        async () => {
          const loaded = await client.ruleGroups();
          const evaluated = loaded.every((group) => group.rules.every((rule) => rule.health !== "unknown"));
          return loaded.length > 0 && evaluated ? loaded : undefined;
        },
        { timeoutMs: WAIT_MS, what: "every rule to be evaluated once" },
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
      expect(rules.find((rule) => rule.name === "Watchdog")?.state).toBe("firing");
      const targetDown = rules.find((rule) => rule.name === "TargetDown");
      expect(targetDown?.alerts.map((alert) => alert.labels.job)).toEqual([exp.jobs.grafana]);
    }, 30_000);

    it("probes every health endpoint from the blackbox exporter: up where a service runs, failing at Grafana's, and ProbeFailed pending for Grafana alone", async () => {
      const { client } = running().prometheus;
      const success = `${PROBE_METRICS.success.name}{job="${BlackboxExporter.PROBE_JOB}"}`;
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
        stack.healthEndpoints.map((endpoint) => [endpoint.service, endpoint.service === exp.jobs.grafana ? 0 : 1]),
      );
      expect(byService).toEqual(expected);
      expect(Object.keys(expected).sort()).toEqual(["api", "blackbox-exporter", "grafana", "prometheus"]);
      // The status code: 200 from every running service, 0 (no answer) from Grafana's port where nothing listens.
      const codes = await client.query(`${PROBE_METRICS.httpStatusCode.name}{job="${BlackboxExporter.PROBE_JOB}"}`);
      expect(
        Object.fromEntries(
          codes.series.map((series) => [series.metric.service, series.values[series.values.length - 1]]),
        ),
      ).toEqual(Object.fromEntries(Object.entries(expected).map(([service, up]) => [service, up === 1 ? 200 : 0])));

      const probeFailed = await pollUntil(
        async () => {
          const rule = (await client.ruleGroups())
            .flatMap((group) => group.rules)
            .find((candidate) => candidate.name === EXPORTER_ALERT_NAMES.probeFailed);
          return rule !== undefined && rule.alerts.length > 0 ? rule : undefined;
        },
        { timeoutMs: WAIT_MS, what: "ProbeFailed to become active" },
      );
      // Pending, not firing: its for: (60 s) is longer than this suite waits; what it watches is exactly Grafana's probe.
      expect(probeFailed.alerts.map((alert) => [alert.labels.service, alert.state])).toEqual([
        [exp.jobs.grafana, "pending"],
      ]);
    }, 30_000);

    it("shows the errors and slow requests: the error ratio rises above 0", async () => {
      // given errors and slow requests on top of the successful background traffic
      const { client } = running().prometheus;
      const phase2Start = Date.now() / 1000;
      const summary = await runTraffic({
        baseUrl: running().api.baseUrl,
        durationSeconds: 3,
        ratePerSecond: 30,
        seed: 42,
      });
      const explicit = await Promise.all([
        ...Array.from({ length: 4 }, () => fetch(`${running().api.baseUrl}/api/simulate?status=500`)),
        ...Array.from({ length: 2 }, () => fetch(`${running().api.baseUrl}/api/simulate?status=503`)),
        ...Array.from({ length: 3 }, () => fetch(`${running().api.baseUrl}/api/simulate?latency_ms=700`)),
        ...Array.from({ length: 3 }, () => fetch(`${running().api.baseUrl}/api/items/999999999`)),
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
        // Nothing on them needs Grafana: every one of their queries is proven here.
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
      const grafanaOwn: ReadonlySet<string> = new Set(GRAFANA_SELF_METRICS);
      const used = new Set([
        ...queries.flatMap((item) => item.query.metricNames),
        ...exp.rules.flatMap((rule) => metricNamesInExpr(rule.expr)),
        ...PROMETHEUS_SELF_METRICS,
        ...SCRAPE_SERIES,
      ]);
      const provableNames = [...used].filter((name) => !grafanaOwn.has(name)).sort();
      const present = new Set(await running().prometheus.client.metricNames());
      expect(provableNames.filter((name) => !present.has(name))).toEqual([]);
      // The contract is not trivially satisfied: the API's, Prometheus' and the rules' names are all in the list.
      expect(provableNames).toEqual(
        expect.arrayContaining(["http_requests_total", "http_request_duration_seconds_bucket", "up"]),
      );
      const notProvableNames = [...used].filter((name) => grafanaOwn.has(name)).sort();
      console.log(
        `e2e metric names: ${provableNames.length} present; not provable here (Grafana's own): ${notProvableNames.join(", ")}`,
      );
    });
  },
);
