/**
 * The pinned versions the tests compare against, read from their one home in each component's folder (and the
 * registry's image table), under the short names the tests use.
 */
import { ALERTMANAGER_VERSION } from "../../constructs/alertmanager/defaults";
import { BLACKBOX_EXPORTER_VERSION } from "../../constructs/blackbox-exporter/defaults";
import { CADVISOR_VERSION } from "../../constructs/cadvisor/defaults";
import { DOCKER_PROVIDER } from "../../constructs/core/stack";
import { GRAFANA_PROVIDER } from "../../constructs/grafana/defaults";
import { NODE_EXPORTER_VERSION } from "../../constructs/node-exporter/defaults";
import { POSTGRES_EXPORTER_VERSION, POSTGRES_SERVER_VERSION } from "../../constructs/postgres-exporter/defaults";
import { NGINX_EXPORTER_VERSION, NGINX_SERVER_VERSION } from "../../constructs/nginx-exporter/defaults";
import { PROMETHEUS_VERSION } from "../../constructs/prometheus/defaults";
import { REDIS_EXPORTER_VERSION, REDIS_SERVER_VERSION } from "../../constructs/redis-exporter/defaults";

export { IMAGES } from "../../constructs/components";

/** Upstream versions of the programs the stack deploys. */
export const VERSIONS = {
  prometheus: PROMETHEUS_VERSION,
  alertmanager: ALERTMANAGER_VERSION,
  nodeExporter: NODE_EXPORTER_VERSION,
  blackboxExporter: BLACKBOX_EXPORTER_VERSION,
  cadvisor: CADVISOR_VERSION,
  postgresExporter: POSTGRES_EXPORTER_VERSION,
  /** Not deployed: the PostgreSQL server the exporter is tested against. */
  postgresServer: POSTGRES_SERVER_VERSION,
  redisExporter: REDIS_EXPORTER_VERSION,
  /** Not deployed: the Redis server the exporter is tested against. */
  redisServer: REDIS_SERVER_VERSION,
  nginxExporter: NGINX_EXPORTER_VERSION,
  /** Not deployed: the NGINX server the exporter is tested against. */
  nginxServer: NGINX_SERVER_VERSION,
} as const;

/** The Terraform providers. */
export const PROVIDERS = { docker: DOCKER_PROVIDER, grafana: GRAFANA_PROVIDER } as const;
