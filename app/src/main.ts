/**
 * Entry point of the API process: reads the environment once, listens, and shuts down gracefully on SIGTERM/SIGINT.
 *
 * Run with `node app/dist/main.js` (after `npm run build -w app`) or `node --import tsx app/src/main.ts`.
 */
import type { AddressInfo } from "node:net";
import { ConfigError, parseConfig, type AppConfig } from "./config";
import { buildServer } from "./server";
import { closeGracefully, SHUTDOWN_TIMEOUT_MS } from "./shutdown";

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = buildServer({
    logLevel: config.logLevel,
    limits: {
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      maxConnections: config.maxConnections,
      simulateMaxConcurrent: config.simulateMaxConcurrent,
    },
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const { code = "unknown error", syscall } = error as NodeJS.ErrnoException;
    // The cause is the environment (a taken port, an address this host lacks): the code says it, a stack trace would not.
    app.log.fatal(
      { code, syscall },
      `cannot listen on ${config.host}:${config.port} (${code}); set PORT to a free port or HOST to a local address`,
    );
    process.exit(1);
  }
  // One line with the bound port as a field, so a supervisor that passed PORT=0 can find it.
  const address = app.server.address() as AddressInfo;
  app.log.info({ host: address.address, port: address.port }, "api listening");

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.log.warn({ signal }, "already shutting down");
      return;
    }
    stopping = true;
    app.log.info(
      { signal, timeoutMs: SHUTDOWN_TIMEOUT_MS },
      "shutting down: refusing new connections, draining requests",
    );
    closeGracefully(app, SHUTDOWN_TIMEOUT_MS).then(
      (outcome) => {
        if (outcome === "drained") {
          app.log.info("shutdown complete");
          process.exit(0);
        }
        app.log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown timed out; closed remaining connections");
        process.exit(1);
      },
      (error: unknown) => {
        app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `api failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
