/** The uid of the Prometheus datasource the stack provisions in Grafana; every dashboard panel and target uses it. */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";

/** The Grafana datasource type of Prometheus. */
export const PROMETHEUS_DATASOURCE_TYPE = "prometheus";
