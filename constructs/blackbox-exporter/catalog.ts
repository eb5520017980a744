/**
 * blackbox-exporter's metric catalog: its probe results (answered on `/probe`, one set per probed target), read by
 * the Service health dashboard and the ProbeFailed rule; checked against the real blackbox_exporter's `/probe`.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";

/** The service name (alias and job) of the exporter itself (its own `/metrics`). */
export const BLACKBOX_EXPORTER_NAME = "blackbox-exporter";

/** The job scraping the exporter's `/probe` once per health endpoint. */
export const PROBE_JOB = "probes";

/** blackbox_exporter's probe results (answered on `/probe`, one set per probed target). */
export const PROBE_METRICS = {
  /** 1 when the probe succeeded (for the `http_2xx` module: a 2xx answer in time). */
  success: { name: "probe_success", type: "gauge" },
  /** How long the whole probe took. */
  durationSeconds: { name: "probe_duration_seconds", type: "gauge" },
  /** The HTTP status code of the answer; 0 when there was none (connection refused, timeout). */
  httpStatusCode: { name: "probe_http_status_code", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/**
 * The label the probe job puts on each probe's series: the name of the service whose health endpoint it probes, or
 * the name of an external URL's probe.
 */
export const PROBE_SERVICE_LABEL = "service";

/** The label an external URL's probe series carry, `scope="external"`: probed outside the stack's network. */
export const PROBE_SCOPE_LABEL = "scope";
/** {@link PROBE_SCOPE_LABEL}'s value on an external URL's probe. */
export const EXTERNAL_PROBE_SCOPE = "external";

/** Every series name of {@link PROBE_METRICS}, sorted: what the probe job declares. */
export const PROBE_SERIES: readonly string[] = seriesList(PROBE_METRICS);

/** What the exporter's own `/metrics` declares (the process metrics of its Go client). */
export const BLACKBOX_EXPORTER_CATALOG: readonly string[] = [...PROCESS_SERIES];
