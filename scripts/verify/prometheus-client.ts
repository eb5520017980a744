/**
 * A small typed client of Prometheus' HTTP API (v1): readiness, targets, rules, alerts, queries, metric names and
 * build info. Used by `npm run verify` and the end-to-end suite; every call is one bounded HTTP request.
 *
 * Shapes follow https://prometheus.io/docs/prometheus/latest/querying/api/ (Prometheus 3.5). A response that is not
 * `{"status":"success","data":...}` rejects with {@link PrometheusApiError} naming the endpoint and Prometheus' error.
 */
import { DEFAULT_REQUEST_TIMEOUT_MS, httpRequest, isObject, type BasicAuth, type HttpResponse } from "./http";

/** Thrown when Prometheus answers, but not with a successful API response. */
export class PrometheusApiError extends Error {
  constructor(
    public readonly endpoint: string,
    public readonly status: number,
    detail: string,
  ) {
    super(`Prometheus ${endpoint} answered ${status}: ${detail}`);
    this.name = "PrometheusApiError";
  }
}

/** One active scrape target (`/api/v1/targets`). */
export interface PrometheusTarget {
  /** The `job` label (the scrape config's job_name). */
  readonly job: string;
  /** The `instance` label (`host:port`). */
  readonly instance: string;
  readonly scrapeUrl: string;
  readonly health: "up" | "down" | "unknown";
  /** Why the last scrape failed; empty when it succeeded. */
  readonly lastError: string;
  /** When the target was last scraped, in Unix seconds; 0 before the first scrape. */
  readonly lastScrapeSeconds: number;
}

/** One rule of a rule group (`/api/v1/rules`). */
export interface PrometheusRule {
  readonly name: string;
  readonly type: "alerting" | "recording";
  readonly health: string;
  /** The last evaluation error; empty when there is none. */
  readonly lastError: string;
  /** For alerting rules: `inactive`, `pending` or `firing`. */
  readonly state?: string;
  /** For alerting rules: the active alerts with their labels and state. */
  readonly alerts: readonly { readonly labels: Readonly<Record<string, string>>; readonly state: string }[];
}

/** One rule group (`/api/v1/rules`). */
export interface PrometheusRuleGroup {
  readonly name: string;
  /** The rule file, as Prometheus loaded it. */
  readonly file: string;
  /** How often Prometheus evaluates the group, in seconds. */
  readonly intervalSeconds: number;
  /** When Prometheus last evaluated the group (its own clock, Unix seconds); undefined before the first evaluation. */
  readonly lastEvaluationSeconds: number | undefined;
  readonly rules: readonly PrometheusRule[];
}

/** One series of a query result, with its values in time order (one value for an instant query). */
export interface QuerySeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

/** The result of a query, vectors and matrices alike. */
export interface QueryResult {
  readonly resultType: "matrix" | "vector" | "scalar" | "string";
  readonly series: readonly QuerySeries[];
}

/** Options of {@link PrometheusClient}. */
export interface PrometheusClientOptions {
  /** Bound of every request, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /**
   * Sent with every request (`Authorization: Basic ...`), for a Prometheus whose web config requires it (the central
   * Prometheus of a stack with extra hosts). @default none
   */
  readonly basicAuth?: BasicAuth;
}

/**
 * Prometheus' HTTP API at `baseUrl` (`http://127.0.0.1:9090`).
 * @example const targets = await new PrometheusClient("http://127.0.0.1:9090").targets();
 */
export class PrometheusClient {
  public readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly basicAuth: BasicAuth | undefined;

  constructor(baseUrl: string, options: PrometheusClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.basicAuth = options.basicAuth;
  }

  /** Whether this client sends basic auth. */
  public get sendsBasicAuth(): boolean {
    return this.basicAuth !== undefined;
  }

  /** `GET /-/ready`: 200 once Prometheus serves queries. */
  public ready(): Promise<HttpResponse> {
    return httpRequest(`${this.baseUrl}/-/ready`, { timeoutMs: this.timeoutMs, basicAuth: this.basicAuth });
  }

  /** The version of the running server (`/api/v1/status/buildinfo`), e.g. `3.5.3` or `3.5.3+ds1`. */
  public async version(): Promise<string> {
    const data = await this.get("/api/v1/status/buildinfo");
    if (!isObject(data) || typeof data.version !== "string") {
      throw new PrometheusApiError("/api/v1/status/buildinfo", 200, "no version in the answer");
    }
    return data.version;
  }

  /** When the running Prometheus started, in Unix seconds (`/api/v1/status/runtimeinfo`). */
  public async startTimeSeconds(): Promise<number> {
    const data = await this.get("/api/v1/status/runtimeinfo");
    const startTime = isObject(data) && typeof data.startTime === "string" ? Date.parse(data.startTime) : Number.NaN;
    if (!Number.isFinite(startTime)) {
      throw new PrometheusApiError("/api/v1/status/runtimeinfo", 200, "no startTime in the answer");
    }
    return startTime / 1000;
  }

  /** Every active target, and how many targets relabeling dropped (`/api/v1/targets`). */
  public async targets(): Promise<{ readonly active: PrometheusTarget[]; readonly droppedCount: number }> {
    const data = await this.get("/api/v1/targets");
    const active = isObject(data) && Array.isArray(data.activeTargets) ? data.activeTargets : [];
    const dropped = isObject(data) && Array.isArray(data.droppedTargets) ? data.droppedTargets : [];
    return {
      active: active.filter(isObject).map((target) => {
        const labels = stringRecord(target.labels);
        const health = target.health === "up" || target.health === "down" ? target.health : "unknown";
        const lastScrape = typeof target.lastScrape === "string" ? Date.parse(target.lastScrape) : Number.NaN;
        return {
          job: labels.job ?? "",
          instance: labels.instance ?? "",
          scrapeUrl: typeof target.scrapeUrl === "string" ? target.scrapeUrl : "",
          health,
          lastError: typeof target.lastError === "string" ? target.lastError : "",
          // Before the first scrape Prometheus reports 0001-01-01, which parses to a negative time.
          lastScrapeSeconds: Number.isFinite(lastScrape) && lastScrape > 0 ? lastScrape / 1000 : 0,
        };
      }),
      droppedCount: dropped.length,
    };
  }

