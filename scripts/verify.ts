/**
 * `npm run verify`: proves a running stack works end to end and prints a checklist with a fix hint for every failure;
 * exits 1 when a check fails, 2 when the command line is invalid.
 *
 *   npm run verify                                    # URLs from terraform.monitoring.tfstate or the stack defaults
 *   npm run verify -- --api-url http://127.0.0.1:8000 --prometheus-url http://127.0.0.1:9090 --skip-grafana
 *
 * What to expect comes from the stack itself, built in-process from the same environment `npm run deploy` uses
 * (main.ts's `inspectMonitoringStack`): the scrape jobs, rule groups, dashboards and their queries.
 * Like main.ts for the cdktf app, this entry point is the only part of verify that reads the environment and files.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { STACK_NAME } from "../constructs/monitoring-stack";
import { inspectMonitoringStack } from "../main";
import { stackExpectations, type StackExpectations } from "./verify/expectations";
import { ChecklistPrinter, formatHeader, formatSummary } from "./verify/report";
import { runVerify } from "./verify/run";
import {
  parseVerifyArgs,
  resolvePassword,
  resolvePrometheusAuth,
  resolveUrls,
  VERIFY_USAGE,
  type VerifyArgs,
} from "./verify/settings";

const projectRoot = resolve(__dirname, "..");

/** Builds the stack the way `npm run deploy` does and reads what a running stack must look like from it. */
function expectationsFromStack(): { readonly exp: StackExpectations; readonly passwordFile: string } {
  const { stack } = inspectMonitoringStack(process.env);
  return { exp: stackExpectations(stack), passwordFile: stack.grafana.passwordFile.path };
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** A file's text, or why it cannot be read (`EACCES`: owned by 65534 and mode 0600, verify not run as root). */
function readFileForAuth(path: string): { readonly text: string } | { readonly error: string } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    return { error: String((error as { code?: unknown }).code ?? error) };
  }
}

async function main(): Promise<number> {
  let args: VerifyArgs;
  try {
    args = parseVerifyArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${VERIFY_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${VERIFY_USAGE}\n`);
    return 0;
  }

  const { exp, passwordFile } = expectationsFromStack();
  const tfstateName = `terraform.${STACK_NAME}.tfstate`;
  const { urls, problems } = resolveUrls({
    args,
    env: process.env,
    tfstateName,
    tfstateText: readIfExists(join(projectRoot, tfstateName)),
    stackUrls: exp.hostUrls,
  });
  for (const problem of problems) process.stderr.write(`warning: ${problem}\n`);
  const password = args.skipGrafana
    ? { value: undefined, description: "(not needed: --skip-grafana)" }
    : resolvePassword(process.env, readIfExists(passwordFile), exp.passwordFileForHumans);

  // With extra hosts, the stack's Prometheus requires basic auth: the password file its settings name.
  const authFile = exp.prometheusBasicAuth?.passwordFile;
  const prometheusAuth = resolvePrometheusAuth(
    exp.prometheusBasicAuth,
    authFile === undefined ? undefined : readFileForAuth(authFile),
  );
  process.stdout.write(
    `${formatHeader(urls, args.skipGrafana ? undefined : password.description, prometheusAuth?.description)}\n`,
  );
  const printer = new ChecklistPrinter((text) => process.stdout.write(text));
  const results = await runVerify(
    exp,
    {
      urls: { api: urls.api.url, prometheus: urls.prometheus.url, grafana: urls.grafana.url },
      password,
      ...(prometheusAuth !== undefined ? { prometheusAuth } : {}),
      skipGrafana: args.skipGrafana,
      burstSeconds: args.burstSeconds,
      onProgress: (section, message) => printer.progress(section, message),
    },
    (result) => printer.print(result),
  );
  process.stdout.write(`${formatSummary(results)}\n`);
  return results.some((result) => result.status === "fail") ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`verify failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
