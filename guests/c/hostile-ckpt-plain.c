/*
 * hostile-ckpt-plain: calls wasm_worker.checkpoint mid-call but was NOT processed with
 * wasm-opt --asyncify, so it has no asyncify_* exports and the host cannot save its
 * stack. A host must refuse it when it loads, with an error that says how to build a
 * checkpointing guest; it must never start.
 *
 * Otherwise an ordinary command with ckpt-async-c's workload: if a host ran it anyway
 * and its checkpoint were a no-op returning 0, it would print ckpt-async-c's output.
 */
#include "wasm_worker_checkpoint.h"
#include "ckpt_chain.h"

int main(void)
{
    uint32_t steps, work, i;
    uint64_t state = CKPT_SEED;
    char *trail;

    ckpt_read_input(&steps, &work);
    if ((trail = (char *)malloc((size_t)steps + 1)) == NULL)
        ww_fail("out of memory for the trail");
    for (i = 1; i <= steps; i++) {
        fprintf(stderr, "step %lu\n", (unsigned long)i);
        state = ckpt_run_step(state, i, work);
        trail[i - 1] = ckpt_digit(state);
        ww_checkpoint(); /* without asyncify the host could not resume here */
    }
    ckpt_write_output(steps, work, state, trail, steps);
    return 0;
}
