/**
 * The parts of `npm run fetch-binaries` that decide what it fetches and whether it fetches at all. The download
 * itself runs in jest's global setup on a fresh clone (and `versions.test` checks every fetched binary's version).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binariesUpToDate, debianMirror, pinnedVersions, upstreamVersion } from "../scripts/fetch-binaries";
import { BINARIES } from "./support/prometheus-binaries";
import { VERSIONS } from "./support/versions";

describe("fetch-binaries", () => {
  it("compares Debian versions by their upstream part", () => {
    expect(["3.5.3+ds1-6", "0.33.1-5", "1:2.0.1-1", "1.11.1~rc1-2"].map(upstreamVersion)).toEqual([
      "3.5.3",
      "0.33.1",
      "2.0.1",
      "1.11.1",
    ]);
  });

  it("uses this machine's Debian mirror (deb822 or one-line sources), never the security one", () => {
    const deb822 =
      "Types: deb\nURIs: http://deb.debian.org/debian-security\n\nTypes: deb\nURIs: http://mirror.test/debian/\n";

    expect(debianMirror([deb822])).toBe("http://mirror.test/debian");
    expect(debianMirror(["deb [arch=amd64] http://ftp.test/debian bookworm main"])).toBe("http://ftp.test/debian");
    expect(debianMirror([])).toBe("http://deb.debian.org/debian");
  });

  it("pins every binary to the version its component deploys (each component's defaults.ts)", () => {
    expect(pinnedVersions()).toEqual({
      prometheus: VERSIONS.prometheus,
      promtool: VERSIONS.prometheus,
      alertmanager: VERSIONS.alertmanager,
      amtool: VERSIONS.alertmanager,
      "node-exporter": VERSIONS.nodeExporter,
      "blackbox-exporter": VERSIONS.blackboxExporter,
      "postgres-exporter": VERSIONS.postgresExporter,
      postgres: VERSIONS.postgresServer,
      "postgres-initdb": VERSIONS.postgresServer,
      "redis-exporter": VERSIONS.redisExporter,
      "redis-server": VERSIONS.redisServer,
      "nginx-exporter": VERSIONS.nginxExporter,
      nginx: VERSIONS.nginxServer,
    });
  });

  it("reuses a folder only when its stamp records the pinned versions and every binary is there", () => {
    const dir = mkdtempSync(join(tmpdir(), "fetch-binaries-"));
    try {
      mkdirSync(join(dir, "bin"));
      const bin = join(dir, "bin");
      for (const spec of Object.values(BINARIES)) writeFileSync(join(bin, spec.fileNames[0]), "");
      expect(binariesUpToDate(bin)).toBe(false);

      writeFileSync(join(bin, "versions.json"), JSON.stringify(pinnedVersions()));
      expect(binariesUpToDate(bin)).toBe(true);

      writeFileSync(join(bin, "versions.json"), JSON.stringify({ ...pinnedVersions(), prometheus: "3.5.2" }));
      expect(binariesUpToDate(bin)).toBe(false);

      writeFileSync(join(bin, "versions.json"), JSON.stringify(pinnedVersions()));
      rmSync(join(bin, "amtool"));
      expect(binariesUpToDate(bin)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
