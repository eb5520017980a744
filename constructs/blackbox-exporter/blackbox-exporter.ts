import { stringify } from "yaml";
import type { GeneratedFile } from "../core/config-image-files";
import { holdsSecret } from "../core/secrets";
import type { Service, ServiceOptions } from "../core/service";
import { type ConfigProblem, checkIntegerInRange, show } from "../core/validation";
import type { HealthEndpoint, MonitoringStackBase, ScrapeJobTargets } from "../core/stack";
import {
  BLACKBOX_EXPORTER_CATALOG,
  BLACKBOX_EXPORTER_NAME,
  EXTERNAL_PROBE_SCOPE,
  PROBE_JOB,
  PROBE_SCOPE_LABEL,
  PROBE_SERIES,
  PROBE_SERVICE_LABEL,
} from "./catalog";
import { BLACKBOX_EXPORTER_DEFAULTS } from "./defaults";
import { probesDashboard } from "./probes-dashboard";
import { renderProbeAlertRules } from "./rules";
import { probeRuleTests } from "./rules.cases";

/**
 * blackbox-exporter, probing the health endpoint of every service from inside the network: is it up, how long does
 * it take, which status code does it answer. Added through the public API like any user's service; the probe targets
 * are rendered at synth from the final set of services that declare a `healthEndpoint` (and the stack's own
 * Prometheus, Grafana and Alertmanager), so the order of the add calls does not matter.
 */
export const BlackboxExporter = {
  /** Service name, alias and job of the exporter itself (its own `/metrics`). */
  NAME: BLACKBOX_EXPORTER_NAME,
  /** The job scraping `/probe` once per health endpoint. */
  PROBE_JOB,
  /** The port it listens on inside the network. */
  PORT: 9115,
  /** Where its config is baked into the image (the image's default `--config.file` folder). */
  CONFIG_DIR: "/etc/blackbox_exporter",
  /** The config file name inside {@link CONFIG_DIR}. */
  CONFIG_FILE: "config.yml",
  /** The module every health endpoint is probed with: HTTP GET, a 2xx answer counts as success, no redirect followed. */
  HTTP_MODULE: "http_2xx",
  /** The module of an external URL that may redirect (http to https, `/` to `/login`): redirects followed, then 2xx. */
  HTTP_FOLLOW_MODULE: "http_2xx_follow_redirects",
  /** Its own health endpoint. */
  HEALTH_PATH: "/-/healthy",
} as const;

/** Settings of the blackbox exporter. @example addBlackboxExporter(stack, { memoryMb: 128 }) */
export interface BlackboxExporterOptions {
  /** The image. @default BLACKBOX_EXPORTER_DEFAULTS.image */
  readonly image?: string;
  /** Memory limit in MiB. @default BLACKBOX_EXPORTER_DEFAULTS.memoryMb */
  readonly memoryMb?: number;
  /** How long one probe may take, in seconds (capped by Prometheus' scrape timeout). @default BLACKBOX_EXPORTER_DEFAULTS.probeTimeoutSeconds */
  readonly probeTimeoutSeconds?: number;
  /**
   * URLs outside the stack to probe from inside its network (a public site, a partner's API), each with ProbeFailed
   * and a row on Service health, its series labelled `service="<name>"` and `scope="external"`.
   * @default none
   * @example addBlackboxExporter(stack, { externalUrls: [{ name: "website", url: "https://www.example.com/" }] })
   */
  readonly externalUrls?: readonly ExternalProbe[];
}

/** A URL outside the stack that the blackbox exporter probes. */
export interface ExternalProbe {
  /** The probe's name: its `service` label (lowercase letters, digits and "-", starting with a letter). */
  readonly name: string;
  /** The URL, `http://` or `https://`, without credentials. */
  readonly url: string;
  /** Follow redirects before judging the answer (a 2xx answer counts as success). @default true */
  readonly followRedirects?: boolean;
}

const PROBE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** The names of the query parameters of `url` that hold a secret (`api_key=…`). */
function secretParams(url: URL): string[] {
  return [...url.searchParams].filter(([name, value]) => holdsSecret(name, value)).map(([name]) => name);
}

