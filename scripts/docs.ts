/**
 * `npm run docs`: writes the generated pages of docs/ (today docs/configuration.md) from the code. A test fails when
 * a committed page differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIGURATION_DOC, formattedConfigurationDoc } from "./docs/configuration";

function main(): void {
  const root = join(__dirname, "..");
  writeFileSync(join(root, CONFIGURATION_DOC), formattedConfigurationDoc(root));
  console.log(`docs: wrote ${CONFIGURATION_DOC}`);
}

main();
