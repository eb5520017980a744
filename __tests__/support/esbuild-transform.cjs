/**
 * jest's TypeScript transform: esbuild, the compiler tsx already runs main.ts and the scripts with. Types are checked
 * once, by `npm run lint:types` (tsc over every file, tests included); tsconfig.json sets isolatedModules, so each file
 * compiles alone, as ts-jest compiled them before. ts-jest loaded TypeScript in every worker and compiled each file
 * with it; on a fresh clone every worker compiled the same modules at the same time (see docs/testing.md for the
 * measured difference). Plain CommonJS: jest requires its transforms as they are.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const { createHash } = require("node:crypto");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest requires as is
const { transformSync, version } = require("esbuild");

/** tsconfig.json's settings that change the emitted JavaScript (the rest only change type checking). */
const TSCONFIG = { compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true } };

module.exports = {
  getCacheKey(source, path, options) {
    return createHash("sha256")
      .update(`esbuild ${version}\0${JSON.stringify(TSCONFIG)}\0${options.configString}\0${path}\0`)
      .update(source)
      .digest("hex");
  },
  process(source, path) {
    const { code, map } = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "node20",
      platform: "node",
      sourcefile: path,
      sourcemap: true,
      tsconfigRaw: TSCONFIG,
    });
    return { code, map };
  },
};
