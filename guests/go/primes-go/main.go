// primes-go: CPU-heavy benchmark guest, the Go twin of guests/c/primes.c.
//
//	input   {"n":1000000}
//	output  {"n":1000000,"primes":78498}
//
// The same deliberately plain algorithm as the C, Rust and plain-Java versions, so the
// benchmark compares runtimes rather than algorithms: a byte-per-number sieve of
// Eratosthenes (outer loop while i*i <= n, inner loop marks j = i*i, i*i+i, ... as
// composite), then one counting pass. Go keeps its bounds checks.
//
// Business errors: INVALID_INPUT (n missing, not an integer, or negative) and
// N_TOO_LARGE (n > 1000000000). Unlike the C guest, a sieve larger than the memory the
// host allows is a failure, not N_TOO_LARGE: Go's runtime ends the program itself
// ("fatal error: out of memory") when it cannot grow the heap.
package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	ww "wasmworker.io/guests/wasmworker"
)

// maxN is the same limit as primes.c: every index and i*i stay below 2^31.
const maxN = 1000000000

func countPrimes(n uint32) uint32 {
	composite := make([]byte, uint64(n)+1)
	for i := uint32(2); i*i <= n; i++ {
		if composite[i] == 0 {
			for j := i * i; j <= n; j += i {
				composite[j] = 1
			}
		}
	}
	count := uint32(0)
	for i := uint32(2); i <= n; i++ {
		if composite[i] == 0 {
			count++
		}
	}
	return count
}

func main() {
	input, ok := ww.ReadInputJSON().(map[string]any)
	if !ok {
		ww.BusinessError("INVALID_INPUT", "input must be a JSON object", nil)
	}
	// Only an integer literal that fits an int64: no fraction, exponent or sign games.
	raw, _ := input["n"].(json.Number)
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		ww.BusinessError("INVALID_INPUT", `"n" must be a non-negative integer`, nil)
	}
	if n > maxN {
		ww.BusinessError("N_TOO_LARGE", `"n" must be at most 1000000000`, nil)
	}
	ww.WriteOutput([]byte(fmt.Sprintf(`{"n":%d,"primes":%d}`, n, countPrimes(uint32(n)))))
}
