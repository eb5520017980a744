/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__", "<rootDir>/app/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }],
  },
  // Fetches the Prometheus-family binaries into .cache/bin on first use.
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // A banner for every skipped suite, counted; under CI=true a skip CI does not accept fails the run.
  reporters: ["default", "<rootDir>/__tests__/support/skip-reporter-loader.cjs"],
  testTimeout: 30000,
};
