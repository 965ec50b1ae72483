package io.wasmworker.sandbox;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.host.MemoryBudget;

/**
 * A finished run's linear memory and the budget it is charged to, kept for the module's next run under
 * the same memory limit. A fresh memory's pages are new arrays the JVM zeroes, cold in the cache: for a
 * small guest (echo: 2 pages) allocating them was a fifth of the invocation, zeroing the same pages again
 * while they are still cached about a fifth of that.
 *
 * <p>What makes the next run see a pristine memory: only a memory still at its declared initial size is
 * kept (Wasm memory cannot shrink); Chicory 1.7.5's {@code Instance.initialize} zeroes every memory and
 * then writes the data segments, as for a new one ({@link LimitedMemory} skips only the first zeroing of
 * a memory, before anything was written to it); the budget starts over with only those pages charged.
 */
record PooledMemory(LimitedMemory memory, MemoryBudget budget) {
    /** Idle memories kept at most, in all (per sandbox); larger ones are not kept. */
    static final long MAX_IDLE_BYTES = 16L << 20;

    /** Idle memories kept per module: about the runs of one module at once. */
    static final int MAX_IDLE_PER_MODULE = 8;

    long bytes() {
        return (long) memory.pages() * Memory.PAGE_SIZE;
    }

    /** Whether a run's memory can serve the module's next run: its only memory, never grown. */
    static boolean reusable(WasmModule module, LimitedMemory memory) {
        return memory != null
                && module.memorySection().map(s -> s.memoryCount() == 1).orElse(false)
                && memory.pages() == memory.initialPages()
                && (long) memory.pages() * Memory.PAGE_SIZE <= MAX_IDLE_BYTES / MAX_IDLE_PER_MODULE;
    }

    /** Ready for a run under {@code limitBytes}, or null if it was kept under another limit. */
    PooledMemory forLimit(long limitBytes) {
        if (budget.limitBytes() != limitBytes) {
            return null;
        }
        budget.startOver(bytes());
        return this;
    }
}
