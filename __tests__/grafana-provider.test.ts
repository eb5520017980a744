import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { Dashboard, DataSource, Folder, GrafanaProvider } from "../constructs/grafana/provider";
import { PROVIDERS } from "./support/versions";
// Brings cdktf's jest matcher typings (toHaveResourceWithProperties, ...) into the type check; setup.ts registers them.

/** The parts of a synthesized stack these tests read. */
interface SynthesizedStack {
  readonly terraform?: { readonly required_providers?: Record<string, unknown> };
  readonly provider?: Record<string, Record<string, unknown>[]>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { readonly value: unknown }>;
  readonly import?: unknown[];
}

function synth(build: (scope: Construct) => void): { json: string; stack: SynthesizedStack } {
  const json = Testing.synthScope(build);
  return { json, stack: JSON.parse(json) as SynthesizedStack };
}

/** The synthesized block of one resource, failing loudly when it is missing. */
function resourceBlock(stack: SynthesizedStack, type: string, name: string): Record<string, unknown> {
  const block = stack.resource?.[type]?.[name];
  if (block === undefined) {
    throw new Error(`no ${type}.${name} in ${JSON.stringify(stack.resource)}`);
  }
  return block;
}

/** Each output's synthesized value, by output name. */
function outputValues(stack: SynthesizedStack): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stack.output ?? {}).map(([name, output]) => [name, output.value]));
}

const DASHBOARD_JSON = JSON.stringify({ uid: "api-overview", title: "API overview", panels: [] });

describe("GrafanaProvider", () => {
  it("declares grafana/grafana in required_providers with the constraint from grafana/defaults.ts", () => {
    const { stack } = synth((scope) => new GrafanaProvider(scope, "grafana"));

    expect(stack.terraform?.required_providers?.grafana).toEqual({
      source: PROVIDERS.grafana.source,
      version: PROVIDERS.grafana.version,
    });
    expect(PROVIDERS.grafana).toEqual({ source: "grafana/grafana", version: "4.45.1" });
  });

  it("emits every configured attribute under its Terraform name", () => {
    const { json, stack } = synth(
      (scope) =>
        new GrafanaProvider(scope, "grafana", {
          url: "http://127.0.0.1:3000",
          orgId: 1,
          retries: 5,
          retryWait: 2,
          insecureSkipVerify: false,
        }),
    );

    expect(json).toHaveProviderWithProperties(GrafanaProvider, { url: "http://127.0.0.1:3000", org_id: 1 });
    expect(stack.provider?.grafana).toEqual([
      { url: "http://127.0.0.1:3000", org_id: 1, retries: 5, retry_wait: 2, insecure_skip_verify: false },
    ]);
  });

  it("leaves auth out when it is not set, so the provider reads GRAFANA_AUTH", () => {
    const { stack } = synth((scope) => new GrafanaProvider(scope, "grafana", { url: "http://127.0.0.1:3000" }));

    expect(stack.provider?.grafana).toEqual([{ url: "http://127.0.0.1:3000" }]);
  });

  it("passes a Terraform expression in auth through as a reference", () => {
    const { stack } = synth((scope) => {
      const auth = new TerraformVariable(scope, "grafana_auth", { type: "string", sensitive: true });
      new GrafanaProvider(scope, "grafana", { auth: auth.stringValue });
    });

    expect(stack.provider?.grafana).toEqual([{ auth: "${var.grafana_auth}" }]);
  });

  it("accepts the literal anonymous in auth, which is not a credential", () => {
    const { stack } = synth((scope) => new GrafanaProvider(scope, "grafana", { auth: "anonymous" }));

    expect(stack.provider?.grafana).toEqual([{ auth: "anonymous" }]);
  });

  it("fails when auth is a literal credential, without echoing it", () => {
    const stack = new TerraformStack(Testing.app(), "stack");
    const expected =
      "auth must not be a literal credential (got a literal string of 11 characters): cdktf would write it in plain " +
      "text to cdktf.out. Leave auth unset so the provider reads GRAFANA_AUTH, or pass a Terraform expression such as " +
      "a sensitive TerraformVariable's stringValue.";

    expect(() => new GrafanaProvider(stack, "grafana", { auth: "admin:admin" })).toThrow(expected);
    const provider = new GrafanaProvider(stack, "other", { alias: "other" });
    expect(() => {
      provider.auth = "admin:admin";
    }).toThrow(expected);
    expect(provider.authInput).toBeUndefined();
  });

  it("lets resources select an aliased provider configuration", () => {
    const { stack } = synth((scope) => {
      const secondary = new GrafanaProvider(scope, "secondary", { alias: "secondary", url: "http://127.0.0.1:3001" });
      new Folder(scope, "folder", { title: "Monitoring", provider: secondary });
    });

    expect(stack.provider?.grafana).toEqual([{ alias: "secondary", url: "http://127.0.0.1:3001" }]);
    expect(resourceBlock(stack, "grafana_folder", "folder").provider).toBe("grafana.secondary");
  });

  it("changes what it emits through setters and resets", () => {
    const { stack } = synth((scope) => {
      const provider = new GrafanaProvider(scope, "grafana", { url: "http://127.0.0.1:3000", retries: 3 });
      provider.resetRetries();
      provider.retryWait = 4;
      expect(provider.retriesInput).toBeUndefined();
      expect(provider.retryWaitInput).toBe(4);
    });

    expect(stack.provider?.grafana).toEqual([{ url: "http://127.0.0.1:3000", retry_wait: 4 }]);
  });
});

