// jest loads reporters with plain require (no transform): load the TypeScript reporter through tsx.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const { require: tsxRequire } = require("tsx/cjs/api");

module.exports = tsxRequire("./skip-reporter.ts", __filename).default;
