/**
 * cAdvisor's metric catalog: the container metrics the Containers dashboard reads. Sources: cAdvisor's documented
 * metric table (`docs/storage/prometheus.md` of google/cadvisor), copied into {@link CADVISOR_DOCUMENTED_METRICS}
 * because cAdvisor cannot run here.
 */
import { type DeclaredMetric, seriesList } from "../../dashboards/metrics";

/** The service name (alias and job) cAdvisor is added under. */
export const CADVISOR_NAME = "cadvisor";

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

/**
 * The machine metrics cAdvisor documents without a build flag or `-disable_metrics` switch (same document, "Prometheus
 * hardware metrics"): what dashboards such as dockprom's read for the host's size.
 */
export const CADVISOR_DOCUMENTED_MACHINE_METRICS: readonly string[] = [
  "machine_cpu_cores",
  "machine_cpu_physical_cores",
  "machine_cpu_sockets",
  "machine_memory_bytes",
];

/**
 * What the cAdvisor service declares it exposes: every documented container and machine metric (an imported dashboard
 * is judged against all of them), the Containers dashboard's {@link CADVISOR_METRICS} among them. Checked against the
 * documentation, not a binary: cAdvisor cannot run here.
 */
export const CADVISOR_SERIES: readonly string[] = [
  ...new Set([...seriesList(CADVISOR_METRICS), ...CADVISOR_DOCUMENTED_METRICS, ...CADVISOR_DOCUMENTED_MACHINE_METRICS]),
].sort();
