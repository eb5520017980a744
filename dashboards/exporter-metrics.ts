/**
 * The metric and label names of the bundled exporters (node-exporter, blackbox-exporter, cAdvisor): their one home.
 * The Host, Service health and Containers dashboards and the host and probe alert rules import them; the services
 * declare them (`metricNames`) so the dashboard lint accepts exactly these.
 *
 * Sources: node_exporter 1.11 and blackbox_exporter 0.28 (checked against the real binaries' `/metrics` and `/probe`
 * in the end-to-end suite); cAdvisor's documented metric table (`docs/storage/prometheus.md` of google/cadvisor),
 * copied into {@link CADVISOR_DOCUMENTED_METRICS} because cAdvisor cannot run here.
 */
import { type DeclaredMetric, seriesNames } from "./self-metrics";

/** node_exporter's metrics the Host dashboard and the host alerts read. */
export const NODE_METRICS = {
  /** CPU seconds by `cpu` and `mode` (`idle`, `user`, `system`, `iowait`, ...). */
  cpuSecondsTotal: { name: "node_cpu_seconds_total", type: "counter", labels: { cpu: "cpu", mode: "mode" } },
  /** 1-minute load average. */
  load1: { name: "node_load1", type: "gauge" },
  memoryTotalBytes: { name: "node_memory_MemTotal_bytes", type: "gauge" },
  /** Memory available for new work without swapping (the kernel's estimate). */
  memoryAvailableBytes: { name: "node_memory_MemAvailable_bytes", type: "gauge" },
  diskReadBytesTotal: { name: "node_disk_read_bytes_total", type: "counter", labels: { device: "device" } },
  diskWrittenBytesTotal: { name: "node_disk_written_bytes_total", type: "counter", labels: { device: "device" } },
  filesystemAvailBytes: {
    name: "node_filesystem_avail_bytes",
    type: "gauge",
    labels: { device: "device", fstype: "fstype", mountpoint: "mountpoint" },
  },
  filesystemSizeBytes: {
    name: "node_filesystem_size_bytes",
    type: "gauge",
    labels: { device: "device", fstype: "fstype", mountpoint: "mountpoint" },
  },
  /** 1 when the filesystem is mounted read-only. */
  filesystemReadonly: {
    name: "node_filesystem_readonly",
    type: "gauge",
    labels: { device: "device", fstype: "fstype", mountpoint: "mountpoint" },
  },
  networkReceiveBytesTotal: { name: "node_network_receive_bytes_total", type: "counter", labels: { device: "device" } },
  networkTransmitBytesTotal: {
    name: "node_network_transmit_bytes_total",
    type: "counter",
    labels: { device: "device" },
  },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** The `mode` of idle CPU time. */
export const NODE_CPU_IDLE_MODE = "idle";

/** Filesystem types that are memory, not disk: never "filling" or "read-only" in the host alerts' sense. */
export const NODE_MEMORY_FILESYSTEM_TYPES: readonly string[] = ["tmpfs", "ramfs"];

/** The loopback network device, left out of the network panels. */
export const NODE_LOOPBACK_DEVICE = "lo";

/** blackbox_exporter's probe results (answered on `/probe`, one set per probed target). */
export const PROBE_METRICS = {
  /** 1 when the probe succeeded (for the `http_2xx` module: a 2xx answer in time). */
  success: { name: "probe_success", type: "gauge" },
  /** How long the whole probe took. */
  durationSeconds: { name: "probe_duration_seconds", type: "gauge" },
  /** The HTTP status code of the answer; 0 when there was none (connection refused, timeout). */
  httpStatusCode: { name: "probe_http_status_code", type: "gauge" },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/** cAdvisor's container metrics the Containers dashboard reads; `name` is the Docker container name. */
export const CADVISOR_METRICS = {
  cpuUsageSecondsTotal: { name: "container_cpu_usage_seconds_total", type: "counter", labels: { name: "name" } },
  memoryWorkingSetBytes: { name: "container_memory_working_set_bytes", type: "gauge", labels: { name: "name" } },
  networkReceiveBytesTotal: {
    name: "container_network_receive_bytes_total",
    type: "counter",
    labels: { name: "name" },
  },
  networkTransmitBytesTotal: {
    name: "container_network_transmit_bytes_total",
    type: "counter",
    labels: { name: "name" },
  },
} as const satisfies Readonly<Record<string, DeclaredMetric>>;

/**
 * Every container metric name cAdvisor documents (google/cadvisor `docs/storage/prometheus.md`, "Prometheus container
 * metrics"): the contract {@link CADVISOR_METRICS} and every query over cAdvisor is tested against, since cAdvisor
 * itself cannot run here.
 */
export const CADVISOR_DOCUMENTED_METRICS: readonly string[] = [
  "container_accelerator_duty_cycle",
  "container_accelerator_memory_total_bytes",
  "container_accelerator_memory_used_bytes",
  "container_cpu_cfs_periods_total",
  "container_cpu_cfs_throttled_periods_total",
  "container_cpu_cfs_throttled_seconds_total",
  "container_cpu_load_average_10s",
  "container_cpu_schedstat_run_periods_total",
  "container_cpu_schedstat_run_seconds_total",
  "container_cpu_schedstat_runqueue_seconds_total",
  "container_cpu_system_seconds_total",
  "container_cpu_usage_seconds_total",
  "container_cpu_user_seconds_total",
  "container_file_descriptors",
  "container_fs_inodes_free",
  "container_fs_inodes_total",
  "container_fs_io_current",
  "container_fs_io_time_seconds_total",
  "container_fs_limit_bytes",
  "container_fs_reads_bytes_total",
  "container_fs_reads_total",
  "container_fs_usage_bytes",
  "container_fs_writes_bytes_total",
  "container_fs_writes_total",
  "container_last_seen",
  "container_memory_cache",
  "container_memory_failcnt",
  "container_memory_failures_total",
  "container_memory_max_usage_bytes",
  "container_memory_rss",
  "container_memory_swap",
  "container_memory_mapped_file",
  "container_memory_usage_bytes",
  "container_memory_working_set_bytes",
  "container_network_receive_bytes_total",
  "container_network_receive_errors_total",
  "container_network_receive_packets_dropped_total",
  "container_network_receive_packets_total",
  "container_network_transmit_bytes_total",
  "container_network_transmit_errors_total",
  "container_network_transmit_packets_dropped_total",
  "container_network_transmit_packets_total",
  "container_processes",
  "container_spec_cpu_period",
  "container_spec_cpu_quota",
  "container_spec_cpu_shares",
  "container_spec_memory_limit_bytes",
  "container_start_time_seconds",
  "container_tasks_state",
];

function seriesList(metrics: Readonly<Record<string, DeclaredMetric>>): string[] {
  return Object.values(metrics).flatMap(seriesNames).sort();
}

/** Every series name of {@link NODE_METRICS}, sorted: what the node-exporter service declares. */
export const NODE_SERIES: readonly string[] = seriesList(NODE_METRICS);

/** Every series name of {@link PROBE_METRICS}, sorted: what the probe job declares. */
export const PROBE_SERIES: readonly string[] = seriesList(PROBE_METRICS);

/** Every series name of {@link CADVISOR_METRICS}, sorted: what the cAdvisor service declares. */
export const CADVISOR_SERIES: readonly string[] = seriesList(CADVISOR_METRICS);

/**
 * The names the bundled exporters are added under: each a service name and its job, plus the job scraping the blackbox
 * exporter's `/probe` (one target per health endpoint).
 */
export const EXPORTER_NAMES = {
  nodeExporter: "node-exporter",
  blackboxExporter: "blackbox-exporter",
  /** The probe job: scrapes `blackbox-exporter:9115/probe` once per health endpoint. */
  probes: "probes",
  cadvisor: "cadvisor",
} as const;

/** The label the probe job puts on each probe's series: the name of the service whose health endpoint it probes. */
export const PROBE_SERVICE_LABEL = "service";
