import { TARGET_LABELS } from "../../dashboards/metrics";
import {
  ConfigProblem,
  checkIntegerInRange,
  formatDuration,
  LABEL_NAME,
  joinPath,
  show,
  throwIfProblems,
} from "../core/validation";
import { SLO_ALERT_NAMES, SLO_LABELS } from "../core/slo";
import { PROMETHEUS_ALERT_NAMES } from "../prometheus/rules";

/**
 * A minimal alertmanager.yml as a pure renderer (no cdktf import): by default every alert goes to a receiver that
 * delivers nowhere, so alerts are only listed (and can be silenced) in Alertmanager's UI; with `webhookUrlFile` set
 * they are also posted to the webhook whose URL that file holds. The Watchdog never goes to that webhook (a heartbeat in
 * a chat is noise): to the UI-only receiver, or with `watchdogUrlFile` to a dead man's switch of its own, every
 * {@link WATCHDOG_ROUTE} repeat interval, which pages when the heartbeats stop.
 */

/** The receiver that delivers nowhere: alerts stay visible in Alertmanager's UI. */
export const UI_ONLY_RECEIVER = "ui-only";

/** The receiver that posts to the configured webhook. */
export const WEBHOOK_RECEIVER = "webhook";

/** The receiver that posts the Watchdog to a dead man's switch. */
export const WATCHDOG_RECEIVER = "watchdog";

/**
 * How the Watchdog reaches a dead man's switch: at once, then again every minute's group interval once 5 minutes have
 * passed, so a switch set to expect a heartbeat every 5 minutes (with some grace) pages when Prometheus, Alertmanager or
 * the path between them stops.
 */
export const WATCHDOG_ROUTE = { groupWaitSeconds: 0, groupIntervalSeconds: 60, repeatIntervalSeconds: 300 } as const;

/** Everything alertmanager.yml is rendered from; the stack config passes it through. */
export interface AlertmanagerConfigInput {
  /**
   * Absolute path, inside the container, of a file holding the URL to POST alerts to (Alertmanager's webhook JSON
   * format), for example a chat bridge. Webhook URLs often carry a token, so the URL itself never enters the config,
   * the synthesized JSON or the Terraform state: Alertmanager reads the file (`url_file`).
   * @default undefined: no delivery, alerts are only visible in the Alertmanager UI
   */
  readonly webhookUrlFile?: string;
  /**
   * Absolute path, inside the container, of a file holding the URL of a dead man's switch (a heartbeat monitor outside
   * this stack) to POST the Watchdog to every {@link WATCHDOG_ROUTE} repeat interval; read by Alertmanager
   * (`url_file`), like `webhookUrlFile`. @default undefined: the Watchdog is only visible in the Alertmanager UI
   */
  readonly watchdogUrlFile?: string;
  /** Labels that group alerts into one notification. @default DEFAULT_ALERTMANAGER_CONFIG.groupBy */
  readonly groupBy?: readonly string[];
  /** How long to wait for more alerts of a new group before notifying, in seconds. @default DEFAULT_ALERTMANAGER_CONFIG.groupWaitSeconds */
  readonly groupWaitSeconds?: number;
  /** How long to wait before notifying about new alerts in a group already notified, in seconds. @default DEFAULT_ALERTMANAGER_CONFIG.groupIntervalSeconds */
  readonly groupIntervalSeconds?: number;
  /** How long before a still-firing alert is notified again, in seconds. @default DEFAULT_ALERTMANAGER_CONFIG.repeatIntervalSeconds (4h) */
  readonly repeatIntervalSeconds?: number;
}

/** One receiver; a receiver without configurations delivers nowhere. */
export interface AlertmanagerReceiver {
  readonly name: string;
  readonly webhook_configs?: readonly { readonly url_file: string; readonly send_resolved: boolean }[];
}

/** The alertmanager.yml document, with keys in the order they are written. */
export interface AlertmanagerConfigDocument {
  readonly global: { readonly resolve_timeout: string };
  readonly route: {
    readonly receiver: string;
    readonly group_by: readonly string[];
    readonly group_wait: string;
    readonly group_interval: string;
    readonly repeat_interval: string;
    readonly routes: readonly {
      readonly matchers: readonly string[];
      readonly receiver: string;
      readonly group_wait?: string;
      readonly group_interval?: string;
      readonly repeat_interval?: string;
    }[];
  };
  readonly receivers: readonly AlertmanagerReceiver[];
  readonly inhibit_rules: readonly {
    readonly source_matchers: readonly string[];
    readonly target_matchers: readonly string[];
    readonly equal: readonly string[];
  }[];
}

/**
 * What a firing alert silences while it fires: an SLO's fast-burn page silences its own slow-burn ticket (the page
 * already says the budget burns; the ticket would arrive for the same incident, through the same receiver).
 */
export const INHIBIT_RULES: AlertmanagerConfigDocument["inhibit_rules"] = [
  {
    source_matchers: [`alertname=${JSON.stringify(SLO_ALERT_NAMES.page)}`],
    target_matchers: [`alertname=${JSON.stringify(SLO_ALERT_NAMES.ticket)}`],
    equal: [SLO_LABELS.id],
  },
];

/** The defaults of {@link AlertmanagerConfigInput}. */
export const DEFAULT_ALERTMANAGER_CONFIG = {
  // `host`: one notification per host (a stack with extra hosts labels every series with it; absent otherwise).
  groupBy: ["alertname", TARGET_LABELS.job, "host"],
  groupWaitSeconds: 30,
  groupIntervalSeconds: 300,
  repeatIntervalSeconds: 14_400,
} as const;

