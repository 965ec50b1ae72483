/*
 * wasm_worker_checkpoint.h - checkpointing for wasm-worker guests (see guests/ABI.md).
 *
 * Kept out of wasm_worker.h on purpose: including this header is the opt-in. A guest
 * that calls one of these functions imports wasm_worker.checkpoint, and a host without
 * checkpoint support refuses such a module at load time.
 *
 * The host function is
 *
 *     wasm_worker.checkpoint(buf: i32, len: i32) -> i32
 *
 * and a guest uses it in one of two ways:
 *
 * 1. Mid-call, in a normal command (exports _start): call ww_checkpoint() anywhere, as
 *    deep in the call stack as you like. The host saves the whole call stack (with
 *    binaryen's asyncify) and later resumes the run right after the call, possibly in
 *    another process. The module MUST be post-processed after linking:
 *
 *        wasm-opt in.wasm --asyncify --pass-arg=asyncify-imports@wasm_worker.checkpoint \
 *            -O2 -o out.wasm
 *
 *    A module that imports wasm_worker.checkpoint but lacks the asyncify_* exports is
 *    refused at load time.
 *
 * 2. Between steps, in a step guest (a reactor: built with -mexec-model=reactor, no
 *    _start, exports int ww_step(void)): call ww_checkpoint_after_step() during a step
 *    to ask the host to checkpoint when that step returns. No asyncify needed.
 *
 * Everything is `static inline`, so the import and the buffer only end up in modules
 * that call these functions.
 */
#ifndef WASM_WORKER_CHECKPOINT_H
#define WASM_WORKER_CHECKPOINT_H

#include "wasm_worker.h"

/* Size of the buffer that holds the saved call stack (asyncify data) of a mid-call
 * checkpoint. It must hold the locals of every function on the stack at the
 * checkpoint; 64 KiB is plenty unless a guest checkpoints inside deep recursion.
 * Define it before including this header to change it. */
#ifndef WW_CHECKPOINT_BUFFER_SIZE
#define WW_CHECKPOINT_BUFFER_SIZE 65536
#endif

/* Return values of ww_checkpoint(). */
#define WW_CHECKPOINT_TAKEN 0   /* the checkpoint was taken; this run goes on */
#define WW_CHECKPOINT_RESUMED 1 /* this run was just restored from this checkpoint */

#if defined(__wasm__)
/* The host function. buf/len is the asyncify buffer (0/0 from a step guest). */
int32_t ww__checkpoint_import(void *buf, int32_t len)
    __attribute__((import_module("wasm_worker"), import_name("checkpoint")));
#else
/* Native builds (editors, unit tests): no host, so a checkpoint is a no-op. */
static inline int32_t ww__checkpoint_import(void *buf, int32_t len)
{
    (void)buf;
    (void)len;
    return WW_CHECKPOINT_TAKEN;
}
#endif

/* Mid-call checkpoint (asyncify guests only, see above). Returns WW_CHECKPOINT_TAKEN
 * in the run that took the checkpoint, WW_CHECKPOINT_RESUMED when the run was restored
 * from it. Locals, the heap and the C stack all carry over; what lives outside the
 * instance does not: stdin has already been consumed, and output written before the
 * checkpoint is the host's to keep. */
static inline int ww_checkpoint(void)
{
    /* The asyncify data buffer: static (it must not live on the stack it describes),
     * 16-byte aligned. The host writes the 8-byte asyncify header at its start. */
    static unsigned char buffer[WW_CHECKPOINT_BUFFER_SIZE] __attribute__((aligned(16)));
    return ww__checkpoint_import(buffer, (int32_t)sizeof buffer) == WW_CHECKPOINT_RESUMED
               ? WW_CHECKPOINT_RESUMED
               : WW_CHECKPOINT_TAKEN;
}

/* Step guests: asks the host to checkpoint after the current ww_step() returns. All
 * state must then live in globals and the heap, which it must anyway, since the wasm
 * stack is empty between steps. */
static inline void ww_checkpoint_after_step(void)
{
    (void)ww__checkpoint_import(NULL, 0);
}

#endif /* WASM_WORKER_CHECKPOINT_H */
