/**
 * verify's Grafana client and checks against a STAND-IN for Grafana: a small HTTP server on 127.0.0.1 that answers
 * exactly the responses Grafana documents (and implements) for the three calls verify makes. This is the one place a
 * stand-in is used, because no Grafana can run on this machine (no binary, no images); the checks have not been run
 * against a real Grafana here.
 *
 * Sources of the answers: Grafana's HTTP API docs (api-legacy/other.md `GET /api/health`; api-legacy/data_source.md
 * "Check data source health"; http-api/dashboard.md "Get dashboard by uid") and Grafana's source for the error
 * bodies (pkg/api/datasources.go `checkDatasourceHealth`: 400 with `"status":"ERROR"`; pkg/services/authn/clients/
 * basic.go: 401 "Invalid username or password"; pkg/services/dashboards/errors.go: 404 "Dashboard not found").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkGrafana, type CheckResult, type PasswordSource } from "../scripts/verify/checks";
import { stackExpectations } from "../scripts/verify/expectations";
import { GrafanaClient } from "../scripts/verify/grafana-client";
import { formatResult } from "../scripts/verify/report";
import { buildDefaultMonitoringStack } from "../scripts/harness/local-stack";

const exp = stackExpectations(buildDefaultMonitoringStack(15));
const PASSWORD = "correct-horse-battery-staple";
const FROM_FILE: PasswordSource = { found: true, description: ".secrets/grafana-admin-password" };

/** How the stand-in behaves; each test sets what differs from a healthy, fully deployed Grafana. */
interface FakeGrafanaState {
  database: "ok" | "failing";
  datasource: "ok" | "error" | "missing";
  /** Stored dashboards by uid. */
  dashboards: Map<string, { title: string; folderUid: string }>;
}

/** The stand-in for Grafana 12's HTTP API (documented answers only); records every request. */
class FakeGrafana {
  public state: FakeGrafanaState = healthyState();
  public readonly requests: { path: string; authorization: string | undefined }[] = [];
  private server: Server | undefined;
  public url = "";

  public async start(): Promise<void> {
    this.server = createServer((request, response) => this.answer(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    this.server = undefined;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "").split("?")[0];
    this.requests.push({ path, authorization: request.headers.authorization });
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
      response.end(JSON.stringify(body));
    };
    if (path === "/api/health") {
      const body = { commit: "e1b0d2f5", database: this.state.database, version: "12.2.1" };
      return json(this.state.database === "ok" ? 200 : 503, body);
    }
    const expected = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
    if (request.headers.authorization !== expected) {
      return json(401, {
        message: "Invalid username or password",
        messageId: "basic-auth.invalid-credentials",
        statusCode: 401,
        traceID: "",
      });
    }
    if (path === "/api/datasources/uid/prometheus/health") {
      switch (this.state.datasource) {
        case "ok":
          return json(200, { status: "OK", message: "Successfully queried the Prometheus API." });
        case "error":
          return json(400, {
            status: "ERROR",
            message:
              'Post "http://prometheus:9090/api/v1/query": dial tcp: lookup prometheus on 127.0.0.11:53: no such host',
          });
        case "missing":
          return json(404, { message: "Data source not found" });
      }
    }
    const dashboardUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path)?.[1];
    if (dashboardUid !== undefined) {
      const stored = this.state.dashboards.get(decodeURIComponent(dashboardUid));
      if (stored === undefined) return json(404, { message: "Dashboard not found" });
      return json(200, {
        dashboard: { id: 7, uid: dashboardUid, title: stored.title, tags: [], version: 3, schemaVersion: 41 },
        meta: { isStarred: false, url: `/d/${dashboardUid}/x`, folderId: 2, folderUid: stored.folderUid, slug: "x" },
      });
    }
    return json(404, { message: "Not found" });
  }
}

function healthyState(): FakeGrafanaState {
  return {
    database: "ok",
    datasource: "ok",
    dashboards: new Map(exp.dashboards.map((d) => [d.uid, { title: d.title, folderUid: exp.dashboardFolderUid }])),
  };
}

/** Title and status of every result, for exact comparisons. */
function summary(results: readonly CheckResult[]): [string, string][] {
  return results.map((result) => [result.title, result.status]);
}

