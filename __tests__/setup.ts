import { Testing } from "cdktf";
// Types of cdktf's jest matchers (toHaveResourceWithProperties, ...) for every test file.
import type {} from "cdktf/lib/testing/adapters/jest";

// Registers cdktf's jest matchers for every test file.
Testing.setupJest();

// cdktf records a full creation stack (every frame) for every token it makes, by Error.captureStackTrace on a plain
// object, not an Error. Under jest, source-map-support maps each of those frames through the source maps of the files
// they are in (cdktf's and the Docker provider's inline ones included): 8 of the synthesizing suites in one process
// took 22-25 CPU-s with it, 15-16 without (docs/testing.md). Those stacks are formatted as V8 does without source maps
// (cdktf shows one only in a token error); every Error's stack, a failed assertion's included, is still mapped.
const mapStack = Error.prepareStackTrace;
if (mapStack !== undefined) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown =>
    error instanceof Error
      ? mapStack(error, frames)
      : `${String(error)}\n${frames.map((frame) => `    at ${String(frame)}`).join("\n")}`;
}
