/**
 * The package's entry point (`exports["."]` in package.json): everything another cdktf app needs to deploy the
 * monitoring stack and monitor its own services. Import it by the package name:
 * `import { MonitoringStack } from "monitoring-stack";` (see README "Monitor your own service").
 */
export {
  MonitoringStack,
  STACK_NAME,
  monitoringStackProblems,
  type AdminPasswordFile,
  type AlertingOptions,
  type AlertRuleContext,
  type AlertRulesSource,
  type DashboardSource,
  type HealthEndpoint,
  type MonitoringStackProps,
  type ScrapeJobContext,
  type ScrapeJobOptions,
  type ScrapeJobTarget,
  type ScrapeJobTargets,
} from "./monitoring-stack";
export {
  Service,
  serviceProblems,
  type ServiceBuild,
  type ServiceConfigFiles,
  type ServiceHealthEndpoint,
  type ServiceHealthcheck,
  type ServiceMount,
  type ServiceOptions,
  type ServiceProps,
} from "./service";
export type { HardeningRelaxations } from "./container-defaults";
export { MonitoringNetwork, type MonitoringNetworkProps } from "./network";
export { Prometheus, type PrometheusOptions, type PrometheusProps } from "./prometheus";
export { Grafana, GRAFANA_ADMIN_USER, type GrafanaOptions, type GrafanaProps } from "./grafana";
export {
  ExistingPrometheus,
  existingPrometheusProblems,
  type ExistingPrometheusAttributes,
  type IPrometheus,
} from "./existing-prometheus";
export {
  ExistingGrafana,
  existingGrafanaProblems,
  type ExistingGrafanaAttributes,
  type IGrafana,
} from "./existing-grafana";
export { Alertmanager, type AlertmanagerOptions } from "./alertmanager";
export { ConfigImage, type ConfigImageProps } from "./config-image";
export type { GeneratedFile } from "./config-image-files";
export type { ScrapeTarget } from "./scrape-target";
export {
  ALERT_NAMES,
  DEFAULT_ALERT_THRESHOLDS,
  renderApiAlertRules,
  type AlertAnnotations,
  type AlertingRule,
  type AlertRuleGroup,
  type AlertRulesDocument,
  type AlertSeverity,
  type AlertThresholds,
} from "./alert-rules";
export { ApiService, demoApiService, type ApiServiceOptions, type DemoApiProps } from "./api-service";
export { addNodeExporter, NodeExporter, nodeExporterService, type NodeExporterOptions } from "./node-exporter";
export {
  addBlackboxExporter,
  BlackboxExporter,
  blackboxExporterService,
  renderBlackboxConfig,
  type BlackboxExporterOptions,
} from "./blackbox-exporter";
export { addCadvisor, Cadvisor, cadvisorService, type CadvisorOptions } from "./cadvisor";
export { DEFAULT_HOST_ALERT_THRESHOLDS, EXPORTER_ALERT_NAMES, type HostAlertThresholds } from "./exporter-rules";
export { PROMETHEUS_DATASOURCE_TYPE, PROMETHEUS_DATASOURCE_UID } from "./grafana-datasource";
export { ConfigError, type ConfigProblem } from "./validation";
export { IMAGES, VERSIONS } from "./versions";
export {
  jobOf,
  type DashboardContext,
  type DashboardModule,
  type ImportedDashboardFile,
  type RenderedDashboard,
} from "../dashboards/types";
export { DASHBOARD_MODULES, DashboardError } from "../dashboards";
/** The demo API's metrics contract (metric and label names, probe paths), from its one home in app/. */
export * from "@monitoring-stack/api/contract";
