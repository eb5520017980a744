/**
 * Grafana's image, the Grafana Terraform provider's version and the defaults of Grafana's settings: their one home.
 * The props' `@default`s, the docs and the tests read them from here.
 */

/** Grafana's service name: its alias on the network and its job. */
export const GRAFANA_NAME = "grafana";

/** The Grafana provider: its registry source and the exact version the bindings in `provider/` are checked against. */
export const GRAFANA_PROVIDER = { source: "grafana/grafana", version: "4.45.1" } as const;

/** The defaults of `GrafanaOptions`, each in one place. */
export const GRAFANA_DEFAULTS = {
  /** Grafana OSS. */
  image: "grafana/grafana:12.2.1",
  hostPort: 3000,
  memoryMb: 512,
  folderTitle: "Monitoring stack",
  /** Relative to the folder the cdktf app runs in (the project). */
  adminPasswordFile: ".secrets/grafana-admin-password",
} as const;

/** The admin user Grafana creates on its first start. */
export const GRAFANA_ADMIN_USER = "admin";
