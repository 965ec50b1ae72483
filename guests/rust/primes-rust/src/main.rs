//! primes-rust: CPU-heavy benchmark guest, the Rust twin of `guests/c/primes.c`.
//!
//! Input `{"n":1000000}`, output `{"n":1000000,"primes":78498}`: the number of primes
//! <= n. Same algorithm as the C and the plain-Java versions, kept deliberately plain
//! so the benchmark compares runtimes rather than algorithms: a byte-per-number sieve
//! of Eratosthenes (outer loop while i*i <= n, inner loop marks j = i*i, i*i+i, ...),
//! then one counting pass.
//!
//! Business errors: `INVALID_INPUT` (n missing, not an integer, or negative) and
//! `N_TOO_LARGE` (n > 1000000000, or the sieve does not fit in the memory the host
//! allows).

use serde_json::{json, Value};
use wasm_worker_guest::{run, BusinessError};

/// Same limit as primes.c: keeps every index and i*i below 2^31 (32-bit usize on wasm32
/// cannot overflow; the Java version can use int). The sieve takes n+1 bytes.
const MAX_N: u64 = 1_000_000_000;

fn count_primes(n: usize) -> Result<u32, BusinessError> {
    // try_reserve instead of vec![0; n + 1]: running out of linear memory should be a
    // business error, as in the C version (where malloc returns NULL), not an abort.
    let mut composite: Vec<u8> = Vec::new();
    if composite.try_reserve_exact(n + 1).is_err() {
        return Err(BusinessError::new(
            "N_TOO_LARGE",
            "not enough memory for a sieve of this size",
        ));
    }
    composite.resize(n + 1, 0);

    let mut i = 2;
    while i * i <= n {
        if composite[i] == 0 {
            let mut j = i * i;
            while j <= n {
                composite[j] = 1;
                j += i;
            }
        }
        i += 1;
    }
    let mut count = 0;
    let mut k = 2;
    while k <= n {
        if composite[k] == 0 {
            count += 1;
        }
        k += 1;
    }
    Ok(count)
}

fn main() {
    run(|input: Value| {
        if !input.is_object() {
            return Err(BusinessError::new("INVALID_INPUT", "input must be a JSON object"));
        }
        let n = input["n"].as_u64().ok_or_else(|| {
            BusinessError::new("INVALID_INPUT", "\"n\" must be a non-negative integer")
        })?;
        if n > MAX_N {
            return Err(BusinessError::new("N_TOO_LARGE", "\"n\" must be at most 1000000000"));
        }
        let primes = count_primes(n as usize)?;
        Ok(json!({ "n": n, "primes": primes }))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_primes() {
        let counts: Vec<u32> = [0, 1, 2, 3, 10, 100, 1_000_000]
            .iter()
            .map(|&n| super::count_primes(n).unwrap())
            .collect();
        assert_eq!(counts, vec![0, 0, 1, 2, 4, 25, 78498]);
    }
}
