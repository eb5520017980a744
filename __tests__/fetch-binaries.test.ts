/**
 * The parts of `npm run fetch-binaries` that decide what it fetches and whether it fetches at all. The download
 * itself runs in jest's global setup on a fresh clone (and `versions.test` checks every fetched binary's version).
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  binariesUpToDate,
  copyFromMachineCache,
  debianMirror,
  ensureBinaries,
  FetchBinariesError,
  launcherScript,
  machineBinariesDir,
  parseAptShow,
  pinnedVersions,
  suitePlans,
  upstreamVersion,
} from "../scripts/fetch-binaries";
import { binDir, parseVersionOf } from "../scripts/harness/binaries";
import {
  copyStoredTree,
  MACHINE_CACHE_ENV,
  MACHINE_CACHE_OFF,
  MANIFEST,
  storeTree,
  swapIn,
  treeManifest,
  UNUSED_DAYS,
} from "../scripts/harness/machine-cache";
import { BINARIES, describeWithBinaries } from "./support/prometheus-binaries";
import { VERSIONS } from "./support/versions";

/** Runs `body` with a new folder under the system's temp folder (`prefix` names it), removed afterwards. */
function inScratch(prefix: string, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("fetch-binaries", () => {
  it("compares Debian versions by their upstream part", () => {
    expect(["3.5.3+ds1-6", "0.33.1-5", "1:2.0.1-1", "1.11.1~rc1-2"].map(upstreamVersion)).toEqual([
      "3.5.3",
      "0.33.1",
      "2.0.1",
      "1.11.1",
    ]);
  });

  it("reads every package's candidate version from one apt-cache show, and leaves out the packages not found", () => {
    // The shape apt-cache prints: one stanza per package, fields, a folded description, a blank line between.
    const shown = [
      "Package: promtool",
      "Source: prometheus",
      "Version: 3.5.3+ds1-6",
      "Description: monitoring system and time series database (utilities)",
      " Prometheus is a systems and service monitoring system.",
      " .",
      " Version: not a field (a folded line)",
      "",
      "Package: redis-server",
      "Version: 5:7.0.15-1~deb12u7",
      "Depends: redis-tools (= 5:7.0.15-1~deb12u7)",
      "",
    ].join("\n");
    expect(parseAptShow(shown)).toEqual(
      new Map([
        ["promtool", "3.5.3+ds1-6"],
        ["redis-server", "5:7.0.15-1~deb12u7"],
      ]),
    );
    expect(parseAptShow("")).toEqual(new Map());
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

  it("fetches the Go binaries from unstable then testing, and the C servers from the suite they pin (bookworm)", () => {
    const plans = suitePlans().map((plan) => ({ suites: plan.suites, names: plan.specs.map((spec) => spec.name) }));
    expect(plans).toEqual([
      {
        suites: ["unstable", "testing"],
        names: expect.arrayContaining([
          "prometheus",
          "node-exporter",
          "postgres-exporter",
          "redis-exporter",
          "nginx-exporter",
        ]),
      },
      { suites: ["bookworm"], names: ["postgres", "postgres-initdb", "redis-server", "nginx"] },
    ]);
  });

  it("reads each server's own version banner, and says what it looked for when the banner is not there", () => {
    expect(parseVersionOf(BINARIES.postgres, "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n")).toBe("15.18");
    expect(parseVersionOf(BINARIES["redis-server"], "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0")).toBe(
      "7.0.15",
    );
    expect(parseVersionOf(BINARIES.nginx, "nginx version: nginx/1.22.1\n")).toBe("1.22.1");
    expect(parseVersionOf(BINARIES["redis-exporter"], 'msg="Redis Metrics Exporter 1.86.0-1    build date: x"')).toBe(
      "1.86.0",
    );
    expect(() => parseVersionOf(BINARIES.postgres, "error while loading shared libraries: libicu.so.72")).toThrow(
      "postgres's version output",
    );
  });

  it("launches a whole-package binary by its real path, its unpacked libraries first on LD_LIBRARY_PATH", () => {
    inScratch("fetch-binaries-launcher-", (dir) => {
      mkdirSync(join(dir, "pkg.d", "usr", "bin"), { recursive: true });
      const program = join(dir, "pkg.d", "usr", "bin", "show");
      writeFileSync(program, '#!/bin/sh\necho "$0 $1 $LD_LIBRARY_PATH"\n', { mode: 0o755 });
      writeFileSync(join(dir, "show"), launcherScript("pkg.d", "usr/bin/show"));
      chmodSync(join(dir, "show"), 0o755);
      const arch = spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim();
      const run = spawnSync(join(dir, "show"), ["arg"], { encoding: "utf8", env: { PATH: process.env.PATH } });
      expect(run.stdout.trim()).toBe(`${program} arg ${join(dir, "pkg.d", "usr", "lib", `${arch}-linux-gnu`)}`);
    });
  });

  it("reuses a folder only when its stamp records the pinned versions and every binary is there", () => {
    inScratch("fetch-binaries-", (dir) => {
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
    });
  });
});

describe("the machine cache (scripts/harness/machine-cache.ts)", () => {
  it("lives under MONITORING_STACK_CACHE, else XDG_CACHE_HOME, else ~/.cache, one folder per spec digest; off turns it off", () => {
    const under = (root: string, env: NodeJS.ProcessEnv, from: string): string => {
      const cache = machineBinariesDir(env);
      expect(cache?.from).toBe(from);
      expect(cache?.dir.slice(0, join(root, "bin").length + 1)).toBe(`${join(root, "bin")}/`);
      expect(cache?.dir.slice(join(root, "bin").length + 1)).toMatch(/^[0-9a-f]{16}$/);
      return cache?.dir ?? "";
    };
    const first = under(
      "/srv/cache",
      { [MACHINE_CACHE_ENV]: "/srv/cache", XDG_CACHE_HOME: "/xdg" },
      `${MACHINE_CACHE_ENV}=/srv/cache`,
    );
    under("/xdg/monitoring-stack", { XDG_CACHE_HOME: "/xdg" }, "XDG_CACHE_HOME=/xdg");
    // A relative XDG_CACHE_HOME is invalid by the XDG spec, and ignored.
    under(join(homedir(), ".cache", "monitoring-stack"), { XDG_CACHE_HOME: "cache" }, "the default ~/.cache");
    expect(machineBinariesDir({ [MACHINE_CACHE_ENV]: MACHINE_CACHE_OFF, XDG_CACHE_HOME: "/xdg" })).toBeUndefined();
    // The same specs, the same folder: every checkout of this version finds the same fetch.
    expect(machineBinariesDir({ [MACHINE_CACHE_ENV]: "/srv/cache" })?.dir).toBe(first);
  });

  it("refuses a MONITORING_STACK_CACHE that is neither off nor an absolute folder, naming the value and the fix", () => {
    for (const value of ["OFF", "cache", "./cache"]) {
      expect(() => machineBinariesDir({ [MACHINE_CACHE_ENV]: value })).toThrow(
        new FetchBinariesError(
          `fetch-binaries: ${MACHINE_CACHE_ENV}=${value}: expected an absolute folder (the machine cache of the fetched ` +
            `binaries) or off to turn it off; a relative folder would name a different place from each working directory.`,
        ),
      );
    }
  });

  it("writes a manifest that tells apart names with spaces and line breaks", () => {
    inScratch("machine-cache-", (root) => {
      // Link "a b" to "c" and link "b" to "c a": with names written bare, both read `l c a b`.
      const one = join(root, "one");
      const two = join(root, "two");
      mkdirSync(one);
      mkdirSync(two);
      symlinkSync("c", join(one, "a b"));
      symlinkSync("c a", join(two, "b"));
      expect(treeManifest(one)).toBe('l "c" "a b"\n');
      expect(treeManifest(two)).toBe('l "c a" "b"\n');
      writeFileSync(join(one, "x\nf 644 0 y"), "");
      expect(treeManifest(one).split("\n")).toHaveLength(3);
    });
  });

  it("stores a folder with its source's manifest, copies it back only when whole and trusted", () => {
    inScratch("machine-cache-", (root) => {
      const source = join(root, "source");
      mkdirSync(join(source, "share"), { recursive: true });
      writeFileSync(join(source, "run"), "#!/bin/sh\necho run\n", { mode: 0o755 });
      writeFileSync(join(source, "share", "data.txt"), "data\n", { mode: 0o644 });
      symlinkSync("run", join(source, "alias"));
      const stored = join(root, "cache", "bin", "0123456789abcdef");
      expect(storeTree(source, stored)).toBe(true);
      const manifest = readFileSync(join(stored, MANIFEST), "utf8");
      expect(manifest).toBe(treeManifest(source));
      expect(manifest.split("\n")).toEqual([
        'l "run" "alias"',
        expect.stringMatching(/^f 755 [0-9a-f]{64} "run"$/),
        'd "share"',
        expect.stringMatching(/^f 644 [0-9a-f]{64} "share\/data\.txt"$/),
        "",
      ]);

      const copy = join(root, "copy");
      expect(copyStoredTree(stored, copy)).toBeUndefined();
      expect(treeManifest(copy)).toBe(manifest);
      expect(readFileSync(join(copy, "alias"), "utf8")).toBe("#!/bin/sh\necho run\n");

      const changed = join(root, "changed");
      chmodSync(stored, 0o777);
      expect(copyStoredTree(stored, changed)).toBe(`${stored} is writable by its group or others (mode 777)`);
      chmodSync(stored, 0o755);
      writeFileSync(join(stored, "share", "data.txt"), "changed\n");
      const digest = createHash("sha256").update("changed\n").digest("hex");
      expect(copyStoredTree(stored, changed)).toBe(
        `${stored} does not match its manifest.sha256: the copy has f 644 ${digest} "share/data.txt"`,
      );
      expect(existsSync(changed)).toBe(false);
      rmSync(join(stored, "share", "data.txt"));
      expect(copyStoredTree(stored, changed)).toBe(
        `${stored} does not match its manifest.sha256: the copy lacks ${manifest.split("\n")[3]}`,
      );

      // Stored already: kept unless the caller found it unusable, then replaced whole.
      expect(storeTree(source, stored)).toBe(false);
      expect(existsSync(join(stored, "share", "data.txt"))).toBe(false);
      expect(storeTree(source, stored, true)).toBe(true);
      expect(copyStoredTree(stored, join(root, "repaired"))).toBeUndefined();

      rmSync(join(stored, MANIFEST));
      expect(copyStoredTree(stored, changed)).toBe(`${stored} has no manifest.sha256`);
    });
  });

  it("swaps a folder in whole, and puts the old one back when the new one cannot be moved in", () => {
    inScratch("machine-cache-swap-", (root) => {
      const target = join(root, "target");
      mkdirSync(target);
      writeFileSync(join(target, "old"), "old\n");
      const staging = join(root, "staging");
      mkdirSync(staging);
      writeFileSync(join(staging, "new"), "new\n", { mode: 0o600 });
      chmodSync(staging, 0o700);
      swapIn(staging, target);
      expect(readdirSync(target)).toEqual(["new"]);
      expect(statSync(target).mode & 0o777).toBe(0o755);
      expect(readdirSync(root).sort()).toEqual(["target"]);

      // A folder cannot be moved into itself (EINVAL): the move in fails after the old folder was moved aside.
      const inside = join(root, "outer", "inner");
      mkdirSync(inside, { recursive: true });
      writeFileSync(join(inside, "kept"), "kept\n");
      expect(() => swapIn(join(root, "outer"), inside)).toThrow(/EINVAL/);
      expect(readFileSync(join(inside, "kept"), "utf8")).toBe("kept\n");
      expect(readdirSync(root).sort()).toEqual(["outer", "target"]);
    });
  });

  it("removes only stored folders unused for UNUSED_DAYS days and temporary folders of killed runs, nothing else", () => {
    inScratch("machine-cache-prune-", (root) => {
      const source = join(root, "source");
      mkdirSync(source);
      writeFileSync(join(source, "file"), "x");
      const bin = join(root, "cache", "bin");
      const day = 86_400_000;
      const aged = (name: string, ageMs: number, withManifest: boolean): void => {
        mkdirSync(join(bin, name), { recursive: true });
        if (withManifest) writeFileSync(join(bin, name, MANIFEST), "");
        const when = new Date(Date.now() - ageMs);
        utimesSync(join(bin, name), when, when);
      };
      aged("aaaaaaaaaaaaaaaa", (UNUSED_DAYS + 1) * day, true); // a stored folder nobody used for too long
      aged("bbbbbbbbbbbbbbbb", (UNUSED_DAYS - 1) * day, true); // another checkout's, still in use
      aged("cccccccccccccccc", (UNUSED_DAYS + 1) * day, false); // not a stored folder: no manifest
      aged("my-tool", (UNUSED_DAYS + 1) * day, true); // a user's own folder under a cache they pointed at
      aged("dddddddddddddddd.partial-abc", 60_000, false); // another run storing right now
      aged("dddddddddddddddd.partial-xyz", 2 * 3_600_000, false); // a killed run's
      expect(storeTree(source, join(bin, "eeeeeeeeeeeeeeee"))).toBe(true);
      expect(readdirSync(bin).sort()).toEqual([
        "bbbbbbbbbbbbbbbb",
        "cccccccccccccccc",
        "dddddddddddddddd.partial-abc",
        "eeeeeeeeeeeeeeee",
        "my-tool",
      ]);
    });
  });
});

describeWithBinaries("the machine cache of the real binaries", Object.keys(BINARIES), () => {
  it("gives a checkout the stored binaries after running each one's version probe, and refuses another version", () => {
    inScratch("machine-cache-bin-", (root) => {
      // The real binaries, linked rather than copied (the copy of 380 MB is what a fresh clone pays once, not a test).
      const linked = join(root, "linked");
      mkdirSync(linked);
      for (const name of readdirSync(binDir())) {
        if (name === "versions.json") copyFileSync(join(binDir(), name), join(linked, name));
        else symlinkSync(join(binDir(), name), join(linked, name));
      }
      const env = { [MACHINE_CACHE_ENV]: join(root, "cache") };
      const stored = machineBinariesDir(env)?.dir ?? "";
      storeTree(linked, stored);

      const dest = join(root, "checkout", ".cache", "bin");
      const lines: string[] = [];
      expect(ensureBinaries(dest, (line) => lines.push(line), env)).toBe("copied");
      expect(binariesUpToDate(dest)).toBe(true);
      expect(lines).toContain(`fetch-binaries: promtool ${pinnedVersions().promtool}`);
      expect(lines).toContain(`fetch-binaries: postgres ${pinnedVersions().postgres}`);
      expect(lines[lines.length - 1]).toBe(`fetch-binaries: copied from the machine cache ${stored} into ${dest}`);
      expect(ensureBinaries(dest, () => undefined, env)).toBe("up-to-date");

      // A real binary of another version under prometheus' name, its manifest rewritten to match: the version probe
      // refuses it.
      rmSync(join(stored, "prometheus"));
      symlinkSync(join(binDir(), BINARIES["blackbox-exporter"].fileNames[0]), join(stored, "prometheus"));
      writeFileSync(join(stored, MANIFEST), treeManifest(stored));
      const other = join(root, "other", "bin");
      expect(copyFromMachineCache(stored, other, () => undefined)).toMatch(
        `fetch-binaries: the cached binaries are not the pinned versions:\n  prometheus: reports ${pinnedVersions()["blackbox-exporter"]}, the stack deploys ${pinnedVersions().prometheus}`,
      );
      expect(existsSync(other)).toBe(false);
      expect(readdirSync(join(root, "other"))).toEqual([]);
    });
  });
});
