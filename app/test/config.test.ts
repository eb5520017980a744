import { ConfigError, parseConfig } from "../src/config";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`expected parseConfig(${JSON.stringify(env)}) to throw`);
}

describe("parseConfig", () => {
  it("uses PORT 8000, HOST 127.0.0.1 and LOG_LEVEL info when nothing is set", () => {
    expect(parseConfig({})).toEqual({ port: 8000, host: "127.0.0.1", logLevel: "info" });
  });

  it("treats empty values as unset", () => {
    expect(parseConfig({ PORT: "", HOST: " ", LOG_LEVEL: "" })).toEqual({
      port: 8000,
      host: "127.0.0.1",
      logLevel: "info",
    });
  });

  it("reads PORT, HOST and LOG_LEVEL", () => {
    expect(parseConfig({ PORT: "9100", HOST: "0.0.0.0", LOG_LEVEL: "DEBUG" })).toEqual({
      port: 9100,
      host: "0.0.0.0",
      logLevel: "debug",
    });
  });

  it("accepts PORT 0, which lets the OS pick a free port", () => {
    expect(parseConfig({ PORT: "0" }).port).toBe(0);
  });

  it.each(["abc", "80.5", "8e3", "-1", "65536", "0x50"])("fails when PORT is %p", (port) => {
    expect(problemsOf({ PORT: port })).toEqual([
      `PORT must be an integer between 0 and 65535, 0 picks a free port (got "${port}")`,
    ]);
  });

  it("fails when HOST contains spaces", () => {
    expect(problemsOf({ HOST: "local host" })).toEqual([
      'HOST must be an IP address or hostname without spaces, e.g. 0.0.0.0 (got "local host")',
    ]);
  });

  it("fails when LOG_LEVEL is not a pino level", () => {
    expect(problemsOf({ LOG_LEVEL: "verbose" })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ]);
  });

  it("fails with every problem at once, in one message", () => {
    expect(() => parseConfig({ PORT: "http", LOG_LEVEL: "loud" })).toThrow(
      "invalid configuration:\n" +
        '  - PORT must be an integer between 0 and 65535, 0 picks a free port (got "http")\n' +
        '  - LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
  });
});
