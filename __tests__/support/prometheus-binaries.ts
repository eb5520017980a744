/**
 * The real Prometheus-family binaries in tests: everything from `scripts/harness/binaries.ts` (lookup, run, start,
 * versions), plus {@link describeWithBinaries} for suites that need them.
 *
 * jest's global setup (`__tests__/support/global-setup.ts`) fetches the binaries into `.cache/bin` on first use, so
 * a suite finds them unless that fetch failed (no network) or `PROMETHEUS_BIN_DIR` names a directory without them.
 */
import { isCi } from "../../scripts/harness/ci";
import { lookupBinary, missingBinariesMessage, type PrometheusBinary } from "../../scripts/harness/binaries";
import { describeUnless } from "./skips";

export * from "../../scripts/harness/binaries";
export { isCi } from "../../scripts/harness/ci";

/**
 * The environment of a `promtool test rules` run: Go's garbage collector at `GOGC=200` (the heap may grow to three
 * times what is live between collections instead of twice), unless GOGC is already set. It changes how often promtool
 * collects, not what it evaluates: the SLO cases, two simulated hours of 30-day windows each, spend a third of their
 * CPU collecting. Measured on this 2-core machine, `npx jest __tests__/rule-cases.test.ts` twice each (every case on
 * its whole rule file, before rulesUnderTest): 61 and 70 CPU-s at the default (100), 48 and 52 at 200, the run's peak
 * RSS 201 MB both ways (jest's own; promtool's less).
 */
export function promtoolTestEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, GOGC: env.GOGC ?? "200" };
}

/** Absolute paths of the binaries a suite asked for. */
export type BinaryPaths<Name extends PrometheusBinary> = Readonly<Record<Name, string>>;

/**
 * `describe` for a suite that needs real binaries. When all are found, `body` gets their absolute paths. When one is
 * missing: in CI the suite registers a single failing test carrying the fetch instructions (never a skip); locally it
 * is registered as skipped with the reason `missing-binaries`, which the skip reporter prints as a banner.
 *
 * @example describeWithBinaries("promtool", ["promtool"], (bins) => { it("...", () => runBinary(bins.promtool, [...])) })
 */
export function describeWithBinaries<Name extends PrometheusBinary>(
  title: string,
  names: readonly Name[],
  body: (bins: BinaryPaths<Name>) => void,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const lookups = names.map((name) => lookupBinary(name, env));
  const missing = lookups.filter((lookup) => lookup.path === undefined);
  if (missing.length === 0) {
    const found = new Map(lookups.map((lookup) => [lookup.name, lookup.path ?? ""]));
    describe(title, () => body(pathsOf(names, (name) => found.get(name) ?? "")));
    return;
  }
  const message = missingBinariesMessage(missing);
  if (isCi(env)) {
    describe(title, () => {
      it(`has the Prometheus binaries it needs (${names.join(", ")})`, () => {
        throw new Error(`${message}\nCI=true: this suite must run in CI, so a missing binary fails it.`);
      });
    });
    return;
  }
  describeUnless(title, { reason: "missing-binaries", detail: message }, () => body(pathsOf(names, (name) => name)));
}

function pathsOf<Name extends PrometheusBinary>(
  names: readonly Name[],
  pathOf: (name: Name) => string,
): BinaryPaths<Name> {
  const paths = {} as Record<Name, string>;
  for (const name of names) {
    paths[name] = pathOf(name);
  }
  return paths;
}
