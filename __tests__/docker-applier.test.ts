/**
 * The Docker suite's applier, without an engine: it refuses what it does not map, reports what cannot run here, and
 * resolves build paths and plans container changes exactly as provider 3.6.2 does. (A pulled image is looked up on the engine first, as the
 * provider's findImage does: here that lookup gets no answer, so the image, and its container, are not run.) (Its
 * behaviour against a real engine is docker-deploy.test.ts.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import {
  DockerApplier,
  TerraformJson,
  checkAllMapped,
  planContainerChange,
  resolveBuildPaths,
} from "./support/docker/applier";
import { containerNamed, newTestStack, synthJson, synthMonitoringStack } from "./support/stack";

/** An engine that is never there: every test here must fail before talking to it. */
const noEngine = new Docker({ socketPath: "/nonexistent/docker.sock" });

function withStack(json: TerraformJson, run: (stackDir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "applier-"));
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(json));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("the test applier refuses what it does not map", () => {
  const stack = () =>
    JSON.parse(synthMonitoringStack({}, { ALERTMANAGER_ENABLED: "true", CADVISOR_ENABLED: "true" }).synthesized) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };

  it("maps every attribute the stack synthesizes", () => {
    expect(() => checkAllMapped(stack() as unknown as TerraformJson)).not.toThrow();
  });

  it("fails when a container has an attribute it does not map", () => {
    const json = stack();
    const [name, container] = Object.entries(json.resource.docker_container ?? {})[0] ?? [];
    json.resource.docker_container = { [String(name)]: { ...container, sysctls: { "net.core.somaxconn": "1024" } } };
    expect(() => checkAllMapped(json as unknown as TerraformJson)).toThrow(
      `docker_container.${String(name)}: the test applier does not map "sysctls"`,
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

  it("fails on a resource type it does not map", async () => {
    await withStack({ resource: { docker_volume: { v: { name: "v" } } } }, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "resource type docker_volume is not mapped by the test applier",
      );
    });
  });

  it("reports a pulled image that is not here, what is built FROM it and what runs them, as not run", async () => {
    const json = {
      resource: {
        docker_image: {
          pulled: { name: "ghcr.io/acme/orders:1.4.2", keep_locally: true },
          built: { name: "monitoring-orders:local", build: { context: "/x", build_args: { BASE_IMAGE: "redis:7.4" } } },
        },
        docker_container: {
          orders: { name: "monitoring-orders", image: "${docker_image.pulled.image_id}" },
          cache: { name: "monitoring-cache", image: "${docker_image.built.image_id}" },
        },
      },
      provider: { grafana: [{ url: "http://127.0.0.1:3000" }] },
    } as unknown as TerraformJson;
    await withStack(json, async (dir) => {
      const report = await new DockerApplier(noEngine, "t").apply(dir);
      expect(report.notRun).toEqual([
        { address: "provider.grafana", reason: "no provider downloads here" },
        {
          address: "docker_image.built",
          reason: "builds FROM redis:7.4, which is not here (no stand-in has this tag)",
        },
        {
          address: "docker_image.pulled",
          reason: "pulls ghcr.io/acme/orders:1.4.2: no registry answers here and no stand-in has this tag",
        },
        { address: "docker_container.cache", reason: "runs docker_image.built, which is not run here" },
        { address: "docker_container.orders", reason: "runs docker_image.pulled, which is not run here" },
      ]);
      expect(report.created).toEqual([]);
    });
  });
});

