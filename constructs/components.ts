/**
 * The registry of the project's components: every component once, in the order the app adds them. The app
 * (`main.ts`) enables them from here, the binary fetcher and the test harness learn their binaries from here, the
 * docs their images and settings. A new component is a folder under `constructs/` plus one line here.
 */
import { alertmanagerComponent } from "./alertmanager";
import { demoApiComponent } from "./api";
import { blackboxExporterComponent } from "./blackbox-exporter";
import { cadvisorComponent } from "./cadvisor";
import type { BinarySpec, ComponentInfo } from "./core/component";
import { grafanaComponent } from "./grafana";
import { nginxExporterComponent } from "./nginx-exporter";
import { nodeExporterComponent } from "./node-exporter";
import { postgresExporterComponent } from "./postgres-exporter";
import { prometheusComponent } from "./prometheus";
import { redisExporterComponent } from "./redis-exporter";

/** Every component, in the order the app adds them. */
export const COMPONENTS: readonly ComponentInfo[] = [
  prometheusComponent,
  grafanaComponent,
  alertmanagerComponent,
  demoApiComponent,
  nodeExporterComponent,
  blackboxExporterComponent,
  cadvisorComponent,
  postgresExporterComponent,
  redisExporterComponent,
  nginxExporterComponent,
];

/** Every image any component deploys, by its name (`prometheus`, `node-exporter`): pinned tags. */
export const IMAGES: Readonly<Record<string, string>> = Object.fromEntries(
  COMPONENTS.flatMap((component) => Object.entries(component.images)),
);

/** Every binary the tests and `npm run dev` run, by name. */
export const BINARIES: Readonly<Record<string, BinarySpec>> = Object.fromEntries(
  COMPONENTS.flatMap((component) => component.binaries ?? []).map((binary) => [binary.name, binary]),
);
