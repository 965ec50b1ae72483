//! ckpt-http-step-rust: host HTTP calls in a step guest, one per step and a checkpoint
//! after each, for the journal's tests (`guests/ABI.md`, "What a retry does with a
//! call"); the Rust twin of `guests/c/ckpt-http-step-c.c`, with the same input, calls
//! and output as it and `ckpt-http-async-c`.
//!
//! Input `{"lines":3}` (1 to 20; default 3); calls `POST /reserve` on the `inventory`
//! endpoint once per line with the body `{"line":<i>}`; output
//! `[<the service's answer to line 1>,<line 2>,...]`. A bad input is the business error
//! `INVALID_INPUT` (exit code 3), a service that fails is a failure (exit code 1).
//!
//! A `cdylib` without `main` (see `ckpt-step-rust` for why it defines `_initialize`): the
//! host calls `_initialize()` once, then `ww_step()` until it returns 1. With L = lines:
//!
//! - call i <= L writes `line <i>` to stderr, makes line i's call, appends the answer,
//!   asks for a checkpoint after this call ([`checkpoint_after_step`]) and returns 0;
//! - call L+1 writes the output and returns 1.
//!
//! Between calls the wasm stack is empty and all state is in the static `RUN` and the
//! heap, so a run restored from the checkpoint after call k goes on with line k+1: lines
//! before it are neither called again nor replayed. A run that died after line k+1's call
//! was recorded but before that checkpoint replays the call from the journal. Either way
//! the output equals an uninterrupted run's.

use serde_json::Value;
use std::sync::Mutex;
use wasm_worker_guest::http;
use wasm_worker_guest::{checkpoint_after_step, fail, read_input, write_raw_output, BusinessError};

const MORE: i32 = 0;
const DONE: i32 = 1;

struct Run {
    lines: i64,
    /// The line the next call reserves, 1-based.
    next: i64,
    /// `[` and the answers so far, comma-separated, on the heap.
    answers: Vec<u8>,
    /// The output has been written.
    done: bool,
}

/// All state between steps. `None` until the first call has read the input.
static RUN: Mutex<Option<Run>> = Mutex::new(None);

fn start() -> Run {
    let input: Value = read_input();
    let lines = match input.get("lines") {
        None if input.is_object() => 3,
        Some(Value::Number(n)) => n.as_i64().filter(|l| (1..=20).contains(l)).unwrap_or(0),
        _ => 0,
    };
    if lines == 0 {
        BusinessError::new("INVALID_INPUT", "lines must be an integer from 1 to 20").exit();
    }
    Run {
        lines,
        next: 1,
        answers: Vec::new(),
        done: false,
    }
}

fn reserve(line: i64, answers: &mut Vec<u8>) {
    let body = format!("{{\"line\":{}}}", line);
    match http::call("inventory", "POST", "/reserve", &[("Content-Type", "application/json")], body.as_bytes()) {
        Ok(r) if r.is_success() => {
            answers.push(if line == 1 { b'[' } else { b',' });
            answers.extend_from_slice(&r.body);
        }
        Ok(r) => {
            eprintln!("line {}: ok, status {}", line, r.status);
            fail("the inventory service did not answer as expected")
        }
        Err(e) => {
            eprintln!("line {}: {}", line, e);
            fail("the inventory service did not answer as expected")
        }
    }
}

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// Synthesised by wasm-ld: runs the static constructors (of wasi-libc, mostly).
    fn __wasm_call_ctors();
}

/// Reactor initialisation; the host calls it once, before the first `ww_step`.
#[no_mangle]
pub extern "C" fn _initialize() {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        __wasm_call_ctors()
    }
}

/// One step (see the crate docs): 0 = more steps to do, 1 = done, output written.
#[no_mangle]
pub extern "C" fn ww_step() -> i32 {
    let mut guard = RUN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let run = guard.get_or_insert_with(start);
    if run.done {
        return DONE;
    }
    if run.next <= run.lines {
        let line = run.next;
        eprintln!("line {}", line);
        reserve(line, &mut run.answers);
        run.next = line + 1;
        checkpoint_after_step();
        return MORE;
    }
    run.answers.push(b']');
    write_raw_output(&run.answers);
    run.done = true;
    DONE
}
