/**
 * The Terraform addresses of the default stack are a contract: a construct id is part of each address, and a changed
 * address replaces the resource on the next deploy. The default stack, as `npm run synth` builds it from an empty
 * environment, keeps every address it had before the component layout (the committed list, taken from main at
 * f493745), and has no other.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { buildMonitoringStack, readAppInputs } from "../main";
import { testApp } from "./support/stack";

interface Fixture {
  readonly addresses: readonly string[];
}

/** Every address of a synthesized stack: resources, outputs, variables, locals and providers. */
function addressesOf(json: Record<string, Record<string, Record<string, unknown>> | undefined>): string[] {
  const names = (block: string, prefix: string) => Object.keys(json[block] ?? {}).map((name) => `${prefix}${name}`);
  return [
    ...Object.entries(json.resource ?? {}).flatMap(([type, resources]) =>
      Object.keys(resources).map((name) => `${type}.${name}`),
    ),
    ...names("output", "output."),
    ...names("variable", "var."),
    ...names("locals", "local."),
    ...names("provider", "provider."),
  ].sort();
}

describe("the default stack's Terraform addresses", () => {
  const fixture = JSON.parse(
    readFileSync(join(__dirname, "fixtures", "default-stack-addresses.json"), "utf8"),
  ) as Fixture;

  it("are exactly those it had before the component layout", () => {
    // given the stack main.ts builds from an empty environment, with the project's files
    const { app } = testApp();
    const stack = buildMonitoringStack(app, readAppInputs("cdktf.out", {}));
    // when
    const json = JSON.parse(Testing.synth(stack)) as Parameters<typeof addressesOf>[0];
    // then
    expect(addressesOf(json)).toEqual([...fixture.addresses].sort());
  });

  it("notices an address the list does not hold (the comparison can fail)", () => {
    const { app } = testApp();
    const stack = buildMonitoringStack(app, readAppInputs("cdktf.out", { MONITORING_NETWORK: "monitoring" }));
    stack.addService("orders", { image: "ghcr.io/acme/orders:1.4.2", port: 8080 });
    const json = JSON.parse(Testing.synth(stack)) as Parameters<typeof addressesOf>[0];
    expect(addressesOf(json)).not.toEqual([...fixture.addresses].sort());
    expect(addressesOf(json).filter((address) => !fixture.addresses.includes(address))).toEqual([
      "docker_container.Orders_Container_A58081B6",
      "docker_image.Orders_Image_4361583C",
    ]);
  });
});
