/**
 * The exporter components' community dashboards (one per exporter, from the exporters' own repositories, copied
 * verbatim with source, commit and licence in `exporters-manifest.json`), judged against the exporter component's
 * catalog: every metric their panels query must be in it. The catalog is the real exporter's exposition (checked in
 * exporters-e2e.test.ts), so a metric missing here is one the tested exporter does not expose. Their panels with data
 * against the real exporters are reported by exporters-e2e.test.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { COMPONENTS } from "../constructs/components";
import { NGINX_EXPORTER_CATALOG } from "../constructs/nginx-exporter";
import { POSTGRES_EXPORTER_CATALOG } from "../constructs/postgres-exporter";
import { REDIS_EXPORTER_CATALOG } from "../constructs/redis-exporter";
import { SCRAPE_SERIES } from "../dashboards";
import {
  COMMUNITY_DASHBOARDS_DIR,
  communityQueries,
  exporterDashboardEntries,
  loadDashboard,
  queryMetricNames,
} from "./support/community-dashboards";

/** Each exporter component's catalog, by component name. */
const CATALOGS: Readonly<Record<string, readonly string[]>> = {
  "postgres-exporter": POSTGRES_EXPORTER_CATALOG,
  "redis-exporter": REDIS_EXPORTER_CATALOG,
  "nginx-exporter": NGINX_EXPORTER_CATALOG,
};

const entries = exporterDashboardEntries();

describe("the exporter components' community dashboards", () => {
  it("has one per exporter component, each with its source, a full commit and a permissive licence", () => {
    expect(entries.map((entry) => entry.component).sort()).toEqual(Object.keys(CATALOGS).sort());
    for (const entry of entries) {
      expect(COMPONENTS.map((component) => component.name)).toContain(entry.component);
      expect(existsSync(join(COMMUNITY_DASHBOARDS_DIR, entry.file))).toBe(true);
      expect(entry.repository).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
      expect(entry.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(["Apache-2.0", "MIT"]).toContain(entry.licence);
    }
  });

  it.each(entries.map((entry) => [entry.file, entry] as const))(
    "%s queries only metrics its exporter component's catalog declares",
    (_file, entry) => {
      const model = loadDashboard(entry);
      const queries = communityQueries(model);
      expect(queries.length).toBeGreaterThan(0);
      const used = [...new Set(queries.flatMap((query) => queryMetricNames(model, query.expr)))].sort();
      expect(used.length).toBeGreaterThan(0);
      const known = new Set([...CATALOGS[entry.component], ...SCRAPE_SERIES]);
      expect({ file: entry.file, missing: used.filter((name) => !known.has(name)) }).toEqual({
        file: entry.file,
        missing: [],
      });
    },
  );
});
