/**
 * A small client of the three Grafana HTTP API calls `npm run verify` makes, each answer classified so the checks can
 * give a precise fix hint. Shapes as Grafana documents and implements them (Grafana 12):
 *
 * - `GET /api/health` (no auth): 200 `{"database":"ok","version":...,"commit":...}`; 503 with `"database":"failing"`
 *   when its database is broken (docs: developer-resources/api-reference/http-api/api-legacy/other.md).
 * - `GET /api/datasources/uid/<uid>/health`: 200 `{"status":"OK","message":...}`; 400 `{"status":"ERROR",
 *   "message":...}` when the datasource's check fails, e.g. Prometheus unreachable (pkg/api/datasources.go
 *   `checkDatasourceHealth`; docs: api-legacy/data_source.md "Check data source health").
 * - `GET /api/dashboards/uid/<uid>`: 200 `{"dashboard":{uid,title,version,...},"meta":{folderUid,url,...}}`; 404
 *   `{"message":"Dashboard not found"}` (docs: http-api/dashboard.md "Get dashboard by uid").
 * - Basic auth with a wrong password: 401 `{"message":"Invalid username or password",...}` (Grafana 12,
 *   pkg/services/authn/clients/basic.go; older versions answer `{"message":"invalid username or password"}`).
 */
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  httpRequest,
  isObject,
  messageOf,
  UnreachableError,
  type HttpResponse,
} from "./http";

/** How a Grafana API call went, classified for the fix hints. */
export type GrafanaAnswer<T> =
  | { readonly kind: "ok"; readonly value: T }
  /** No HTTP answer: connection refused, timeout. */
  | { readonly kind: "unreachable"; readonly reason: string }
  /** 401: wrong or missing credentials. */
  | { readonly kind: "unauthorized"; readonly message: string }
  /** 403: the user may not do this. */
  | { readonly kind: "forbidden"; readonly message: string }
  /** 404: the datasource or dashboard does not exist. */
  | { readonly kind: "not-found"; readonly message: string }
  /** The call worked, but what it checks is unhealthy (datasource check `ERROR`, database `failing`). */
  | { readonly kind: "unhealthy"; readonly status: number; readonly message: string }
  /** Any other answer. */
  | { readonly kind: "unexpected"; readonly status: number; readonly message: string };

/** Grafana's own health (`/api/health`). */
export interface GrafanaHealth {
  readonly database: string;
  readonly version: string;
}

/** A datasource health check that passed. */
export interface DatasourceHealth {
  readonly status: string;
  readonly message: string;
}

/** The parts of a stored dashboard that verify compares. */
export interface StoredDashboard {
  readonly uid: string;
  readonly title: string;
  /** The uid of the folder holding it; empty for the General folder. */
  readonly folderUid: string;
}

/** Options of {@link GrafanaClient}. */
export interface GrafanaClientOptions {
  /** The admin user. */
  readonly user: string;
  /** The admin password; without it the authenticated calls answer `unauthorized` without being sent. */
  readonly password: string | undefined;
  /** Bound of every request, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Grafana's HTTP API at `baseUrl` (`http://127.0.0.1:3000`) with basic auth.
 * @example await new GrafanaClient("http://127.0.0.1:3000", { user: "admin", password }).dashboard("monitoring-api-overview")
 */
export class GrafanaClient {
  public readonly baseUrl: string;
  private readonly options: GrafanaClientOptions;

  constructor(baseUrl: string, options: GrafanaClientOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.options = options;
  }

  /** `GET /api/health`: is Grafana up and its database OK? Needs no credentials. */
  public async health(): Promise<GrafanaAnswer<GrafanaHealth>> {
    return this.call("/api/health", false, (response) => {
      const body = isObject(response.json) ? response.json : {};
      const database = typeof body.database === "string" ? body.database : "";
      const version = typeof body.version === "string" ? body.version : "";
      if ((response.status === 200 || response.status === 503) && database !== "") {
        return database === "ok"
          ? { kind: "ok", value: { database, version } }
          : { kind: "unhealthy", status: response.status, message: `database: ${database}` };
      }
      return undefined;
    });
  }

  /** `GET /api/datasources/uid/<uid>/health`: can Grafana query the datasource? */
  public async datasourceHealth(uid: string): Promise<GrafanaAnswer<DatasourceHealth>> {
    return this.call(`/api/datasources/uid/${encodeURIComponent(uid)}/health`, true, (response) => {
      const body = isObject(response.json) ? response.json : {};
      const status = typeof body.status === "string" ? body.status : "";
      const message = typeof body.message === "string" ? body.message : "";
      if (response.status === 200 && status === "OK") return { kind: "ok", value: { status, message } };
      if ((response.status === 200 || response.status === 400) && status === "ERROR") {
        return { kind: "unhealthy", status: response.status, message };
      }
      return undefined;
    });
  }

  /** `GET /api/dashboards/uid/<uid>`: the stored dashboard's uid, title and folder. */
  public async dashboard(uid: string): Promise<GrafanaAnswer<StoredDashboard>> {
    return this.call(`/api/dashboards/uid/${encodeURIComponent(uid)}`, true, (response) => {
      if (response.status !== 200 || !isObject(response.json) || !isObject(response.json.dashboard)) return undefined;
      const { dashboard, meta } = response.json;
      return {
        kind: "ok",
        value: {
          uid: typeof dashboard.uid === "string" ? dashboard.uid : "",
          title: typeof dashboard.title === "string" ? dashboard.title : "",
          folderUid: isObject(meta) && typeof meta.folderUid === "string" ? meta.folderUid : "",
        },
      };
    });
  }

  /**
   * Sends one request and classifies the answer: `read` handles the answers specific to the endpoint (returning
   * `undefined` for the rest); 401, 403, 404 and everything else are classified the same way for every endpoint.
   */
  private async call<T>(
    path: string,
    authenticated: boolean,
    read: (response: HttpResponse) => GrafanaAnswer<T> | undefined,
  ): Promise<GrafanaAnswer<T>> {
    if (authenticated && this.options.password === undefined) {
      return { kind: "unauthorized", message: "no password given" };
    }
    let response: HttpResponse;
    try {
      response = await httpRequest(`${this.baseUrl}${path}`, {
        timeoutMs: this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        ...(authenticated && this.options.password !== undefined
          ? { basicAuth: { user: this.options.user, password: this.options.password } }
          : {}),
      });
    } catch (error) {
      if (error instanceof UnreachableError) return { kind: "unreachable", reason: error.reason };
      throw error;
    }
    const specific = read(response);
    if (specific !== undefined) return specific;
    const message = messageOf(response);
    switch (response.status) {
      case 401:
        return { kind: "unauthorized", message };
      case 403:
        return { kind: "forbidden", message };
      case 404:
        return { kind: "not-found", message };
      default:
        return { kind: "unexpected", status: response.status, message };
    }
  }
}
