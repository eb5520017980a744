/**
 * The checks of `npm run verify`, one function per thing a person would otherwise check by hand. Each returns
 * {@link CheckResult}s: passed, failed with a fix hint, or skipped with the reason. The async checks take URLs or
 * clients; the decisions over what Prometheus reported are pure functions (`targetChecks`, `ruleChecks`).
 */
import type { GrafanaAnswer, GrafanaClient } from "./grafana-client";
import type { ServiceName, StackExpectations } from "./expectations";
import { httpRequest, UnreachableError, type HttpResponse } from "./http";
import type { PrometheusClient, PrometheusRuleGroup, PrometheusTarget } from "./prometheus-client";

/** The checklist's sections, in the order they run. */
export type Section = "API" | "Prometheus" | "Grafana" | "Data";

/** One line of the checklist. */
export type CheckResult =
  | { readonly section: Section; readonly status: "pass"; readonly title: string; readonly detail?: string }
  | {
      readonly section: Section;
      readonly status: "fail";
      readonly title: string;
      readonly detail: string;
      /** What to do about it; every failure has one. */
      readonly hint: string;
    }
  | {
      readonly section: Section;
      readonly status: "skip";
      readonly title: string;
      /** Why it was not checked. */
      readonly reason: string;
    };

/** A passed check. */
export function pass(section: Section, title: string, detail?: string): CheckResult {
  return detail === undefined ? { section, status: "pass", title } : { section, status: "pass", title, detail };
}

/** A failed check; `hint` says what to do. */
export function fail(section: Section, title: string, detail: string, hint: string): CheckResult {
  return { section, status: "fail", title, detail, hint };
}

/** A check that was not run, and why. */
export function skip(section: Section, title: string, reason: string): CheckResult {
  return { section, status: "skip", title, reason };
}

/** How messages name each service. */
export const SERVICE_TITLES: Readonly<Record<ServiceName, string>> = {
  api: "the API",
  prometheus: "Prometheus",
  grafana: "Grafana",
};

/** The hint for a service that does not answer at all. */
export function notRunningHint(service: ServiceName, exp: StackExpectations, url: string): string {
  const container = exp.containers[service];
  const local = service === "api" ? " (without Docker: npm run start:api)" : "";
  return (
    `${SERVICE_TITLES[service] ?? `The service ${service}`} is not running or not reachable at ${url}: docker ps -a --filter name=${container}; ` +
    `docker logs --tail 50 ${container}; npm run deploy starts it${local}`
  );
}

/** `GET <api>/health` answers 200. */
export async function checkApiHealth(apiUrl: string, exp: StackExpectations): Promise<CheckResult> {
  const title = "GET /health answers 200";
  const response = await get(`${apiUrl}/health`);
  if (response instanceof UnreachableError) {
    return fail("API", title, response.message, notRunningHint("api", exp, apiUrl));
  }
  if (response.status !== 200) {
    return fail(
      "API",
      title,
      `answered ${response.status}: ${response.text.slice(0, 120)}`,
      `the API answers but is not healthy: docker logs --tail 50 ${exp.containers.api}`,
    );
  }
  return pass("API", title);
}

