/**
 * `npm run docs`: writes the generated pages of docs/ from the code: docs/configuration.md whole, and the alert index
 * of docs/alerts.md (between its markers). A test fails when a committed page differs from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALERTS_DOC, withAlertsIndex } from "./docs/alerts";
import { CONFIGURATION_DOC, formattedConfigurationDoc, prettierMarkdown } from "./docs/configuration";

function main(): void {
  const root = join(__dirname, "..");
  writeFileSync(join(root, CONFIGURATION_DOC), formattedConfigurationDoc(root));
  console.log(`docs: wrote ${CONFIGURATION_DOC}`);
  const alerts = join(root, ALERTS_DOC);
  writeFileSync(alerts, prettierMarkdown(root, ALERTS_DOC, withAlertsIndex(readFileSync(alerts, "utf8"))));
  console.log(`docs: wrote the alert index of ${ALERTS_DOC}`);
}

main();
