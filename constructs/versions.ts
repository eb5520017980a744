/**
 * Every container image tag and Terraform provider version the stack deploys, in one place.
 *
 * The Prometheus-family versions are also the versions of the binaries the tests run (`scripts/fetch-binaries.ts`
 * fetches exactly these from Debian's archive and refuses any other), so what is tested here is what is deployed.
 */

/**
 * Upstream versions of the Prometheus-family programs: the image tags below and the binaries the tests run are both
 * derived from these. The exporters' versions are those Debian unstable ships (the tests run Debian's builds).
 */
export const VERSIONS = {
  /** Prometheus 3.5 LTS (server and promtool). */
  prometheus: "3.5.3",
  /** Alertmanager (server and amtool). */
  alertmanager: "0.33.1",
  /** prometheus/node_exporter. */
  nodeExporter: "1.11.1",
  /** prometheus/blackbox_exporter. */
  blackboxExporter: "0.28.0",
  /**
   * google/cadvisor. Debian has no cAdvisor, so this version is never run here (its queries are contract-tested against
   * its documented metric names). Its images moved from gcr.io/cadvisor to ghcr.io/google/cadvisor with 0.53.
   */
  cadvisor: "0.60.5",
} as const;

/** Every container image the stack deploys, by a pinned tag. */
export const IMAGES = {
  /** Base image of the API (`app/Dockerfile` build arg `NODE_IMAGE`; a test checks the Dockerfile's default agrees). */
  node: "node:22.20.0-alpine3.22",
  /** Prometheus 3.5 LTS. */
  prometheus: `prom/prometheus:v${VERSIONS.prometheus}`,
  /** Grafana OSS. */
  grafana: "grafana/grafana:12.2.1",
  /** Alertmanager, deployed only when alerting is switched on. */
  alertmanager: `prom/alertmanager:v${VERSIONS.alertmanager}`,
  /** Host metrics; deployed by default (the tests run the same version's binary). */
  nodeExporter: `prom/node-exporter:v${VERSIONS.nodeExporter}`,
  /** Health probes of every service; deployed by default (the tests run the same version's binary). */
  blackboxExporter: `prom/blackbox-exporter:v${VERSIONS.blackboxExporter}`,
  /** Container metrics, deployed only when enabled (`CADVISOR_ENABLED=true`); never run here. */
  cadvisor: `ghcr.io/google/cadvisor:v${VERSIONS.cadvisor}`,
} as const;

/** Terraform providers: registry source and version constraint. */
export const PROVIDERS = {
  /** kreuzwerker/docker; its version is fixed by the prebuilt `@cdktf/provider-docker` package. */
  docker: { source: "kreuzwerker/docker" },
  /** grafana/grafana; the bindings in `constructs/grafana-provider/` are checked against its 4.45.1 schema. */
  // Exact: the bindings are checked against this version's schema (the committed extract constructs/grafana-provider/schema/),
  // and nothing else pins it (the lock file lives in the regenerated cdktf.out).
  grafana: { source: "grafana/grafana", version: "4.45.1" },
} as const;