describe("verify's Grafana checks against a stand-in for Grafana (documented answers; no Grafana runs here)", () => {
  const grafana = new FakeGrafana();

  beforeAll(() => grafana.start());
  afterAll(() => grafana.stop());
  beforeEach(() => {
    grafana.state = healthyState();
    grafana.requests.length = 0;
  });

  const client = (password: string | undefined): GrafanaClient =>
    new GrafanaClient(grafana.url, { user: "admin", password, timeoutMs: 2000 });

  it("passes every check of a healthy, fully deployed Grafana, with basic auth as admin", async () => {
    const results = await checkGrafana(client(PASSWORD), exp, FROM_FILE);
    expect(summary(results)).toEqual([
      ["GET /api/health: database ok", "pass"],
      ['datasource "prometheus": health check through Grafana passes', "pass"],
      ...exp.dashboards.map((d): [string, string] => [`dashboard "${d.title}" (uid ${d.uid}) exists`, "pass"]),
    ]);
    expect(results[0]).toMatchObject({ detail: "Grafana 12.2.1" });
    expect(results[1]).toMatchObject({ detail: "Successfully queried the Prometheus API." });
    expect(grafana.requests.map((request) => request.path)).toEqual([
      "/api/health",
      "/api/datasources/uid/prometheus/health",
      ...exp.dashboards.map((d) => `/api/dashboards/uid/${d.uid}`),
    ]);
    // /api/health needs no credentials and gets none; every other call is authenticated as admin.
    expect(grafana.requests.map((request) => request.authorization !== undefined)).toEqual([
      false,
      ...grafana.requests.slice(1).map(() => true),
    ]);
  });

  it("fails every authenticated check on a wrong password with the password hint, never printing it", async () => {
    const results = await checkGrafana(client("not-the-password"), exp, FROM_FILE);
    const failed = results.filter((result) => result.status === "fail");
    expect(failed).toHaveLength(1 + exp.dashboards.length);
    for (const result of failed) {
      expect(result).toMatchObject({
        detail: "401 unauthorized: Invalid username or password",
        hint: expect.stringContaining(
          "the password from .secrets/grafana-admin-password does not match the one Grafana was first started with",
        ),
      });
    }
    const printed = results.map(formatResult).join("\n");
    expect(printed).toContain("grafana cli admin reset-admin-password");
    expect(printed).not.toContain("not-the-password");
    expect(printed).not.toContain(PASSWORD);
  });

  it("fails the authenticated checks without sending anything when no password was found, saying where to put it", async () => {
    const results = await checkGrafana(client(undefined), exp, { found: false, description: "nowhere" });
    expect(results[0].status).toBe("pass");
    expect(results.slice(1).map((result) => result.status)).toEqual(results.slice(1).map(() => "fail"));
    expect(results[1]).toMatchObject({
      hint: "no Grafana admin password found: set GRAFANA_ADMIN_PASSWORD (or TF_VAR_grafana_admin_password), or write it into .secrets/grafana-admin-password (npm run deploy generates that file on the first deploy)",
    });
    expect(grafana.requests.map((request) => request.path)).toEqual(["/api/health"]);
  });

  it("fails the datasource check when Grafana cannot reach Prometheus (400, status ERROR)", async () => {
    grafana.state.datasource = "error";
    const results = await checkGrafana(client(PASSWORD), exp, FROM_FILE);
    expect(results[1]).toEqual({
      section: "Grafana",
      status: "fail",
      title: 'datasource "prometheus": health check through Grafana passes',
      detail:
        'status ERROR: Post "http://prometheus:9090/api/v1/query": dial tcp: lookup prometheus on 127.0.0.11:53: no such host',
      hint: "Grafana cannot query Prometheus at http://prometheus:9090: is monitoring-prometheus running and on the same Docker network? docker logs --tail 50 monitoring-grafana",
    });
    expect(summary(results).filter(([, status]) => status === "fail")).toHaveLength(1);
  });

  it("fails the datasource check when the datasource does not exist (404)", async () => {
    grafana.state.datasource = "missing";
    const [, datasource] = await checkGrafana(client(PASSWORD), exp, FROM_FILE);
    expect(datasource).toMatchObject({
      status: "fail",
      detail: "not found: Data source not found",
      hint: 'the datasource uid "prometheus" does not exist in Grafana: npm run deploy creates it',
    });
  });

  it("fails only the missing dashboard (404 Dashboard not found) and a dashboard moved or renamed in the UI", async () => {
    const [missing, renamed] = exp.dashboards;
    grafana.state.dashboards.delete(missing.uid);
    grafana.state.dashboards.set(renamed.uid, { title: "Edited in the UI", folderUid: "" });
    const results = await checkGrafana(client(PASSWORD), exp, FROM_FILE);
    const byTitle = new Map(results.map((result) => [result.title, result]));
    expect(byTitle.get(`dashboard "${missing.title}" (uid ${missing.uid}) exists`)).toMatchObject({
      status: "fail",
      detail: "not found: Dashboard not found",
      hint: "the dashboard is missing in Grafana (deleted in the UI, or the deploy did not finish): npm run deploy creates it",
    });
    expect(byTitle.get(`dashboard "${renamed.title}" (uid ${renamed.uid}) exists`)).toMatchObject({
      status: "fail",
      detail: `title is "Edited in the UI"; in folder "", not "${exp.dashboardFolderUid}"`,
      hint: expect.stringContaining("npm run deploy overwrites it"),
    });
    expect(results.filter((result) => result.status === "fail")).toHaveLength(2);
  });

  it("fails the health check when Grafana's database is failing (503)", async () => {
    grafana.state.database = "failing";
    const [health] = await checkGrafana(client(PASSWORD), exp, FROM_FILE);
    expect(health).toMatchObject({
      status: "fail",
      detail: "answered 503, database: failing",
      hint: expect.stringContaining("Grafana's database is failing: docker logs --tail 50 monitoring-grafana"),
    });
  });

  it("fails every check with the not-running hint when nothing answers", async () => {
    const stopped = new FakeGrafana();
    await stopped.start();
    const url = stopped.url;
    await stopped.stop();
    const results = await checkGrafana(
      new GrafanaClient(url, { user: "admin", password: PASSWORD, timeoutMs: 2000 }),
      exp,
      FROM_FILE,
    );
    expect(results.map((result) => result.status)).toEqual(results.map(() => "fail"));
    expect(results[0]).toMatchObject({
      detail: expect.stringMatching(/^no answer: connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
      hint: expect.stringContaining(
        `Grafana is not running or not reachable at ${url}: docker ps -a --filter name=monitoring-grafana`,
      ),
    });
  });
});
