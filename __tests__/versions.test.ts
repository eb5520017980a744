import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkImage } from "../constructs/validation";
import { IMAGES, PROVIDERS } from "../constructs/versions";
import { API_IMAGE_INPUTS } from "../main";
import { binaryVersion, describeWithBinaries, isCi } from "./support/prometheus-binaries";

const root = join(__dirname, "..");

/** `prom/prometheus:v3.5.3` -> `3.5.3`. */
function tagVersion(image: string): string {
  return image.split(":")[1].replace(/^v/, "");
}

describe("constructs/versions.ts is the one home of every image tag", () => {
  it.each(Object.entries(IMAGES))("%s is pinned to a version tag", (_name, image) => {
    expect(checkImage("image", image)).toEqual([]);
  });

  it("the API Dockerfile's default base image is IMAGES.node", () => {
    const dockerfile = readFileSync(join(root, "app", "Dockerfile"), "utf8");
    expect(dockerfile.split("\n")[0]).toBe(`ARG NODE_IMAGE=${IMAGES.node}`);
  });

  it("the API image's hashed inputs are exactly what its Dockerfile copies from the build context", () => {
    const dockerfile = readFileSync(join(root, "app", "Dockerfile"), "utf8");
    const copied = dockerfile
      .split("\n")
      .filter((line) => line.startsWith("COPY ") && !line.startsWith("COPY --from"))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect([...new Set(copied)].sort()).toEqual([...API_IMAGE_INPUTS].sort());
  });

  it("the provider schema the bindings are checked against is the pinned Grafana provider version", () => {
    const schema = process.env.GRAFANA_PROVIDER_SCHEMA;
    if (schema === undefined) {
      if (isCi())
        throw new Error("CI=true: set GRAFANA_PROVIDER_SCHEMA (.ci/run points it at ../shared/provider-schemas/)");
      console.warn("GRAFANA_PROVIDER_SCHEMA is not set: the schema version cannot be compared with PROVIDERS.grafana");
      return;
    }
    expect(basename(schema)).toBe(`grafana-${PROVIDERS.grafana.version}.json`);
  });
});

describeWithBinaries("the tested binaries are the deployed versions", ["prometheus", "alertmanager"], () => {
  it("the Prometheus the tests run is the version of IMAGES.prometheus", () => {
    expect(binaryVersion("prometheus")).toBe(tagVersion(IMAGES.prometheus));
  });

  it("the Alertmanager amtool checks against is the version of IMAGES.alertmanager", () => {
    expect(binaryVersion("alertmanager")).toBe(tagVersion(IMAGES.alertmanager));
  });
});
