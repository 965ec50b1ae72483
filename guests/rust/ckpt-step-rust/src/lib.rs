//! ckpt-step-rust: a step guest, checkpointing between steps without asyncify; the Rust
//! twin of `guests/c/ckpt-step-c.c`.
//!
//! Input `{"steps":8,"work":200000}` (both optional), output
//! `{"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}`; the
//! workload is in `../shared/ckpt_chain.rs`, and all four `ckpt-*` guests print the same.
//!
//! A `cdylib` without `main`: the module has no `_start`, exports `memory`,
//! [`_initialize`] and [`ww_step`], and the host calls `_initialize()` once, then
//! `ww_step()` until it returns 1. With S = steps:
//!
//! - call 1 reads and checks the input, then runs step 1;
//! - call i <= S runs step i: writes `step <i>` to stderr, does the work, asks for a
//!   checkpoint after this call ([`checkpoint_after_step`]) and returns 0;
//! - call S+1 writes the output and returns 1 (with S = 0 that is call 1).
//!
//! Between calls the wasm stack is empty and all state is in the static `RUN` and the
//! heap, so a snapshot taken after call k resumes with step k+1. A bad input is the
//! business error `INVALID_INPUT`, reported from call 1 with exit code 3.
//!
//! With rustc 1.63 a wasm32-wasi cdylib gets no `_initialize` of its own (no
//! crt1-reactor.o is linked). Then wasm-ld treats the module like a command and wraps
//! every export so that it runs the C constructors before and the destructors after
//! *each* call, which for a step guest means on every step. Harmless in this guest
//! (it has no constructors, and its destructors do nothing), but a guest that reads environment variables gets wasi-libc's environment
//! re-read, and its old copy leaked, at every step. Defining `_initialize` as below
//! (what crt1-reactor.o does for C) makes the module a proper reactor: the
//! constructors run once, and `ww_step` is exported as is.

#[path = "../../shared/ckpt_chain.rs"]
mod ckpt_chain;

use serde_json::Value;
use std::sync::Mutex;
use wasm_worker_guest::{checkpoint_after_step, read_input, write_raw_output};

/// Inputs, outputs and error codes, for `wasm-worker templates` (guests/ABI.md, "Describing a
/// guest"): the bytes of description.json in the module's custom section.
#[link_section = "wasm-worker.description"]
#[used]
static DESCRIPTION: [u8; include_bytes!("../description.json").len()] = *include_bytes!("../description.json");

const MORE: i32 = 0;
const DONE: i32 = 1;

struct Run {
    steps: u32,
    work: u32,
    /// The step the next call runs, 1-based.
    next: u32,
    state: u64,
    /// One digit per finished step, on the heap.
    trail: Vec<String>,
    /// The output has been written.
    done: bool,
}

/// All state between steps. `None` until the first call has read the input.
static RUN: Mutex<Option<Run>> = Mutex::new(None);

fn start() -> Run {
    let input: Value = read_input();
    let (steps, work) = ckpt_chain::parse_input(&input).unwrap_or_else(|e| e.exit());
    Run {
        steps,
        work,
        next: 1,
        state: ckpt_chain::SEED,
        trail: Vec::with_capacity(steps as usize),
        done: false,
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
    if run.next <= run.steps {
        let i = run.next;
        eprintln!("step {}", i);
        run.state = ckpt_chain::run_step(run.state, i, run.work);
        run.trail.push(ckpt_chain::digit(run.state));
        run.next = i + 1;
        checkpoint_after_step();
        return MORE;
    }
    write_raw_output(ckpt_chain::format_output(run.steps, run.work, run.state, &run.trail).as_bytes());
    run.done = true;
    DONE
}
