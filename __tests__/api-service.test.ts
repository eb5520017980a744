import { Testing } from "cdktf";
import { Construct } from "constructs";
import { DemoApiProps, addDemoApi, demoApiService } from "../constructs/api";
import { MonitoringNetwork } from "../constructs/core/network";
import { Service } from "../constructs/core/service";
import { IMAGES } from "./support/versions";
import { TEST_API, newTestStack, synthJson } from "./support/stack";
import { HEALTHCHECK_COMMAND } from "@monitoring-stack/api/contract";

function synthApi(props: Partial<DemoApiProps> = {}): { synthesized: string; api: Service } {
  let api: Service | undefined;
  const synthesized = Testing.synthScope((scope: Construct) => {
    const network = new MonitoringNetwork(scope, "Network");
    const options = demoApiService({ buildContext: "/project/app", ...props });
    api = new Service(scope, "Api", { ...options, name: "api", network });
  });
  return { synthesized, api: api as Service };
}

function container(synthesized: string): Record<string, unknown> {
  const json = JSON.parse(synthesized) as { resource: { docker_container: Record<string, Record<string, unknown>> } };
  return Object.values(json.resource.docker_container)[0];
}

describe("demoApiService", () => {
  it("builds the image from the build context with the pinned Node image as build arg", () => {
    const { synthesized } = synthApi();
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      {
        name: "monitoring-api:local",
        build: { context: "/project/app", dockerfile: "Dockerfile", build_args: { NODE_IMAGE: IMAGES.node } },
      },
    );
  });

  it("rebuilds the image when the source hash changes", () => {
    const { synthesized } = synthApi({ sourceHash: "abc123" });
    expect(synthesized).toHaveResourceWithProperties(
      { tfResourceType: "docker_image" },
      { triggers: { source_sha256: "abc123" } },
    );
  });

  it("runs on the network with alias api, listening on 8000", () => {
    const { synthesized } = synthApi();
    const networkKey = Object.keys(JSON.parse(synthesized).resource.docker_network)[0];
    expect(container(synthesized)).toMatchObject({
      name: "monitoring-api",
      networks_advanced: [{ name: `\${docker_network.${networkKey}.name}`, aliases: ["api"] }],
      env: ["HOST=0.0.0.0", "PORT=8000", "LOG_LEVEL=info", "NODE_ENV=production"],
    });
  });

  it("publishes port 8000 on 127.0.0.1 by default", () => {
    const { synthesized, api } = synthApi();
    expect(container(synthesized).ports).toEqual([
      { internal: 8000, external: 8000, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    expect(api.hostUrl).toBe("http://127.0.0.1:8000");
  });

  it("publishes on the host port and address given", () => {
    const { synthesized, api } = synthApi({ hostPort: 18000, bindAddress: "0.0.0.0" });
    expect(container(synthesized).ports).toEqual([{ internal: 8000, external: 18000, ip: "0.0.0.0", protocol: "tcp" }]);
    // Bound to every interface, it is still reached through loopback from this host.
    expect(api.hostUrl).toBe("http://127.0.0.1:18000");
  });

  it("limits memory to 256 MiB by default and to memoryMb when given", () => {
    expect(container(synthApi().synthesized)).toMatchObject({ memory: 256, memory_swap: 256 });
    expect(container(synthApi({ memoryMb: 512 }).synthesized)).toMatchObject({ memory: 512, memory_swap: 512 });
  });

  it("passes the log level to the API", () => {
    expect(container(synthApi({ logLevel: "debug" }).synthesized).env).toContain("LOG_LEVEL=debug");
  });

  it("checks health with the image's own HEALTHCHECK command (node's fetch; the image has no curl)", () => {
    const api = container(synthApi().synthesized);
    expect((api.healthcheck as { test: string[] }).test).toEqual(["CMD", ...HEALTHCHECK_COMMAND]);
    // The command reads the port from PORT, which the container sets.
    expect(api.env).toContain("PORT=8000");
  });

  it("runs as the node user with a writable /tmp only", () => {
    expect(container(synthApi().synthesized)).toMatchObject({
      user: "1000:1000",
      read_only: true,
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
    });
  });

  it("exposes its scrape target: its alias and internal port on the network", () => {
    expect(synthApi().api.scrapeTargets).toEqual([
      { jobName: "api", host: "api", port: 8000, metricsPath: "/metrics" },
    ]);
  });
});

describe("addDemoApi", () => {
  /** The messages of every problem of a stack the demo API was added to with `props`. */
  function apiProblems(props: Partial<DemoApiProps>): string[] {
    const stack = newTestStack();
    addDemoApi(stack, { ...TEST_API, ...props });
    return stack.configProblems().map((problem) => problem.message);
  }

  it("adds the demo API as the service api, valid by default", () => {
    const stack = newTestStack();
    const api = addDemoApi(stack, TEST_API);
    expect(stack.services.get("api")).toBe(api);
    expect(stack.configProblems()).toEqual([]);
  });

  it("fails when hostPort is out of range", () => {
    expect(apiProblems({ hostPort: 0 })).toEqual(["api.hostPort must be an integer between 1 and 65535 (got 0)"]);
  });

  it("fails when the base image is latest", () => {
    expect(apiProblems({ image: "node:latest" })).toEqual([
      'api.image must be pinned to a version tag, not "latest", so every deploy runs the same image (got "node:latest")',
    ]);
  });

  it("fails when the log level is unknown", () => {
    expect(apiProblems({ logLevel: "loud" as "info" })).toEqual([
      'api.logLevel must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it("fails when the memory limit is too small", () => {
    expect(apiProblems({ memoryMb: 16 })).toEqual(["api.memoryMb must be an integer between 64 and 65536 (got 16)"]);
  });

  it("fails when the bind address is not an IPv4 address", () => {
    expect(apiProblems({ bindAddress: "localhost" })).toEqual([
      'api.bindAddress must be an IPv4 address such as "127.0.0.1" (loopback only) or "0.0.0.0" (every interface) (got "localhost")',
    ]);
  });

  it("fails when the build context is empty", () => {
    // Checked once, by Service (the service's build context).
    expect(apiProblems({ buildContext: " " })).toEqual([
      'api.build.context must be the path of a Docker build context (got " ")',
    ]);
  });

  it("reports every invalid setting at once, when the stack is synthesized", () => {
    const stack = newTestStack();
    addDemoApi(stack, { ...TEST_API, hostPort: 0, memoryMb: 1 });
    expect(() => synthJson(stack)).toThrow(
      'MonitoringStack "monitoring": 2 invalid settings:\n' +
        "  - api.hostPort must be an integer between 1 and 65535 (got 0)\n" +
        "  - api.memoryMb must be an integer between 64 and 65536 (got 1)",
    );
  });
});