/** `GET <api>/metrics` answers 200 with every metric family of the metrics contract. */
export async function checkApiMetrics(apiUrl: string, exp: StackExpectations): Promise<CheckResult> {
  const title = "GET /metrics answers 200 with the expected metric names";
  const response = await get(`${apiUrl}/metrics`);
  if (response instanceof UnreachableError) {
    return fail("API", title, response.message, notRunningHint("api", exp, apiUrl));
  }
  if (response.status === 404) {
    return fail(
      "API",
      title,
      "answered 404",
      "the API image lacks instrumentation (no /metrics, the original 404): rebuild and redeploy with npm run deploy",
    );
  }
  if (response.status !== 200) {
    return fail(
      "API",
      title,
      `answered ${response.status}`,
      `the metrics endpoint fails: docker logs --tail 50 ${exp.containers.api}`,
    );
  }
  const families = new Set(
    response.text
      .split("\n")
      .map((line) => /^# TYPE (\S+) /.exec(line)?.[1])
      .filter((name): name is string => name !== undefined),
  );
  const missing = exp.apiMetricFamilies.filter((name) => !families.has(name));
  if (missing.length > 0) {
    return fail(
      "API",
      title,
      `missing: ${missing.join(", ")}`,
      "the running API is an older build than app/: npm run deploy rebuilds the image from app/",
    );
  }
  return pass("API", title, `${exp.apiMetricFamilies.length} metric families, e.g. ${exp.apiMetricFamilies[0]}`);
}

/** `GET <prometheus>/-/ready` answers 200. */
export async function checkPrometheusReady(
  client: PrometheusClient,
  exp: StackExpectations,
  problem?: string,
): Promise<CheckResult> {
  const title = "ready (GET /-/ready answers 200)";
  let response: HttpResponse;
  try {
    response = await client.ready();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail("Prometheus", title, message, notRunningHint("prometheus", exp, client.baseUrl));
  }
  if (response.status === 401) {
    return fail(
      "Prometheus",
      title,
      `answered 401: ${response.text.trim().slice(0, 120)}`,
      unauthorizedHint(exp, client.sendsBasicAuth, problem),
    );
  }
  if (response.status !== 200) {
    return fail(
      "Prometheus",
      title,
      `answered ${response.status}: ${response.text.trim().slice(0, 120)}`,
      `Prometheus is starting (replaying its write-ahead log) or failing: wait a minute and rerun; docker logs --tail 50 ${exp.containers.prometheus}`,
    );
  }
  return pass("Prometheus", title);
}

/**
 * What to do about a 401 from Prometheus (its web config requires basic auth), naming the setting: the stack built
 * from this environment has no extra host; or the password file could not be read (`problem`); or its password is
 * not the one Prometheus' web config was built from.
 */
export function unauthorizedHint(exp: StackExpectations, sentAuth: boolean, problem?: string): string {
  const auth = exp.prometheusBasicAuth;
  if (auth === undefined) {
    return "Prometheus requires basic auth, but the stack built from this environment has no extra host: run npm run verify with the MONITORING_HOSTS and PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE the deploy used";
  }
  if (!sentAuth) {
    return `the password file ${auth.passwordFileForHumans} could not be read${problem !== undefined ? ` (${problem})` : ""}: set ${auth.setting} to the file the deploy used, readable by the user running verify`;
  }
  return `Prometheus refused user "${auth.username}" with the password in ${auth.passwordFileForHumans}: set ${auth.setting} to the file the deploy used (Prometheus' web config holds its bcrypt hash), or npm run deploy to rebuild the web config from this file`;
}

/** The running Prometheus is the version of the image the stack deploys. */
export async function checkPrometheusVersion(client: PrometheusClient, exp: StackExpectations): Promise<CheckResult> {
  const expected = /:v?(\d+\.\d+\.\d+)$/.exec(exp.prometheusImage)?.[1];
  const title = `version matches the deployed image ${exp.prometheusImage}`;
  if (expected === undefined) {
    return skip("Prometheus", title, "the image tag is not a plain version");
  }
  let version: string;
  try {
    version = await client.version();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail("Prometheus", title, message, notRunningHint("prometheus", exp, client.baseUrl));
  }
  const running = /^v?(\d+\.\d+\.\d+)/.exec(version)?.[1];
  if (running !== expected) {
    return fail(
      "Prometheus",
      title,
      `running ${version}`,
      `this Prometheus is not the one the stack deploys: npm run deploy replaces ${exp.containers.prometheus}`,
    );
  }
  return pass("Prometheus", title, `running ${version}`);
}

/** Options of {@link targetChecks}. */
export interface TargetCheckOptions {
  /** Jobs whose targets must exist but whose health is not judged, and why (`--skip-grafana`). */
  readonly skipHealth?: ReadonlyMap<string, string>;
}

/**
 * Judges Prometheus' active targets against the stack: every expected job has targets and all are up (one result per
 * job), and no target belongs to a job the stack does not render (one result).
 */
export function targetChecks(
  targets: readonly PrometheusTarget[],
  exp: StackExpectations,
  prometheusUrl: string,
  options: TargetCheckOptions = {},
): CheckResult[] {
  const results: CheckResult[] = [];
  const serviceOfJob = new Map(Object.entries(exp.jobs).map(([service, job]) => [job, service as ServiceName]));
  // One check per job: a job of several targets (replicas, the probe job's health endpoints) is checked once.
  const firstOfJob = exp.scrapeTargets.filter(
    (target, i) => exp.scrapeTargets.findIndex((other) => other.jobName === target.jobName) === i,
  );
  for (const expected of firstOfJob) {
    const job = expected.jobName;
    const service = serviceOfJob.get(job);
    const container = service === undefined ? job : exp.containers[service];
    const ofJob = targets.filter((target) => target.job === job);
    const title = `job "${job}": every target up`;
    if (ofJob.length === 0) {
      results.push(
        fail(
          "Prometheus",
          title,
          "no target of this job",
          `the running prometheus.yml is not the one this stack renders (job "${job}" is missing): npm run deploy uploads it and replaces ${exp.containers.prometheus}`,
        ),
      );
      continue;
    }
    const skipReason = options.skipHealth?.get(job);
    if (skipReason !== undefined) {
      const states = ofJob.map((target) => `${target.instance} ${target.health}`).join(", ");
      results.push(
        skip("Prometheus", title, `${ofJob.length} target present (${states}); health not judged: ${skipReason}`),
      );
      continue;
    }
    const notUp = ofJob.filter((target) => target.health !== "up");
    if (notUp.length === 0) {
      results.push(pass("Prometheus", title, `${ofJob.length}/${ofJob.length} up`));
      continue;
    }
    const detail = notUp
      .map((target) =>
        target.health === "unknown"
          ? `${target.instance} not scraped yet`
          : `${target.instance} down: ${target.lastError === "" ? "no error reported" : target.lastError}`,
      )
      .join("; ");
    const onlyUnknown = notUp.every((target) => target.health === "unknown");
    results.push(
      fail(
        "Prometheus",
        title,
        `${ofJob.length - notUp.length}/${ofJob.length} up; ${detail}`,
        onlyUnknown
          ? `Prometheus has not scraped it yet: wait one scrape interval (${exp.scrapeIntervalSeconds} s) and rerun`
          : `Prometheus cannot scrape ${expected.host}:${expected.port}${expected.metricsPath}: docker logs --tail 50 ${container}; docker ps -a --filter name=${container}; details on ${prometheusUrl}/targets (runbook: docs/runbooks/TargetDown.md)`,
      ),
    );
  }
  const expectedJobs = new Set(exp.scrapeTargets.map((target) => target.jobName));
  const unexpected = targets.filter((target) => !expectedJobs.has(target.job));
  const title = "no unexpected target";
  if (unexpected.length === 0) {
    results.push(pass("Prometheus", title, `only the jobs ${[...expectedJobs].join(", ")}`));
  } else {
    const jobs = [...new Set(unexpected.map((target) => target.job))];
    results.push(
      fail(
        "Prometheus",
        title,
        unexpected.map((target) => `${target.instance} (job "${target.job}", ${target.health})`).join(", "),
        `a job for a service that is not deployed: ${jobs.join(", ")}. The running prometheus.yml is not the one this stack renders (it scrapes only ${[...expectedJobs].join(", ")}): npm run deploy uploads the generated config`,
      ),
    );
  }
  return results;
}

/** Reads the targets from Prometheus and judges them with {@link targetChecks}. */
export async function checkTargets(
  client: PrometheusClient,
  exp: StackExpectations,
  options: TargetCheckOptions = {},
): Promise<CheckResult[]> {
  try {
    const { active } = await client.targets();
    return targetChecks(active, exp, client.baseUrl, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [fail("Prometheus", "scrape targets", message, notRunningHint("prometheus", exp, client.baseUrl))];
  }
}

/**
 * Judges Prometheus' rule groups against the stack: the stack's groups are loaded (and no other), no rule reports an
 * evaluation error, and the Watchdog alert fires (rules are evaluated at all).
 */
export function ruleChecks(
  groups: readonly PrometheusRuleGroup[],
  exp: StackExpectations,
  prometheusUrl: string,
): CheckResult[] {
  const results: CheckResult[] = [];
  const loaded = groups.map((group) => group.name);
  const missing = exp.ruleGroups.filter((name) => !loaded.includes(name));
  const extra = loaded.filter((name) => !exp.ruleGroups.includes(name));
  const loadedTitle = `rule groups loaded: ${exp.ruleGroups.join(", ")}`;
  if (missing.length > 0 || extra.length > 0) {
    results.push(
      fail(
        "Prometheus",
        loadedTitle,
        [
          missing.length > 0 ? `missing: ${missing.join(", ")}` : "",
          extra.length > 0 ? `not rendered by this stack: ${extra.join(", ")}` : "",
        ]
          .filter((part) => part !== "")
          .join("; "),
        `the running rule files are not the ones this stack renders: npm run deploy uploads rules/alerts.yml and replaces ${exp.containers.prometheus}`,
      ),
    );
  } else {
    results.push(pass("Prometheus", loadedTitle));
  }

  const failing = groups.flatMap((group) =>
    group.rules
      .filter((rule) => rule.health === "err" || rule.lastError !== "")
      .map((rule) => `group ${group.name}, rule ${rule.name}: ${rule.lastError === "" ? rule.health : rule.lastError}`),
  );
  const notEvaluated = groups.flatMap((group) => group.rules.filter((rule) => rule.health === "unknown"));
  const errorTitle = "no rule group reports an evaluation error";
  if (failing.length > 0) {
    results.push(
      fail(
        "Prometheus",
        errorTitle,
        failing.join("; "),
        `a rule fails at evaluation time: see ${prometheusUrl}/rules and docker logs ${exp.containers.prometheus}; fix the rule in the rules.ts of its component (constructs/<component>/) (runbook: docs/runbooks/PrometheusRuleEvaluationFailures.md)`,
      ),
    );
  } else {
    const note = notEvaluated.length > 0 ? `${notEvaluated.length} rules not evaluated yet` : undefined;
    results.push(pass("Prometheus", errorTitle, note));
  }

  if (exp.watchdogAlert !== undefined) {
    const watchdog = groups.flatMap((group) => group.rules).find((rule) => rule.name === exp.watchdogAlert);
    const title = `${exp.watchdogAlert} alert is firing (rules are evaluated)`;
    if (watchdog?.state === "firing") {
      results.push(pass("Prometheus", title));
    } else {
      results.push(
        fail(
          "Prometheus",
          title,
          watchdog === undefined ? "no such rule loaded" : `state ${watchdog.state ?? "unknown"}`,
          `Prometheus is not evaluating the alert rules: docker logs --tail 50 ${exp.containers.prometheus}; ${prometheusUrl}/rules`,
        ),
      );
    }
  }
  return results;
}

/** Reads the rule groups from Prometheus and judges them with {@link ruleChecks}. */
export async function checkRules(client: PrometheusClient, exp: StackExpectations): Promise<CheckResult[]> {
  try {
    return ruleChecks(await client.ruleGroups(), exp, client.baseUrl);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [fail("Prometheus", "rule groups", message, notRunningHint("prometheus", exp, client.baseUrl))];
  }
}

/** Where the Grafana admin password came from, or why there is none. Never holds the password itself. */
export interface PasswordSource {
  /** True when a password was found. */
  readonly found: boolean;
  /** Where it came from (`GRAFANA_ADMIN_PASSWORD`, `.secrets/grafana-admin-password`), or where it was looked for. */
  readonly description: string;
}

/** The hint for a password Grafana refuses. */
export function wrongPasswordHint(exp: StackExpectations, source: PasswordSource): string {
  return (
    `the password from ${source.description} does not match the one Grafana was first started with (Grafana keeps the ` +
    `password of its first start in its database, volume of ${exp.containers.grafana}): set GRAFANA_ADMIN_PASSWORD to ` +
    `the current one, or reset it with docker exec ${exp.containers.grafana} grafana cli admin reset-admin-password ` +
    `<new> and write <new> into ${exp.passwordFileForHumans}`
  );
}

/** The hint when no password was found anywhere. */
export function missingPasswordHint(exp: StackExpectations): string {
  return (
    `no Grafana admin password found: set GRAFANA_ADMIN_PASSWORD (or TF_VAR_grafana_admin_password), or write it into ` +
    `${exp.passwordFileForHumans} (npm run deploy generates that file on the first deploy)`
  );
}

/**
 * Grafana's checks: `/api/health` is OK, the datasource's health check through Grafana passes (Grafana can query
 * Prometheus), and every dashboard the stack defines exists in the stack's folder with its title.
 */
export async function checkGrafana(
  client: GrafanaClient,
  exp: StackExpectations,
  password: PasswordSource,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const health = await client.health();
  const healthTitle = "GET /api/health: database ok";
  if (health.kind === "ok") {
    results.push(
      pass("Grafana", healthTitle, health.value.version === "" ? undefined : `Grafana ${health.value.version}`),
    );
  } else if (health.kind === "unhealthy") {
    results.push(
      fail(
        "Grafana",
        healthTitle,
        `answered ${health.status}, ${health.message}`,
        `Grafana's database is failing: docker logs --tail 50 ${exp.containers.grafana} (its database lives on a named volume)`,
      ),
    );
  } else {
    results.push(fail("Grafana", healthTitle, describeAnswer(health), hintFor(health, exp, password, client.baseUrl)));
  }

  const datasourceTitle = `datasource "${exp.datasourceUid}": health check through Grafana passes`;
  const datasource = await client.datasourceHealth(exp.datasourceUid);
  if (datasource.kind === "ok") {
    results.push(pass("Grafana", datasourceTitle, datasource.value.message));
  } else if (datasource.kind === "unhealthy") {
    results.push(
      fail(
        "Grafana",
        datasourceTitle,
        `status ERROR: ${datasource.message}`,
        `Grafana cannot query Prometheus at ${exp.prometheusInternalUrl}: is ${exp.containers.prometheus} running and on the same Docker network? docker logs --tail 50 ${exp.containers.grafana}`,
      ),
    );
  } else if (datasource.kind === "not-found") {
    results.push(
      fail(
        "Grafana",
        datasourceTitle,
        `not found: ${datasource.message}`,
        `the datasource uid "${exp.datasourceUid}" does not exist in Grafana: npm run deploy creates it`,
      ),
    );
  } else {
    results.push(
      fail("Grafana", datasourceTitle, describeAnswer(datasource), hintFor(datasource, exp, password, client.baseUrl)),
    );
  }

  for (const dashboard of exp.dashboards) {
    const title = `dashboard "${dashboard.title}" (uid ${dashboard.uid}) exists`;
    const stored = await client.dashboard(dashboard.uid);
    if (stored.kind === "ok") {
      const problems = [
        stored.value.title !== dashboard.title ? `title is "${stored.value.title}"` : "",
        stored.value.folderUid !== exp.dashboardFolderUid
          ? `in folder "${stored.value.folderUid}", not "${exp.dashboardFolderUid}"`
          : "",
      ].filter((problem) => problem !== "");
      results.push(
        problems.length === 0
          ? pass("Grafana", title)
          : fail(
              "Grafana",
              title,
              problems.join("; "),
              "the dashboard in Grafana is not the one this stack defines (edited in the UI or an older deploy): npm run deploy overwrites it",
            ),
      );
    } else if (stored.kind === "not-found") {
      results.push(
        fail(
          "Grafana",
          title,
          `not found: ${stored.message}`,
          "the dashboard is missing in Grafana (deleted in the UI, or the deploy did not finish): npm run deploy creates it",
        ),
      );
    } else {
      results.push(fail("Grafana", title, describeAnswer(stored), hintFor(stored, exp, password, client.baseUrl)));
    }
  }
  return results;
}

/** The detail line of an answer that is not `ok`. */
function describeAnswer(answer: Exclude<GrafanaAnswer<unknown>, { kind: "ok" }>): string {
  switch (answer.kind) {
    case "unreachable":
      return `no answer: ${answer.reason}`;
    case "unauthorized":
      return `401 unauthorized: ${answer.message}`;
    case "forbidden":
      return `403 forbidden: ${answer.message}`;
    case "not-found":
      return `404: ${answer.message}`;
    case "unhealthy":
    case "unexpected":
      return `answered ${answer.status}: ${answer.message}`;
  }
}

/** The fix hint for an answer that is not `ok` and not specific to one endpoint. */
function hintFor(
  answer: Exclude<GrafanaAnswer<unknown>, { kind: "ok" }>,
  exp: StackExpectations,
  password: PasswordSource,
  grafanaUrl: string,
): string {
  switch (answer.kind) {
    case "unreachable":
      return `${notRunningHint("grafana", exp, grafanaUrl)} (its first start migrates the database and can take a minute)`;
    case "unauthorized":
      return password.found ? wrongPasswordHint(exp, password) : missingPasswordHint(exp);
    case "forbidden":
      return `the user ${exp.grafanaAdminUser} lacks the permission: verify needs the admin user the stack creates`;
    default:
      return `unexpected answer from Grafana: docker logs --tail 50 ${exp.containers.grafana}`;
  }
}

async function get(url: string): Promise<HttpResponse | UnreachableError> {
  try {
    return await httpRequest(url);
  } catch (error) {
    if (error instanceof UnreachableError) return error;
    throw error;
  }
}
