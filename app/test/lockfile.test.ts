import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lockProblems, type Lockfile, type PackageJson } from "../../scripts/lock-app";

const repoRoot = join(__dirname, "..", "..");

function readJson<T>(...segments: string[]): T {
  return JSON.parse(readFileSync(join(repoRoot, ...segments), "utf8")) as T;
}

const appPackage = readJson<PackageJson>("app", "package.json");
const appLock = readJson<Lockfile>("app", "package-lock.json");
const rootLock = readJson<Lockfile>("package-lock.json");

describe("app/package-lock.json", () => {
  it("is in sync with app/package.json and resolves the root lockfile's versions (else: npm run lock:app)", () => {
    expect(lockProblems(appPackage, appLock, rootLock)).toEqual([]);
  });

  it("locks every dependency of app/package.json at the exact version pinned there", () => {
    const pinned = { ...appPackage.dependencies, ...appPackage.devDependencies };
    const locked = Object.fromEntries(
      Object.keys(pinned).map((name) => [name, appLock.packages[`node_modules/${name}`]?.version]),
    );
    expect(locked).toEqual(pinned);
  });
});

describe("lockProblems", () => {
  const fastify = { version: "5.12.8", dependencies: { "fast-uri": "^3.0.0" } };
  const pkg: PackageJson = { name: "api", version: "1.0.0", dependencies: { fastify: "5.12.8" } };
  const lock = (packages: Lockfile["packages"]): Lockfile => ({ lockfileVersion: 3, packages });
  const appRoot = { name: "api", version: "1.0.0", dependencies: { fastify: "5.12.8" } };
  const workspaceRoot = lock({
    "": { name: "root" },
    app: appRoot,
    "node_modules/fastify": fastify,
    "node_modules/fast-uri": { version: "3.1.0" },
  });

  it("accepts a lockfile that matches package.json and the workspace's versions", () => {
    const good = lock({ "": appRoot, "node_modules/fastify": fastify, "node_modules/fast-uri": { version: "3.1.0" } });
    expect(lockProblems(pkg, good, workspaceRoot)).toEqual([]);
  });

  it("fails when package.json declares a dependency the lockfile does not", () => {
    const stale = lock({ "": appRoot, "node_modules/fastify": fastify, "node_modules/fast-uri": { version: "3.1.0" } });
    const changed: PackageJson = { ...pkg, dependencies: { fastify: "5.12.8", "prom-client": "15.1.3" } };

    expect(lockProblems(changed, stale, workspaceRoot)).toEqual([
      'app/package-lock.json dependencies {"fastify":"5.12.8"} differ from app/package.json ' +
        '{"fastify":"5.12.8","prom-client":"15.1.3"} (run npm run lock:app)',
    ]);
  });

  it("fails when a package resolves to a different version than in the root lockfile", () => {
    const drifted = lock({
      "": appRoot,
      "node_modules/fastify": fastify,
      "node_modules/fast-uri": { version: "3.2.0" },
    });

    expect(lockProblems(pkg, drifted, workspaceRoot)).toEqual([
      "node_modules/fast-uri: app/package-lock.json locks 3.2.0, the root package-lock.json resolves 3.1.0 for app/ " +
        "(run npm run lock:app)",
    ]);
  });

  it("fails when the tree is incomplete", () => {
    const partial = lock({ "": appRoot, "node_modules/fastify": fastify });

    expect(lockProblems(pkg, partial, workspaceRoot)).toEqual([
      "node_modules/fastify depends on fast-uri, which app/package-lock.json does not contain (run npm run lock:app)",
    ]);
  });

  it("resolves like Node: a copy nested in the workspace wins over the hoisted one", () => {
    const nestedRoot = lock({
      ...workspaceRoot.packages,
      "app/node_modules/fast-uri": { version: "3.2.0" },
    });
    const good = lock({ "": appRoot, "node_modules/fastify": fastify, "node_modules/fast-uri": { version: "3.2.0" } });

    expect(lockProblems(pkg, good, nestedRoot)).toEqual([]);
  });
});
