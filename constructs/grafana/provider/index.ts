/**
 * Typed cdktf bindings for the Grafana Terraform provider (`grafana/grafana`), written by hand in the shape of
 * cdktf-generated bindings, for exactly the resources the stack uses. `__tests__/grafana-provider-schema.test.ts`
 * checks them against the provider's schema.
 */
export { GRAFANA_GENERATOR_METADATA, GrafanaProvider } from "./provider";
export type { GrafanaProviderConfig, HclAttribute } from "./provider";
export { DataSource } from "./data-source";
export type { DataSourceConfig } from "./data-source";
export { Folder } from "./folder";
export type { FolderConfig } from "./folder";
export { Dashboard } from "./dashboard";
export type { DashboardConfig } from "./dashboard";
