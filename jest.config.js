/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__", "<rootDir>/app/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 30000,
  // A skipped Docker deploy suite prints a banner (jest hides the output of suites whose tests all skip).
  reporters: ["default", "<rootDir>/__tests__/support/docker/skip-banner-reporter.js"],
};
