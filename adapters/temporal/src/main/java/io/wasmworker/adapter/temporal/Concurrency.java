package io.wasmworker.adapter.temporal;

import io.wasmworker.task.TaskBinding;
import java.util.Collection;

/**
 * Default activity concurrency of a task queue. Every running guest may grow its linear memory to
 * its limit (a heap byte array), and a checkpoint briefly holds a copy of the pages it saves, so a
 * slot is budgeted at twice the largest memory limit on the queue; the slots share
 * {@value #HEAP_SHARE_PERCENT}% of the heap and leave the rest to the SDK, gRPC and the module cache.
 * Guests are CPU-bound, so more than a few per core only queues work in the JVM instead of on the
 * server, where another worker could take it.
 */
public final class Concurrency {
    static final int HEAP_SHARE_PERCENT = 60;
    public static final int PER_CORE = 4;

    private Concurrency() {}

    /**
     * @param bindings     what the queue runs
     * @param maxHeapBytes {@code Runtime.maxMemory()}
     * @param cores        {@code Runtime.availableProcessors()}
     * @return at least 1
     */
    public static int fromMemory(Collection<TaskBinding> bindings, long maxHeapBytes, int cores) {
        long largest = bindings.stream()
                .mapToLong(b -> b.limits().maxMemoryBytes())
                .max()
                .orElseThrow(() -> new IllegalArgumentException("no bindings to size for"));
        long perSlot = 2 * largest;
        long byMemory = maxHeapBytes / 100 * HEAP_SHARE_PERCENT / perSlot;
        long byCpu = (long) PER_CORE * Math.max(1, cores);
        return (int) Math.max(1, Math.min(byMemory, byCpu));
    }
}
