import { Testing } from "cdktf";
import type { DemoApiProps } from "../../constructs/api-service";
import { MonitoringStack, MonitoringStackProps, STACK_NAME } from "../../constructs/monitoring-stack";
import { buildMonitoringStack } from "../../main";

/** The demo API's settings in every test stack; paths are fixed so snapshots do not depend on the machine. */
export const TEST_API: DemoApiProps = { buildContext: "/project/app", sourceHash: "0".repeat(64) };

/** Props every test stack needs; paths are fixed so snapshots do not depend on the machine. */
export const TEST_STACK_PROPS: MonitoringStackProps = {
  grafanaAdminPasswordFile: {
    pathFromStackDir: "../../../.secrets/grafana-admin-password",
    pathForHumans: ".secrets/grafana-admin-password",
  },
};

/** Builds the whole stack as main.ts does (the demo API through the public API) in a test app and synthesizes it. */
export function synthMonitoringStack(
  overrides: Partial<MonitoringStackProps> = {},
  api: Partial<DemoApiProps> = {},
): {
  readonly stack: MonitoringStack;
  readonly synthesized: string;
  readonly json: TerraformJson;
} {
  const stack = buildMonitoringStack(Testing.app(), {
    props: { ...TEST_STACK_PROPS, ...overrides },
    api: { ...TEST_API, ...api },
  });
  const synthesized = Testing.synth(stack);
  return { stack, synthesized, json: JSON.parse(synthesized) as TerraformJson };
}

/** The parts of the synthesized Terraform JSON the tests read. */
export interface TerraformJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider: Record<string, Record<string, unknown>[]>;
  readonly output: Record<string, { value: unknown; description?: string }>;
  readonly variable: Record<string, Record<string, unknown>>;
  readonly locals: Record<string, unknown>;
  readonly terraform: { required_providers: Record<string, { source: string; version?: string }> };
}

/** The one resource of `type` in the synthesized JSON; fails when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): Record<string, unknown> {
  const resources = Object.values(json.resource[type] ?? {});
  if (resources.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  }
  return resources[0];
}

/** An empty stack with the test props, for tests that add to it through the public API. */
export function newTestStack(): MonitoringStack {
  return new MonitoringStack(Testing.app(), STACK_NAME, TEST_STACK_PROPS);
}

/** Synthesizes a stack a test built. */
export function synthJson(stack: MonitoringStack): TerraformJson {
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** A synthesized `docker_container`'s attributes. */
export type SynthesizedContainer = Record<string, unknown> & { name: string };

/** The containers sorted by name (the JSON orders resources by their Terraform address). */
export function containers(json: TerraformJson): SynthesizedContainer[] {
  return (Object.values(json.resource.docker_container) as SynthesizedContainer[]).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

/** The container named `name`; fails when there is none. */
export function containerNamed(json: TerraformJson, name: string): SynthesizedContainer {
  const found = containers(json).find((container) => container.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}
