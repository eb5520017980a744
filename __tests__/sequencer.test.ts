/** The order jest starts the files in (support/sequencer.cjs): the listed files first, on a fresh clone too. */
import { existsSync } from "node:fs";
import { join } from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS sequencer jest requires as is
const sequencer = require("./support/sequencer.cjs") as {
  readonly START_ORDER: readonly string[];
  readonly inStartOrder: <T>(items: readonly T[], pathOf: (item: T) => string) => T[];
  readonly prototype: { readonly sort: unknown };
};
const { START_ORDER, inStartOrder } = sequencer;

describe("the test sequencer", () => {
  it("names only test files that exist, each once", () => {
    // jest's roots (jest.config.js): this folder and the app's tests.
    const roots = [__dirname, join(__dirname, "..", "app", "test")];
    expect(START_ORDER.filter((name) => roots.filter((root) => existsSync(join(root, name))).length !== 1)).toEqual([]);
    expect(new Set(START_ORDER).size).toBe(START_ORDER.length);
  });

  it("starts the listed files first in their order, and keeps the others in jest's order after them", () => {
    const given = ["/p/__tests__/b.test.ts", `/p/__tests__/${START_ORDER[2]}`, "/p/__tests__/a.test.ts"];
    given.push(`/p/__tests__/${START_ORDER[0]}`);
    expect(inStartOrder(given, (path) => path)).toEqual([
      `/p/__tests__/${START_ORDER[0]}`,
      `/p/__tests__/${START_ORDER[2]}`,
      "/p/__tests__/b.test.ts",
      "/p/__tests__/a.test.ts",
    ]);
  });

  it("is the sequencer jest runs with", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS config jest reads
    const config = require("../jest.config.js") as { testSequencer?: string };
    expect(config.testSequencer).toBe("<rootDir>/__tests__/support/sequencer.cjs");
    expect(typeof sequencer.prototype.sort).toBe("function");
  });
});
