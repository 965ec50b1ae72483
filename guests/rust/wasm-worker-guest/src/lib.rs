//! Guest-side helpers for the wasm-worker guest ABI v1 (see `guests/ABI.md`).
//!
//! The ABI in one paragraph: a guest is a WASI preview1 command (a plain `fn main`
//! built for `wasm32-wasi`). The whole of stdin is one UTF-8 JSON value, the task
//! input. The guest writes exactly one JSON value to stdout and exits with code 0.
//! A *business* error is `{"code":"...","message":"...","details":{...}}` on stdout plus
//! exit code 3. Any other exit code, or a trap (a Rust panic, with `panic = "abort"`),
//! is a failure. stderr is for diagnostics only; the host keeps its tail.
//!
//! Most guests need only [`run`]:
//!
//! ```no_run
//! use serde_json::{json, Value};
//! use wasm_worker_guest::{run, BusinessError};
//!
//! fn main() {
//!     run(|input: Value| {
//!         let name = input["name"].as_str().unwrap_or_default();
//!         if name.is_empty() {
//!             return Err(BusinessError::new("NAME_MISSING", "\"name\" is required"));
//!         }
//!         Ok(json!({ "greeting": format!("Hello, {}!", name) }))
//!     })
//! }
//! ```
//!
//! With the cargo feature `checkpoint`, the crate also has [`checkpoint`] (mid-call
//! checkpoints in a command post-processed with asyncify) and [`checkpoint_after_step`]
//! (for step guests); see the [`checkpointing`] module. Without the feature nothing
//! imports `wasm_worker.checkpoint`.
//!
//! With the cargo feature `http`, the [`http`] module calls the endpoints the guest's
//! artifact is configured with, through the host (ABI 1.1). Without it nothing imports
//! `wasm_worker.http_request`.
//!
//! Only `std`, `serde` and `serde_json` are used, so the crate builds offline with
//! Debian's rustc 1.63 and its packaged crates.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::io::{self, Read, Write};
use std::process;

#[cfg(feature = "checkpoint")]
pub mod checkpointing;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "checkpoint")]
pub use checkpointing::{checkpoint, checkpoint_after_step, Checkpoint, CHECKPOINT_BUFFER_SIZE};

/// Exit code that marks stdout as a business error object.
pub const EXIT_BUSINESS_ERROR: i32 = 3;

/// Exit code used by [`fail`]. Any code other than 0 and 3 is a failure to the host.
pub const EXIT_FAILURE: i32 = 1;

/// A business error: an expected, domain-level "no" (invalid order, unknown coupon...)
/// that the orchestrator may branch on, as opposed to a crash.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessError {
    /// Machine-readable code, by convention UPPER_SNAKE_CASE, e.g. `INVALID_ORDER`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Optional structured context, normally a JSON object.
    pub details: Option<Value>,
}

impl BusinessError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        BusinessError {
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The ABI's error object. Built by hand rather than through a `serde_json::Map`
    /// so the fields come out in the documented order: code, message, details.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"code\":{},\"message\":{}",
            Value::from(self.code.as_str()),
            Value::from(self.message.as_str())
        );
        if let Some(details) = &self.details {
            out.push_str(",\"details\":");
            out.push_str(&details.to_string());
        }
        out.push('}');
        out
    }

    /// Writes the error object to stdout and exits with code 3. Nothing else may have
    /// been written to stdout before.
    pub fn exit(&self) -> ! {
        write_raw_output(self.to_json().as_bytes());
        process::exit(EXIT_BUSINESS_ERROR)
    }
}

impl fmt::Display for BusinessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for BusinessError {}

/// Reports a business error (see [`BusinessError::exit`]) and exits with code 3.
pub fn business_error(code: &str, message: &str, details: Option<Value>) -> ! {
    BusinessError {
        code: code.to_string(),
        message: message.to_string(),
        details,
    }
    .exit()
}

