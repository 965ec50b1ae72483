package io.wasmworker.checkpoint;

import io.wasmworker.artifact.Digest;
import java.util.List;
import java.util.Objects;

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
        Digest artifact,
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

    public GuestSnapshot {
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(taskKey, "taskKey");
        Objects.requireNonNull(pages, "pages");
        globals = List.copyOf(globals);
        tables = List.copyOf(tables);
        Objects.requireNonNull(host, "host");
    }

    public boolean isFull() {
        return baseSequence == 0;
    }

    /** A snapshot of the task's guest on that module; what is not set starts at its default (see {@link Builder}). */
    public static Builder builder(Digest artifact, String taskKey) {
        return new Builder(artifact, taskKey);
    }

    /** A builder holding this snapshot, to change some of it. */
    public Builder toBuilder() {
        return builder(artifact, taskKey)
                .attempt(attempt)
                .sequence(sequence)
                .baseSequence(baseSequence)
                .memory(totalPages, pages)
                .globals(globals)
                .tables(tables)
                .host(host);
    }

    /**
     * A snapshot by name, with the defaults in one place: here. The first attempt's first checkpoint,
     * full, of an empty memory with no globals or tables; the host state has no default.
     */
    public static final class Builder {
        private final Digest artifact;
        private final String taskKey;
        private int attempt = 1;
        private long sequence = 1;
        private long baseSequence;
        private int totalPages;
        private SnapshotPages pages = SnapshotPages.withCapacity(0);
        private List<GlobalValue> globals = List.of();
        private List<TableRefs> tables = List.of();
        private HostState host;

        private Builder(Digest artifact, String taskKey) {
            this.artifact = artifact;
            this.taskKey = taskKey;
        }

        public Builder attempt(int n) {
            attempt = n;
            return this;
        }

        public Builder sequence(long n) {
            sequence = n;
            return this;
        }

        /** 0 for a full snapshot (the default); for a delta, the sequence it applies on top of. */
        public Builder baseSequence(long n) {
            baseSequence = n;
            return this;
        }

        /** The memory size in pages and the pages the snapshot holds. */
        public Builder memory(int sizeInPages, SnapshotPages heldPages) {
            totalPages = sizeInPages;
            pages = heldPages;
            return this;
        }

        public Builder globals(List<GlobalValue> values) {
            globals = values;
            return this;
        }

        public Builder tables(List<TableRefs> refs) {
            tables = refs;
            return this;
        }

        public Builder host(HostState state) {
            host = state;
            return this;
        }

        public GuestSnapshot build() {
            return new GuestSnapshot(
                    artifact, taskKey, attempt, sequence, baseSequence, totalPages, pages, globals, tables, host);
        }
    }

    /** A mutable global's value (v128 uses both halves). */
    public record GlobalValue(int index, long low, long high) {}

    /** A table's entries (function indices, -1 for null). */
    public record TableRefs(int index, int[] refs) {}
}
