//! ckpt-async-rust: checkpoints in the middle of a call (asyncify); the Rust twin of
//! `guests/c/ckpt-async-c.c`.
//!
//! Input `{"steps":8,"work":200000}` (both optional), output
//! `{"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}`; the
//! workload is in `../shared/ckpt_chain.rs`, and all four `ckpt-*` guests print the same.
//! The guest writes `step <i>` to stderr when step i starts and checkpoints
//! ([`checkpoint`]) after every step, so a run checkpoints `steps` times; the output is
//! written after the last checkpoint. A run restored from checkpoint k writes
//! `resumed from checkpoint k` to stderr, runs steps k+1.., and prints the same output
//! as an uninterrupted run.
//!
//! What must survive a checkpoint, spread over every kind of guest state:
//! - wasm locals: the running state and the step counter are locals of `run_steps`,
//!   three calls below `main` when it checkpoints (main -> compute -> run_steps ->
//!   checkpoint_after -> wasm_worker.checkpoint);
//! - the heap: the trail is a `Vec<String>`, one allocation per step;
//! - the shadow stack (in linear memory, below global 0, the stack pointer): `compute`
//!   keeps an array there across all the checkpoints and checks it at the end. If a
//!   host resumed with the wrong stack pointer, the calls after a checkpoint
//!   (`use_stack` takes 4 KiB right after each one) would overwrite it, and the guest
//!   fails with exit code 1, "the stack did not survive a checkpoint".
//!
//! Built with cargo, then `wasm-opt --asyncify
//! --pass-arg=asyncify-imports@wasm_worker.checkpoint -O2` (see `guests/build.sh`).

#[path = "../../shared/ckpt_chain.rs"]
mod ckpt_chain;

use serde_json::Value;
use std::ptr;
use wasm_worker_guest::{checkpoint, fail, read_input, write_raw_output, Checkpoint};

/// Uses 4 KiB of stack, as real work would. If a host resumed with the stack pointer at
/// the wrong place (its value at `_start` entry, say), this would overwrite the frames
/// of the callers, and `compute` would notice.
#[inline(never)]
fn use_stack(step: u32) {
    let mut scratch = [0u8; 4096];
    for (k, byte) in scratch.iter_mut().enumerate() {
        unsafe { ptr::write_volatile(byte, (step as usize + k) as u8) };
    }
}

/// Checkpoints after `step`; the extra call level only makes the stack deeper. The
/// first thing after the checkpoint is a call that uses a lot of stack.
#[inline(never)]
fn checkpoint_after(step: u32) {
    let outcome = checkpoint();
    use_stack(step);
    if outcome == Checkpoint::Resumed {
        eprintln!("resumed from checkpoint {}", step);
    }
}

/// Runs all the steps. `state` and `i` live in wasm locals across every checkpoint.
#[inline(never)]
fn run_steps(steps: u32, work: u32, trail: &mut Vec<String>) -> u64 {
    let mut state = ckpt_chain::SEED;
    for i in 1..=steps {
        eprintln!("step {}", i);
        state = ckpt_chain::run_step(state, i, work);
        trail.push(ckpt_chain::digit(state));
        checkpoint_after(i);
    }
    state
}

/// The canary pattern: depends on the input, so it cannot be a constant.
fn canary_word(steps: u32, work: u32, k: usize) -> u64 {
    (u64::from(steps) << 32 | u64::from(work)) ^ (k as u64).wrapping_mul(0x0101_0101_0101_0101)
}

#[inline(never)]
fn compute(steps: u32, work: u32) -> String {
    // Volatile accesses keep the array in linear memory (the shadow stack), not in
    // wasm locals.
    let mut canary = [0u64; 8];
    for (k, word) in canary.iter_mut().enumerate() {
        unsafe { ptr::write_volatile(word, canary_word(steps, work, k)) };
    }
    let mut trail = Vec::with_capacity(steps as usize);

    let state = run_steps(steps, work, &mut trail);

    for (k, word) in canary.iter().enumerate() {
        if unsafe { ptr::read_volatile(word) } != canary_word(steps, work, k) {
            fail("the stack did not survive a checkpoint (was the stack pointer restored?)");
        }
    }
    ckpt_chain::format_output(steps, work, state, &trail)
}

fn main() {
    let input: Value = read_input();
    let (steps, work) = ckpt_chain::parse_input(&input).unwrap_or_else(|e| e.exit());
    let output = compute(steps, work);
    write_raw_output(output.as_bytes());
}