describe("DataSource", () => {
  it("emits only name and type for a minimal config", () => {
    const { json, stack } = synth(
      (scope) => new DataSource(scope, "prometheus", { name: "Prometheus", type: "prometheus" }),
    );

    expect(json).toHaveResourceWithProperties(DataSource, { name: "Prometheus", type: "prometheus" });
    expect(resourceBlock(stack, "grafana_data_source", "prometheus")).toEqual({
      name: "Prometheus",
      type: "prometheus",
    });
  });

  it("emits every attribute under its Terraform name", () => {
    const { stack } = synth(
      (scope) =>
        new DataSource(scope, "prometheus", {
          name: "Prometheus",
          type: "prometheus",
          uid: "prometheus",
          url: "http://prometheus:9090",
          accessMode: "proxy",
          isDefault: true,
          basicAuthEnabled: false,
          basicAuthUsername: "reader",
          jsonDataEncoded: '{"timeInterval":"15s"}',
          secureJsonDataEncoded: "${var.secure_json}",
          httpHeaders: { "X-Scope-OrgID": "monitoring" },
          orgId: "1",
        }),
    );

    expect(resourceBlock(stack, "grafana_data_source", "prometheus")).toEqual({
      name: "Prometheus",
      type: "prometheus",
      uid: "prometheus",
      url: "http://prometheus:9090",
      access_mode: "proxy",
      is_default: true,
      basic_auth_enabled: false,
      basic_auth_username: "reader",
      json_data_encoded: '{"timeInterval":"15s"}',
      secure_json_data_encoded: "${var.secure_json}",
      http_headers: { "X-Scope-OrgID": "monitoring" },
      org_id: "1",
    });
  });

  it("changes what it emits through setters and resets, and exposes the inputs", () => {
    const { stack } = synth((scope) => {
      const dataSource = new DataSource(scope, "prometheus", {
        name: "Prometheus",
        type: "prometheus",
        accessMode: "direct",
      });
      dataSource.url = "http://prometheus:9090";
      dataSource.isDefault = true;
      dataSource.resetAccessMode();
      expect(dataSource.urlInput).toBe("http://prometheus:9090");
      expect(dataSource.accessModeInput).toBeUndefined();
      expect(dataSource.nameInput).toBe("Prometheus");
    });

    expect(resourceBlock(stack, "grafana_data_source", "prometheus")).toEqual({
      name: "Prometheus",
      type: "prometheus",
      url: "http://prometheus:9090",
      is_default: true,
    });
  });

  it("resolves its computed getters into references", () => {
    const { stack } = synth((scope) => {
      const dataSource = new DataSource(scope, "prometheus", { name: "Prometheus", type: "prometheus" });
      new TerraformOutput(scope, "uid", { value: dataSource.uid });
      new TerraformOutput(scope, "id", { value: dataSource.id });
    });

    expect(outputValues(stack)).toEqual({
      uid: "${grafana_data_source.prometheus.uid}",
      id: "${grafana_data_source.prometheus.id}",
    });
  });
});

describe("Folder", () => {
  it("emits only title for a minimal config", () => {
    const { json, stack } = synth((scope) => new Folder(scope, "monitoring", { title: "Monitoring" }));

    expect(json).toHaveResourceWithProperties(Folder, { title: "Monitoring" });
    expect(resourceBlock(stack, "grafana_folder", "monitoring")).toEqual({ title: "Monitoring" });
  });

  it("emits every attribute under its Terraform name", () => {
    const { stack } = synth(
      (scope) =>
        new Folder(scope, "monitoring", {
          title: "Monitoring",
          uid: "monitoring",
          parentFolderUid: "platform",
          preventDestroyIfNotEmpty: true,
          orgId: "1",
        }),
    );

    expect(resourceBlock(stack, "grafana_folder", "monitoring")).toEqual({
      title: "Monitoring",
      uid: "monitoring",
      parent_folder_uid: "platform",
      prevent_destroy_if_not_empty: true,
      org_id: "1",
    });
  });

  it("resolves its computed getters into references", () => {
    const { stack } = synth((scope) => {
      const folder = new Folder(scope, "monitoring", { title: "Monitoring" });
      new TerraformOutput(scope, "id", { value: folder.id });
      new TerraformOutput(scope, "uid", { value: folder.uid });
      new TerraformOutput(scope, "url", { value: folder.url });
    });

    expect(outputValues(stack)).toEqual({
      id: "${grafana_folder.monitoring.id}",
      uid: "${grafana_folder.monitoring.uid}",
      url: "${grafana_folder.monitoring.url}",
    });
  });
});

