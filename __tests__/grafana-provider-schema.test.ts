/**
 * Conformance of the hand-written Grafana bindings (`constructs/grafana/provider/`) to the real provider schema.
 *
 * The schema is the committed facts-only extract of `terraform providers schema -json` for grafana/grafana at the
 * pinned version (`constructs/grafana/provider/schema/`, written by `npm run provider-schema`), so this suite always
 * runs. When GRAFANA_PROVIDER_SCHEMA names a full `terraform providers schema -json` file, the suite also checks that
 * the extract is exactly what the script extracts from it (the extract is current). Everything checked is derived
 * from what each binding really synthesizes for a config with every field set, so a field added to a binding is
 * covered without touching this file (TypeScript forces the full configs below to set it).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  TerraformMetaArguments,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Testing,
  Tokenization,
} from "cdktf";
import {
  Dashboard,
  DashboardConfig,
  DataSource,
  DataSourceConfig,
  Folder,
  FolderConfig,
  GrafanaProvider,
  GrafanaProviderConfig,
} from "../constructs/grafana/provider";
import { PROVIDERS } from "./support/versions";
import { extractPath, extractProviderSchema, serializeExtract } from "../scripts/provider-schema";

const SCHEMA_VARIABLE = "GRAFANA_PROVIDER_SCHEMA";

// ---------------------------------------------------------------------------------------------------------------
// The subset of the `terraform providers schema -json` format this test reads
// ---------------------------------------------------------------------------------------------------------------

/** A cty type: `"string"`, `"bool"`, `"number"`, or `["map" | "list" | "set", element]` and friends. */
type CtyType = string | readonly unknown[];

interface SchemaAttribute {
  readonly type?: CtyType;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
}

interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { readonly nesting_mode: string }>;
}

interface GrafanaSchema {
  readonly provider: { readonly block: SchemaBlock };
  readonly resource_schemas: Record<string, { readonly block: SchemaBlock }>;
}

type SchemaSource =
  | { readonly state: "loaded"; readonly file: string; readonly schema: GrafanaSchema }
  | { readonly state: "unset" }
  | { readonly state: "unusable"; readonly file: string; readonly reason: string };

function loadSchema(file: string | undefined): SchemaSource {
  if (file === undefined || file.trim() === "") {
    return { state: "unset" };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    // Errors from fs come from another realm under jest, so `instanceof Error` is not reliable here.
    const message = (error as { message?: unknown }).message;
    return { state: "unusable", file, reason: typeof message === "string" ? message : String(error) };
  }
  const providerKey = `registry.terraform.io/${PROVIDERS.grafana.source}`;
  const schemas = (parsed as { provider_schemas?: Record<string, GrafanaSchema> }).provider_schemas;
  const grafana = schemas?.[providerKey];
  if (grafana?.provider?.block === undefined || grafana.resource_schemas === undefined) {
    const found = Object.keys(schemas ?? {}).join(", ") || "none";
    return {
      state: "unusable",
      file,
      reason: `it is not \`terraform providers schema -json\` output for ${providerKey} (provider schemas found: ${found})`,
    };
  }
  return { state: "loaded", file, schema: grafana };
}

// ---------------------------------------------------------------------------------------------------------------
// What a binding really synthesizes
// ---------------------------------------------------------------------------------------------------------------

/** One entry of `synthesizeHclAttributes()`, validated at runtime. */
interface HclEntry {
  readonly isBlock: boolean;
  readonly storageClassType: string;
}

/** What one binding instance emits: the Terraform JSON attributes and the HCL entries (with their value kinds). */
interface Emitted {
  readonly json: Record<string, unknown>;
  readonly hcl: Record<string, HclEntry>;
}

type Element = TerraformProvider | TerraformResource;

function hclEntries(element: Element): Record<string, HclEntry> {
  // synthesizeHclAttributes() is protected; bracket access reads exactly what cdktf's HCL synthesis calls.
  const raw: unknown =
    element instanceof TerraformResource ? element["synthesizeHclAttributes"]() : element["synthesizeHclAttributes"]();
  const entries: Record<string, HclEntry> = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    const { isBlock, storageClassType, value } = entry as Record<string, unknown>;
    if (typeof isBlock !== "boolean" || typeof storageClassType !== "string") {
      throw new Error(`${name}: synthesizeHclAttributes() entry is not { value, isBlock, type, storageClassType }`);
    }
    if (value !== undefined) {
      entries[name] = { isBlock, storageClassType };
    }
  }
  return entries;
}

