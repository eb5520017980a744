import type { Service, ServiceOptions } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import { show, type ConfigProblem } from "../core/validation";
import { NGINX_EXPORTER_CATALOG, NGINX_EXPORTER_NAME } from "./catalog";
import { NGINX_EXPORTER_DEFAULTS } from "./defaults";
import { nginxDashboard } from "./nginx-dashboard";
import { NginxAlertThresholds, nginxThresholdsProblems, renderNginxAlertRules } from "./rules";
import { nginxRuleTests } from "./rules.cases";

/**
 * nginx-prometheus-exporter: an NGINX server's connections and requests, read from its `stub_status` page (NGINX's
 * `ngx_http_stub_status_module`, in Debian's and the official images' builds). Added through the public API like any
 * user's service, with the NGINX alerts and dashboard. No secret: stub_status has none (serve it only inside the
 * network: `location = /stub_status { stub_status; allow 172.16.0.0/12; deny all; }`). Hardened with no relaxation.
 * The upstream image is `FROM scratch` (no shell, no wget): it has no container healthcheck; TargetDown covers it.
 */
export const NginxExporter = {
  /** Service name, alias and job. */
  NAME: NGINX_EXPORTER_NAME,
  /** The port it listens on inside the network. */
  PORT: 9113,
} as const;

/** Settings of nginx-exporter. @example addNginxExporter(stack, { statusUrl: "http://nginx:8080/stub_status" }) */
export interface NginxExporterOptions {
  /** NGINX's stub_status page, `http://host:port/path` (a service of the stack, or a host the network reaches). */
  readonly statusUrl: string;
  /** The image. @default NGINX_EXPORTER_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default NGINX_EXPORTER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** Thresholds of the NGINX alerts. @default NGINX_EXPORTER_DEFAULTS */
  readonly thresholds?: NginxAlertThresholds;
}

const STATUS_URL = /^(https?:\/\/)([A-Za-z0-9._-]+:\d{1,5})(\/\S*)$/;

/** The exporter's command-line flags, for the container and for the end-to-end suite's binary alike. */
export function nginxExporterFlags(listenAddress: string, statusUrl: string): string[] {
  return [`--nginx.scrape-uri=${statusUrl}`, `--web.listen-address=${listenAddress}`];
}

/** Problems with the options, named under `nginx-exporter.<setting>`. */
export function nginxExporterProblems(options: NginxExporterOptions, scrapeIntervalSeconds: number): ConfigProblem[] {
  const name = NginxExporter.NAME;
  const problems: ConfigProblem[] =
    typeof options.statusUrl === "string" && STATUS_URL.test(options.statusUrl)
      ? []
      : [
          {
            path: `${name}.statusUrl`,
            message: `${name}.statusUrl must be NGINX's stub_status page as http://host:port/path, such as "http://nginx:8080/stub_status" (got ${show(options.statusUrl)})`,
          },
        ];
  return [...problems, ...nginxThresholdsProblems(`${name}.thresholds`, options.thresholds, scrapeIntervalSeconds)];
}

/** nginx-exporter as a service: hardened with no relaxation. */
export function nginxExporterService(options: NginxExporterOptions): ServiceOptions {
  return {
    image: options.image ?? NGINX_EXPORTER_DEFAULTS.image,
    port: NginxExporter.PORT,
    description: `NGINX metrics of ${options.statusUrl}`,
    memoryMb: options.memoryMb ?? NGINX_EXPORTER_DEFAULTS.memoryMb,
    command: nginxExporterFlags(`:${NginxExporter.PORT}`, options.statusUrl),
    metricNames: NGINX_EXPORTER_CATALOG,
    // The binary on this machine, reading the status page where the harness runs NGINX.
    localRun: {
      binary: "nginx-exporter",
      args: (ctx) => {
        const match = STATUS_URL.exec(options.statusUrl);
        const url = match === null ? options.statusUrl : `${match[1]}${ctx.addressOf(match[2])}${match[3]}`;
        return nginxExporterFlags(ctx.address, url);
      },
      readyPattern: /Listening on/,
    },
  };
}

/**
 * Adds nginx-exporter to `stack` through its public API: the service, the NGINX alerts (`rules/nginx.yml`, with
 * their promtool cases) and the NGINX dashboard. Invalid options are reported at synth with every other problem.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addNginxExporter(stack: MonitoringStackBase, options: NginxExporterOptions): Service | undefined {
  const service = stack.addService(NginxExporter.NAME, nginxExporterService(options));
  if (service === undefined) return undefined;
  stack.reportProblems(...nginxExporterProblems(options, stack.scrapeIntervalSeconds));
  const input = (ctx: {
    readonly jobs: Readonly<Record<string, string>>;
    readonly scrapeIntervalSeconds: number;
    readonly runbookBaseUrl?: string;
  }) => ({
    jobName: ctx.jobs[NginxExporter.NAME] ?? NginxExporter.NAME,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.addAlertRules("nginx", (ctx) => renderNginxAlertRules(input(ctx)), {
    tests: (ctx) => nginxRuleTests(input(ctx)),
  });
  stack.addDashboard(nginxDashboard);
  return service;
}
