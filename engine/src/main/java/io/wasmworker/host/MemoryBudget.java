package io.wasmworker.host;

/**
 * What one run has made the host allocate on its behalf, against the artifact's memory limit: linear
 * memory pages and table entries share one budget, so no combination of memories, tables and growth
 * takes more of the worker's heap than the limit. Each charge is made before the allocation it pays
 * for; a refused growth is remembered, so a run that then fails is reported as a memory-limit failure.
 *
 * <p>One budget belongs to one run, on one thread.
 */
public final class MemoryBudget {
    /**
     * Heap per table entry: Chicory 1.7.5's {@code TableInstance} keeps an {@code int} reference and
     * an owning {@code Instance} pointer (4 bytes with compressed oops) per entry.
     */
    public static final long TABLE_ENTRY_BYTES = 8;

    private final long limitBytes;
    private long memoryBytes;
    private long tableBytes;
    private long hostBytes;
    private int refusedMemoryGrows;
    private int refusedTableGrows;
    private boolean heapRanOut;

    public MemoryBudget(long limitBytes) {
        if (limitBytes < 0) {
            throw new IllegalArgumentException("memory limit must not be negative, got " + limitBytes);
        }
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    /** Bytes charged so far: linear memory, tables and what host calls hold for the guest. */
    public long usedBytes() {
        return memoryBytes + tableBytes + hostBytes;
    }

    public long memoryBytes() {
        return memoryBytes;
    }

    public long tableBytes() {
        return tableBytes;
    }

    /**
     * The budget of a pooled memory's next run (the sandbox reuses a finished run's memory and its
     * budget): as a new budget that has just charged the memory's {@code memoryBytes}, nothing else
     * charged or refused.
     */
    public void startOver(long memoryBytes) {
        this.memoryBytes = memoryBytes;
        tableBytes = 0;
        hostBytes = 0;
        refusedMemoryGrows = 0;
        refusedTableGrows = 0;
        heapRanOut = false;
    }

    /** Whether {@code bytes} more fit (negative and overflowing amounts never do). */
    public boolean fits(long bytes) {
        return bytes >= 0 && bytes <= limitBytes - usedBytes();
    }

    /** Charges linear memory if it fits; false leaves the budget unchanged. */
    boolean chargeMemory(long bytes) {
        if (!fits(bytes)) {
            return false;
        }
        memoryBytes += bytes;
        return true;
    }

    /** Gives back a charge whose allocation did not happen. */
    void refundMemory(long bytes) {
        memoryBytes -= bytes;
    }

    boolean chargeTable(long bytes) {
        if (!fits(bytes)) {
            return false;
        }
        tableBytes += bytes;
        return true;
    }

    void refundTable(long bytes) {
        tableBytes -= bytes;
    }

    /** Charges host memory held for the guest (a host call's request and response) if it fits. */
    boolean chargeHost(long bytes) {
        if (!fits(bytes)) {
            return false;
        }
        hostBytes += bytes;
        return true;
    }

    void refundHost(long bytes) {
        hostBytes -= bytes;
    }

    void refusedMemoryGrow() {
        refusedMemoryGrows++;
    }

    void refusedTableGrow() {
        refusedTableGrows++;
    }

    /** How many {@code memory.grow} calls the limit refused. */
    public int refusedMemoryGrows() {
        return refusedMemoryGrows;
    }

    /** How many {@code table.grow} calls the limit refused. */
    public int refusedTableGrows() {
        return refusedTableGrows;
    }

    /**
     * The JVM ran out of heap while allocating what the guest asked for within its limit: the worker is
     * over-committed (concurrency × memory limit above the heap), but this run's own allocation hit it.
     */
    void heapRanOut() {
        heapRanOut = true;
    }

    public boolean heapRanOutInGuestAllocation() {
        return heapRanOut;
    }

    /** A short account for failure reasons, e.g. "2 memory.grow and 1 table.grow refused". */
    public String refusals() {
        StringBuilder b = new StringBuilder();
        if (refusedMemoryGrows > 0) {
            b.append(refusedMemoryGrows).append(" memory.grow");
        }
        if (refusedTableGrows > 0) {
            b.append(b.length() > 0 ? " and " : "").append(refusedTableGrows).append(" table.grow");
        }
        return b.append(" refused").toString();
    }
}
