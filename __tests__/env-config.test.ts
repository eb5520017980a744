import { ENV_SETTINGS, settingsFromEnv, withEnvHint } from "../constructs/env-config";

/** No setting at all: the stack's props and every component's options keep their defaults. */
const NOTHING_SET = { settings: { stack: {}, components: {} }, problems: [] };

/** Every variable the app reads, set to a valid value that is not its default. */
const EVERY_VARIABLE: Readonly<Record<string, string>> = {
  MONITORING_NETWORK: "obs",
  SCRAPE_INTERVAL_SECONDS: "30",
  API_HOST_PORT: "18000",
  API_BIND_ADDRESS: "0.0.0.0",
  API_MEMORY_MB: "300",
  API_LOG_LEVEL: "debug",
  PROMETHEUS_HOST_PORT: "19090",
  PROMETHEUS_BIND_ADDRESS: "10.0.0.5",
  PROMETHEUS_MEMORY_MB: "2048",
  PROMETHEUS_RETENTION_DAYS: "30",
  PROMETHEUS_RETENTION_SIZE_MB: "4096",
  GRAFANA_HOST_PORT: "13000",
  GRAFANA_BIND_ADDRESS: "127.0.0.1",
  GRAFANA_MEMORY_MB: "768",
  GRAFANA_ADMIN_PASSWORD_FILE: "/etc/monitoring/grafana-password",
  ALERT_API_ERROR_RATIO: "0.1",
  ALERT_API_MIN_REQUESTS_PER_SECOND: ".5",
  ALERT_API_LATENCY_P95_SECONDS: "2",
  ALERT_RUNBOOK_BASE_URL: "https://example.org/runbooks#",
  ALERTMANAGER_ENABLED: "true",
  ALERTMANAGER_HOST_PORT: "19093",
  ALERTMANAGER_BIND_ADDRESS: "127.0.0.1",
  ALERTMANAGER_WEBHOOK_URL_FILE: "/etc/monitoring/webhook-url",
  ALERTMANAGER_WATCHDOG_URL_FILE: "/etc/monitoring/watchdog-url",
  CADVISOR_ENABLED: "true",
  POSTGRES_EXPORTER_ENABLED: "true",
  POSTGRES_EXPORTER_TARGET: "db.internal:5432",
  POSTGRES_EXPORTER_USER: "monitor",
  POSTGRES_EXPORTER_PASSWORD_FILE: "/etc/monitoring/postgres-password",
  REDIS_EXPORTER_ENABLED: "true",
  REDIS_EXPORTER_TARGET: "cache.internal:6379",
  REDIS_EXPORTER_PASSWORD_FILE: "/etc/monitoring/redis-passwords.json",
  NGINX_EXPORTER_ENABLED: "true",
  NGINX_EXPORTER_STATUS_URL: "http://edge.internal:8080/stub_status",
  MONITORING_HOSTS: "edge-1=ssh://ops@10.0.0.6, edge-2=tcp://10.0.0.7:2376,edge-3=unix:///run/edge-3/docker.sock",
  PROMETHEUS_REMOTE_WRITE_URL: "http://10.0.0.5:19090/api/v1/write",
  PROMETHEUS_REMOTE_WRITE_PASSWORD_FILE: "/etc/monitoring/remote-write-password",
  PROMETHEUS_OUTAGE_COVERAGE_HOURS: "12",
};

