/*
 * ckpt-async-c: checkpoints in the middle of a call (asyncify).
 *
 *   input   {"steps":8,"work":200000}      (both optional: defaults 8 and 200000)
 *   output  {"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}
 *
 * The workload is in ckpt_chain.h; ckpt-async-rust, ckpt-step-c and ckpt-step-rust
 * compute the very same output. The guest writes "step <i>" to stderr when step i
 * starts, and checkpoints (ww_checkpoint) after every step, so a run checkpoints
 * `steps` times; the output is written after the last checkpoint. A run restored from
 * checkpoint k writes "resumed from checkpoint k" to stderr, runs steps k+1.., and
 * prints the same output as an uninterrupted run.
 *
 * What must survive a checkpoint, on purpose spread over every kind of guest state:
 *   - wasm locals: the running state and the step counter are locals of run_steps(),
 *     three calls below main() when it checkpoints (main -> compute -> run_steps ->
 *     checkpoint_after -> wasm_worker.checkpoint);
 *   - the heap: the trail is a malloc'd buffer;
 *   - the C shadow stack (in linear memory, below global 0, the stack pointer):
 *     compute() keeps a string in a stack array across all the checkpoints and checks
 *     it at the end. If a host resumed with the wrong stack pointer, the calls after
 *     a checkpoint (use_stack() takes 4 KiB right after each one) would overwrite it,
 *     and the guest fails with exit code 1, "the C stack did not survive a checkpoint".
 *
 * Built as a normal command, then `wasm-opt --asyncify
 * --pass-arg=asyncify-imports@wasm_worker.checkpoint -O2` (see build.sh).
 */
#include "wasm_worker_checkpoint.h"
#include "ckpt_chain.h"

#define NOINLINE __attribute__((noinline))

/* Uses 4 KiB of C stack, as real work would. If a host resumed with the stack pointer
 * at the wrong place (its value at _start entry, say), this would overwrite the frames
 * of the callers, and compute() would notice. */
static NOINLINE void use_stack(uint32_t step)
{
    volatile unsigned char scratch[4096];
    size_t k;
    for (k = 0; k < sizeof scratch; k++)
        scratch[k] = (unsigned char)(step + k);
}

/* Checkpoints after `step`; the extra call level only makes the stack deeper. The
 * first thing after the checkpoint is a call that uses a lot of stack. */
static NOINLINE void checkpoint_after(uint32_t step)
{
    int resumed = ww_checkpoint() == WW_CHECKPOINT_RESUMED;
    use_stack(step);
    if (resumed)
        fprintf(stderr, "resumed from checkpoint %lu\n", (unsigned long)step);
}

/* Runs all the steps. `state` and `i` live in wasm locals across every checkpoint. */
static NOINLINE uint64_t run_steps(uint32_t steps, uint32_t work, char *trail)
{
    uint64_t state = CKPT_SEED;
    uint32_t i;
    for (i = 1; i <= steps; i++) {
        fprintf(stderr, "step %lu\n", (unsigned long)i);
        state = ckpt_run_step(state, i, work);
        trail[i - 1] = ckpt_digit(state);
        checkpoint_after(i);
    }
    return state;
}

static NOINLINE void compute(uint32_t steps, uint32_t work)
{
    char canary[48], check[48]; /* on the C shadow stack: its address escapes */
    char *trail = (char *)malloc((size_t)steps + 1);
    uint64_t state;
    if (trail == NULL)
        ww_fail("out of memory for the trail");
    snprintf(canary, sizeof canary, "canary %lu/%lu", (unsigned long)steps, (unsigned long)work);

    state = run_steps(steps, work, trail);

    snprintf(check, sizeof check, "canary %lu/%lu", (unsigned long)steps, (unsigned long)work);
    if (strcmp(canary, check) != 0)
        ww_fail("the C stack did not survive a checkpoint (was the stack pointer restored?)");
    ckpt_write_output(steps, work, state, trail, steps);
    free(trail);
}

int main(void)
{
    uint32_t steps, work;
    ckpt_read_input(&steps, &work);
    compute(steps, work);
    return 0;
}
