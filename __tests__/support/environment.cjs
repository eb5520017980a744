/**
 * jest's Node environment, which also fails a test file that leaves a timer pending when its tests have ended. Such a
 * timer keeps the file's jest worker alive: when it is the worker's last file, jest gives up on the worker after
 * 500 ms, kills it and prints "A worker process has failed to exit gracefully" at the end of a green run (a test
 * helper's forgotten 2 s timer did, in most full runs). It counts the timers the file's code set through its
 * setTimeout and setInterval (its own, its helpers' and the libraries it loads) that are neither cleared, fired nor
 * unref()'d; jest's own timers and Node's are not the file's. jest's fake timers are not tracked (no file uses them).
 * Plain CommonJS: jest requires its environment before any transform is set up.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const { TestEnvironment } = require("jest-environment-node");

/** Whether a timer still keeps Node running: not fired or cleared (Node marks both `_destroyed`), not unref()'d. */
function keepsNodeRunning(timer) {
  return timer._destroyed !== true && timer.hasRef();
}

/** One pending timer as a person finds it in the source: its delay and the start of its callback. */
function describeTimer(timer) {
  const callback = String(timer._onTimeout).replace(/\s+/g, " ").slice(0, 80);
  return `${timer._repeat ? "setInterval" : "setTimeout"} of ${timer._idleTimeout} ms: ${callback}`;
}

class NoLeakedTimersEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.timers = new Set();
    for (const name of ["setTimeout", "setInterval"]) {
      const real = this.global[name];
      const timers = this.timers;
      const tracked = function (...args) {
        const timer = real(...args);
        timers.add(timer);
        return timer;
      };
      // util.promisify(setTimeout) keeps working: the real function's properties, its promisified form included.
      Object.defineProperties(tracked, Object.getOwnPropertyDescriptors(real));
      this.global[name] = tracked;
    }
  }

  async teardown() {
    await super.teardown();
    // What the file's last cleanups scheduled with setImmediate has run.
    await new Promise((resolve) => setImmediate(resolve));
    const pending = [...this.timers].filter(keepsNodeRunning);
    this.timers.clear();
    if (pending.length > 0) {
      const error = new Error(
        `${pending.length} timer(s) this file set are still pending after its tests ended, which keeps jest's worker ` +
          `running (${pending.map(describeTimer).join("; ")}): clear each one (clearTimeout, clearInterval) once ` +
          `what it waits for is done, or unref() it; npx jest ${this.testPath} --detectOpenHandles shows where each ` +
          `was set`,
      );
      // No frames: they would point here, not at the file that set the timers.
      error.stack = `${error.name}: ${error.message}`;
      throw error;
    }
  }
}

module.exports = NoLeakedTimersEnvironment;