describe("settingsFromEnv", () => {
  it("leaves every default in place when nothing is set", () => {
    expect(settingsFromEnv({})).toEqual(NOTHING_SET);
  });

  it("ignores empty variables", () => {
    expect(settingsFromEnv({ API_HOST_PORT: "  " })).toEqual(NOTHING_SET);
  });

  it("maps each variable to its setting", () => {
    const { settings, problems } = settingsFromEnv(EVERY_VARIABLE);
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      stack: {
        networkName: "obs",
        scrapeIntervalSeconds: 30,
        runbookBaseUrl: "https://example.org/runbooks#",
        hosts: [
          { name: "edge-1", dockerHost: "ssh://ops@10.0.0.6" },
          { name: "edge-2", dockerHost: "tcp://10.0.0.7:2376" },
          { name: "edge-3", dockerHost: "unix:///run/edge-3/docker.sock" },
        ],
      },
      components: {
        api: {
          hostPort: 18000,
          bindAddress: "0.0.0.0",
          memoryMb: 300,
          logLevel: "debug",
          thresholds: { errorRatio: 0.1, minRequestsPerSecond: 0.5, latencyP95Seconds: 2 },
        },
        prometheus: {
          hostPort: 19090,
          bindAddress: "10.0.0.5",
          memoryMb: 2048,
          retentionDays: 30,
          retentionSizeMb: 4096,
          remoteWriteUrl: "http://10.0.0.5:19090/api/v1/write",
          remoteWritePasswordFile: "/etc/monitoring/remote-write-password",
          outageCoverageHours: 12,
        },
        grafana: {
          hostPort: 13000,
          bindAddress: "127.0.0.1",
          memoryMb: 768,
          adminPasswordFile: "/etc/monitoring/grafana-password",
        },
        alertmanager: {
          enabled: true,
          hostPort: 19093,
          bindAddress: "127.0.0.1",
          webhookUrlFile: "/etc/monitoring/webhook-url",
          watchdogUrlFile: "/etc/monitoring/watchdog-url",
        },
        cadvisor: { enabled: true },
        "postgres-exporter": {
          enabled: true,
          target: "db.internal:5432",
          user: "monitor",
          passwordFile: "/etc/monitoring/postgres-password",
        },
        "redis-exporter": {
          enabled: true,
          target: "cache.internal:6379",
          passwordFile: "/etc/monitoring/redis-passwords.json",
        },
        "nginx-exporter": { enabled: true, statusUrl: "http://edge.internal:8080/stub_status" },
      },
    });
  });

  it("sets every variable ENV_SETTINGS lists in the test above", () => {
    // A variable added to a component's settings must be mapped above too.
    expect(Object.keys(EVERY_VARIABLE).sort()).toEqual(ENV_SETTINGS.map((setting) => setting.env).sort());
  });

  it("fails when MONITORING_HOSTS has bad entries, names or endpoints, naming each entry and the fix, all at once", () => {
    const { settings, problems } = settingsFromEnv({
      MONITORING_HOSTS:
        "edge-1=ssh://ops@10.0.0.5,Edge_2=tcp://x,edge-1=unix:///run/a.sock,bad,central=unix:///x,e3=ssh://10.0.0.5,e4=ssh://ops@10.0.0.5,e5=http://x:1",
    });
    // Only the first, valid entry is kept: nothing is reported twice later.
    expect(settings.stack.hosts).toEqual([{ name: "edge-1", dockerHost: "ssh://ops@10.0.0.5" }]);
    expect(problems.map((problem) => problem.message)).toEqual([
      'MONITORING_HOSTS entry 2 (Edge_2): the name: a host name must be a DNS label: lowercase letters, digits and "-", starting with a letter, not ending with "-", at most 32 characters (got "Edge_2"); name it like edge-1',
      'MONITORING_HOSTS entry 2 (Edge_2): the dockerHost must be tcp://host:port, with the port (got "tcp://x"); use unix:///run/docker.sock, tcp://10.0.0.5:2376 or ssh://ops@10.0.0.5[:22]',
      'MONITORING_HOSTS entry 4 must be name=dockerHost (got "bad"); e.g. MONITORING_HOSTS=edge-1=ssh://ops@10.0.0.5,edge-2=tcp://10.0.0.6:2376',
      'MONITORING_HOSTS entry 5 (central): the name: "central" is the name of the stack\'s own host (the central Prometheus\' series carry host="central") (got "central"); name it like edge-1',
      'MONITORING_HOSTS entry 6 (e3): the dockerHost must be ssh://user@host or ssh://user@host:port, with the user (got "ssh://10.0.0.5"); use unix:///run/docker.sock, tcp://10.0.0.5:2376 or ssh://ops@10.0.0.5[:22]',
      'MONITORING_HOSTS entry 8 (e5): the dockerHost must start with unix://, tcp:// or ssh:// (got "http://x:1"); use unix:///run/docker.sock, tcp://10.0.0.5:2376 or ssh://ops@10.0.0.5[:22]',
      'MONITORING_HOSTS: the host name "edge-1" is given twice; give each host its own name',
      'MONITORING_HOSTS: hosts "edge-1" and "e4" have the same dockerHost "ssh://ops@10.0.0.5"; each host is its own Docker engine',
    ]);
    expect(problems.every((problem) => problem.path === "hosts")).toBe(true);
  });

  it("fails when an integer variable is not an integer, naming the variable and value", () => {
    expect(settingsFromEnv({ API_HOST_PORT: "80a", SCRAPE_INTERVAL_SECONDS: "1.5" }).problems).toEqual([
      { path: "scrapeIntervalSeconds", message: 'SCRAPE_INTERVAL_SECONDS must be an integer (got "1.5")' },
      { path: "api.hostPort", message: 'API_HOST_PORT must be an integer (got "80a")' },
    ]);
  });

  it("fails when a number variable is not a number", () => {
    expect(settingsFromEnv({ ALERT_API_ERROR_RATIO: "5%" }).problems).toEqual([
      {
        path: "api.thresholds.errorRatio",
        message: 'ALERT_API_ERROR_RATIO must be a number such as 0.05 (got "5%")',
      },
    ]);
  });

  it("fails when a boolean variable is neither true nor false", () => {
    expect(settingsFromEnv({ ALERTMANAGER_ENABLED: "yes" }).problems).toEqual([
      { path: "alertmanager.enabled", message: 'ALERTMANAGER_ENABLED must be true or false (got "yes")' },
    ]);
  });

  it("fails once when an enable variable does not parse, not again for its component's settings", () => {
    expect(settingsFromEnv({ ALERTMANAGER_ENABLED: "yes", ALERTMANAGER_HOST_PORT: "19093" }).problems).toEqual([
      { path: "alertmanager.enabled", message: 'ALERTMANAGER_ENABLED must be true or false (got "yes")' },
    ]);
  });

  it("fails when a setting of a component that is not deployed is set, naming how to deploy it", () => {
    expect(
      settingsFromEnv({ ALERTMANAGER_HOST_PORT: "19093", ALERTMANAGER_WEBHOOK_URL_FILE: "/etc/monitoring/webhook-url" })
        .problems,
    ).toEqual([
      {
        path: "alertmanager.hostPort",
        message:
          "ALERTMANAGER_HOST_PORT is set but alertmanager is not deployed: set ALERTMANAGER_ENABLED=true, or unset ALERTMANAGER_HOST_PORT",
      },
      {
        path: "alertmanager.webhookUrlFile",
        message:
          "ALERTMANAGER_WEBHOOK_URL_FILE is set but alertmanager is not deployed: set ALERTMANAGER_ENABLED=true, or unset ALERTMANAGER_WEBHOOK_URL_FILE",
      },
    ]);
    // Switched off explicitly: the same.
    expect(settingsFromEnv({ ALERTMANAGER_ENABLED: "false", ALERTMANAGER_HOST_PORT: "19093" }).problems).toHaveLength(
      1,
    );
    expect(settingsFromEnv({ ALERTMANAGER_ENABLED: "true", ALERTMANAGER_HOST_PORT: "19093" }).problems).toEqual([]);
  });

  it("names a distinct variable for every setting", () => {
    expect(new Set(ENV_SETTINGS.map((s) => s.env)).size).toBe(ENV_SETTINGS.length);
    expect(new Set(ENV_SETTINGS.map((s) => s.path)).size).toBe(ENV_SETTINGS.length);
  });
});

describe("withEnvHint", () => {
  it("tells which variable sets an invalid setting", () => {
    expect(withEnvHint({ path: "api.hostPort", message: "api.hostPort must be ... (got 0)" })).toBe(
      "api.hostPort must be ... (got 0) [set by API_HOST_PORT]",
    );
  });

  it("given the environment, names the variable only when it is set there (a default was set by nobody)", () => {
    const problem = { path: "grafana.adminPasswordFile", message: "grafana.adminPasswordFile (x): is empty" };
    expect(withEnvHint(problem, {})).toBe("grafana.adminPasswordFile (x): is empty");
    expect(withEnvHint(problem, { GRAFANA_ADMIN_PASSWORD_FILE: "x" })).toBe(
      "grafana.adminPasswordFile (x): is empty [set by GRAFANA_ADMIN_PASSWORD_FILE]",
    );
  });

  it("leaves messages about settings no variable sets unchanged", () => {
    expect(withEnvHint({ path: "apiBuildContext", message: "m" })).toBe("m");
  });
});
