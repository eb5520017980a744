/**
 * `npm run dev`: the API and a real Prometheus on 127.0.0.1, running the stack's generated prometheus.yml and rule
 * files (targets mapped to loopback), without Docker. Prints the URLs, then runs until Ctrl-C or SIGTERM, which stop
 * both processes. The same harness runs the end-to-end suites (`scripts/harness/local-stack.ts`).
 *
 *   npm run dev                                    # then, in another terminal:
 *   npm run verify -- --skip-grafana               # the checklist against it (no Grafana here)
 *   npm run traffic                                # traffic to fill the dashboards' series
 *
 * The stack is built from the environment exactly as `npm run deploy` builds it (main.ts's `inspectMonitoringStack`),
 * so the API and Prometheus listen on the stack's host ports (API_HOST_PORT, PROMETHEUS_HOST_PORT; default 8000 and
 * 9090) and `verify` and `traffic` find them without flags. Grafana cannot run without Docker: its target is present
 * and down. Prometheus binaries come from `.cache/bin` (fetched on first use) or PROMETHEUS_BIN_DIR.
 */
import { createServer } from "node:net";
import { ApiService } from "../constructs/api-service";
import { inspectMonitoringStack, exitOnUserError } from "../main";
import { binDirOverridden, lookupBinary, missingBinariesMessage } from "./harness/binaries";
import { LOOPBACK, processAlive, startLocalStack, type LocalStack } from "./harness/local-stack";
import { ensureBinaries, FetchBinariesError } from "./fetch-binaries";
import { waitForScrapes } from "./verify/run";

const USAGE = `usage: npm run dev

Starts the API and a real Prometheus on ${LOOPBACK} with the stack's generated config and rules, prints their URLs,
and stops both on Ctrl-C (SIGINT) or SIGTERM. Settings come from the same environment variables as npm run deploy
(API_HOST_PORT, PROMETHEUS_HOST_PORT, SCRAPE_INTERVAL_SECONDS, ...). Then, in another terminal:
  npm run verify -- --skip-grafana
  npm run traffic`;

/** How often the two processes are checked to still be running, in milliseconds. */
const WATCH_INTERVAL_MS = 1000;

/** The port of an `http://host:port` URL. */
function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Resolves with a problem sentence when `port` cannot be bound on 127.0.0.1, else `undefined`. */
function portProblem(port: number, variable: string): Promise<string | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      resolvePort(
        `${variable}=${port}: ${LOOPBACK}:${port} cannot be used (${error.code ?? error.message}); stop what listens there, or set ${variable} to a free port`,
      ),
    );
    server.listen(port, LOOPBACK, () => server.close(() => resolvePort(undefined)));
  });
}

