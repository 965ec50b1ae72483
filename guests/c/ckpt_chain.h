/*
 * ckpt_chain.h - the workload shared by the checkpointing example guests ckpt-async-c,
 * ckpt-step-c and hostile-ckpt-plain. The Rust twins (rust/shared/ckpt_chain.rs) do
 * exactly the same, so all four ckpt-* guests give byte-identical output for the same
 * input.
 *
 *   input   {"steps":8,"work":200000}      (both optional: defaults 8 and 200000)
 *   output  {"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}
 *
 * The running state starts at CKPT_SEED. Step i (1-based) runs `work` rounds of
 *
 *     state = splitmix64_mix(state + 0x9e3779b97f4a7c15 + i)
 *
 * (all arithmetic mod 2^64), then appends the decimal digit state % 10 to the trail.
 * `result` is the final state in lower-case hex. Each step depends on the state left
 * by the one before, so a resumed run only gets the right result if its state really
 * carried over; the trail (kept on the heap) checks the heap the same way.
 *
 * Business error INVALID_INPUT: input not a JSON object, or steps/work not an integer
 * in range.
 */
#ifndef CKPT_CHAIN_H
#define CKPT_CHAIN_H

#include "wasm_worker.h"

#define CKPT_DEFAULT_STEPS 8
#define CKPT_DEFAULT_WORK 200000
#define CKPT_MAX_STEPS 100000
#define CKPT_MAX_WORK 1000000000

#define CKPT_SEED 0xcbf29ce484222325ULL /* the FNV-1a offset basis; any constant would do */

/* The splitmix64 finaliser. */
static inline uint64_t ckpt_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One step's work: `work` rounds of the hash chain, mixing in the step number. */
static inline uint64_t ckpt_run_step(uint64_t state, uint32_t step, uint32_t work)
{
    uint32_t k;
    for (k = 0; k < work; k++)
        state = ckpt_mix(state + 0x9e3779b97f4a7c15ULL + step);
    return state;
}

/* The trail digit a step leaves behind. */
static inline char ckpt_digit(uint64_t state)
{
    return (char)('0' + state % 10);
}

/* Reads member `key` into *out: the default if absent, else an integer in [0, max].
 * Business error (exits) otherwise. */
static inline void ckpt__get_count(const char *input, size_t len, const char *key,
                                   uint32_t fallback, uint32_t max, const char *message,
                                   uint32_t *out)
{
    long long value;
    switch (ww_json_get_int(input, len, key, &value)) {
    case WW_JSON_OK:
        if (value < 0 || value > (long long)max)
            ww_business_error("INVALID_INPUT", message);
        *out = (uint32_t)value;
        return;
    case WW_JSON_NOT_FOUND:
        *out = fallback;
        return;
    case WW_JSON_NOT_OBJECT:
        ww_business_error("INVALID_INPUT", "input must be a JSON object");
    default:
        ww_business_error("INVALID_INPUT", message);
    }
}

/* Reads stdin and parses {"steps":S,"work":W}; business error INVALID_INPUT if bad. */
static inline void ckpt_read_input(uint32_t *steps, uint32_t *work)
{
    size_t len;
    char *input = ww_read_input(&len);
    ckpt__get_count(input, len, "steps", CKPT_DEFAULT_STEPS, CKPT_MAX_STEPS,
                    "\"steps\" must be an integer from 0 to 100000", steps);
    ckpt__get_count(input, len, "work", CKPT_DEFAULT_WORK, CKPT_MAX_WORK,
                    "\"work\" must be an integer from 0 to 1000000000", work);
    free(input);
}

/* Writes the output object (see the top of this file) and flushes stdout. */
static inline void ckpt_write_output(uint32_t steps, uint32_t work, uint64_t state,
                                     const char *trail, size_t trail_len)
{
    printf("{\"steps\":%lu,\"work\":%lu,\"result\":\"%016llx\",\"trail\":\"",
           (unsigned long)steps, (unsigned long)work, (unsigned long long)state);
    fwrite(trail, 1, trail_len, stdout); /* digits only: nothing to escape */
    fputs("\"}", stdout);
    ww_flush_output();
}

#endif /* CKPT_CHAIN_H */
