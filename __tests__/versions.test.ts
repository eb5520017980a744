import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkImage } from "../constructs/core/validation";
import { IMAGES, PROVIDERS, VERSIONS } from "./support/versions";
import { API_IMAGE_INPUTS } from "../main";
import { extractPath } from "../scripts/provider-schema";
import { BINARIES, binaryVersion, describeWithBinaries, type PrometheusBinary } from "./support/prometheus-binaries";

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

  it("the committed provider schema extract is of the pinned Grafana provider version", () => {
    const extract = JSON.parse(readFileSync(extractPath(), "utf8")) as { provider_version?: unknown };

    expect(basename(extractPath())).toBe(`grafana-${PROVIDERS.grafana.version}.json`);
    expect(extract.provider_version).toBe(PROVIDERS.grafana.version);
  });

  it("the Prometheus and Alertmanager image tags are the pinned versions", () => {
    expect([tagVersion(IMAGES.prometheus), tagVersion(IMAGES.alertmanager)]).toEqual([
      VERSIONS.prometheus,
      VERSIONS.alertmanager,
    ]);
  });
});

describeWithBinaries(
  "the tested binaries are the deployed versions",
  Object.keys(BINARIES) as PrometheusBinary[],
  () => {
    it.each(Object.entries(BINARIES))("%s reports the pinned version", (name, spec) => {
      expect(binaryVersion(name as PrometheusBinary)).toBe(spec.version);
    });
  },
);