/** Problems with the external probes, under `blackbox-exporter.externalUrls`: names, URLs, duplicates. */
export function externalProbeProblems(probes: readonly ExternalProbe[]): ConfigProblem[] {
  const path = `${BlackboxExporter.NAME}.externalUrls`;
  const problems: ConfigProblem[] = [];
  const names = new Set<string>();
  const urls = new Set<string>();
  probes.forEach((probe, i) => {
    const at = `${path}[${i}]`;
    if (typeof probe.name !== "string" || !PROBE_NAME.test(probe.name) || names.has(probe.name)) {
      problems.push({
        path: at,
        message: `${at}.name must be a unique name of lowercase letters, digits and "-", starting with a letter (at most 40 characters) (got ${show(probe.name)})`,
      });
    }
    names.add(probe.name);
    let url: URL | undefined;
    try {
      url = new URL(String(probe.url));
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      problems.push({
        path: at,
        message: `${at}.url must be an http:// or https:// URL such as "https://www.example.com/" (got ${show(probe.url)})`,
      });
    } else if (url.username !== "" || url.password !== "") {
      problems.push({
        path: at,
        message: `${at}.url must not carry credentials: they would be in prometheus.yml, the image and every probe series' instance label (got a URL with a user${url.password !== "" ? " and a password" : ""} for ${url.host})`,
      });
    } else if (secretParams(url).length > 0) {
      problems.push({
        path: at,
        message: `${at}.url must not carry a secret in its query (${secretParams(url).join(", ")}): it would be in prometheus.yml, the image and every probe series' instance label; probe a URL that needs none`,
      });
    } else if (urls.has(url.href)) {
      problems.push({ path: at, message: `${at}.url is probed twice (got ${show(probe.url)}); list each URL once` });
    }
    if (url !== undefined) urls.add(url.href);
    if (probe.followRedirects !== undefined && typeof probe.followRedirects !== "boolean") {
      problems.push({
        path: at,
        message: `${at}.followRedirects must be true or false (got ${show(probe.followRedirects)})`,
      });
    }
  });
  return problems;
}

/** The blackbox exporter's config document (`modules`), as blackbox_exporter 0.28 reads it. */
export interface BlackboxConfigDocument {
  readonly modules: Readonly<
    Record<
      string,
      {
        readonly prober: "http";
        readonly timeout: string;
        readonly http: {
          readonly method: "GET";
          readonly preferred_ip_protocol: "ip4";
          readonly follow_redirects: boolean;
        };
      }
    >
  >;
}

/**
 * Renders the exporter's config: two HTTP modules, a GET that succeeds on a 2xx answer (blackbox's default status
 * codes), IPv4 first (Docker networks): {@link BlackboxExporter.HTTP_MODULE} follows no redirect (a health endpoint that
 * redirects is misconfigured), {@link BlackboxExporter.HTTP_FOLLOW_MODULE} follows them (an external site's).
 */
export function renderBlackboxConfig(
  probeTimeoutSeconds: number = BLACKBOX_EXPORTER_DEFAULTS.probeTimeoutSeconds,
): BlackboxConfigDocument {
  const module = (followRedirects: boolean) =>
    ({
      prober: "http",
      timeout: `${probeTimeoutSeconds}s`,
      http: { method: "GET", preferred_ip_protocol: "ip4", follow_redirects: followRedirects },
    }) as const;
  return {
    modules: {
      [BlackboxExporter.HTTP_MODULE]: module(false),
      [BlackboxExporter.HTTP_FOLLOW_MODULE]: module(true),
    },
  };
}

/** The config file baked into the image. */
export function blackboxConfigFiles(
  probeTimeoutSeconds: number = BLACKBOX_EXPORTER_DEFAULTS.probeTimeoutSeconds,
): GeneratedFile[] {
  return [
    {
      path: BlackboxExporter.CONFIG_FILE,
      content: `# Generated by the monitoring stack (cdktf synth). Do not edit: change the stack and deploy.\n${stringify(renderBlackboxConfig(probeTimeoutSeconds), { lineWidth: 0 })}`,
    },
  ];
}

/** The command-line flags of the exporter, for the container and for the end-to-end suite's binary alike. */
export function blackboxExporterFlags(configFile: string, listenAddress: string): string[] {
  return [`--config.file=${configFile}`, `--web.listen-address=${listenAddress}`];
}