/** Synthesizes a stack holding one binding and returns what Terraform would read for it. */
function emittedBy(create: (stack: TerraformStack) => Element): Emitted {
  const stack = new TerraformStack(Testing.app(), "stack");
  const element = create(stack);
  const synthesized = JSON.parse(Testing.synth(stack)) as {
    provider?: Record<string, Record<string, unknown>[]>;
    resource?: Record<string, Record<string, Record<string, unknown>>>;
  };
  const json =
    element instanceof TerraformResource
      ? synthesized.resource?.[element.terraformResourceType]?.[element.friendlyUniqueId]
      : synthesized.provider?.[element.terraformResourceType]?.[0];
  if (json === undefined) {
    throw new Error(`${element.terraformResourceType} is missing from the synthesized stack`);
  }
  return { json, hcl: hclEntries(element) };
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function sameType(a: CtyType | undefined, b: CtyType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The schema types each cdktf value kind can satisfy. */
const SCHEMA_TYPES_BY_STORAGE_CLASS: Record<string, readonly CtyType[]> = {
  string: ["string"],
  boolean: ["bool"],
  number: ["number"],
  stringMap: [["map", "string"]],
  numberMap: [["map", "number"]],
  booleanMap: [["map", "bool"]],
  stringList: [
    ["list", "string"],
    ["set", "string"],
  ],
  numberList: [
    ["list", "number"],
    ["set", "number"],
  ],
};

/** Whether a synthesized JSON value has the shape Terraform expects for a schema type. */
function valueFits(type: CtyType | undefined, value: unknown): boolean {
  if (type === "string") return typeof value === "string";
  if (type === "bool") return typeof value === "boolean";
  if (type === "number") return typeof value === "number";
  if (Array.isArray(type) && type.length === 2) {
    const [kind, element] = type as [unknown, CtyType];
    if (kind === "map") {
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.values(value).every((item) => valueFits(element, item))
        : false;
    }
    if (kind === "list" || kind === "set") {
      return Array.isArray(value) && value.every((item) => valueFits(element, item));
    }
  }
  return false;
}

/** The schema type a getter's token stands for: cdktf encodes numbers, strings, booleans and maps differently. */
function getterType(value: unknown): "string" | "number" | "bool" | "map" | "unknown" {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (Tokenization.isResolvable(value)) return "bool";
  if (typeof value === "object" && value !== null) return "map";
  return "unknown";
}

function getterFits(type: CtyType | undefined, kind: ReturnType<typeof getterType>): boolean {
  if (kind === "map") return Array.isArray(type) && type[0] === "map";
  return type === kind;
}

// ---------------------------------------------------------------------------------------------------------------
// The bindings under test
// ---------------------------------------------------------------------------------------------------------------

/** Every attribute field of a resource config, none optional: adding a field to a binding breaks the build here. */
type EveryAttribute<T> = Required<Omit<T, keyof TerraformMetaArguments>>;

const FULL_PROVIDER: Required<GrafanaProviderConfig> = {
  url: "http://127.0.0.1:3000",
  auth: "anonymous",
  orgId: 1,
  retries: 3,
  retryWait: 2,
  insecureSkipVerify: true,
  alias: "full",
};

const FULL_DATA_SOURCE: EveryAttribute<DataSourceConfig> = {
  name: "Prometheus",
  type: "prometheus",
  uid: "prometheus",
  url: "http://prometheus:9090",
  accessMode: "proxy",
  isDefault: true,
  basicAuthEnabled: true,
  basicAuthUsername: "reader",
  jsonDataEncoded: '{"timeInterval":"15s"}',
  secureJsonDataEncoded: '{"basicAuthPassword":"not-a-secret"}',
  httpHeaders: { "X-Scope-OrgID": "monitoring" },
  orgId: "1",
};

const FULL_FOLDER: EveryAttribute<FolderConfig> = {
  title: "Monitoring",
  uid: "monitoring",
  parentFolderUid: "platform",
  preventDestroyIfNotEmpty: true,
  orgId: "1",
};

const FULL_DASHBOARD: EveryAttribute<DashboardConfig> = {
  configJson: '{"uid":"api-overview","title":"API overview"}',
  folder: "monitoring",
  overwrite: true,
  message: "managed by cdktf",
  orgId: "1",
};

interface BindingCase {
  /** `provider` or the resource type, as the schema names it. */
  readonly label: string;
  readonly block: (schema: GrafanaSchema) => SchemaBlock | undefined;
  readonly sensitiveAttributes: readonly string[];
  /** Emitted names that are Terraform meta-arguments rather than schema attributes. */
  readonly metaArguments: readonly string[];
  readonly fullConfig: object;
  readonly full: (stack: TerraformStack) => Element;
  readonly minimal: (stack: TerraformStack) => Element;
}

const resourceBlock = (type: string) => (schema: GrafanaSchema) => schema.resource_schemas[type]?.block;

const CASES: readonly BindingCase[] = [
  {
    label: "provider",
    block: (schema) => schema.provider.block,
    sensitiveAttributes: GrafanaProvider.sensitiveAttributes,
    // `alias` is Terraform's provider meta-argument: valid in every provider block, absent from provider schemas.
    metaArguments: ["alias"],
    fullConfig: FULL_PROVIDER,
    full: (stack) => new GrafanaProvider(stack, "grafana", FULL_PROVIDER),
    minimal: (stack) => new GrafanaProvider(stack, "grafana"),
  },
  {
    label: DataSource.tfResourceType,
    block: resourceBlock(DataSource.tfResourceType),
    sensitiveAttributes: DataSource.sensitiveAttributes,
    metaArguments: [],
    fullConfig: FULL_DATA_SOURCE,
    full: (stack) => new DataSource(stack, "full", FULL_DATA_SOURCE),
    minimal: (stack) => new DataSource(stack, "minimal", { name: "Prometheus", type: "prometheus" }),
  },
  {
    label: Folder.tfResourceType,
    block: resourceBlock(Folder.tfResourceType),
    sensitiveAttributes: Folder.sensitiveAttributes,
    metaArguments: [],
    fullConfig: FULL_FOLDER,
    full: (stack) => new Folder(stack, "full", FULL_FOLDER),
    minimal: (stack) => new Folder(stack, "minimal", { title: "Monitoring" }),
  },
  {
    label: Dashboard.tfResourceType,
    block: resourceBlock(Dashboard.tfResourceType),
    sensitiveAttributes: Dashboard.sensitiveAttributes,
    metaArguments: [],
    fullConfig: FULL_DASHBOARD,
    full: (stack) => new Dashboard(stack, "full", FULL_DASHBOARD),
    minimal: (stack) => new Dashboard(stack, "minimal", { configJson: "{}" }),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------------------------

function defineConformanceTests(getSchema: () => GrafanaSchema): void {
  describe.each(CASES)("$label", (binding) => {
    const schemaBlock = (): SchemaBlock => {
      const block = binding.block(getSchema());
      if (block === undefined) {
        throw new Error(`the provider schema has no ${binding.label}: was the resource renamed or removed?`);
      }
      return block;
    };
    const attributesOf = (emitted: Emitted): string[] =>
      Object.keys(emitted.json).filter((name) => !binding.metaArguments.includes(name));

    it("emits the same attributes in Terraform JSON and in HCL synthesis", () => {
      const emitted = emittedBy(binding.full);

      expect(Object.keys(emitted.json).sort()).toEqual(Object.keys(emitted.hcl).sort());
    });

    it("synthesizes every field of its config under the field's Terraform name", () => {
      const emitted = emittedBy(binding.full);

      expect(Object.keys(emitted.json).sort()).toEqual(Object.keys(binding.fullConfig).map(snakeCase).sort());
    });

    it("emits only attributes and blocks the schema has, with compatible types", () => {
      const block = schemaBlock();
      const emitted = emittedBy(binding.full);
      const problems: string[] = [];

      for (const name of attributesOf(emitted)) {
        const hcl = emitted.hcl[name];
        const attribute = block.attributes?.[name];
        if (hcl?.isBlock === true) {
          if (block.block_types?.[name] === undefined) problems.push(`${name}: emitted as a block, no such block`);
          continue;
        }
        if (attribute === undefined) {
          problems.push(`${name}: not an attribute of ${binding.label} in the schema`);
          continue;
        }
        const accepted = SCHEMA_TYPES_BY_STORAGE_CLASS[hcl?.storageClassType ?? ""] ?? [];
        if (!accepted.some((type) => sameType(attribute.type, type))) {
          problems.push(
            `${name}: binding kind ${hcl?.storageClassType}, schema type ${JSON.stringify(attribute.type)}`,
          );
        }
        if (!valueFits(attribute.type, emitted.json[name])) {
          problems.push(
            `${name}: emitted ${JSON.stringify(emitted.json[name])}, schema type ${JSON.stringify(attribute.type)}`,
          );
        }
      }

      expect(problems).toEqual([]);
    });

    it("emits nothing the schema marks computed-only", () => {
      const block = schemaBlock();
      const emitted = emittedBy(binding.full);

      const computedOnly = attributesOf(emitted).filter((name) => {
        const attribute = block.attributes?.[name];
        return attribute?.computed === true && attribute.optional !== true && attribute.required !== true;
      });

      expect(computedOnly).toEqual([]);
    });

    it("emits exactly the attributes the schema requires from a minimal config", () => {
      const block = schemaBlock();
      const required = Object.entries(block.attributes ?? {})
        .filter(([, attribute]) => attribute.required === true)
        .map(([name]) => name)
        .sort();

      expect(attributesOf(emittedBy(binding.minimal)).sort()).toEqual(required);
    });

    it("documents as sensitive exactly the emitted attributes the schema marks sensitive", () => {
      const block = schemaBlock();
      const sensitiveInSchema = attributesOf(emittedBy(binding.full))
        .filter((name) => block.attributes?.[name]?.sensitive === true)
        .sort();

      expect([...binding.sensitiveAttributes].sort()).toEqual(sensitiveInSchema);
    });

    if (binding.label !== "provider") {
      it("has getters that reference attributes the schema has, with the getter's type", () => {
        const block = schemaBlock();
        const stack = new TerraformStack(Testing.app(), "stack");
        const resource = binding.full(stack);
        const getters = Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(resource)))
          .filter(([name, descriptor]) => descriptor.get !== undefined && !name.endsWith("Input"))
          .map(([name]) => name);
        const kinds = new Map<string, ReturnType<typeof getterType>>();
        for (const getter of getters) {
          const value: unknown = Reflect.get(resource, getter);
          kinds.set(getter, getterType(value));
          new TerraformOutput(stack, `getter_${getter}`, { value });
        }
        const outputs = (JSON.parse(Testing.synth(stack)) as { output: Record<string, { value: unknown }> }).output;
        const problems: string[] = [];

        // A getter must resolve to `${<resource type>.<name>.<attribute>}` of this very resource.
        const prefix = `\${${binding.label}.${resource.friendlyUniqueId}.`;
        for (const getter of getters) {
          const reference = String(outputs[`getter_${getter}`]?.value);
          const name =
            reference.startsWith(prefix) && reference.endsWith("}") ? reference.slice(prefix.length, -1) : "";
          if (!/^[a-z0-9_]+$/.test(name)) {
            problems.push(`${getter}: resolves to ${reference}, not a reference to a ${binding.label} attribute`);
            continue;
          }
          const attribute = block.attributes?.[name];
          const kind = kinds.get(getter) ?? "unknown";
          if (attribute === undefined) {
            problems.push(`${getter}: references ${name}, which the schema does not have`);
          } else if (!getterFits(attribute.type, kind)) {
            problems.push(`${getter}: a ${kind} getter for ${name} of schema type ${JSON.stringify(attribute.type)}`);
          }
        }

        expect(getters.length).toBeGreaterThan(0);
        expect(problems).toEqual([]);
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Run against the committed extract; check the extract against a full schema when one is given
// ---------------------------------------------------------------------------------------------------------------

const extractFile = extractPath();
const extract = loadSchema(extractFile);
if (extract.state !== "loaded") {
  throw new Error(
    `${path.relative(process.cwd(), extractFile)} cannot be used (${extract.state === "unusable" ? extract.reason : "missing"}): regenerate it with npm run provider-schema`,
  );
}
const committedSchema = extract.schema;

describe(`Grafana bindings conform to the provider schema ${PROVIDERS.grafana.version} (committed extract)`, () => {
  defineConformanceTests(() => committedSchema);
});

describe("the committed schema extract", () => {
  it("holds facts only: no description anywhere", () => {
    const keys = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === "object" && value !== null) {
        for (const [key, inner] of Object.entries(value)) {
          keys.add(key);
          walk(inner);
        }
      }
    };
    walk(JSON.parse(readFileSync(extractFile, "utf8")));

    expect([...keys].filter((key) => key.startsWith("description"))).toEqual([]);
    expect(keys.has("attributes")).toBe(true);
  });

  const fullSchemaFile = process.env[SCHEMA_VARIABLE] ?? "";
  (fullSchemaFile === "" ? it.skip : it)(
    `is what npm run provider-schema extracts from ${SCHEMA_VARIABLE} (${fullSchemaFile === "" ? "not set" : fullSchemaFile})`,
    () => {
      const regenerated = serializeExtract(extractProviderSchema(JSON.parse(readFileSync(fullSchemaFile, "utf8"))));

      expect(readFileSync(extractFile, "utf8")).toBe(regenerated);
    },
  );
});
