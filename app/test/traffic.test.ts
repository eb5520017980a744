import { parseTrafficArgs, runTraffic, SCENARIOS } from "../../scripts/traffic";
import { HTTP_METRICS } from "../src/metrics";
import { samplesOf, scrape, startServer, type RunningServer } from "./helpers";

describe("runTraffic (npm run traffic)", () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    await server.app.close();
  });

  it("sends rate x duration requests of the mix, and the API counted exactly what it answered", async () => {
    const progress: number[] = [];

    const summary = await runTraffic(
      { baseUrl: server.baseUrl, durationSeconds: 1.5, ratePerSecond: 40, seed: 7 },
      (p) => progress.push(p.sent),
    );

    expect({
      sent: summary.sent,
      completed: summary.completed,
      failed: summary.failed,
      skipped: summary.skipped,
    }).toEqual({ sent: 60, completed: 60, failed: 0, skipped: 0 });
    expect(Object.values(summary.byScenario).map((counts) => counts.unexpected)).toEqual(
      Object.keys(summary.byScenario).map(() => 0),
    );
    const classes = new Set(Object.keys(summary.byStatus).map((status) => `${status[0]}xx`));
    expect([...classes].sort()).toEqual(["2xx", "4xx", "5xx"]);
    expect(progress.length).toBeGreaterThanOrEqual(1);

    const counted: Record<string, number> = {};
    for (const sample of samplesOf(await scrape(server.baseUrl), HTTP_METRICS.requestsTotal.name)) {
      if (sample.labels.endpoint === "/health") continue; // the reachability check before the run
      counted[sample.labels.status as string] = (counted[sample.labels.status as string] ?? 0) + sample.value;
    }
    expect(counted).toEqual(summary.byStatus);
  });

  it("fails before sending anything when the API is not reachable", async () => {
    const { port } = server;
    await server.app.close();

    await expect(
      runTraffic({ baseUrl: `http://127.0.0.1:${port}`, durationSeconds: 1, ratePerSecond: 1 }),
    ).rejects.toThrow(`cannot reach the API at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`);
    server = await startServer();
  });
});

describe("traffic mix", () => {
  it("weighs scenarios as percentages, with errors and slow requests a minority", () => {
    const weight = (names: string[]): number =>
      SCENARIOS.filter((scenario) => names.includes(scenario.name)).reduce((sum, scenario) => sum + scenario.weight, 0);
    expect(SCENARIOS.reduce((sum, scenario) => sum + scenario.weight, 0)).toBe(100);
    expect(weight(["server error", "unavailable"])).toBe(8);
    expect(weight(["missing item", "invalid item", "unknown route"])).toBe(17);
    expect(weight(["slow request"])).toBe(10);
  });
});

describe("parseTrafficArgs", () => {
  it("defaults to 10 req/s for 30 s against 127.0.0.1:8000", () => {
    expect(parseTrafficArgs([])).toEqual({
      baseUrl: "http://127.0.0.1:8000",
      durationSeconds: 30,
      ratePerSecond: 10,
      seed: undefined,
      maxInFlight: 100,
    });
  });

  it("fails when --rate is not a number, naming the flag and the value", () => {
    expect(() => parseTrafficArgs(["--rate", "fast"])).toThrow(
      '--rate must be a number between 0.1 and 1000 (got "fast")',
    );
  });

  it("fails when --duration is out of range", () => {
    expect(() => parseTrafficArgs(["--duration", "0"])).toThrow(
      '--duration must be a number between 1 and 86400 (got "0")',
    );
  });

  it("fails when --url is not an http URL", () => {
    expect(() => parseTrafficArgs(["--url", "127.0.0.1:8000"])).toThrow(
      '--url must be an http(s) URL such as http://127.0.0.1:8000 (got "127.0.0.1:8000")',
    );
  });
});
