/**
 * The Docker suite's applier, without an engine: it refuses what it does not map and resolves build paths exactly as
 * provider 3.6.2 does. (A pulled image is looked up on the engine first, as the provider's findImage does: here that
 * lookup gets no answer, so the pull is refused.) (Its behaviour against a real engine is docker-deploy.test.ts.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { DockerApplier, TerraformJson, checkAllMapped, resolveBuildPaths } from "./support/docker/applier";
import { synthMonitoringStack } from "./support/stack";

/** An engine that is never there: every test here must fail before talking to it. */
const noEngine = new Docker({ socketPath: "/nonexistent/docker.sock" });

function withStack(json: TerraformJson, run: (stackDir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "applier-"));
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(json));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("the test applier refuses what it does not map", () => {
  const stack = () =>
    JSON.parse(synthMonitoringStack({ alertmanager: { enabled: true } }).synthesized) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };

  it("maps every attribute the stack synthesizes", () => {
    expect(() => checkAllMapped(stack() as unknown as TerraformJson)).not.toThrow();
  });

  it("fails when a container has an attribute it does not map", () => {
    const json = stack();
    const [name, container] = Object.entries(json.resource.docker_container ?? {})[0] ?? [];
    json.resource.docker_container = { [String(name)]: { ...container, privileged: true } };
    expect(() => checkAllMapped(json as unknown as TerraformJson)).toThrow(
      `docker_container.${String(name)}: the test applier does not map "privileged"`,
    );
  });

  it("fails when a nested block has an attribute it does not map", () => {
    const json = stack();
    const [name, container] = Object.entries(json.resource.docker_container ?? {})[0] ?? [];
    const healthcheck = { ...(container?.healthcheck as object), start_interval: "1s" };
    json.resource.docker_container = { [String(name)]: { ...container, healthcheck } };
    expect(() => checkAllMapped(json as unknown as TerraformJson)).toThrow(
      /healthcheck: the test applier does not map "start_interval"/,
    );
  });

  it("fails on an interpolation it cannot resolve, before creating anything", async () => {
    await withStack({ resource: { docker_network: { n: { name: "${var.missing}" } } } }, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "docker_network.n: ${var.missing} has no literal default the applier can use",
      );
    });
    await withStack({ resource: { docker_network: { n: { name: "${data.x.y}" } } } }, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "docker_network.n: the applier cannot resolve the interpolation ${data.x.y}",
      );
    });
  });

  it("fails on a resource type or a pulled image it cannot create here", async () => {
    await withStack({ resource: { docker_volume: { v: { name: "v" } } } }, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "resource type docker_volume is not mapped by the test applier",
      );
    });
    await withStack({ resource: { docker_image: { i: { name: "redis:7" } } } }, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "docker_image.i: pulls redis:7: it is not on the engine (or no engine answered) and no registry is reachable here",
      );
    });
  });
});

describe("build paths resolve as provider 3.6.2 resolves them", () => {
  let root: string;
  let stackDir: string;
  let context: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "build-paths-"));
    stackDir = join(root, "cdktf.out", "stacks", "monitoring");
    context = join(root, "app");
    mkdirSync(stackDir, { recursive: true });
    mkdirSync(context);
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\n");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("a relative context is relative to the working directory (the stack folder)", () => {
    expect(resolveBuildPaths(stackDir, "../../../app", "Dockerfile").contextDir).toBe(context);
  });

  it("with no Dockerfile in the working directory, the daemon reads it relative to the context", () => {
    expect(resolveBuildPaths(stackDir, context, "Dockerfile")).toEqual({
      contextDir: context,
      dockerfile: "Dockerfile",
    });
  });

  it("a Dockerfile in the working directory wins, even outside the context (the hazard the stack avoids)", () => {
    writeFileSync(join(stackDir, "Dockerfile"), "FROM other\n");
    expect(resolveBuildPaths(stackDir, context, "Dockerfile")).toEqual({
      contextDir: context,
      dockerfile: "Dockerfile",
      outsideContext: join(stackDir, "Dockerfile"),
    });
  });

  it("fails when the context is not a directory", () => {
    expect(() => resolveBuildPaths(stackDir, "missing", "Dockerfile")).toThrow(
      `build context ${join(stackDir, "missing")} is not a directory`,
    );
  });
});
