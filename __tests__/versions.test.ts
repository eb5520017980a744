import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { DEMO_API_DEFAULTS } from "../constructs/api/defaults";
import { COMPONENTS, IMAGES } from "../constructs/components";
import { checkImage } from "../constructs/core/validation";
import { PROVIDERS } from "./support/versions";
import { API_IMAGE_INPUTS } from "../main";
import { extractPath } from "../scripts/provider-schema";
import { BINARIES, binaryVersion, describeWithBinaries, type PrometheusBinary } from "./support/prometheus-binaries";

const root = join(__dirname, "..");

/** `prom/prometheus:v3.5.3` -> `3.5.3`. */
function tagVersion(image: string): string {
  return image.split(":")[1].replace(/^v/, "");
}

/** Every image of every component: [component, image name, image]. */
const componentImages = COMPONENTS.flatMap((component) =>
  Object.entries(component.images).map(([name, image]) => [component.name, name, image] as const),
);

/**
 * Every Debian binary of every component that its image runs: [component, binary name, version, the component's
 * images]. The servers an exporter is tested against (`testedAgainst`) have no image of the stack.
 */
const componentBinaries = COMPONENTS.flatMap((component) =>
  (component.binaries ?? [])
    .filter((binary) => binary.testedAgainst !== true)
    .map((binary) => [component.name, binary.name, binary.version, Object.values(component.images)] as const),
);

describe("constructs/components.ts lists every image tag, each pinned", () => {
  it.each(componentImages)("%s's image %s (%s) is pinned to a version tag", (_component, _name, image) => {
    expect(checkImage("image", image)).toEqual([]);
  });

  it("names every image once: IMAGES holds each component's images under their names", () => {
    expect(Object.keys(IMAGES)).toHaveLength(componentImages.length);
    for (const [, name, image] of componentImages) expect(IMAGES[name]).toBe(image);
  });

  it("the API Dockerfile's default base image is the demo API's default image", () => {
    const dockerfile = readFileSync(join(root, "app", "Dockerfile"), "utf8");
    expect(dockerfile.split("\n")[0]).toBe(`ARG NODE_IMAGE=${DEMO_API_DEFAULTS.image}`);
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

  it("some components run Debian binaries in the tests", () => {
    expect(componentBinaries.length).toBeGreaterThan(0);
  });

  it.each(componentBinaries)(
    "%s's Debian binary %s is pinned to %s, the version of the component's image tag",
    (_component, _binary, version, images) => {
      expect(images.map(tagVersion)).toEqual([version]);
    },
  );
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
