package io.wasmworker.checkpoint;

import com.dylibso.chicory.runtime.Instance;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.StaleGenerationException;
import io.wasmworker.host.LimitedMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    static final int MAX_CHAIN = 64;

    private final CheckpointContext context;
    private final Digest artifact;
    private final byte[] input;
    private final long stdinLength;
    private Digest inputDigest;

    private long generation;
    private long sequence;
    private List<Manifest.BlobRef> chain = List.of();
    private long chainDeltaBytes;
    private long lastFullBytes;

    private int written;
    private long writtenBytes;
    private long writtenNanos;

    /**
     * @param artifact the digest of the module that runs
     * @param input    the run's input: a checkpoint belongs to one input, and records its digest
     */
    public Checkpointer(CheckpointContext context, Digest artifact, byte[] input) {
        this(context, artifact, input, input.length);
    }

    /**
     * For a run whose stdin is streamed rather than {@code input} itself.
     *
     * @param input       what identifies the run's input (the input and the streamed bytes' identity)
     * @param stdinLength the length of the stdin the guest reads
     */
    public Checkpointer(CheckpointContext context, Digest artifact, byte[] input, long stdinLength) {
        this.context = context;
        this.artifact = artifact;
        this.input = input;
        this.stdinLength = stdinLength;
    }

    /** Computed when first needed: a run that neither resumes nor checkpoints never hashes its input. */
    private Digest inputDigest() {
        if (inputDigest == null) {
            inputDigest = Digest.of(input);
        }
        return inputDigest;
    }

    /**
     * For a module that does not checkpoint (a plain command) started under a task key: throws
     * {@link CheckpointMismatchException} if the task has a checkpoint it would otherwise replace by a
     * fresh start, naming both modules. A checkpoint of another input is handled as {@link #load} does.
     */
    public static void refuseToReplace(CheckpointContext context, Digest artifact, byte[] input) {
        new Checkpointer(context, artifact, input).current().ifPresent(m -> {
            throw new CheckpointMismatchException("task '" + context.taskKey() + "' has a checkpoint of module "
                    + m.artifact() + " (sequence " + m.sequence() + "), but module " + artifact
                    + " does not checkpoint and cannot resume it; a checkpoint is never replaced by a fresh start."
                    + " Run the task with " + m.artifact() + " again, or remove the checkpoint with"
                    + " `wasm-worker snapshots rm " + context.taskKey() + "` to start over");
        });
    }

    /**
     * Loads the task's last checkpoint chain, verified link by link. Empty when the task never
     * checkpointed, or when its checkpoint was taken with another input and the policy says to
     * restart (the stale checkpoint stays until this run's first checkpoint supersedes it). Any
     * unreadable, damaged or foreign snapshot throws, so a run never silently starts over.
     */
    public Optional<List<GuestSnapshot>> load() {
        SnapshotStore store = context.store();
        Optional<Manifest> current = current();
        if (current.isEmpty()) {
            return Optional.empty();
        }
        Manifest manifest = current.get();
        if (!manifest.artifact().equals(artifact)) {
            throw new CheckpointMismatchException("task '" + context.taskKey() + "' was checkpointed by module "
                    + manifest.artifact() + "; refusing to restore it into " + artifact);
        }
        List<GuestSnapshot> snapshots = new ArrayList<>();
        // the whole chain at once (one round trip on S3, not one per link); each link checked as below
        List<ByteBuffer> blobs = store.openSnapshots(context.taskKey(), manifest.chain());
        for (int link = 0; link < blobs.size(); link++) {
            Manifest.BlobRef ref = manifest.chain().get(link);
            String where = "snapshot " + ref.name() + " of task '" + context.taskKey() + "' in " + store.describe();
            // size and the CRC32C the blob's name records (SHA-256 for older names: ~11 ms per 16 MiB
            // here) against the manifest, so a blob whose own CRC was recomputed after a change is still
            // caught; or the seal of an encrypted store. That covers the codec's own CRC32C, so only its
            // structural checks run, then the chain links below. The pages stay in the (mapped) blob until
            // the restore copies them into guest memory.
            GuestSnapshot s = SnapshotCodec.decodeChecked(blobs.get(link), where);
            GuestSnapshot previous = snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
            boolean linked = previous == null ? s.isFull() : s.baseSequence() == previous.sequence();
            if (!linked || !s.artifact().equals(artifact) || !s.taskKey().equals(context.taskKey())) {
                throw new CorruptSnapshotException(where + " does not continue its chain (sequence " + s.sequence()
                        + ", base " + s.baseSequence() + ")");
            }
            snapshots.add(s);
        }
        GuestSnapshot last = snapshots.get(snapshots.size() - 1);
        if (last.sequence() != manifest.sequence()) {
            throw new CorruptSnapshotException("the manifest of task '" + context.taskKey() + "' names sequence "
                    + manifest.sequence() + " but its chain ends elsewhere");
        }
        checkHostState(last.host());
        generation = manifest.generation();
        sequence = manifest.sequence();
        chain = manifest.chain();
        lastFullBytes = chain.get(0).size();
        chainDeltaBytes =
                chain.stream().skip(1).mapToLong(Manifest.BlobRef::size).sum();
        return Optional.of(snapshots);
    }

    /**
     * The task's manifest if this run must resume it (or fail); empty when there is none or it was
     * discarded for another input. Throws for a zombie attempt and by the input-change policy.
     */
    private Optional<Manifest> current() {
        Optional<Manifest> latest = context.latest();
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        Manifest manifest = latest.get();
        if (manifest.seal() != null) { // an encrypting store opens it: this one has no keys
            throw new CorruptSnapshotException("the checkpoint of task '" + context.taskKey() + "' in "
                    + context.store().describe() + " is encrypted (sealed with snapshot key '"
                    + manifest.seal().keyId() + "'), but this worker has no snapshot keys; configure"
                    + " stores.encryption with that key (or give --snapshot-keys)");
        }
        if (manifest.attempt() > context.attempt()) {
            throw new StaleGenerationException(
                    context.taskKey(), context.attempt(), manifest.attempt(), manifest.generation());
        }
        // a manifest without an input digest predates them (format 1): resumed as before, whatever the input
        if (manifest.input() != null && !manifest.input().equals(inputDigest())) {
            if (context.policy().onInputChange() == CheckpointPolicy.InputChange.FAIL) {
                throw new CheckpointMismatchException("task '" + context.taskKey() + "' was checkpointed (sequence "
                        + manifest.sequence() + ") with input " + manifest.input() + ", but this attempt's input is "
                        + inputDigest()
                        + "; refusing to resume another input's computation (checkpoint policy onInputChange:"
                        + " fail). Remove the checkpoint with `wasm-worker snapshots rm " + context.taskKey()
                        + "` to start over");
            }
            LOG.warn(
                    "task {}: its checkpoint (sequence {}, module {}) was taken with input {}, but this attempt's"
                            + " input is {}; starting afresh (checkpoint policy onInputChange: restart)",
                    context.taskKey(),
                    manifest.sequence(),
                    manifest.artifact(),
                    manifest.input(),
                    inputDigest());
            // the next checkpoint continues the task's generation and sequence: it supersedes the stale
            // one through the usual fenced publish, and its blob names cannot collide with the old ones
            generation = manifest.generation();
            sequence = manifest.sequence();
            context.discarded().accept(new DiscardedCheckpoint(manifest, inputDigest()));
            return Optional.empty();
        }
        return latest;
    }

    /** What the restorer hands to the host as is must fit this run (the snapshot is checksummed, not trusted). */
    private void checkHostState(HostState h) {
        String what = h.stdinPosition() < 0 || h.stdinPosition() > stdinLength
                ? "a stdin position of " + h.stdinPosition() + " in an input of " + stdinLength + " bytes"
                : h.hostCalls() < 0
                        ? "a negative host-call count"
                        : h.durableCalls() < 0 || (h.responsePending() && h.durableCalls() == 0)
                                ? "an impossible count of journaled host calls"
                                : h.steps() < 0
                                        ? "a negative step count"
                                        : !isAddressOrNone(h.asyncifyBuffer())
                                                ? "an impossible asyncify buffer address"
                                                : !isAddressOrNone(h.entryStackPointer())
                                                        ? "an impossible stack pointer"
                                                        : null;
        if (what != null) {
            throw new CorruptSnapshotException("the checkpoint of task '" + context.taskKey() + "' has " + what);
        }
    }

    private static boolean isAddressOrNone(long value) {
        return value == -1 || (value >= 0 && value <= 0xFFFF_FFFFL);
    }

    /** Takes a checkpoint at a safe point and publishes it. */
    public void checkpoint(Instance instance, LimitedMemory memory, HostState host) {
        long start = System.nanoTime();
        boolean full = chain.isEmpty() || chain.size() >= MAX_CHAIN || chainDeltaBytes > lastFullBytes;
        long next = sequence + 1;
        // no variable keeps the snapshot's page copies: they can go while the store seals or writes the bytes
        byte[] bytes = SnapshotCodec.encode(GuestSnapshot.builder(artifact, context.taskKey())
                .attempt(context.attempt())
                .sequence(next)
                .baseSequence(full ? 0 : sequence)
                .memory(memory.pages(), StateCapture.pages(memory, full))
                .globals(StateCapture.globals(instance))
                .tables(StateCapture.tables(instance))
                .host(host)
                .build());
        Manifest.BlobRef ref = context.store().writeSnapshot(context.taskKey(), next, bytes);
        List<Manifest.BlobRef> newChain = new ArrayList<>(full ? List.of() : chain);
        newChain.add(ref);
        Manifest manifest = new Manifest(
                context.taskKey(),
                generation + 1,
                artifact,
                next,
                context.attempt(),
                newChain,
                System.currentTimeMillis(),
                inputDigest());
        TestHooks.point("before-publish", next);
        context.store().publish(context.taskKey(), generation, manifest);
        context.costs().accept(new CheckpointCost(ref.size(), System.nanoTime() - start));
        context.published().accept(manifest);

        dropCoveredCalls(host);
        generation++;
        sequence = next;
        chain = List.copyOf(newChain);
        if (full) {
            lastFullBytes = ref.size();
            chainDeltaBytes = 0;
        } else {
            chainDeltaBytes += ref.size();
        }
        memory.clearDirty();
        written++;
        writtenBytes += ref.size();
        writtenNanos += System.nanoTime() - start;
        TestHooks.point("after-checkpoint", next);
    }

    /**
     * A resumed attempt starts from this checkpoint, so it never replays the calls made before it (but a
     * pending response, which the restore takes back from the journal).
     */
    private void dropCoveredCalls(HostState host) {
        long covered = host.durableCalls() - (host.responsePending() ? 1 : 0);
        if (covered < 1) {
            return;
        }
        try {
            context.store().dropCalls(context.taskKey(), covered);
        } catch (RuntimeException e) {
            // never read again: a leftover costs space only, and goes when the task finishes
            LOG.warn(
                    "task {}: cannot drop the journal entries its checkpoint {} covers: {}",
                    context.taskKey(),
                    sequence + 1,
                    e.toString());
        }
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

    /** A snapshot exists for the task but belongs to another module or input. */
    public static final class CheckpointMismatchException extends CheckpointException {
        public CheckpointMismatchException(String message) {
            super(message);
        }
    }
}
