import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing } from "cdktf";
import { STACK_NAME, MonitoringStack, MonitoringStackProps } from "../../constructs/monitoring-stack";
import { AppInputs, buildMonitoringStack, readAppInputs } from "../../main";

/**
 * A test app in a scratch project folder laid out like this one (`<folder>/cdktf.out` the output folder, the
 * Grafana password file at `<folder>/.secrets/grafana-admin-password`), so every path the stack writes into
 * cdk.tf.json is relative to the stack's folder exactly as in a real synth, whatever machine runs the tests.
 */
export function testApp(): { readonly app: App; readonly folder: string } {
  const folder = mkdtempSync(join(tmpdir(), "monitoring-test-"));
  mkdirSync(join(folder, ".secrets"));
  return { app: Testing.app({ outdir: join(folder, "cdktf.out") }), folder };
}

/**
 * Props every test stack gets: the password file in the scratch folder, Grafana running as its own 472:0 (the file
 * does not exist, so its owner would be whoever runs the tests).
 */
export function testStackProps(folder: string): MonitoringStackProps {
  return {
    projectDir: folder,
    grafana: { adminPasswordFile: join(folder, ".secrets", "grafana-admin-password"), user: "472:0" },
  };
}

/** The demo API's build context and source digest in every test stack, fixed so snapshots do not depend on the machine. */
export const TEST_API = { buildContext: "/project/app", sourceHash: "0".repeat(64) } as const;

/** The app's inputs for an empty environment, with the test's paths. */
export function testInputs(folder: string, env: Readonly<Record<string, string | undefined>> = {}): AppInputs {
  const inputs = readAppInputs("cdktf.out", env);
  return {
    ...inputs,
    props: { ...inputs.props, ...testStackProps(folder) },
    api: TEST_API,
    // The imported dashboards are tested on their own (dashboards-import.test.ts), not in every stack.
    importedDashboards: [],
  };
}

/** Builds the whole stack as main.ts does (every component through the public API) in a test app and synthesizes it. */
export function synthMonitoringStack(
  overrides: Partial<MonitoringStackProps> = {},
  env: Readonly<Record<string, string | undefined>> = {},
): {
  readonly stack: MonitoringStack;
  readonly synthesized: string;
  readonly json: TerraformJson;
} {
  const { app, folder } = testApp();
  const stack = buildMonitoringStack(app, testInputs(folder, env), overrides);
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
  readonly terraform: {
    required_providers: Record<string, { source: string; version?: string }>;
    backend?: Record<string, unknown>;
  };
}

/** The one resource of `type` in the synthesized JSON; fails when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): Record<string, unknown> {
  const resources = Object.values(json.resource[type] ?? {});
  if (resources.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  }
  return resources[0];
}

/** An empty stack (Prometheus and Grafana only) with the test props, for tests that add to it through the public API. */
export function newTestStack(props: MonitoringStackProps = {}): MonitoringStack {
  const { app, folder } = testApp();
  return new MonitoringStack(app, STACK_NAME, { ...testStackProps(folder), ...props });
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

/** Every opt-in component enabled (its home: the alert index script, which lists every alert). */
export { ALL_COMPONENTS_ENV } from "../../scripts/docs/alerts";
