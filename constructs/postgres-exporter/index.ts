/** The postgres-exporter component (opt-in): a PostgreSQL server's metrics, its alerts and the PostgreSQL dashboard. */
import type { BinarySpec, ComponentInfo } from "../core/component";
import { POSTGRES_EXPORTER_DEFAULTS, POSTGRES_EXPORTER_VERSION, POSTGRES_SERVER_VERSION } from "./defaults";
import { PostgresExporterOptions, addPostgresExporter } from "./postgres-exporter";

export * from "./catalog";
export * from "./defaults";
export * from "./exposition";
export * from "./postgres-dashboard";
export * from "./postgres-exporter";
export * from "./rules";
export { postgresRuleTests } from "./rules.cases";

/** PostgreSQL's major version: the folder of its programs in Debian's package. */
const POSTGRES_MAJOR = POSTGRES_SERVER_VERSION.split(".")[0];

/** A PostgreSQL server program from Debian bookworm's postgresql-<major>, kept with its share/ and lib/. */
function postgresProgram(name: string, program: string): BinarySpec {
  return {
    name,
    debianPackage: `postgresql-${POSTGRES_MAJOR}`,
    fileNames: [name],
    version: POSTGRES_SERVER_VERSION,
    testedAgainst: true,
    suite: "bookworm",
    packagePath: `usr/lib/postgresql/${POSTGRES_MAJOR}/bin/${program}`,
    versionProbe: { args: ["--version"], pattern: /\(PostgreSQL\) (\d+\.\d+)/ },
  };
}

/** The postgres-exporter component, as the registry lists it. */
export const postgresExporterComponent: ComponentInfo = {
  name: "postgres-exporter",
  summary: "postgres_exporter (opt-in): a PostgreSQL server's connections, transactions, cache, locks and sizes",
  images: { "postgres-exporter": POSTGRES_EXPORTER_DEFAULTS.image },
  binaries: [
    {
      name: "postgres-exporter",
      debianPackage: "prometheus-postgres-exporter",
      fileNames: ["prometheus-postgres-exporter", "postgres_exporter"],
      version: POSTGRES_EXPORTER_VERSION,
    },
    // The server the end-to-end suite runs the exporter against (the stack never deploys it).
    postgresProgram("postgres", "postgres"),
    postgresProgram("postgres-initdb", "initdb"),
  ],
  enabled: {
    variable: "POSTGRES_EXPORTER_ENABLED",
    default: false,
    description:
      "Deploy postgres_exporter for one PostgreSQL server (POSTGRES_EXPORTER_TARGET), its alerts and dashboard",
  },
  settings: [
    {
      env: "POSTGRES_EXPORTER_TARGET",
      path: "target",
      kind: "string",
      description: "The PostgreSQL server, host:port",
    },
    {
      env: "POSTGRES_EXPORTER_USER",
      path: "user",
      kind: "string",
      description: "The login postgres_exporter queries with",
      default: POSTGRES_EXPORTER_DEFAULTS.user,
    },
    {
      env: "POSTGRES_EXPORTER_PASSWORD_FILE",
      path: "passwordFile",
      kind: "string",
      description: "Absolute path on the Docker host of a file holding that login's password (mounted read-only)",
    },
  ],
  add: (stack, options) => addPostgresExporter(stack, options as unknown as PostgresExporterOptions),
};
