/**
 * The community dashboard fetcher (scripts/fetch-dashboards.ts) against a local HTTP server standing in for Debian's
 * mirror: a real orig tarball made with `tar`, a real package made with `dpkg-deb`. It extracts the one file only,
 * refuses an archive whose SHA-256 differs from the manifest's, a missing path, a non-JSON file and an HTTP error,
 * each with a message naming the dashboard and what to do. The real manifest's entries are checked in
 * community-exporter-dashboards.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CommunityDashboardSource,
  dashboardFile,
  dashboardUpToDate,
  fetchDashboard,
  sha256Hex,
} from "../scripts/fetch-dashboards";

const work = mkdtempSync(join(tmpdir(), "fetch-dashboards-test-"));
const pool = join(work, "pool");
const DASHBOARD = `${JSON.stringify({ title: "Stand-in", panels: [] })}\n`;

function sh(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
}

/** A `.orig.tar.gz` with the dashboard, another JSON file and a non-JSON "dashboard". */
function origTarball(): Buffer {
  const tree = join(work, "orig");
  mkdirSync(join(tree, "exporter-1.0", "dashboards"), { recursive: true });
  writeFileSync(join(tree, "exporter-1.0", "dashboards", "overview.json"), DASHBOARD);
  writeFileSync(join(tree, "exporter-1.0", "dashboards", "other.json"), "{}\n");
  writeFileSync(join(tree, "exporter-1.0", "dashboards", "broken.json"), "{ not json\n");
  const file = join(pool, "exporter_1.0.orig.tar.gz");
  sh("tar", ["-czf", file, "-C", tree, "exporter-1.0"]);
  return readFileSync(file);
}

/** A binary package shipping the dashboard as an example. */
function deb(): Buffer {
  const tree = join(work, "deb");
  mkdirSync(join(tree, "DEBIAN"), { recursive: true });
  writeFileSync(
    join(tree, "DEBIAN", "control"),
    "Package: exporter\nVersion: 1.0-1\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: test\n",
  );
  mkdirSync(join(tree, "usr", "share", "doc", "exporter", "examples"), { recursive: true });
  writeFileSync(join(tree, "usr", "share", "doc", "exporter", "examples", "dashboard.json"), DASHBOARD);
  const file = join(pool, "exporter_1.0-1_all.deb");
  sh("dpkg-deb", ["--root-owner-group", "-b", tree, file]);
  return readFileSync(file);
}

let server: Server;
let mirror: string;
let orig: Buffer;
let package_: Buffer;

beforeAll(async () => {
  mkdirSync(pool, { recursive: true });
  orig = origTarball();
  package_ = deb();
  server = createServer((request, response) => {
    const name = (request.url ?? "").replace(/^\/pool\//, "");
    const file = join(pool, name);
    if (!existsSync(file) || name.includes("/")) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolveClose) => server.close(resolveClose));
});

function source(overrides: Partial<CommunityDashboardSource> & { archive?: CommunityDashboardSource["archive"] }) {
  return {
    name: "stand-in",
    component: "exporter",
    title: "Stand-in",
    debianSource: "exporter",
    version: "1.0",
    archive: { kind: "orig-tarball", pool: "pool/exporter_1.0.orig.tar.gz", sha256: sha256Hex(orig) },
    path: "exporter-1.0/dashboards/overview.json",
    upstream: "https://github.com/example/exporter",
    licence: "MIT",
    ...overrides,
  } satisfies CommunityDashboardSource;
}

describe("fetchDashboard", () => {
  it("extracts only the dashboard of an orig tarball whose SHA-256 matches, and stamps it", async () => {
    const dir = mkdtempSync(join(work, "cache-"));
    const entry = source({});
    expect(dashboardUpToDate(entry, dir)).toBe(false);
    await fetchDashboard(entry, dir, mirror);
    expect(readFileSync(dashboardFile(entry, dir), "utf8")).toBe(DASHBOARD);
    expect(readdirSync(dir).sort()).toEqual(["stand-in.json", "stand-in.source"]);
    expect(dashboardUpToDate(entry, dir)).toBe(true);
    // Another archive in the manifest: the cached file is stale.
    expect(dashboardUpToDate(source({ path: "exporter-1.0/dashboards/other.json" }), dir)).toBe(false);
  });

  it("extracts the dashboard a binary package ships", async () => {
    const dir = mkdtempSync(join(work, "cache-"));
    const entry = source({
      archive: { kind: "deb", pool: "pool/exporter_1.0-1_all.deb", sha256: sha256Hex(package_) },
      path: "usr/share/doc/exporter/examples/dashboard.json",
    });
    await fetchDashboard(entry, dir, mirror);
    expect(readFileSync(dashboardFile(entry, dir), "utf8")).toBe(DASHBOARD);
  });

  it("refuses an archive whose SHA-256 is not the manifest's, and writes nothing", async () => {
    const dir = mkdtempSync(join(work, "cache-"));
    const entry = source({
      archive: { kind: "orig-tarball", pool: "pool/exporter_1.0.orig.tar.gz", sha256: "0".repeat(64) },
    });
    await expect(fetchDashboard(entry, dir, mirror)).rejects.toThrow(
      new RegExp(
        `stand-in: .*exporter_1\\.0\\.orig\\.tar\\.gz has SHA-256 ${sha256Hex(orig)}, the manifest pins 0{64}`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("says which file is missing, which is not JSON, and what a 404 means", async () => {
    const dir = mkdtempSync(join(work, "cache-"));
    await expect(fetchDashboard(source({ path: "exporter-1.0/nope.json" }), dir, mirror)).rejects.toThrow(
      /stand-in: extracting exporter-1\.0\/nope\.json/,
    );
    await expect(fetchDashboard(source({ path: "exporter-1.0/dashboards/broken.json" }), dir, mirror)).rejects.toThrow(
      /stand-in: exporter-1\.0\/dashboards\/broken\.json is not JSON/,
    );
    await expect(
      fetchDashboard(
        source({ archive: { kind: "orig-tarball", pool: "pool/gone_1.0.orig.tar.gz", sha256: "0".repeat(64) } }),
        dir,
        mirror,
      ),
    ).rejects.toThrow(/answered HTTP 404: the file is no longer in Debian's pool/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