/// Reports a failure of the guest itself (not the caller's fault) on stderr and exits
/// with code 1.
pub fn fail(message: &str) -> ! {
    eprintln!("guest failure: {}", message);
    process::exit(EXIT_FAILURE)
}

/// Reads all of stdin. Calls [`fail`] on a read error.
pub fn read_input_bytes() -> Vec<u8> {
    let mut input = Vec::new();
    if let Err(e) = io::stdin().lock().read_to_end(&mut input) {
        fail(&format!("error reading stdin: {}", e));
    }
    input
}

/// Reads stdin and deserializes it: into `serde_json::Value`, or into any type that
/// implements `Deserialize`. Input that does not fit `T` is the business error
/// `INVALID_INPUT` (exit code 3), with serde's message.
pub fn read_input<T: DeserializeOwned>() -> T {
    match serde_json::from_slice(&read_input_bytes()) {
        Ok(value) => value,
        Err(e) => business_error("INVALID_INPUT", &format!("invalid input: {}", e), None),
    }
}

/// Serializes `value` as JSON and writes it to stdout (no trailing newline). Calls
/// [`fail`] if it cannot be serialized or written.
pub fn write_output<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_vec(value) {
        Ok(bytes) => write_raw_output(&bytes),
        Err(e) => fail(&format!("cannot serialize output: {}", e)),
    }
}

/// Writes already-serialized JSON to stdout in one go and flushes it.
pub fn write_raw_output(bytes: &[u8]) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        fail(&format!("error writing stdout: {}", e));
    }
}

/// The whole guest in one call: reads the input as `I`, runs `handler`, and writes
/// its `Ok` value as the output (exit code 0) or its `Err` as a business error (exit
/// code 3). Never returns.
pub fn run<I, O, F>(handler: F) -> !
where
    I: DeserializeOwned,
    O: Serialize,
    F: FnOnce(I) -> Result<O, BusinessError>,
{
    match handler(read_input()) {
        Ok(output) => {
            write_output(&output);
            process::exit(0)
        }
        Err(error) => error.exit(),
    }
}

/// An environment variable, or `None` if unset (or not valid UTF-8).
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The ABI version the host speaks (`WASM_WORKER_ABI`), if set and numeric.
pub fn abi_version() -> Option<u32> {
    env("WASM_WORKER_ABI").and_then(|v| v.parse().ok())
}

/// Functions the host offers in the import module `wasm_worker`
/// (`WASM_WORKER_IMPORTS`, comma-separated; empty in the base of ABI v1, `checkpoint`
/// on a host that supports checkpoints, `http_request` and `http_response` from ABI 1.1).
pub fn host_imports() -> Vec<String> {
    env("WASM_WORKER_IMPORTS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect()
}

/// The task's id (`WASM_WORKER_TASK_ID`), if the host set one.
pub fn task_id() -> Option<String> {
    env("WASM_WORKER_TASK_ID")
}

/// The task's attempt number (`WASM_WORKER_TASK_ATTEMPT`), 1 if unset or not a
/// positive integer.
pub fn task_attempt() -> u32 {
    env("WASM_WORKER_TASK_ATTEMPT")
        .and_then(|v| v.parse().ok())
        .filter(|&attempt| attempt >= 1)
        .unwrap_or(1)
}

/// Where the task came from (`WASM_WORKER_TASK_SOURCE`), if the host set it.
pub fn task_source() -> Option<String> {
    env("WASM_WORKER_TASK_SOURCE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_object_has_fields_in_abi_order_and_escapes_strings() {
        let e = BusinessError::new("BAD", "a \"quoted\"\nline").with_details(json!({"k": 1}));
        assert_eq!(
            e.to_json(),
            r#"{"code":"BAD","message":"a \"quoted\"\nline","details":{"k":1}}"#
        );
        assert_eq!(BusinessError::new("X", "y").to_json(), r#"{"code":"X","message":"y"}"#);
    }
}
