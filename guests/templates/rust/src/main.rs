use serde_json::{json, Value};
use wasm_worker_guest::{run, BusinessError};

fn main() {
    // Reads stdin as JSON, writes Ok(..) to stdout (exit 0) or Err(..) as a business error (exit 3).
    run(|input: Value| {
        let name = input["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return Err(BusinessError::new("NAME_MISSING", "name is required"));
        }
        Ok(json!({ "greeting": "Hello, ", "name": name, "attempt": wasm_worker_guest::task_attempt() }))
    })
}
