/**
 * node-exporter's metric catalog: the metric and label names the Host dashboard and the host alert rules read, their
 * one home. The service declares them (`metricNames`), so the dashboard lint accepts exactly these; the end-to-end
 * suite checks every one against the real node_exporter binary's `/metrics`.
 */
import { type DeclaredMetric, PROCESS_SERIES, seriesList } from "../../dashboards/metrics";
import { NODE_EXPORTER_EXPOSITION, NODE_EXPORTER_HARDWARE_SERIES } from "./exposition";

/** The service name (alias and job) node-exporter is added under. */
export const NODE_EXPORTER_NAME = "node-exporter";

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

/** Every series name of {@link NODE_METRICS}, sorted. */
export const NODE_SERIES: readonly string[] = seriesList(NODE_METRICS);

/**
 * What the node-exporter service declares it exposes: what the Host dashboard and alerts read, and everything the real
 * binary exposes with the stack's flags ({@link NODE_EXPORTER_EXPOSITION}, checked by scraping it), hardware-dependent
 * series included.
 */
export const NODE_EXPORTER_CATALOG: readonly string[] = [
  ...new Set([
    ...NODE_SERIES,
    ...PROCESS_SERIES,
    ...NODE_EXPORTER_EXPOSITION,
    ...Object.values(NODE_EXPORTER_HARDWARE_SERIES).flat(),
  ]),
].sort();
