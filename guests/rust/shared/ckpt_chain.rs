//! The workload shared by the checkpointing example guests `ckpt-async-rust` and
//! `ckpt-step-rust` (each includes this file with `#[path]`). It is the same as
//! `guests/c/ckpt_chain.h`, so all four `ckpt-*` guests give byte-identical output for
//! the same input.
//!
//! Input `{"steps":8,"work":200000}` (both optional: defaults 8 and 200000), output
//! `{"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}`.
//!
//! The running state starts at [`SEED`]. Step `i` (1-based) runs `work` rounds of
//! `state = splitmix64_mix(state + 0x9e3779b97f4a7c15 + i)` (wrapping), then appends
//! the decimal digit `state % 10` to the trail. `result` is the final state in
//! lower-case hex. Each step depends on the state the one before left, so a resumed run
//! only gets the right result if its state really carried over; the trail (on the
//! heap) checks the heap the same way.
//!
//! Business error `INVALID_INPUT`: input not a JSON object, or steps/work not an
//! integer in range.

use serde_json::Value;
use wasm_worker_guest::BusinessError;

pub const DEFAULT_STEPS: u32 = 8;
pub const DEFAULT_WORK: u32 = 200_000;
pub const MAX_STEPS: u32 = 100_000;
pub const MAX_WORK: u32 = 1_000_000_000;

/// The FNV-1a offset basis; any constant would do.
pub const SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// The splitmix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One step's work: `work` rounds of the hash chain, mixing in the step number.
pub fn run_step(mut state: u64, step: u32, work: u32) -> u64 {
    for _ in 0..work {
        state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15).wrapping_add(u64::from(step)));
    }
    state
}

/// The trail digit a step leaves behind.
pub fn digit(state: u64) -> String {
    (state % 10).to_string()
}

fn count(input: &Value, key: &str, default: u32, max: u32) -> Result<u32, BusinessError> {
    match input.get(key) {
        None => Ok(default),
        Some(value) => value
            .as_u64()
            .filter(|&n| n <= u64::from(max))
            .map(|n| n as u32)
            .ok_or_else(|| {
                BusinessError::new(
                    "INVALID_INPUT",
                    format!("\"{}\" must be an integer from 0 to {}", key, max),
                )
            }),
    }
}

/// `(steps, work)` from the input object.
pub fn parse_input(input: &Value) -> Result<(u32, u32), BusinessError> {
    if !input.is_object() {
        return Err(BusinessError::new("INVALID_INPUT", "input must be a JSON object"));
    }
    Ok((
        count(input, "steps", DEFAULT_STEPS, MAX_STEPS)?,
        count(input, "work", DEFAULT_WORK, MAX_WORK)?,
    ))
}

/// The output object, fields in the documented order (as the C guests print it).
pub fn format_output(steps: u32, work: u32, state: u64, trail: &[String]) -> String {
    format!(
        "{{\"steps\":{},\"work\":{},\"result\":\"{:016x}\",\"trail\":\"{}\"}}",
        steps,
        work,
        state,
        trail.concat()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The uninterrupted run, step by step; the checkpointing guests must match it.
    fn reference(steps: u32, work: u32) -> String {
        let mut state = SEED;
        let mut trail = Vec::new();
        for i in 1..=steps {
            state = run_step(state, i, work);
            trail.push(digit(state));
        }
        format_output(steps, work, state, &trail)
    }

    #[test]
    fn default_input_gives_the_value_the_c_guests_print() {
        assert_eq!(
            reference(8, 200_000),
            r#"{"steps":8,"work":200000,"result":"1b8254a3ca38de40","trail":"46423668"}"#
        );
        assert_eq!(parse_input(&json!({})).unwrap(), (8, 200_000));
    }

    #[test]
    fn rejects_bad_counts() {
        assert!(parse_input(&json!([])).is_err());
        assert!(parse_input(&json!({"steps": -1})).is_err());
        assert!(parse_input(&json!({"steps": 100_001})).is_err());
        assert!(parse_input(&json!({"work": 1.5})).is_err());
        assert!(parse_input(&json!({"work": null})).is_err());
        assert_eq!(parse_input(&json!({"steps": 0, "work": 0})).unwrap(), (0, 0));
    }
}
