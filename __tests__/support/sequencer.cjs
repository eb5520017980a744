/**
 * The order jest starts the test files in. With 60-odd files over a few workers, the run ends when the last long
 * file ends, so the long ones must start first. jest's own sequencer orders by the durations it cached in an earlier
 * run and, with no cache (a fresh clone, CI), by file size: there the Alertmanager suite (a small file that waits on
 * Prometheus for a minute) would start last and make the run its whole duration longer. The files below start first,
 * in that order; every other file follows in jest's order. The run is bound by CPU, so the order also keeps both
 * cores busy: the three Docker suites, which mostly wait (on builds, health checks, Prometheus' resend delay) for 90 to
 * 105 s, start first beside rule-cases; the files that use the most CPU come next (with 5 workers main.test.ts starts
 * at once, library.test.ts on the first worker freed), so their work runs beside those waits, and the PostgreSQL
 * recipe (another 30 s wait, little CPU) comes after them. Measured on a fresh clone on a 2-core machine with 4
 * workers, main.test.ts taking the worker rule-cases freed after about a minute: with the PostgreSQL suite fifth,
 * the cores were 24 to 68 % busy for the 30 s after rule-cases ended, while only the four Docker suites ran; with
 * main.test.ts there, 76 to 99 %. After those, the files that wait (on local stacks, scrapes, shutdowns) alternate
 * with files that use CPU the whole time they run (test-command, first-deploy, hosts, metrics, traffic-cli): when
 * the Docker suites end together, the workers they free take one of each instead of only waiting files. With all
 * the waiting files in a row, the cores were 40 to 79 % busy for 25 s at that point (5 workers); four fresh-clone
 * runs alternating the two orders: jest 188 and 190 s interleaved against 212 and 204 s, the cores idle for 10 and
 * 14 core-seconds against 14 and 15. Plain CommonJS: jest requires its sequencer before any transform is set up.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const { basename } = require("node:path");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const TestSequencer = require("@jest/test-sequencer").default;

/** The test files that start first, in that order (see above): the long ones, then waiting files alternating with busy ones. */
const START_ORDER = Object.freeze([
  "docker-alertmanager.test.ts",
  "docker-deploy.test.ts",
  "multi-host.test.ts",
  "rule-cases.test.ts",
  "main.test.ts",
  "library.test.ts",
  "dev.test.ts",
  "verify.test.ts",
  "test-command.test.ts",
  "e2e.test.ts",
  "first-deploy.test.ts",
  "docker-postgres.test.ts",
  "hosts.test.ts",
  "exporters-e2e.test.ts",
  "metrics.test.ts",
  "verify-basic-auth.test.ts",
  "traffic-cli.test.ts",
  "hostile.test.ts",
  "shutdown.test.ts",
]);

/**
 * `items` with the START_ORDER files first, in that order, and the others after them in their given order.
 * @template T
 * @param {readonly T[]} items
 * @param {(item: T) => string} pathOf
 * @returns {T[]}
 */
function inStartOrder(items, pathOf) {
  const rank = (item) => {
    const index = START_ORDER.indexOf(basename(pathOf(item)));
    return index === -1 ? START_ORDER.length : index;
  };
  return items
    .map((item, position) => ({ item, position, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.position - b.position)
    .map(({ item }) => item);
}

class StartOrderSequencer extends TestSequencer {
  sort(tests) {
    return inStartOrder(super.sort(tests), (test) => test.path);
  }
}

module.exports = StartOrderSequencer;
module.exports.START_ORDER = START_ORDER;
module.exports.inStartOrder = inStartOrder;