describe("the test applier with provider aliases (one per host)", () => {
  it("maps every attribute of a stack with extra hosts, the provider aliases included", () => {
    const { synthesized } = synthMonitoringStack(
      {},
      { MONITORING_HOSTS: "edge-1=unix:///run/edge-1/docker.sock", PROMETHEUS_BIND_ADDRESS: "10.0.0.1" },
    );
    expect(() => checkAllMapped(JSON.parse(synthesized) as TerraformJson)).not.toThrow();
  });

  it("fails on a provider alias whose host it cannot reach (tcp://, ssh://), before creating anything", async () => {
    const json = {
      provider: { docker: [{}, { alias: "edge-1", host: "ssh://ops@10.0.0.5" }] },
      resource: { docker_network: { n: { name: "monitoring", provider: "docker.edge-1" } } },
    } as unknown as TerraformJson;
    await withStack(json, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        "provider.docker[1] (edge-1): the applier reaches only unix:// engines, not ssh://ops@10.0.0.5",
      );
    });
  });

  it("fails on a resource whose provider is no docker provider of cdk.tf.json", async () => {
    const json = {
      provider: { docker: [{}] },
      resource: { docker_network: { n: { name: "monitoring", provider: "docker.edge-9" } } },
    } as unknown as TerraformJson;
    await withStack(json, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        'docker_network.n: provider "docker.edge-9" is no docker provider of cdk.tf.json',
      );
    });
  });

  it("fails on provider settings it does not map", async () => {
    const json = {
      provider: { docker: [{ alias: "edge-1", host: "unix:///x.sock", cert_path: "/certs" }] },
      resource: {},
    } as unknown as TerraformJson;
    await withStack(json, async (dir) => {
      await expect(new DockerApplier(noEngine, "t").apply(dir)).rejects.toThrow(
        'provider.docker[0]: the test applier does not map "cert_path"',
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

describe("the test applier plans a container change as provider 3.6.2 does", () => {
  // A synthesized container of the stack (the API's), its interpolations left as they are: they compare as strings.
  let synthesized: Record<string, unknown> | undefined;
  const api = (): Record<string, unknown> => {
    if (synthesized === undefined) {
      const json = JSON.parse(synthMonitoringStack({}, {}).synthesized) as {
        resource: { docker_container: Record<string, Record<string, unknown>> };
      };
      synthesized = Object.values(json.resource.docker_container).find((item) => item.name === "monitoring-api");
      if (synthesized === undefined) throw new Error("no monitoring-api container");
    }
    return structuredClone(synthesized);
  };
  const plan = (change: (config: Record<string, unknown>) => void) => {
    const next = api();
    change(next);
    return planContainerChange(api() as never, next as never);
  };

  it("nothing changed: none", () => {
    expect(plan(() => undefined)).toBe("none");
  });

  it("a ForceNew attribute (env, ports, labels, image, user): replace", () => {
    expect(plan((config) => (config.env = ["A=1"]))).toBe("replace");
    expect(plan((config) => (config.user = "1001:1001"))).toBe("replace");
    expect(plan((config) => (config.labels = []))).toBe("replace");
    expect(plan((config) => (config.image = "other"))).toBe("replace");
    expect(plan((config) => ((config.ports as { external: number }[])[0].external = 18000))).toBe("replace");
  });

  it("restart or memory: updated in place (docker update), the container kept", () => {
    expect(plan((config) => (config.memory = 512))).toBe("update in place");
    expect(plan((config) => (config.restart = "always"))).toBe("update in place");
  });

  it("healthcheck or tmpfs alone: only the state changes (kreuzwerker/terraform-provider-docker#988)", () => {
    expect(plan((config) => (config.tmpfs = { "/tmp": "rw,size=1m" }))).toBe("state only");
    expect(plan((config) => ((config.healthcheck as { retries: number }).retries = 1))).toBe("state only");
    expect(plan((config) => (config.wait_timeout = 1))).toBe("state only");
  });

  it("the stack's own tmpfs change replaces the container, through its replace-on-change label", () => {
    const orders = (tmpfs: Record<string, string>) => {
      const stack = newTestStack();
      stack.addService("orders", { image: "acme/orders:1.0.0", port: 8080, tmpfs });
      return containerNamed(synthJson(stack), "monitoring-orders") as never;
    };
    expect(planContainerChange(orders({ "/tmp": "rw,size=16m" }), orders({ "/tmp": "rw,size=32m" }))).toBe("replace");
  });

  it("a meta-argument (depends_on, lifecycle) is no change of the container", () => {
    expect(plan((config) => (config.depends_on = ["docker_container.other"]))).toBe("none");
  });

  it("log_opts, which lifecycle.ignore_changes names (the daemon adds its defaults): not compared", () => {
    expect(plan((config) => (config.log_opts = { "max-size": "10m", "max-file": "3", mode: "non-blocking" }))).toBe(
      "none",
    );
    // Without the ignore, the same difference is a ForceNew change.
    expect(
      plan((config) => {
        config.log_opts = { "max-size": "10m", "max-file": "3", mode: "non-blocking" };
        delete config.lifecycle;
      }),
    ).toBe("replace");
  });
});
