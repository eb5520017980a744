import { PROMETHEUS_DATASOURCE_TYPE } from "../../dashboards/types";

/** The uid of the Prometheus datasource the stack provisions in Grafana; every dashboard panel and target uses it. */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";

/** The uid of the Grafana folder holding the stack's dashboards (in a Grafana it creates or an existing one). */
export const GRAFANA_FOLDER_UID = "monitoring-stack";

/** The Grafana datasource type of Prometheus (the dashboard toolkit's, where every query is PromQL). */
export { PROMETHEUS_DATASOURCE_TYPE };

/** What the Prometheus datasource is rendered from. */
export interface PrometheusDatasourceInput {
  /** Prometheus' URL as Grafana reaches it (inside the Docker network). */
  readonly url: string;
  /** Prometheus' scrape interval; Grafana's `timeInterval`, so `$__rate_interval` spans at least four scrapes. */
  readonly scrapeIntervalSeconds: number;
  /**
   * The Prometheus image reference; its tag tells Grafana which Prometheus features it may use.
   * @default unknown (an existing Prometheus): no `prometheusVersion`
   */
  readonly prometheusImage?: string;
}

/** The Prometheus datasource as Grafana's datasource API takes it (`jsonData` still an object). */
export interface PrometheusDatasource {
  readonly name: string;
  readonly type: string;
  readonly uid: string;
  readonly url: string;
  readonly access: "proxy";
  readonly isDefault: true;
  readonly jsonData: {
    readonly httpMethod: "POST";
    readonly timeInterval: string;
    readonly prometheusType: "Prometheus";
    readonly prometheusVersion?: string;
  };
}

/** Renders the provisioned Prometheus datasource: fixed uid, proxy access, `timeInterval` = the scrape interval. */
export function renderPrometheusDatasource(input: PrometheusDatasourceInput): PrometheusDatasource {
  // "prom/prometheus:v3.5.3" -> "3.5.3"; a tag that is not a plain version is left out rather than guessed.
  const version = /:v?(\d+\.\d+\.\d+)$/.exec(input.prometheusImage ?? "")?.[1];
  return {
    name: "Prometheus",
    type: PROMETHEUS_DATASOURCE_TYPE,
    uid: PROMETHEUS_DATASOURCE_UID,
    url: input.url,
    access: "proxy",
    isDefault: true,
    jsonData: {
      httpMethod: "POST",
      timeInterval: `${input.scrapeIntervalSeconds}s`,
      prometheusType: "Prometheus",
      ...(version !== undefined ? { prometheusVersion: version } : {}),
    },
  };
}

/** The datasource's basic-auth attributes (`grafana_data_source`), when its Prometheus needs basic auth. */
export interface PrometheusDatasourceBasicAuth {
  readonly basicAuthEnabled: true;
  readonly basicAuthUsername: string;
  /** A Terraform expression (`${jsonencode({basicAuthPassword = ...})}`), never the password itself. */
  readonly secureJsonDataEncoded: string;
}
