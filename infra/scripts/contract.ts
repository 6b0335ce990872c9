/**
 * `npm run contract`: writes docs/openapi.json and docs/asyncapi.json from the zod schemas and
 * the manifest (shared/contract/). `npm run contract -- --check` writes nothing and exits 1 when
 * a checked-in file differs from what the code generates (CI's drift test does the same).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONTRACT_FILES, contractDocuments, serialize } from "#shared/contract/documents.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const check = process.argv.includes("--check");
const documents = contractDocuments();
let stale = 0;
for (const [name, file] of Object.entries(CONTRACT_FILES) as [keyof typeof CONTRACT_FILES, string][]) {
  const path = join(root, file);
  const text = serialize(documents[name]);
  if (check) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      stale++;
      console.error(`${file} is out of date: run npm run contract`);
    }
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