  /** Every rule group with its rules' health, last error and alerts (`/api/v1/rules`). */
  public async ruleGroups(): Promise<PrometheusRuleGroup[]> {
    const data = await this.get("/api/v1/rules");
    const groups = isObject(data) && Array.isArray(data.groups) ? data.groups : [];
    return groups.filter(isObject).map((group) => ({
      name: typeof group.name === "string" ? group.name : "",
      file: typeof group.file === "string" ? group.file : "",
      intervalSeconds: typeof group.interval === "number" ? group.interval : 0,
      lastEvaluationSeconds: evaluationSeconds(group.lastEvaluation),
      rules: (Array.isArray(group.rules) ? group.rules : []).filter(isObject).map((rule) => ({
        name: typeof rule.name === "string" ? rule.name : "",
        type: rule.type === "recording" ? "recording" : "alerting",
        health: typeof rule.health === "string" ? rule.health : "",
        lastError: typeof rule.lastError === "string" ? rule.lastError : "",
        ...(typeof rule.state === "string" ? { state: rule.state } : {}),
        alerts: (Array.isArray(rule.alerts) ? rule.alerts : []).filter(isObject).map((alert) => ({
          labels: stringRecord(alert.labels),
          state: typeof alert.state === "string" ? alert.state : "",
        })),
      })),
    }));
  }

  /** Every metric name Prometheus has series for (`/api/v1/label/__name__/values`), sorted. */
  public async metricNames(): Promise<string[]> {
    const data = await this.get("/api/v1/label/__name__/values");
    if (!Array.isArray(data)) {
      throw new PrometheusApiError("/api/v1/label/__name__/values", 200, "the answer is not a list");
    }
    return data.filter((name): name is string => typeof name === "string").sort();
  }

  /** An instant query (`/api/v1/query`) at `timeSeconds` (Unix seconds). @default now */
  public async query(expr: string, timeSeconds?: number): Promise<QueryResult> {
    const form: Record<string, string> = { query: expr };
    if (timeSeconds !== undefined) form.time = timeSeconds.toFixed(3);
    return parseQueryResult("/api/v1/query", await this.get("/api/v1/query", form));
  }

  /** A range query (`/api/v1/query_range`) from `startSeconds` to `endSeconds` every `stepSeconds`. */
  public async queryRange(
    expr: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
  ): Promise<QueryResult> {
    const form = {
      query: expr,
      start: startSeconds.toFixed(3),
      end: endSeconds.toFixed(3),
      step: String(stepSeconds),
    };
    return parseQueryResult("/api/v1/query_range", await this.get("/api/v1/query_range", form));
  }

  /** GET (or POST with a form, as Grafana sends queries) one API endpoint and return its `data`. */
  private async get(endpoint: string, form?: Readonly<Record<string, string>>): Promise<unknown> {
    const response = await httpRequest(`${this.baseUrl}${endpoint}`, {
      timeoutMs: this.timeoutMs,
      form,
      basicAuth: this.basicAuth,
    });
    const body = response.json;
    if (!isObject(body)) {
      throw new PrometheusApiError(endpoint, response.status, `not a JSON API answer: ${response.text.slice(0, 200)}`);
    }
    if (response.status !== 200 || body.status !== "success") {
      const detail = [body.errorType, body.error].filter((part) => typeof part === "string").join(": ");
      throw new PrometheusApiError(endpoint, response.status, detail === "" ? response.text.slice(0, 200) : detail);
    }
    return body.data;
  }
}

/** A sample value as Prometheus writes it (`"0.25"`, `"NaN"`, `"+Inf"`), as a number. */
export function parseSampleValue(value: unknown): number {
  if (value === "+Inf") return Number.POSITIVE_INFINITY;
  if (value === "-Inf") return Number.NEGATIVE_INFINITY;
  return typeof value === "string" ? Number(value) : Number.NaN;
}

function sampleValue(pair: unknown): number {
  return Array.isArray(pair) ? parseSampleValue(pair[1]) : Number.NaN;
}

function parseQueryResult(endpoint: string, data: unknown): QueryResult {
  if (!isObject(data) || typeof data.resultType !== "string") {
    throw new PrometheusApiError(endpoint, 200, "no resultType in the answer");
  }
  const { resultType, result } = data;
  switch (resultType) {
    case "matrix":
    case "vector": {
      const series = (Array.isArray(result) ? result : []).filter(isObject).map((entry) => ({
        metric: stringRecord(entry.metric),
        values:
          resultType === "matrix"
            ? (Array.isArray(entry.values) ? entry.values : []).map(sampleValue)
            : [sampleValue(entry.value)],
      }));
      return { resultType, series };
    }
    case "scalar":
    case "string":
      return { resultType, series: [{ metric: {}, values: [sampleValue(result)] }] };
    default:
      throw new PrometheusApiError(endpoint, 200, `unknown resultType ${JSON.stringify(resultType)}`);
  }
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") out[key] = entry;
  }
  return out;
}

/** A group's `lastEvaluation` (RFC 3339) in Unix seconds; Prometheus reports year 1 for a group never evaluated. */
function evaluationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const millis = Date.parse(value);
  return Number.isFinite(millis) && millis > 0 ? millis / 1000 : undefined;
}
