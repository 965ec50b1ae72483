// primes-as: CPU-heavy benchmark guest, the AssemblyScript twin of guests/c/primes.c.
//
//   input   {"n":1000000}
//   output  {"n":1000000,"primes":78498}
//
// The same deliberately plain algorithm as the C, Rust and plain-Java versions, so the
// benchmark compares runtimes rather than algorithms: a byte-per-number sieve of
// Eratosthenes (outer loop while i*i <= n, inner loop marks j = i*i, i*i+i, ... as
// composite), then one counting pass.
//
// Business errors: INVALID_INPUT (n missing, not an integer, or negative) and N_TOO_LARGE
// (n > 1000000000, or the sieve does not fit in the memory the host allows).

import { businessError, readInputJson, writeOutput } from "./lib/wasm-worker";

/** Same limit as primes.c: every index and i*i stay below 2^31 (u32 cannot overflow). */
const MAX_N: u64 = 1000000000;

/**
 * Counts the primes <= n. The sieve lives in pages of its own, grown with memory.grow
 * rather than allocated from the heap: AssemblyScript's allocator aborts (a trap) when
 * memory runs out, while a refused memory.grow returns -1 and can be reported as
 * N_TOO_LARGE, as the C guest does when calloc fails. The runtime's allocator (TLSF)
 * leaves such pages alone: it adds only what it grows itself. Fresh pages are zero.
 */
function countPrimes(n: u32): u32 {
  const pages = <i32>((<u64>n + 1 + 0xffff) >>> 16);
  const before = memory.grow(pages);
  if (before < 0) businessError("N_TOO_LARGE", "not enough memory for a sieve of this size");
  const composite = <usize>before << 16;

  for (let i: u32 = 2; i * i <= n; i++) {
    if (load<u8>(composite + i) == 0) {
      for (let j: u32 = i * i; j <= n; j += i) store<u8>(composite + j, 1);
    }
  }
  let count: u32 = 0;
  for (let i: u32 = 2; i <= n; i++) {
    if (load<u8>(composite + i) == 0) count++;
  }
  return count;
}

function main(): void {
  const input = readInputJson();
  if (!input.isObject()) businessError("INVALID_INPUT", "input must be a JSON object");
  const n = input.get("n");
  // isUnsignedInt: written without sign, fraction or exponent, and fits a u64.
  if (n == null || !n.isNumber() || !n.isUnsignedInt) {
    businessError("INVALID_INPUT", "\"n\" must be a non-negative integer");
  }
  if (n!.uint > MAX_N) businessError("N_TOO_LARGE", "\"n\" must be at most 1000000000");
  const count = countPrimes(<u32>n!.uint);
  writeOutput("{\"n\":" + n!.uint.toString() + ",\"primes\":" + count.toString() + "}");
}

main();
