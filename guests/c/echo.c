/*
 * echo: copies the input JSON to stdout unchanged.
 *
 * Deliberately trivial: it is the guest the warm-invocation benchmark runs, so what it
 * measures is the host's per-call overhead (instantiation, WASI plumbing, stdin/stdout
 * copies) and not guest work. The input is not parsed or validated; the host already
 * guarantees that stdin is one JSON value.
 */
#include "wasm_worker.h"

int main(void)
{
    size_t len;
    char *input = ww_read_input(&len);
    ww_write_output_len(input, len);
    return 0;
}
