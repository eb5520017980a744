import type { App } from "cdktf";
import { DashboardError } from "../../dashboards";
import { ConfigError, type ConfigProblem } from "./validation";

/**
 * What to print for an error a user can act on: a {@link ConfigError} as its first line and one line per problem
 * (`describe` writes each, by default its message), a {@link DashboardError} as its message. Undefined for any other
 * error, which is a bug and keeps its stack trace.
 */
export function userErrorMessage(
  error: unknown,
  describe: (problem: ConfigProblem) => string = (problem) => problem.message,
): string | undefined {
  if (error instanceof ConfigError) {
    return `${error.message.split("\n")[0]}\n${error.problems.map((problem) => `  - ${describe(problem)}`).join("\n")}`;
  }
  if (error instanceof DashboardError) return error.message;
  return undefined;
}

/**
 * `app.synth()` for an app's last line: invalid settings and dashboards that fail the lint are printed without a stack
 * trace, once, and the process exits 1; any other error is thrown as is.
 * @example synthOrExit(app) // instead of app.synth()
 */
export function synthOrExit(app: App): void {
  try {
    app.synth();
  } catch (error) {
    const message = userErrorMessage(error);
    if (message === undefined) throw error;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
