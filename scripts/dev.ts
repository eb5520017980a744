/**
 * `npm run dev`: every service of the stack that declares a local process (`localRun`: the API, the exporters,
 * Prometheus last with the stack's generated prometheus.yml and rule files, targets mapped to loopback) on 127.0.0.1,
 * without Docker. Prints the URLs, then runs until Ctrl-C, SIGTERM or SIGHUP, which stop every process it started. The
 * same harness runs the end-to-end suites (`scripts/harness/local-stack.ts`).
 *
 * Through npm: `npm run dev` is `exec node --import tsx scripts/dev.ts`. npm passes SIGINT and SIGTERM on to the
 * script's shell; without `exec`, that shell (`sh -c`) dies of it and leaves everything below running. With it, the
 * shell is this script's node process. Not `exec tsx`: tsx's relay SIGKILLs its child when the child does not confirm
 * a signal within 30 ms, which a loaded machine missed (npm exited 143 and the services stayed up). Should whatever
 * started it die without a signal, this script sees its parent change and stops too.
 *
 *   npm run dev                                    # then, in another terminal:
 *   npm run verify -- --skip-grafana               # the checklist against it (no Grafana here)
 *   npm run traffic                                # traffic to fill the dashboards' series
 *
 * The stack is built from the environment exactly as `npm run deploy` builds it (main.ts's `inspectMonitoringStack`),
 * so every published service listens on its host port (API_HOST_PORT, PROMETHEUS_HOST_PORT, ...) and `verify` and
 * `traffic` find them without flags. A service without a local process (Grafana: it cannot run without Docker) is
 * listed as not started; its target is present and down. The binaries come from `.cache/bin` (fetched on first use)
 * or PROMETHEUS_BIN_DIR.
 */
import { createServer } from "node:net";
import { ENV_SETTINGS } from "../constructs/env-config";
import { inspectMonitoringStack, exitOnUserError } from "../main";
import { binDirOverridden, lookupBinary, missingBinariesMessage } from "./harness/binaries";
import {
  DEMO_API_BINARY,
  LOOPBACK,
  processAlive,
  startLocalStack,
  whyNotRun,
  type LocalStack,
} from "./harness/local-stack";
import { ensureBinaries, FetchBinariesError } from "./fetch-binaries";
import { waitForScrapes } from "./verify/run";

const USAGE = `usage: npm run dev

Starts every service of the stack that runs as a local process (the API, the exporters, and a real Prometheus with
the stack's generated config and rules) on ${LOOPBACK}, prints their URLs, and stops them all on Ctrl-C (SIGINT) or
SIGTERM. Settings come from the same environment variables as npm run deploy
(API_HOST_PORT, PROMETHEUS_HOST_PORT, SCRAPE_INTERVAL_SECONDS, ...). Then, in another terminal:
  npm run verify -- --skip-grafana
  npm run traffic`;

/** How often the started processes (and this script's parent) are checked to still be running, in milliseconds. */
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

/** A binary the stack's services run (prometheus, the exporters), fetched into .cache/bin on first use. */
function binary(name: string): string {
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
  // What runs here: every service that declares a local process; each published one on its host port.
  const local = [...stack.services.values()].filter((service) => service.localRun !== undefined);
  const ports: Record<string, number> = {};
  for (const service of local) if (service.hostUrl !== undefined) ports[service.name] = portOf(service.hostUrl);
  const problems = (
    await Promise.all(
      Object.entries(ports).map(([name, port]) =>
        portProblem(
          port,
          ENV_SETTINGS.find((setting) => setting.path === `${name}.hostPort`)?.env ?? `${name}.hostPort`,
        ),
      ),
    )
  ).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) {
    process.stderr.write(`npm run dev cannot start:\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`);
    return 1;
  }

  const binaries: Record<string, string> = {};
  try {
    // Only the binaries the project fetches; a service with any other is reported not started.
    for (const service of local) {
      const name = service.localRun?.binary ?? "";
      if (name !== DEMO_API_BINARY && whyNotRun(service) === undefined) binaries[name] = binary(name);
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  // Signals are caught from here on, so a Ctrl-C during the start still stops what was started.
  let signalled: string | undefined;
  let onSignal: (why: string) => void = (why) => (signalled = why);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => onSignal(signal));
  // Orphaned (npm or tsx killed without a chance to pass a signal on): the parent changes; stop like on a signal.
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) onSignal(`its parent process (pid ${parent}) exited`);
  }, WATCH_INTERVAL_MS);

  process.stdout.write(`dev: starting ${local.map((service) => service.name).join(", ")} (Prometheus last) ...\n`);
  const running: LocalStack = await startLocalStack({ stack, ports, binaries });
  let exitCode = 0;
  let watch: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolvePromise) => (resolveDone = resolvePromise));
  const pids = Object.values(running.services)
    .map((service) => `${service.name} ${service.pid}`)
    .join(", ");
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(watch);
      clearInterval(parentWatch);
      process.stdout.write(`\ndev: ${why}: stopping ${pids}\n`);
      await running.stop();
      process.stdout.write("dev: stopped\n");
      resolveDone();
    })();
    return stopping;
  };
  onSignal = (why) => void stop(why);
  if (signalled !== undefined) onSignal(signalled);

  // Ready means scraping: right after its start Prometheus has no targets yet, and verify would find none.
  const interval = stack.prometheus.scrapeIntervalSeconds;
  if (stopping === undefined) {
    process.stdout.write(
      `dev: waiting for Prometheus' first scrape of every service (scrape interval ${interval} s) ...\n`,
    );
    try {
      for (const service of Object.values(running.services)) {
        const job = stack.jobs[service.name];
        // A service without metrics (`metrics: false`) is not scraped: nothing to wait for.
        if (job !== undefined) await waitForScrapes(running.prometheus.client, job, 1, (3 * interval + 15) * 1000);
      }
    } catch (error) {
      await stop("Prometheus did not scrape every service");
      throw error;
    }
  }
  if (stopping === undefined) {
    watch = setInterval(() => {
      for (const service of Object.values(running.services)) {
        if (!processAlive(service.pid)) {
          process.stderr.write(`dev: ${service.name} (pid ${service.pid}) exited; its output:\n${service.output()}\n`);
          exitCode = 1;
          void stop(`${service.name} exited`);
          return;
        }
      }
    }, WATCH_INTERVAL_MS);
    const width = Math.max(...[...stack.services.keys()].map((name) => name.length)) + 2;
    process.stdout.write(
      [
        "",
        ...Object.values(running.services).map(
          (service) => `  ${service.name.padEnd(width)}${service.baseUrl}   (pid ${service.pid})`,
        ),
        ...Object.entries(running.notRun).map(([name, why]) => `  ${name.padEnd(width)}not started: ${why}`),
        `  (scrape interval ${interval} s)`,
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