/** The exporter as a service: hardened with no relaxation (an HTTP prober needs no capability), its config baked in. */
export function blackboxExporterService(options: BlackboxExporterOptions = {}): ServiceOptions {
  const timeout = options.probeTimeoutSeconds ?? BLACKBOX_EXPORTER_DEFAULTS.probeTimeoutSeconds;
  return {
    image: options.image ?? BLACKBOX_EXPORTER_DEFAULTS.image,
    port: BlackboxExporter.PORT,
    description: "Health probes of every service",
    memoryMb: options.memoryMb ?? BLACKBOX_EXPORTER_DEFAULTS.memoryMb,
    command: blackboxExporterFlags(
      `${BlackboxExporter.CONFIG_DIR}/${BlackboxExporter.CONFIG_FILE}`,
      `:${BlackboxExporter.PORT}`,
    ),
    configFiles: { targetDir: BlackboxExporter.CONFIG_DIR, files: () => blackboxConfigFiles(timeout) },
    healthEndpoint: { path: BlackboxExporter.HEALTH_PATH },
    metricNames: BLACKBOX_EXPORTER_CATALOG,
    // The binary on this machine, with the config the stack renders and bakes into the image.
    localRun: {
      binary: "blackbox-exporter",
      args: (ctx) => blackboxExporterFlags(`${ctx.configDir}/${BlackboxExporter.CONFIG_FILE}`, ctx.address),
      readyPattern: /Listening on/,
    },
    // The image is busybox-based: wget is there.
    healthcheck: {
      command: [
        "CMD",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        `http://127.0.0.1:${BlackboxExporter.PORT}${BlackboxExporter.HEALTH_PATH}`,
      ],
    },
  };
}

/**
 * The probe job's targets: the exporter's address once per health endpoint, with the module and the endpoint as URL
 * parameters, and the endpoint (`instance`) and its service (`service`) as labels.
 */
export function probeTargets(
  endpoints: readonly HealthEndpoint[],
  externals: readonly ExternalProbe[] = [],
): ScrapeJobTargets {
  const address = `${BlackboxExporter.NAME}:${BlackboxExporter.PORT}`;
  return [
    ...endpoints.map((endpoint) => ({
      address,
      params: { module: BlackboxExporter.HTTP_MODULE, target: endpoint.url },
      labels: { instance: endpoint.url, [PROBE_SERVICE_LABEL]: endpoint.service },
    })),
    ...externals.map((probe) => ({
      address,
      params: {
        module: probe.followRedirects === false ? BlackboxExporter.HTTP_MODULE : BlackboxExporter.HTTP_FOLLOW_MODULE,
        target: probe.url,
      },
      labels: { instance: probe.url, [PROBE_SERVICE_LABEL]: probe.name, [PROBE_SCOPE_LABEL]: EXTERNAL_PROBE_SCOPE },
    })),
  ];
}

/**
 * Adds the blackbox exporter to `stack` through its public API: the service, the probe job (targets rendered at synth
 * from every health endpoint, and the external URLs of `options.externalUrls`), the ProbeFailed rule and the Service
 * health dashboard.
 * @returns the service, or undefined when its name is taken (reported at synth)
 */
export function addBlackboxExporter(
  stack: MonitoringStackBase,
  options: BlackboxExporterOptions = {},
): Service | undefined {
  const service = stack.addService(BlackboxExporter.NAME, blackboxExporterService(options));
  // Its name is taken (reported at synth): its job, rules and dashboard would only be reported again.
  if (service === undefined) return undefined;
  stack.reportProblems(
    ...checkIntegerInRange(
      `${BlackboxExporter.NAME}.probeTimeoutSeconds`,
      options.probeTimeoutSeconds ?? BLACKBOX_EXPORTER_DEFAULTS.probeTimeoutSeconds,
      1,
      300,
    ),
    ...externalProbeProblems(options.externalUrls ?? []),
  );
  const externals = [...(options.externalUrls ?? [])];
  // A probe named like a service would share its `service` label, its Service health row and its ProbeFailed alerts.
  stack.checkAtSynth(() =>
    externals.flatMap((probe, i) =>
      stack.serviceNames.includes(probe.name)
        ? [
            {
              path: `${BlackboxExporter.NAME}.externalUrls[${i}]`,
              message: `${BlackboxExporter.NAME}.externalUrls[${i}].name ${show(probe.name)} is the name of a service of the stack, whose probes carry service=${show(probe.name)} too; give the external URL a name of its own`,
            },
          ]
        : [],
    ),
  );
  stack.addScrapeJob(BlackboxExporter.PROBE_JOB, {
    targets: (ctx) => probeTargets(ctx.healthEndpoints, externals),
    metricsPath: "/probe",
    metricNames: PROBE_SERIES,
  });
  const input = (ctx: { readonly scrapeIntervalSeconds: number; readonly runbookBaseUrl?: string }) => ({
    jobName: BlackboxExporter.PROBE_JOB,
    scrapeIntervalSeconds: ctx.scrapeIntervalSeconds,
    ...(ctx.runbookBaseUrl !== undefined ? { runbookBaseUrl: ctx.runbookBaseUrl } : {}),
  });
  stack.addAlertRules("probes", (ctx) => renderProbeAlertRules(input(ctx)), {
    tests: (ctx) => probeRuleTests(input(ctx)),
  });
  stack.addDashboard(probesDashboard);
  return service;
}
