// A wasm-worker guest in AssemblyScript (guests/README.md). For a step guest, export
// ww_step and add "exportStart": "_initialize" to asconfig.json's options.
import {
  businessError, jsonString, readInputJson, taskAttempt, writeOutput,
} from "../../assemblyscript/lib/wasm-worker";

function main(): void {
  const input = readInputJson();
  const name = input.get("name");
  if (name == null || !name.isString() || name.str.length == 0) {
    businessError("NAME_MISSING", "name is required"); // exit code 3
    return;
  }
  writeOutput("{\"greeting\":\"Hello, \",\"name\":" + jsonString(name.str) +
    ",\"attempt\":" + taskAttempt().toString() + "}");
}

main();
