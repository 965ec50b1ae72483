// Checks Kubernetes objects (multi-document YAML files) against the Kubernetes API's JSON schemas as
// packaged by kubernetes-models (its validators are generated from Kubernetes' OpenAPI document): kinds
// and API versions that exist, required fields, types and enums. What it cannot see: unknown fields (the
// API's schemas allow them; only an API server's strict field validation refuses them).
//   node validate.mjs FILE...    prints one line per object, exits 1 if any is invalid or none was found
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
let valid = 0;
let invalid = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`invalid: ${file}: ${doc.errors[0].message}`);
      invalid++;
      continue;
    }
    const object = doc.toJS();
    if (object == null) continue;
    const name = `${file}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
    const [group, version] = String(object.apiVersion).includes("/")
      ? object.apiVersion.split("/")
      : [null, object.apiVersion];
    let Model;
    try {
      Model = require(`kubernetes-models/${group ? group + "/" : ""}${version}/${object.kind}`)[object.kind];
    } catch {
      console.log(`invalid: ${name}: no such kind in the Kubernetes API`);
      invalid++;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`valid: ${name}`);
      valid++;
    } catch (e) {
      console.log(`invalid: ${name}: ${e.message}`);
      invalid++;
    }
  }
}
console.log(`${valid} valid, ${invalid} invalid`);
process.exit(invalid > 0 || valid === 0 ? 1 : 0);
