package io.wasmworker.checkpoint;

import java.util.List;

/**
 * One checkpoint of a guest, full or delta.
 *
 * @param artifact      the module's digest; a snapshot never restores into another module
 * @param taskKey       the task it belongs to
 * @param attempt       the attempt that took it
 * @param sequence      1, 2, ... within the task
 * @param baseSequence  0 for a full snapshot; for a delta, the sequence it applies on top of
 * @param totalPages    the linear memory size in pages at the checkpoint
 * @param pages         pages in ascending order: a full snapshot holds every non-zero page, a delta
 *                      every page written since its base (all-zero ones as a zero marker)
 * @param globals       every mutable global
 * @param tables        every table's function references
 * @param host          the host-side state
 */
public record GuestSnapshot(
        String artifact,
        String taskKey,
        int attempt,
        long sequence,
        long baseSequence,
        int totalPages,
        SnapshotPages pages,
        List<GlobalValue> globals,
        List<TableRefs> tables,
        HostState host) {

    /** What {@link SnapshotPages#values()} gives for an all-zero page. */
    public static final byte[] ZERO_PAGE = new byte[0];

    public boolean isFull() {
        return baseSequence == 0;
    }

    /** A mutable global's value (v128 uses both halves). */
    public record GlobalValue(int index, long low, long high) {}

    /** A table's entries (function indices, -1 for null). */
    public record TableRefs(int index, int[] refs) {}
}
