/**
 * Every series name (besides the Go client's `go_*`, `process_*` and `promhttp_*`) that nginx-prometheus-exporter 1.5.1 (Debian's prometheus-nginx-exporter 1.5.1-1) exposes on
 * `/metrics` scraping NGINX 1.22.1 (Debian bookworm's nginx, stub_status), recorded from the real binary. The component's catalog is this list, so a dashboard
 * (the stack's or an imported one) is judged against all the deployed exporter exposes; the end-to-end suite
 * (`__tests__/exporters-e2e.test.ts`) scrapes the real binary and fails when one of these is missing, and prints what
 * it exposes beyond them.
 */
export const NGINX_EXPORTER_EXPOSITION: readonly string[] = [
  "nginx_connections_accepted",
  "nginx_connections_active",
  "nginx_connections_handled",
  "nginx_connections_reading",
  "nginx_connections_waiting",
  "nginx_connections_writing",
  "nginx_exporter_build_info",
  "nginx_http_requests_total",
  "nginx_up",
];
