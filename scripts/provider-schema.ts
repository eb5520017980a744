/**
 * `npm run provider-schema -- SCHEMA.json`: regenerates the committed facts-only extract of the Grafana provider's
 * schema (`constructs/grafana/provider/schema/grafana-<version>.json`) from `terraform providers schema -json`
 * output, on a machine where Terraform can download the provider:
 *
 *   terraform providers schema -json > /tmp/grafana-schema.json   # in a folder whose config requires grafana/grafana
 *   npm run provider-schema -- /tmp/grafana-schema.json
 *
 * The extract holds only facts, for the provider block and the resources the bindings in constructs/grafana/provider/
 * declare: attribute and block names, types, required/optional/computed/sensitive/deprecated, nesting. Descriptions
 * and every other resource are dropped. Keys are sorted, so a regeneration from the same schema is byte-identical.
 * The conformance test (`__tests__/grafana-provider-schema.test.ts`) always runs against the extract.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { GRAFANA_PROVIDER } from "../constructs/grafana/defaults";
import { Dashboard, DataSource, Folder } from "../constructs/grafana/provider";

/** The registry address under which `terraform providers schema -json` lists the Grafana provider. */
export const GRAFANA_PROVIDER_ADDRESS = `registry.terraform.io/${GRAFANA_PROVIDER.source}`;

/** The resources the bindings declare, by Terraform type: only these are extracted. */
export const BOUND_RESOURCE_TYPES: readonly string[] = [DataSource, Folder, Dashboard]
  .map((binding) => binding.tfResourceType)
  .sort();

/** Where the committed extract for a provider version lives. */
export function extractPath(version: string = GRAFANA_PROVIDER.version): string {
  return resolve(__dirname, "..", "constructs", "grafana", "provider", "schema", `grafana-${version}.json`);
}

const ATTRIBUTE_FACTS = ["type", "required", "optional", "computed", "sensitive", "deprecated"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sortedEntries(value: Json | undefined): [string, Json][] {
  return isObject(value) ? Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
}

/** The facts of one attribute; a nested attribute type (`nested_type`) keeps its nesting and its attributes' facts. */
function attributeFacts(attribute: Json): JsonObject {
  const facts: JsonObject = {};
  if (!isObject(attribute)) return facts;
  for (const key of ATTRIBUTE_FACTS) {
    if (attribute[key] !== undefined) facts[key] = attribute[key];
  }
  const nested = attribute.nested_type;
  if (isObject(nested)) {
    facts.nested_type = {
      attributes: Object.fromEntries(
        sortedEntries(nested.attributes).map(([name, inner]) => [name, attributeFacts(inner)]),
      ),
      nesting_mode: nested.nesting_mode ?? null,
    };
  }
  return facts;
}

/** The facts of a block: its attributes and nested blocks (nesting mode, item bounds), recursively. */
function blockFacts(block: Json | undefined): JsonObject {
  if (!isObject(block)) throw new Error("a schema block is not an object");
  const facts: JsonObject = {};
  if (block.attributes !== undefined) {
    facts.attributes = Object.fromEntries(
      sortedEntries(block.attributes).map(([name, attribute]) => [name, attributeFacts(attribute)]),
    );
  }
  if (block.block_types !== undefined) {
    facts.block_types = Object.fromEntries(
      sortedEntries(block.block_types).map(([name, blockType]) => {
        if (!isObject(blockType)) throw new Error(`block type ${name} is not an object`);
        const nested: JsonObject = { block: blockFacts(blockType.block), nesting_mode: blockType.nesting_mode ?? null };
        if (blockType.min_items !== undefined) nested.min_items = blockType.min_items;
        if (blockType.max_items !== undefined) nested.max_items = blockType.max_items;
        return [name, nested];
      }),
    );
  }
  return facts;
}

/**
 * The facts-only extract of `terraform providers schema -json` output for the Grafana provider.
 * @throws when the input is not that output, or lacks a bound resource
 */
export function extractProviderSchema(schemaJson: unknown, version: string = GRAFANA_PROVIDER.version): JsonObject {
  const schemas = isObject(schemaJson) ? schemaJson.provider_schemas : undefined;
  const grafana = isObject(schemas) ? schemas[GRAFANA_PROVIDER_ADDRESS] : undefined;
  if (!isObject(grafana) || !isObject(grafana.provider) || !isObject(grafana.resource_schemas)) {
    const found = isObject(schemas) ? Object.keys(schemas).join(", ") || "none" : "none";
    throw new Error(
      `not \`terraform providers schema -json\` output for ${GRAFANA_PROVIDER_ADDRESS} (provider schemas found: ${found})`,
    );
  }
  const resources = grafana.resource_schemas;
  const missing = BOUND_RESOURCE_TYPES.filter((type) => !isObject(resources[type]));
  if (missing.length > 0) throw new Error(`the schema has no ${missing.join(", ")}: renamed or removed?`);
  const resourceFacts = (type: string): JsonObject => {
    const resource = resources[type] as JsonObject;
    return { block: blockFacts(resource.block), version: resource.version ?? null };
  };
  return {
    about:
      "Facts-only extract of `terraform providers schema -json` for the Grafana provider (no descriptions), for the " +
      "resources the bindings in constructs/grafana/provider/ declare. Regenerate: npm run provider-schema -- FILE",
    format_version: isObject(schemaJson) ? (schemaJson.format_version ?? null) : null,
    provider_schemas: {
      [GRAFANA_PROVIDER_ADDRESS]: {
        provider: { block: blockFacts(grafana.provider.block) },
        resource_schemas: Object.fromEntries(BOUND_RESOURCE_TYPES.map((type) => [type, resourceFacts(type)])),
      },
    },
    provider_version: version,
  };
}

/** The extract as written to disk: two-space JSON with a final newline. */
export function serializeExtract(extract: JsonObject): string {
  return `${JSON.stringify(extract, null, 2)}\n`;
}

if (require.main === module) {
  const [input, ...rest] = process.argv.slice(2);
  if (input === undefined || input === "--help" || rest.length > 0) {
    (input === "--help" ? process.stdout : process.stderr).write(
      "usage: npm run provider-schema -- SCHEMA.json\n" +
        "  SCHEMA.json: `terraform providers schema -json` output that includes grafana/grafana " +
        `${GRAFANA_PROVIDER.version}\n  writes ${extractPath()}\n`,
    );
    process.exit(input === "--help" ? 0 : 2);
  }
  try {
    const extract = extractProviderSchema(JSON.parse(readFileSync(input, "utf8")));
    const out = extractPath();
    writeFileSync(out, serializeExtract(extract));
    console.log(
      `wrote ${join("constructs", "grafana", "provider", "schema", `grafana-${GRAFANA_PROVIDER.version}.json`)} (${BOUND_RESOURCE_TYPES.join(", ")} and the provider block)`,
    );
  } catch (error) {
    process.stderr.write(`provider-schema: ${input}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
