/**
 * __tests__/setup.ts: the creation stacks cdktf records for its tokens are formatted without source maps, and every
 * Error's stack is still mapped to the TypeScript source.
 */
import { readFileSync } from "node:fs";
import { Lazy } from "cdktf";

/** The 1-based line of this file holding `marker`. */
function lineOf(marker: string): number {
  return (
    readFileSync(__filename, "utf8")
      .split("\n")
      .findIndex((line) => line.includes(marker)) + 1
  );
}

describe("stack traces under jest (setup.ts)", () => {
  it("maps an Error's stack to this file's TypeScript line", () => {
    const error = new Error("here"); // marker: mapped error

    expect(error.stack?.split("\n")[1]).toContain(`${__filename}:${lineOf("marker: mapped error")}:`);
  });

  it("formats a stack captured on a plain object (cdktf's creation stacks) as V8 does, frame by frame", () => {
    const holder = { stack: "" };
    Error.captureStackTrace(holder);
    const [first, ...frames] = holder.stack.split("\n");

    expect(first).toBe("[object Object]");
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.every((frame) => frame.startsWith("    at "))).toBe(true);
    expect(frames[0]).toContain(__filename);
  });

  it("still gives cdktf's tokens their creation stack", () => {
    const token = Lazy.anyValue({ produce: () => 1 });

    expect(token.creationStack.some((frame) => frame.includes(__filename))).toBe(true);
  });
});
