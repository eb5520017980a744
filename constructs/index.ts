/**
 * The package's entry point (`exports["."]` in package.json): the library another cdktf app composes. Import it by the
 * package name: `import { MonitoringStack, addNodeExporter } from "monitoring-stack";` (see README "Monitor your own
 * service"). The core (the stack, the network, `Service`, config images, validation), the stack with its Prometheus and
 * Grafana, every component's `addXxx` with its options and defaults, and the dashboard and rule types. The demo API,
 * which needs this repository's `app/`, is not part of it.
 */
export { MonitoringStack, STACK_NAME, type MonitoringStackProps } from "./monitoring-stack";
export {
  DEFAULT_SCRAPE_INTERVAL_SECONDS,
  MonitoringStackBase,
  type AlertRulesOptions,
  type DashboardSource,
  type HealthEndpoint,
  type HostOptions,
  type MonitoringBackends,
  type MonitoringStackBaseProps,
  type RuleFileSource,
  type ScrapeJobContext,
  type ScrapeJobOptions,
  type ScrapeJobTarget,
  type ScrapeJobTargets,
  type StackServiceOptions,
} from "./core/stack";
export {
  CENTRAL_HOST_NAME,
  MonitoringHost,
  parseDockerHost,
  type DockerEndpoint,
  type HostDeclaration,
  type MonitoringHostProps,
} from "./core/hosts";
export {
  SERVICE_DEFAULTS,
  Service,
  serviceProblems,
  type LocalRunContext,
  type ServiceBuild,
  type ServiceConfigFiles,
  type ServiceHealthEndpoint,
  type ServiceHealthcheck,
  type ServiceLocalRun,
  type ServiceMount,
  type ServiceOptions,
  type ServiceProps,
} from "./core/service";
export type { HardeningRelaxations } from "./core/container-defaults";
export { DEFAULT_NETWORK_NAME, MonitoringNetwork, type MonitoringNetworkProps } from "./core/network";
export type { IGrafana, IPrometheus } from "./core/backends";
export { ConfigImage, type ConfigImageProps } from "./core/config-image";
export type { GeneratedFile } from "./core/config-image-files";
export type { ScrapeTarget } from "./core/scrape-target";
export { ConfigError, type ConfigProblem, type ISelfValidating } from "./core/validation";
export { synthOrExit, userErrorMessage } from "./core/user-errors";
export type {
  AlertAnnotations,
  AlertingRule,
  AlertRuleContext,
  AlertRuleGroup,
  AlertRulesDocument,
  AlertRulesSource,
  AlertSeverity,
  RecordingRule,
  Rule,
  RuleGroup,
  RulesDocument,
  RuleTestCase,
  RuleTests,
} from "./core/rules";
export {
  MIN_OBJECTIVE_PERCENT,
  SLO_ALERT_NAMES,
  SLO_DEFAULTS,
  SLO_RECORDED_SERIES,
  prometheusFloat,
  type AvailabilitySlo,
  type LatencySlo,
  type RequestMetrics,
  type SloOptions,
} from "./core/slo";
export { SLO_DASHBOARD_UID } from "./core/slo-dashboard";
export type { BinarySpec, ComponentInfo, EnvSetting } from "./core/component";
export {
  ExistingPrometheus,
  existingPrometheusProblems,
  PROMETHEUS_ALERT_NAMES,
  PROMETHEUS_DEFAULTS,
  DEFAULT_REMOTE_WRITE_PASSWORD_FILE,
  HOST_SILENT_ALERT,
  Prometheus,
  PrometheusAgent,
  REMOTE_WRITE_USER,
  type ExistingPrometheusAttributes,
  type PrometheusAgentProps,
  type RemoteWriteReceiver,
  type PrometheusAlertThresholds,
  type PrometheusOptions,
  type PrometheusProps,
} from "./prometheus";
export {
  ExistingGrafana,
  existingGrafanaProblems,
  GRAFANA_ADMIN_USER,
  GRAFANA_DEFAULTS,
  Grafana,
  PROMETHEUS_DATASOURCE_TYPE,
  PROMETHEUS_DATASOURCE_UID,
  type ExistingGrafanaAttributes,
  type GrafanaOptions,
  type GrafanaProps,
} from "./grafana";
export { addAlertmanager, Alertmanager, ALERTMANAGER_DEFAULTS, type AlertmanagerOptions } from "./alertmanager";
export {
  addNodeExporter,
  DEFAULT_HOST_ALERT_THRESHOLDS,
  HOST_ALERT_NAMES,
  NODE_EXPORTER_DEFAULTS,
  NodeExporter,
  nodeExporterService,
  type HostAlertThresholds,
  type NodeExporterOptions,
} from "./node-exporter";
export {
  addBlackboxExporter,
  BLACKBOX_EXPORTER_DEFAULTS,
  BlackboxExporter,
  blackboxExporterService,
  PROBE_ALERT_NAMES,
  renderBlackboxConfig,
  type BlackboxExporterOptions,
} from "./blackbox-exporter";
export { addCadvisor, CADVISOR_DEFAULTS, Cadvisor, cadvisorService, type CadvisorOptions } from "./cadvisor";
export {
  addPostgresExporter,
  POSTGRES_EXPORTER_DEFAULTS,
  PostgresExporter,
  postgresExporterService,
  type PostgresAlertThresholds,
  type PostgresExporterOptions,
} from "./postgres-exporter";
export {
  addRedisExporter,
  REDIS_EXPORTER_DEFAULTS,
  RedisExporter,
  redisExporterService,
  type RedisAlertThresholds,
  type RedisExporterOptions,
} from "./redis-exporter";
export {
  addNginxExporter,
  NGINX_EXPORTER_DEFAULTS,
  NginxExporter,
  nginxExporterService,
  type NginxAlertThresholds,
  type NginxExporterOptions,
} from "./nginx-exporter";
export {
  jobOf,
  type DashboardContext,
  type DashboardModule,
  type ImportedDashboardFile,
  type RenderedDashboard,
  type SeriesRule,
} from "../dashboards/types";
export {
  POSTGRES_PASSWORD_PATH,
  postgresService,
  redisService,
  STATEFUL_RECIPES,
  statefulService,
  type PostgresServiceOptions,
  type StatefulRecipe,
  type StatefulServiceOptions,
} from "./stateful";
export { DashboardError, renderDashboards } from "../dashboards";
