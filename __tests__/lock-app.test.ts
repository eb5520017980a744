/**
 * `npm run lock:app` leaves a clean checkout unchanged: the committed app/package-lock.json is byte for byte what the
 * script generates from app/package.json and the root lockfile. (Versions alone are not enough: a file written from an
 * older root lockfile can lock the same versions in another tree layout, and lock:app then rewrites it.) Contacts
 * the npm registry, like npm ci.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateAppLock } from "../scripts/lock-app";

const root = resolve(__dirname, "..");

describe("npm run lock:app", () => {
  it("regenerates exactly the committed app/package-lock.json", () => {
    const committed = readFileSync(join(root, "app", "package-lock.json"), "utf8");

    expect(generateAppLock(root)).toBe(committed);
  }, 120_000);
});