/** Every problem with the input; an empty list means {@link renderAlertmanagerConfig} renders a valid config. */
export function alertmanagerConfigProblems(input: AlertmanagerConfigInput, path = ""): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (input.webhookUrlFile !== undefined && !input.webhookUrlFile.startsWith("/")) {
    const webhookPath = joinPath(path, "webhookUrlFile");
    problems.push({
      path: webhookPath,
      message: `${webhookPath} must be an absolute path of a file holding the webhook URL, or be left out to keep alerts in the Alertmanager UI only (got ${show(input.webhookUrlFile)})`,
    });
  }
  if (input.watchdogUrlFile !== undefined && !input.watchdogUrlFile.startsWith("/")) {
    const watchdogPath = joinPath(path, "watchdogUrlFile");
    problems.push({
      path: watchdogPath,
      message: `${watchdogPath} must be an absolute path of a file holding the dead man's switch URL, or be left out to keep the Watchdog in the Alertmanager UI only (got ${show(input.watchdogUrlFile)})`,
    });
  }
  const groupByPath = joinPath(path, "groupBy");
  const groupBy = input.groupBy ?? DEFAULT_ALERTMANAGER_CONFIG.groupBy;
  if (groupBy.length === 0 || groupBy.some((label) => !LABEL_NAME.test(label))) {
    problems.push({
      path: groupByPath,
      message: `${groupByPath} must list at least one label name (letters, digits and "_", not starting with a digit) such as ["alertname", "job"] (got ${show(groupBy)})`,
    });
  }
  const groupWait = input.groupWaitSeconds ?? DEFAULT_ALERTMANAGER_CONFIG.groupWaitSeconds;
  const groupInterval = input.groupIntervalSeconds ?? DEFAULT_ALERTMANAGER_CONFIG.groupIntervalSeconds;
  const repeatInterval = input.repeatIntervalSeconds ?? DEFAULT_ALERTMANAGER_CONFIG.repeatIntervalSeconds;
  problems.push(
    ...checkIntegerInRange(joinPath(path, "groupWaitSeconds"), groupWait, 0, 3600),
    ...checkIntegerInRange(joinPath(path, "groupIntervalSeconds"), groupInterval, 1, 86_400),
    ...checkIntegerInRange(joinPath(path, "repeatIntervalSeconds"), repeatInterval, 1, 604_800),
  );
  if (Number.isInteger(groupInterval) && Number.isInteger(repeatInterval) && repeatInterval < groupInterval) {
    const repeatPath = joinPath(path, "repeatIntervalSeconds");
    problems.push({
      path: repeatPath,
      message: `${repeatPath} must be at least groupIntervalSeconds (${groupInterval}), because notifications are only sent at group intervals (got ${show(repeatInterval)})`,
    });
  }
  return problems;
}

/**
 * Renders alertmanager.yml: the default route to the webhook receiver when `webhookUrlFile` is set, else to the UI-only
 * receiver; the Watchdog to the dead man's switch when `watchdogUrlFile` is set, else to the UI-only receiver.
 * Receivers are listed in a fixed order.
 *
 * @throws ConfigError listing every problem {@link alertmanagerConfigProblems} finds.
 */
export function renderAlertmanagerConfig(input: AlertmanagerConfigInput = {}): AlertmanagerConfigDocument {
  throwIfProblems("Alertmanager config", alertmanagerConfigProblems(input));
  const defaults = DEFAULT_ALERTMANAGER_CONFIG;
  const webhook: AlertmanagerReceiver[] =
    input.webhookUrlFile !== undefined
      ? [{ name: WEBHOOK_RECEIVER, webhook_configs: [{ url_file: input.webhookUrlFile, send_resolved: true }] }]
      : [];
  const watchdog: AlertmanagerReceiver[] =
    input.watchdogUrlFile !== undefined
      ? [{ name: WATCHDOG_RECEIVER, webhook_configs: [{ url_file: input.watchdogUrlFile, send_resolved: false }] }]
      : [];
  const watchdogRoute =
    watchdog.length > 0
      ? {
          receiver: WATCHDOG_RECEIVER,
          group_wait: formatDuration(WATCHDOG_ROUTE.groupWaitSeconds),
          group_interval: formatDuration(WATCHDOG_ROUTE.groupIntervalSeconds),
          repeat_interval: formatDuration(WATCHDOG_ROUTE.repeatIntervalSeconds),
        }
      : { receiver: UI_ONLY_RECEIVER };
  return {
    global: { resolve_timeout: formatDuration(300) },
    route: {
      receiver: webhook.length > 0 ? WEBHOOK_RECEIVER : UI_ONLY_RECEIVER,
      group_by: [...(input.groupBy ?? defaults.groupBy)],
      group_wait: formatDuration(input.groupWaitSeconds ?? defaults.groupWaitSeconds),
      group_interval: formatDuration(input.groupIntervalSeconds ?? defaults.groupIntervalSeconds),
      repeat_interval: formatDuration(input.repeatIntervalSeconds ?? defaults.repeatIntervalSeconds),
      routes: [{ matchers: [`alertname=${JSON.stringify(PROMETHEUS_ALERT_NAMES.watchdog)}`], ...watchdogRoute }],
    },
    receivers: [{ name: UI_ONLY_RECEIVER }, ...webhook, ...watchdog],
    inhibit_rules: INHIBIT_RULES,
  };
}
