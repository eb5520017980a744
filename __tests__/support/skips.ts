/**
 * Skips you cannot miss. A suite that cannot run here is registered with {@link describeUnless}: its title carries a
 * marker (`[SKIPPED(<reason>): <detail>]`) that the skip reporter (`__tests__/support/skip-reporter.ts`) reads from
 * jest's results, prints as a banner on the terminal, counts in the summary, and, under `CI=true`, turns into a
 * failed run unless the reason is one of {@link SKIP_REASONS} allowed in CI.
 *
 * A new reason (a new kind of machine a suite cannot run on) is added to {@link SKIP_REASONS}, nowhere else. The
 * Docker suite uses it like this:
 *
 * @example
 * const engine = dockerEngineProblem(); // undefined when `docker version` answers
 * describeUnless("the stack on a real Docker engine", engine && { reason: "no-docker-engine", detail: engine }, () => {
 *   it("...", async () => { ... });
 * });
 */

/** Every reason a suite may be skipped for, and whether `CI=true` accepts it. */
export const SKIP_REASONS = {
  /** A Prometheus-family binary is missing (`npm run fetch-binaries` could not fetch it): never acceptable in CI. */
  "missing-binaries": { allowedInCi: false },
  /**
   * No Docker engine answers: a skip with a banner on a developer's machine, never acceptable in CI, where `.ci/run`
   * starts an engine and the Docker deploy suite is mandatory.
   */
  "no-docker-engine": { allowedInCi: false },
} as const satisfies Record<string, { readonly allowedInCi: boolean }>;

/** A reason from {@link SKIP_REASONS}. */
export type SkipReason = keyof typeof SKIP_REASONS;

/** Why a suite is skipped: a registered reason and a sentence saying what is missing and how to get it. */
export interface Skip {
  readonly reason: SkipReason;
  readonly detail: string;
}

const MARKER = /\[SKIPPED\(([a-z-]+)\): ([\s\S]*)\]$/;

/** The title of a skipped suite: `title` plus the marker the reporter reads. */
export function skippedTitle(title: string, skip: Skip): string {
  // One line: jest prints titles on one line, and the marker must stay at the end.
  return `${title} [SKIPPED(${skip.reason}): ${skip.detail.replace(/\s*\n\s*/g, " ")}]`;
}

/**
 * The skip a suite title carries, or `undefined` for an ordinary title; an unknown reason is returned as is (the
 * reporter treats it as not allowed in CI).
 */
export function parseSkippedTitle(title: string): { readonly reason: string; readonly detail: string } | undefined {
  const match = MARKER.exec(title);
  return match === null ? undefined : { reason: match[1], detail: match[2] };
}

/** True when `reason` is a registered reason that `CI=true` accepts. */
export function skipAllowedInCi(reason: string): boolean {
  return Object.prototype.hasOwnProperty.call(SKIP_REASONS, reason) && SKIP_REASONS[reason as SkipReason].allowedInCi;
}

/**
 * `describe` when `skip` is `undefined`; otherwise the same suite registered as skipped, with the marker in its title.
 * The body still runs to register its tests (as skipped), so it must only use what it needs inside tests and hooks.
 */
export function describeUnless(title: string, skip: Skip | undefined, body: () => void): void {
  if (skip === undefined) {
    describe(title, body);
    return;
  }
  describe.skip(skippedTitle(title, skip), body);
}
