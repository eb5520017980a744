/** The Alertmanager component: opt-in, receives Prometheus' alerts. */
import type { ComponentInfo } from "../core/component";
import { SERVICE_DEFAULTS } from "../core/service";
import type { MonitoringStackBase } from "../core/stack";
import type { Prometheus } from "../prometheus/prometheus";
import { AlertmanagerOptions, addAlertmanager } from "./alertmanager";
import { ALERTMANAGER_DEFAULTS, ALERTMANAGER_VERSION } from "./defaults";

export * from "./alertmanager";
export * from "./config";
export * from "./defaults";

/** The Alertmanager component, as the registry lists it. */
export const alertmanagerComponent: ComponentInfo = {
  name: "alertmanager",
  summary: "Alertmanager (opt-in): groups Prometheus' alerts, shows them, posts them to a webhook",
  images: { alertmanager: ALERTMANAGER_DEFAULTS.image },
  binaries: [
    {
      name: "alertmanager",
      debianPackage: "prometheus-alertmanager",
      fileNames: ["prometheus-alertmanager", "alertmanager"],
      version: ALERTMANAGER_VERSION,
    },
    { name: "amtool", debianPackage: "prometheus-alertmanager", fileNames: ["amtool"], version: ALERTMANAGER_VERSION },
  ],
  enabled: {
    variable: "ALERTMANAGER_ENABLED",
    default: false,
    description: "Deploy Alertmanager and send alerts to it",
  },
  settings: [
    {
      env: "ALERTMANAGER_HOST_PORT",
      path: "hostPort",
      kind: "integer",
      description: "Host port of Alertmanager",
      default: ALERTMANAGER_DEFAULTS.hostPort,
    },
    {
      env: "ALERTMANAGER_BIND_ADDRESS",
      path: "bindAddress",
      kind: "string",
      description: "Host address the Alertmanager port binds to",
      default: SERVICE_DEFAULTS.bindAddress,
    },
    {
      env: "ALERTMANAGER_WEBHOOK_URL_FILE",
      path: "webhookUrlFile",
      kind: "string",
      description:
        "Absolute path of a file on the Docker host holding the URL Alertmanager posts alerts to (unset: alerts stay in its UI); mounted read-only, never in the config or state",
    },
    {
      env: "ALERTMANAGER_WATCHDOG_URL_FILE",
      path: "watchdogUrlFile",
      kind: "string",
      description:
        "Absolute path of a file on the Docker host holding the URL of a dead man's switch the Watchdog is posted to every 5 minutes (unset: the Watchdog stays in its UI); mounted read-only, never in the config or state",
    },
  ],
  add: (stack, options) => addAlertmanager(stack as MonitoringStackBase<Prometheus>, options as AlertmanagerOptions),
};
