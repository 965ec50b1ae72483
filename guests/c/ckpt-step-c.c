/*
 * ckpt-step-c: a step guest. Checkpoints between steps, without asyncify.
 *
 *   input   {"steps":8,"work":200000}      (both optional: defaults 8 and 200000)
 *   output  {"steps":8,"work":200000,"result":"<16 hex digits>","trail":"<steps digits>"}
 *
 * Same workload and output as ckpt-async-c (ckpt_chain.h), cut into steps: a reactor
 * module (no _start; exports memory, _initialize and ww_step) that the host drives by
 * calling ww_step() until it returns 1. With S = steps:
 *
 *   call 1       reads and checks the input, then runs step 1
 *   call i<=S    runs step i: writes "step <i>" to stderr, does the work, asks for a
 *                checkpoint after this call (ww_checkpoint_after_step), returns 0
 *   call S+1     writes the output, returns 1 (with S = 0 that is call 1)
 *
 * Between calls the wasm stack is empty and all state is in `run` (a global) and the
 * heap (the trail), so a snapshot taken after call k resumes with step k+1. A bad
 * input is the business error INVALID_INPUT, reported from call 1 with exit code 3.
 *
 * Built with clang -mexec-model=reactor (see build.sh); ww_step is exported by the
 * export_name attribute below.
 */
#include "wasm_worker_checkpoint.h"
#include "ckpt_chain.h"

#define WW_STEP_MORE 0
#define WW_STEP_DONE 1

static struct {
    int started;   /* the input has been read */
    int done;      /* the output has been written */
    uint32_t steps, work;
    uint32_t next; /* the step the next call runs, 1-based */
    uint64_t state;
    char *trail;   /* heap: one digit per finished step */
} run;

__attribute__((export_name("ww_step"))) int ww_step(void)
{
    if (run.done)
        return WW_STEP_DONE;
    if (!run.started) {
        ckpt_read_input(&run.steps, &run.work);
        run.trail = (char *)malloc((size_t)run.steps + 1);
        if (run.trail == NULL)
            ww_fail("out of memory for the trail");
        run.state = CKPT_SEED;
        run.next = 1;
        run.started = 1;
    }
    if (run.next <= run.steps) {
        uint32_t i = run.next;
        fprintf(stderr, "step %lu\n", (unsigned long)i);
        run.state = ckpt_run_step(run.state, i, run.work);
        run.trail[i - 1] = ckpt_digit(run.state);
        run.next = i + 1;
        ww_checkpoint_after_step();
        return WW_STEP_MORE;
    }
    ckpt_write_output(run.steps, run.work, run.state, run.trail, run.steps);
    run.done = 1;
    return WW_STEP_DONE;
}