describe("Dashboard", () => {
  it("emits only config_json for a minimal config", () => {
    const { json, stack } = synth((scope) => new Dashboard(scope, "api", { configJson: DASHBOARD_JSON }));

    expect(json).toHaveResourceWithProperties(Dashboard, { config_json: DASHBOARD_JSON });
    expect(resourceBlock(stack, "grafana_dashboard", "api")).toEqual({ config_json: DASHBOARD_JSON });
  });

  it("emits every attribute under its Terraform name", () => {
    const { stack } = synth(
      (scope) =>
        new Dashboard(scope, "api", {
          configJson: DASHBOARD_JSON,
          folder: "monitoring",
          overwrite: true,
          message: "managed by cdktf",
          orgId: "1",
        }),
    );

    expect(resourceBlock(stack, "grafana_dashboard", "api")).toEqual({
      config_json: DASHBOARD_JSON,
      folder: "monitoring",
      overwrite: true,
      message: "managed by cdktf",
      org_id: "1",
    });
  });

  it("takes a folder's uid as a reference", () => {
    const { json } = synth((scope) => {
      const folder = new Folder(scope, "monitoring", { title: "Monitoring", uid: "monitoring" });
      new Dashboard(scope, "api", { configJson: DASHBOARD_JSON, folder: folder.uid });
    });

    expect(json).toHaveResourceWithProperties(Dashboard, { folder: "${grafana_folder.monitoring.uid}" });
  });

  it("resolves its computed getters into references", () => {
    const { stack } = synth((scope) => {
      const dashboard = new Dashboard(scope, "api", { configJson: DASHBOARD_JSON });
      new TerraformOutput(scope, "id", { value: dashboard.id });
      new TerraformOutput(scope, "uid", { value: dashboard.uid });
      new TerraformOutput(scope, "url", { value: dashboard.url });
      new TerraformOutput(scope, "dashboard_id", { value: dashboard.dashboardId });
      new TerraformOutput(scope, "version", { value: dashboard.version });
    });

    expect(outputValues(stack)).toEqual({
      id: "${grafana_dashboard.api.id}",
      uid: "${grafana_dashboard.api.uid}",
      url: "${grafana_dashboard.api.url}",
      dashboard_id: "${grafana_dashboard.api.dashboard_id}",
      version: "${grafana_dashboard.api.version}",
    });
  });
});

describe("meta-arguments", () => {
  it.each([
    [
      "grafana_data_source",
      (scope: Construct, dependsOn: Folder[]) =>
        new DataSource(scope, "r", { name: "P", type: "prometheus", dependsOn }),
    ],
    [
      "grafana_folder",
      (scope: Construct, dependsOn: Folder[]) => new Folder(scope, "r", { title: "Monitoring", dependsOn }),
    ],
    [
      "grafana_dashboard",
      (scope: Construct, dependsOn: Folder[]) => new Dashboard(scope, "r", { configJson: "{}", dependsOn }),
    ],
  ])("%s emits depends_on", (type, create) => {
    const { stack } = synth((scope) => {
      const first = new Folder(scope, "first", { title: "First" });
      create(scope, [first]);
    });

    expect(resourceBlock(stack, type, "r").depends_on).toEqual(["grafana_folder.first"]);
  });

  it("emits lifecycle and count", () => {
    const { stack } = synth(
      (scope) =>
        new Dashboard(scope, "api", {
          configJson: DASHBOARD_JSON,
          count: 2,
          lifecycle: { createBeforeDestroy: true, ignoreChanges: ["message"] },
        }),
    );

    const block = resourceBlock(stack, "grafana_dashboard", "api");
    expect(block.count).toBe(2);
    expect(block.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ["message"] });
  });

  it("declares an import block with generateConfigForImport", () => {
    const { stack } = synth((scope) => {
      Folder.generateConfigForImport(scope, "existing", "monitoring");
    });

    expect(stack.import).toEqual([{ id: "monitoring", to: "grafana_folder.existing" }]);
  });
});
