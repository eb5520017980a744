// jest loads reporters with plain require (no transform): load the TypeScript reporter through tsx.
const { require: tsxRequire } = require("tsx/cjs/api");

module.exports = tsxRequire("./skip-reporter.ts", __filename).default;
