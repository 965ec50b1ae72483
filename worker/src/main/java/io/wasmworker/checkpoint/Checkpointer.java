package io.wasmworker.checkpoint;

import com.dylibso.chicory.runtime.Instance;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.StaleGenerationException;
import io.wasmworker.sandbox.host.LimitedMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Saves and loads one task's checkpoints. Each checkpoint is encoded, written as an immutable blob,
 * and only then published in the task's manifest, fenced by generation: a stale attempt gets
 * {@link io.wasmworker.checkpoint.store.StaleGenerationException} and must stop.
 *
 * <p>The first checkpoint is full; the others carry only pages written since the previous one. A
 * new full snapshot starts the chain again as soon as the deltas together outweigh the full one
 * (or after {@value #MAX_CHAIN} links), so restoring never reads more than about two full
 * snapshots, while small changes keep costing only what changed.
 */
public final class Checkpointer {
    static final int MAX_CHAIN = 64;

    private final CheckpointContext context;
    private final Digest artifact;

    private long generation;
    private long sequence;
    private List<Manifest.BlobRef> chain = List.of();
    private long chainDeltaBytes;
    private long lastFullBytes;

    private int written;
    private long writtenBytes;
    private long writtenNanos;

    public Checkpointer(CheckpointContext context, Digest artifact) {
        this.context = context;
        this.artifact = artifact;
    }

    /**
     * Loads the task's last checkpoint chain, verified link by link. Empty when the task never
     * checkpointed; any unreadable, damaged or foreign snapshot throws, so a run never silently
     * starts over.
     */
    public Optional<List<GuestSnapshot>> load() {
        SnapshotStore store = context.store();
        Optional<Manifest> latest = store.latest(context.taskKey());
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        Manifest manifest = latest.get();
        if (manifest.attempt() > context.attempt()) {
            throw new StaleGenerationException(context.taskKey(), context.attempt(), manifest.attempt(),
                    manifest.generation());
        }
        if (!manifest.artifact().equals(artifact.toString())) {
            throw new CheckpointMismatchException("task '" + context.taskKey() + "' was checkpointed by module "
                    + manifest.artifact() + "; refusing to restore it into " + artifact);
        }
        List<GuestSnapshot> snapshots = new ArrayList<>();
        for (Manifest.BlobRef ref : manifest.chain()) {
            String where = "snapshot " + ref.name() + " of task '" + context.taskKey() + "' in " + store.describe();
            // size here, CRC32C in the codec, chain links below: together they catch any damage at a
            // fraction of a SHA-256 over the blob (10 ms per 16 MiB here); `snapshots inspect` checks that too
            byte[] bytes = store.getBlob(context.taskKey(), ref.name());
            if (bytes.length != ref.size()) {
                throw new CorruptSnapshotException(where + " is " + bytes.length + " bytes, but its manifest says " + ref.size());
            }
            GuestSnapshot s = SnapshotCodec.decode(bytes, where);
            GuestSnapshot previous = snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
            boolean linked = previous == null ? s.isFull() : s.baseSequence() == previous.sequence();
            if (!linked || !s.artifact().equals(artifact.toString()) || !s.taskKey().equals(context.taskKey())) {
                throw new CorruptSnapshotException(where + " does not continue its chain (sequence " + s.sequence()
                        + ", base " + s.baseSequence() + ")");
            }
            snapshots.add(s);
        }
        if (snapshots.get(snapshots.size() - 1).sequence() != manifest.sequence()) {
            throw new CorruptSnapshotException("the manifest of task '" + context.taskKey() + "' names sequence "
                    + manifest.sequence() + " but its chain ends elsewhere");
        }
        generation = manifest.generation();
        sequence = manifest.sequence();
        chain = manifest.chain();
        lastFullBytes = chain.get(0).size();
        chainDeltaBytes = chain.stream().skip(1).mapToLong(Manifest.BlobRef::size).sum();
        return Optional.of(snapshots);
    }

    /** Takes a checkpoint at a safe point and publishes it. */
    public void checkpoint(Instance instance, LimitedMemory memory, HostState host) {
        long start = System.nanoTime();
        boolean full = chain.isEmpty() || chain.size() >= MAX_CHAIN || chainDeltaBytes > lastFullBytes;
        long next = sequence + 1;
        GuestSnapshot snapshot = new GuestSnapshot(artifact.toString(), context.taskKey(), context.attempt(), next,
                full ? 0 : sequence, memory.pages(), StateCapture.pages(memory, full), StateCapture.globals(instance),
                StateCapture.tables(instance), host);
        byte[] bytes = SnapshotCodec.encode(snapshot);
        String sha256 = Blobs.sha256Hex(bytes); // once: it names the blob and goes into the manifest
        String name = String.format("%010d-%s.snap", next, sha256.substring(0, 16));
        context.store().putBlob(context.taskKey(), name, bytes);

        Manifest.BlobRef ref = new Manifest.BlobRef(Blobs.checkName(name), bytes.length, sha256);
        List<Manifest.BlobRef> newChain = new ArrayList<>(full ? List.of() : chain);
        newChain.add(ref);
        Manifest manifest = new Manifest(context.taskKey(), generation + 1, artifact.toString(), next,
                context.attempt(), newChain, System.currentTimeMillis());
        TestHooks.point("before-publish", next);
        context.store().publish(context.taskKey(), generation, manifest);
        context.published().accept(manifest);

        generation++;
        sequence = next;
        chain = List.copyOf(newChain);
        if (full) {
            lastFullBytes = bytes.length;
            chainDeltaBytes = 0;
        } else {
            chainDeltaBytes += bytes.length;
        }
        memory.clearDirty();
        written++;
        writtenBytes += bytes.length;
        writtenNanos += System.nanoTime() - start;
        TestHooks.point("after-checkpoint", next);
    }

    public long sequence() {
        return sequence;
    }

    public String reference() {
        return context.taskKey() + "@" + generation;
    }

    public int written() {
        return written;
    }

    public long writtenBytes() {
        return writtenBytes;
    }

    public long writtenNanos() {
        return writtenNanos;
    }

    /** A snapshot exists for the task but belongs to another module. */
    public static final class CheckpointMismatchException extends RuntimeException {
        public CheckpointMismatchException(String message) {
            super(message);
        }
    }
}
