import { CONFIG_DEFAULTS, ConfigError, LIMIT_DEFAULTS, parseConfig } from "../src/config";

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
  it("uses PORT 8000, HOST 127.0.0.1, LOG_LEVEL info and the default limits when nothing is set", () => {
    expect(parseConfig({})).toEqual({
      port: 8000,
      host: "127.0.0.1",
      logLevel: "info",
      headersTimeoutMs: 5000,
      requestTimeoutMs: 7000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1000,
      simulateMaxConcurrent: 100,
    });
    expect(CONFIG_DEFAULTS).toEqual(parseConfig({}));
  });

  it("treats empty values as unset", () => {
    expect(parseConfig({ PORT: "", HOST: " ", LOG_LEVEL: "", REQUEST_TIMEOUT_MS: "", MAX_CONNECTIONS: " " })).toEqual(
      CONFIG_DEFAULTS,
    );
  });

  it("reads PORT, HOST and LOG_LEVEL", () => {
    expect(parseConfig({ PORT: "9100", HOST: "0.0.0.0", LOG_LEVEL: "DEBUG" })).toEqual({
      ...LIMIT_DEFAULTS,
      port: 9100,
      host: "0.0.0.0",
      logLevel: "debug",
    });
  });

  it("reads the timeouts and caps", () => {
    expect(
      parseConfig({
        HEADERS_TIMEOUT_MS: "2000",
        REQUEST_TIMEOUT_MS: "3000",
        KEEP_ALIVE_TIMEOUT_MS: "61000",
        MAX_CONNECTIONS: "50",
        SIMULATE_MAX_CONCURRENT: "7",
      }),
    ).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      keepAliveTimeoutMs: 61000,
      maxConnections: 50,
      simulateMaxConcurrent: 7,
    });
  });

  it.each([
    ["HEADERS_TIMEOUT_MS", "5s", 'HEADERS_TIMEOUT_MS must be an integer between 100 and 600000 (got "5s")'],
    ["REQUEST_TIMEOUT_MS", "0", 'REQUEST_TIMEOUT_MS must be an integer between 100 and 600000 (got "0")'],
    ["KEEP_ALIVE_TIMEOUT_MS", "-1", 'KEEP_ALIVE_TIMEOUT_MS must be an integer between 100 and 600000 (got "-1")'],
    ["MAX_CONNECTIONS", "0", 'MAX_CONNECTIONS must be an integer between 1 and 1000000 (got "0")'],
    ["SIMULATE_MAX_CONCURRENT", "1.5", 'SIMULATE_MAX_CONCURRENT must be an integer between 1 and 1000000 (got "1.5")'],
  ])("fails when %s is %p", (variable, value, message) => {
    expect(problemsOf({ [variable]: value })).toEqual([message]);
  });

  it("fails when the headers timeout exceeds the request timeout, saying which value is a default", () => {
    expect(problemsOf({ HEADERS_TIMEOUT_MS: "9000" })).toEqual([
      "HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS, the headers are part of the request " +
        "(got HEADERS_TIMEOUT_MS=9000, REQUEST_TIMEOUT_MS=7000 (default))",
    ]);
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