/** A binary (prometheus, the exporters), fetched into .cache/bin on first use. */
function binary(name: "prometheus" | "node-exporter" | "blackbox-exporter"): string {
  let lookup = lookupBinary(name);
  if (lookup.path === undefined && !binDirOverridden()) {
    ensureBinaries(undefined, (line) => process.stdout.write(`${line}\n`));
    lookup = lookupBinary(name);
  }
  if (lookup.path === undefined) throw new FetchBinariesError(missingBinariesMessage([lookup]));
  return lookup.path;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    const help = args.length === 1 && (args[0] === "--help" || args[0] === "-h");
    (help ? process.stdout : process.stderr).write(
      `${help ? "" : `unknown option ${args.join(" ")} (npm run dev takes none; see --help)\n\n`}${USAGE}\n`,
    );
    return help ? 0 : 2;
  }
  let stack;
  try {
    stack = inspectMonitoringStack(process.env).stack;
  } catch (error) {
    exitOnUserError(error);
  }
  if (
    stack.prometheus.configFiles().some((file) => file.path === "prometheus.yml" && /^alerting:/m.test(file.content))
  ) {
    process.stderr.write("npm run dev runs no Alertmanager: unset ALERTMANAGER_ENABLED (or set it to false)\n");
    return 2;
  }
  const api = stack.services.get(ApiService.NAME);
  if (api?.hostUrl === undefined) {
    process.stderr.write(
      `npm run dev needs the service "${ApiService.NAME}" published on a host port (main.ts adds it)\n`,
    );
    return 2;
  }
  const apiPort = portOf(api.hostUrl);
  const prometheusPort = portOf(stack.prometheus.hostUrl);
  const problems = (
    await Promise.all([portProblem(apiPort, "API_HOST_PORT"), portProblem(prometheusPort, "PROMETHEUS_HOST_PORT")])
  ).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) {
    process.stderr.write(`npm run dev cannot start:\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`);
    return 1;
  }

  let prometheusBin: string;
  let nodeExporterBin: string;
  let blackboxExporterBin: string;
  try {
    prometheusBin = binary("prometheus");
    nodeExporterBin = binary("node-exporter");
    blackboxExporterBin = binary("blackbox-exporter");
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  // Signals are caught from here on, so a Ctrl-C during the start still stops what was started.
  let signalled: NodeJS.Signals | undefined;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => (signalled = signal);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => onSignal(signal));

  process.stdout.write(
    `dev: building the API and starting it, node-exporter, blackbox-exporter and Prometheus ${prometheusBin} ...\n`,
  );
  const local: LocalStack = await startLocalStack({
    prometheusBin,
    nodeExporterBin,
    blackboxExporterBin,
    stack,
    apiPort,
    prometheusPort,
  });
  let exitCode = 0;
  let watch: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolvePromise) => (resolveDone = resolvePromise));
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(watch);
      process.stdout.write(
        `\ndev: ${why}: stopping the API (pid ${local.api.pid}) and Prometheus (pid ${local.prometheus.pid})\n`,
      );
      await local.stop();
      process.stdout.write("dev: stopped\n");
      resolveDone();
    })();
    return stopping;
  };
  onSignal = (signal) => void stop(signal);
  if (signalled !== undefined) onSignal(signalled);

  // Ready means scraping: right after its start Prometheus has no targets yet, and verify would find none.
  const interval = stack.prometheus.scrapeIntervalSeconds;
  if (stopping === undefined) {
    process.stdout.write(`dev: waiting for Prometheus' first scrape of the API (scrape interval ${interval} s) ...\n`);
    try {
      await waitForScrapes(local.prometheus.client, api.jobName, 1, (3 * interval + 15) * 1000);
    } catch (error) {
      await stop("Prometheus did not scrape the API");
      throw error;
    }
  }
  if (stopping === undefined) {
    watch = setInterval(() => {
      for (const [name, child] of [
        ["the API", local.api],
        ["Prometheus", local.prometheus],
      ] as const) {
        if (!processAlive(child.pid)) {
          process.stderr.write(`dev: ${name} (pid ${child.pid}) exited; its output:\n${child.output()}\n`);
          exitCode = 1;
          void stop(`${name} exited`);
          return;
        }
      }
    }, WATCH_INTERVAL_MS);
    process.stdout.write(
      [
        "",
        `  API         ${local.api.baseUrl}   (pid ${local.api.pid})`,
        `  Prometheus  ${local.prometheus.url}   (pid ${local.prometheus.pid}; scrape interval ${interval} s)`,
        ...Object.entries(local.exporters).map(
          ([name, exporter]) => `  ${name.padEnd(18)}  ${exporter.address}   (pid ${exporter.pid})`,
        ),
        `  Grafana     not started (needs Docker); its target ${local.addresses[stack.grafana.scrapeTarget.jobName]} is down`,
        "",
        "  In another terminal:  npm run verify -- --skip-grafana      npm run traffic",
        "  Ctrl-C stops them all.",
        "dev: ready",
        "",
      ].join("\n"),
    );
  }
  await done;
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dev failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
