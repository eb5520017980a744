/**
 * The exporter components' community dashboards (from the exporters' own projects, fetched from Debian's archive at
 * the versions the components pin, as `scripts/community-dashboards.manifest.json` names them), judged against the
 * exporter component's
 * catalog: every metric their panels query must be in it. The catalog is the real exporter's exposition (checked in
 * exporters-e2e.test.ts), so a metric missing here is one the tested exporter does not expose. Their panels with data
 * against the real exporters are reported by exporters-e2e.test.ts.
 */
import { existsSync } from "node:fs";
import { BINARIES, COMPONENTS } from "../constructs/components";
import { POSTGRES_EXPORTER_CATALOG } from "../constructs/postgres-exporter";
import { REDIS_EXPORTER_CATALOG } from "../constructs/redis-exporter";
import { SCRAPE_SERIES } from "../dashboards";
import { dashboardFile } from "../scripts/fetch-dashboards";
import {
  communityQueries,
  exporterDashboardEntries,
  loadDashboard,
  queryMetricNames,
} from "./support/community-dashboards";

/** Each exporter component's catalog, by component name. */
const CATALOGS: Readonly<Record<string, readonly string[]>> = {
  "postgres-exporter": POSTGRES_EXPORTER_CATALOG,
  "redis-exporter": REDIS_EXPORTER_CATALOG,
};

const entries = exporterDashboardEntries();

describe("the exporter components' community dashboards", () => {
  // nginx-prometheus-exporter's dashboard is not fetchable: Debian's archive here serves neither its orig tarball
  // nor a package that ships it (docs/exporters.md), so the nginx-exporter component has no community dashboard.
  it("has one per exporter component with a fetchable dashboard, each pinned to the version the component deploys", () => {
    expect(entries.map((entry) => entry.component).sort()).toEqual(Object.keys(CATALOGS).sort());
    for (const entry of entries) {
      expect(COMPONENTS.map((component) => component.name)).toContain(entry.component);
      // The Debian source the exporter binary comes from, at the version the stack deploys.
      const binary = Object.values(BINARIES).find((spec) => spec.debianPackage === entry.debianSource);
      expect({ name: entry.name, version: binary?.version }).toEqual({ name: entry.name, version: entry.version });
      expect(entry.archive.pool).toMatch(
        new RegExp(
          `^pool/main/${entry.debianSource[0]}/${entry.debianSource}/${entry.debianSource}_${entry.version.replace(/\./g, "\\.")}[._-]`,
        ),
      );
      expect(entry.archive.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.upstream).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
      expect(["Apache-2.0", "MIT"]).toContain(entry.licence);
      expect({ name: entry.name, fetched: existsSync(dashboardFile(entry)) }).toEqual({
        name: entry.name,
        fetched: true,
      });
    }
  });

  it.each(entries.map((entry) => [entry.name, entry] as const))(
    "%s queries only metrics its exporter component's catalog declares",
    (_file, entry) => {
      const model = loadDashboard(entry);
      expect(model.title).toBe(entry.title);
      const queries = communityQueries(model);
      expect(queries.length).toBeGreaterThan(0);
      const used = [...new Set(queries.flatMap((query) => queryMetricNames(model, query.expr)))].sort();
      expect(used.length).toBeGreaterThan(0);
      const known = new Set([...CATALOGS[entry.component], ...SCRAPE_SERIES]);
      expect({ name: entry.name, missing: used.filter((name) => !known.has(name)) }).toEqual({
        name: entry.name,
        missing: [],
      });
    },
  );
});
