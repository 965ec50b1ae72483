package io.wasmworker.module;

/** How the host drives a guest, decided from its exports when it loads (guests/ABI.md). */
public enum GuestStyle {
    /** A WASI command: {@code _start} runs to the end; it cannot checkpoint. */
    COMMAND,
    /**
     * A WASI command instrumented by binaryen's asyncify: it can checkpoint anywhere by calling
     * {@code wasm_worker.checkpoint}; the host unwinds its stack into memory and rewinds it later.
     */
    ASYNCIFY_COMMAND,
    /** A reactor exporting {@code ww_step}: the host calls it until it reports done, checkpointing between steps. */
    STEP;

    public boolean canCheckpoint() {
        return this != COMMAND;
    }
}
