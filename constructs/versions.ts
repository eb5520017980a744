/**
 * Every container image tag and Terraform provider version the stack deploys, in one place.
 *
 * The Prometheus tag matches the Prometheus 3.5 LTS binaries the end-to-end suite runs (see
 * `../shared/tools/prometheus-binaries.sh`), so what is tested here is what is deployed; a test compares them.
 */
export const IMAGES = {
  /** Base image of the API (`app/Dockerfile` build arg `NODE_IMAGE`; a test checks the Dockerfile's default agrees). */
  node: "node:22.20.0-alpine3.22",
  /** Prometheus 3.5 LTS. */
  prometheus: "prom/prometheus:v3.5.3",
  /** Grafana OSS. */
  grafana: "grafana/grafana:12.2.1",
  /** Alertmanager, deployed only when alerting is switched on. */
  alertmanager: "prom/alertmanager:v0.33.1",
} as const;

/** Terraform providers: registry source and version constraint. */
export const PROVIDERS = {
  /** kreuzwerker/docker; its version is fixed by the prebuilt `@cdktf/provider-docker` package. */
  docker: { source: "kreuzwerker/docker" },
  /** grafana/grafana; the bindings in `constructs/grafana-provider/` are checked against its 4.45.1 schema. */
  // Exact: the bindings are checked against this version's schema (CI: ../shared/provider-schemas/grafana-4.45.1.json),
  // and nothing else pins it (the lock file lives in the regenerated cdktf.out).
  grafana: { source: "grafana/grafana", version: "4.45.1" },
} as const;
