/**
 * What a running stack must look like, read from the stack itself (never typed again here): the scrape jobs, the rule
 * groups, the dashboards with their queries, the datasource uid, the metrics the API exposes, the host URLs and the
 * container names the fix hints point at.
 */
import { parse } from "yaml";
import { HTTP_METRICS, RUNTIME_METRICS } from "@monitoring-stack/api/contract";
import type { ScrapeTarget } from "../../constructs/core/scrape-target";
import { Grafana, GRAFANA_ADMIN_USER } from "../../constructs/grafana";
import type { MonitoringStack } from "../../constructs/monitoring-stack";
import { PROMETHEUS_ALERT_NAMES } from "../../constructs/prometheus";
import type { RenderedDashboard } from "../../dashboards/types";
import { SCRAPE_SERIES } from "../../dashboards/metrics";
import { isObject } from "./http";
import { metricOwners } from "./panel-queries";

/** A rule of the stack's rule files: its group, its name and its PromQL. */
export interface ExpectedRule {
  readonly group: string;
  /** The alert or record name. */
  readonly name: string;
  readonly expr: string;
}

/**
 * A service of the stack by name, as the fix hints name it: `prometheus`, `grafana`, and every service added with
 * `addService` (`api` in the demo). An open registry, read from the stack.
 */
export type ServiceName = string;

/** Everything `npm run verify` and the end-to-end suite check a running stack against. */
export interface StackExpectations {
  /** Every scrape target the stack renders into prometheus.yml, in render order (by job name). */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** The job of each service. */
  readonly jobs: Readonly<Record<ServiceName, string>>;
  /** How often Prometheus scrapes, in seconds. */
  readonly scrapeIntervalSeconds: number;
  /** The Prometheus image the stack deploys (`prom/prometheus:v3.5.3`). */
  readonly prometheusImage: string;
  /** Every rule of the stack's rule files, in file order. */
  readonly rules: readonly ExpectedRule[];
  /** The rule group names, in file order. */
  readonly ruleGroups: readonly string[];
  /** The alert that always fires when rules are evaluated, if the stack defines it. */
  readonly watchdogAlert: string | undefined;
  /** Every dashboard the stack deploys. */
  readonly dashboards: readonly RenderedDashboard[];
  /** The uid of the Prometheus datasource in Grafana. */
  readonly datasourceUid: string;
  /** Prometheus' URL inside the Docker network (what Grafana's datasource points at). */
  readonly prometheusInternalUrl: string;
  /** The folder the dashboards are deployed into. */
  readonly dashboardFolderUid: string;
  /** The Grafana admin user. */
  readonly grafanaAdminUser: string;
  /** Metric families the API's `/metrics` must expose (the metrics contract of app/src/metrics.ts). */
  readonly apiMetricFamilies: readonly string[];
  /** The URL of each service from the host, as the stack publishes it. */
  readonly hostUrls: Readonly<Record<ServiceName, string>>;
  /** The container of each service (for `docker logs`). */
  readonly containers: Readonly<Record<ServiceName, string>>;
  /** Where a person finds the Grafana admin password file, relative to the project root. */
  readonly passwordFileForHumans: string;
  /** The name of the Grafana service (`--skip-grafana` skips what only it can answer). */
  readonly grafanaService: string;
  /**
   * The basic auth every request to the stack's Prometheus needs (with extra hosts), from the stack's resolved
   * settings: the user, the password file and the setting naming it. @default none (no extra host)
   */
  readonly prometheusBasicAuth: ExpectedBasicAuth | undefined;
  /** The services whose catalogs declare each metric (the scrape series: Prometheus). */
  readonly metricOwners: Readonly<Record<string, readonly string[]>>;
}

/** The basic auth the stack's Prometheus requires. */
export interface ExpectedBasicAuth {
  readonly username: string;
  /** The password file, absolute. */
  readonly passwordFile: string;
  /** The password file as a person finds it. */
  readonly passwordFileForHumans: string;
  /** The setting naming the file (`PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE (prometheus.remoteWritePasswordFile)`). */
  readonly setting: string;
}

/** Reads the expectations from a built (not necessarily synthesized) stack. */
export function stackExpectations(stack: MonitoringStack): StackExpectations {
  const ruleFiles = stack.prometheus.configFiles().filter((file) => file.path !== "prometheus.yml");
  const rules = ruleFiles.flatMap((file) => rulesOf(parse(file.content)));
  const ruleGroups = [...new Set(rules.map((rule) => rule.group))];
  const network = stack.network.name;
  const services = [...stack.services.values()];
  return {
    // Sorted by job, as prometheus.yml lists them: the same order whatever the order of the add calls.
    scrapeTargets: [...stack.prometheus.scrapedTargets].sort((a, b) =>
      a.jobName < b.jobName ? -1 : a.jobName > b.jobName ? 1 : 0,
    ),
    jobs: stack.jobs,
    scrapeIntervalSeconds: stack.prometheus.scrapeIntervalSeconds,
    prometheusImage: stack.prometheus.options.image,
    rules,
    ruleGroups,
    watchdogAlert: rules.some((rule) => rule.name === PROMETHEUS_ALERT_NAMES.watchdog)
      ? PROMETHEUS_ALERT_NAMES.watchdog
      : undefined,
    dashboards: stack.dashboards,
    datasourceUid: stack.grafana.datasourceRef.uid,
    prometheusInternalUrl: stack.prometheus.internalUrl,
    dashboardFolderUid: Grafana.FOLDER_UID,
    grafanaAdminUser: GRAFANA_ADMIN_USER,
    apiMetricFamilies: [...Object.values(HTTP_METRICS).map((metric) => metric.name), ...Object.values(RUNTIME_METRICS)],
    hostUrls: Object.fromEntries(
      services.flatMap((service) => (service.hostUrl !== undefined ? [[service.name, service.hostUrl]] : [])),
    ),
    containers: Object.fromEntries(
      services.map((service) => [service.name, service.containers[0]?.nameInput ?? `${network}-${service.name}`]),
    ),
    passwordFileForHumans: stack.grafana.passwordFile.pathForHumans,
    grafanaService: stack.grafana.name,
    metricOwners: metricOwners(services, stack.prometheus.name, SCRAPE_SERIES, stack.scrapeJobs),
    prometheusBasicAuth: basicAuthOf(stack),
  };
}

/** The rules of one parsed rule file (`{ groups: [{ name, rules: [{ alert | record, expr }] }] }`). */
export function rulesOf(document: unknown): ExpectedRule[] {
  const groups = isObject(document) && Array.isArray(document.groups) ? document.groups : [];
  return groups.filter(isObject).flatMap((group) =>
    (Array.isArray(group.rules) ? group.rules : []).filter(isObject).map((rule) => ({
      group: String(group.name),
      name: String(rule.alert ?? rule.record),
      expr: String(rule.expr),
    })),
  );
}

function basicAuthOf(stack: MonitoringStack): ExpectedBasicAuth | undefined {
  const auth = stack.prometheus.basicAuth;
  return auth === undefined
    ? undefined
    : {
        username: auth.username,
        passwordFile: auth.passwordFile.path,
        passwordFileForHumans: auth.passwordFile.pathForHumans,
        setting: auth.setting,
      };
}
