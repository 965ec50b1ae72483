package io.wasmworker.checkpoint.store;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where checkpoints live. The contract every implementation ({@link LocalSnapshotStore}, {@link
 * S3SnapshotStore}; {@link SnapshotStores#open} opens either from a location) keeps:
 *
 * <ul>
 *   <li><b>Data before metadata.</b> Snapshot blobs are immutable and written completely
 *       ({@link #putBlob}) before a manifest naming them is published; a crash between the two
 *       leaves an unreferenced blob, never a manifest pointing at missing or torn data.</li>
 *   <li><b>Atomic, fenced publish.</b> {@link #publish} replaces the task's manifest only if the
 *       current generation is the one the writer expects, atomically; a stale (zombie) writer gets
 *       {@link StaleGenerationException} and cannot overwrite a newer checkpoint.</li>
 *   <li><b>Loud failures.</b> A blob or manifest that cannot be read or fails its checksum throws
 *       {@link CorruptSnapshotException}; nothing here ever answers "no checkpoint" for "unreadable".</li>
 *   <li><b>Safe keys.</b> Task keys are arbitrary strings; they are mapped to storage names that
 *       can never escape the store (no path traversal, no key collisions).</li>
 *   <li><b>A finished task stays finished.</b> {@link #finished} removes the task's checkpoint, blobs
 *       and attempt count and leaves a small tombstone in their place. While the tombstone exists, a
 *       late (zombie) attempt of the task can neither publish, nor leave a blob behind, nor count an
 *       attempt: each is refused with {@link StaleGenerationException} ({@link
 *       StaleGenerationException#taskFinished()}). A blob written while the task finished is refused
 *       at once ({@link LocalSnapshotStore}), or accepted and removed again when the publish naming
 *       it is refused ({@link S3SnapshotStore}, which saves a request per checkpoint so); a blob whose
 *       writer died before it published is removed by {@link #collect}. {@link #latest} answers empty
 *       for a finished task. Only {@link #delete} (an operator's explicit removal: a fresh start)
 *       and {@link #collect} (after the retention) remove a tombstone.</li>
 *   <li><b>Leftovers are collectable.</b> {@link #collect} removes whole tasks (checkpoint, attempt
 *       count or tombstone) whose newest file is older than a cutoff, unreferenced blobs older than it,
 *       and anything but the tombstone of a finished task; never a task the caller says is running,
 *       never a damaged entry (it is reported, for a human to look at).</li>
 *   <li><b>Contents are kept as given.</b> A store never interprets blob bytes, and persists every
 *       field of a manifest, its {@link Manifest#seal() seal} included. That is what lets {@link
 *       EncryptingSnapshotStore} seal snapshots at rest around any store; an implementation only
 *       needs the task key, generation and chain of a manifest for its own work.</li>
 *   <li><b>Journal entries are written once.</b> {@link #recordCall} keeps the first entry written
 *       under a sequence number and hands every later writer that one (the fence: two attempts
 *       racing on one call see the same response); a finished task refuses them like blobs. The
 *       journal is part of the task: {@link #finished}, {@link #delete} and {@link #collect} (a task
 *       removed whole) remove it with the checkpoints, and a collection of a task that stays leaves
 *       its journal alone.</li>
 * </ul>
 */
public interface SnapshotStore extends AutoCloseable {

    /** The task's current manifest, or empty when the task has never checkpointed. */
    Optional<Manifest> latest(String taskKey);

    /**
     * Stores an immutable blob under a name unique within the task (see {@link #writeSnapshot} for
     * how snapshots are named). Durable when this returns (fsync, if enabled).
     */
    void putBlob(String taskKey, String blobName, byte[] data);

    /** A blob's bytes, exactly as written; throws {@link CorruptSnapshotException} if missing. */
    byte[] getBlob(String taskKey, String blobName);

    /**
     * {@link #getBlob}, refusing with {@link CorruptSnapshotException} a blob longer than
     * {@code maxBytes} (the size its manifest records) before reading it, where the store can tell.
     */
    default byte[] getBlob(String taskKey, String blobName, long maxBytes) {
        byte[] bytes = getBlob(taskKey, blobName);
        if (bytes.length > maxBytes) {
            throw new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey + "' is damaged: "
                    + bytes.length + " bytes, more than the " + maxBytes + " expected");
        }
        return bytes;
    }

    /**
     * {@link #getBlob(String, String, long)} as a buffer, which may be a read-only mapping of the
     * stored blob rather than a copy (the local store maps the file). The default wraps {@link
     * #getBlob(String, String, long)}.
     */
    default ByteBuffer getBlobBuffer(String taskKey, String blobName, long maxBytes) {
        return ByteBuffer.wrap(getBlob(taskKey, blobName, maxBytes));
    }

    /**
     * Stores an encoded snapshot as a new blob of the task ({@link #putBlob}) and returns the reference
     * a manifest records for it, which describes the bytes as stored. The default names the blob by
     * its sequence and content ({@link Blobs#checksummedSnapshotName}: {@code
     * 0000000003-<16 hex of sha256>-<8 hex of crc32c>.snap}); a store that transforms what it keeps
     * ({@link EncryptingSnapshotStore}) names and describes its own bytes.
     */
    default Manifest.BlobRef writeSnapshot(String taskKey, long sequence, byte[] snapshot) {
        String sha256 = Blobs.sha256Hex(snapshot); // once: it names the blob and goes into the manifest
        String name = Blobs.checksummedSnapshotName(sequence, sha256, Blobs.crc32c(ByteBuffer.wrap(snapshot)));
        putBlob(taskKey, name, snapshot);
        return new Manifest.BlobRef(name, snapshot.length, sha256);
    }

    /**
     * The encoded snapshot a manifest's chain names: its blob, verified against the reference
     * ({@link Blobs#readVerified}: size and SHA-256); throws {@link CorruptSnapshotException} if it is
     * missing or damaged. For tools ({@code snapshots inspect}); a restore uses {@link #openSnapshot}.
     */
    default byte[] readSnapshot(String taskKey, Manifest.BlobRef ref) {
        return Blobs.readVerified(this, taskKey, ref);
    }

    /**
     * The encoded snapshot a manifest's chain names, for a restore: its blob as {@link #getBlobBuffer}
     * gives it (a mapping, for the local store: the restore copies each page once, from the file into
     * guest memory), checked against the reference at memory speed ({@link Blobs#verifyForRestore}:
     * size and the CRC32C the blob's name records, or the SHA-256 for older names). Throws {@link
     * CorruptSnapshotException} if it is missing or damaged.
     */
    default ByteBuffer openSnapshot(String taskKey, Manifest.BlobRef ref) {
        ByteBuffer blob = getBlobBuffer(taskKey, ref.name(), ref.size());
        Blobs.verifyForRestore(taskKey, ref, blob);
        return blob;
    }

    /**
     * The encoded snapshots of a whole chain, in its order, each as {@link #openSnapshot} opens and
     * checks it. The default opens one after the other; a store whose reads are round trips (S3)
     * fetches them at once. Holds the whole chain in the end either way (as a restore does), which the
     * manifest's sizes bound. A missing or damaged link throws as {@link #openSnapshot} does.
     */
    default List<ByteBuffer> openSnapshots(String taskKey, List<Manifest.BlobRef> chain) {
        List<ByteBuffer> snapshots = new ArrayList<>(chain.size());
        for (Manifest.BlobRef ref : chain) {
            snapshots.add(openSnapshot(taskKey, ref));
        }
        return snapshots;
    }

    /**
     * {@link #getBlobBuffer} of each reference (its name and size), in order; for a store that wraps
     * this one and checks the bytes its own way ({@link EncryptingSnapshotStore}). The default reads
     * one after the other; a store whose reads are round trips (S3) reads them at once.
     */
    default List<ByteBuffer> getBlobBuffers(String taskKey, List<Manifest.BlobRef> refs) {
        List<ByteBuffer> blobs = new ArrayList<>(refs.size());
        for (Manifest.BlobRef ref : refs) {
            blobs.add(getBlobBuffer(taskKey, ref.name(), ref.size()));
        }
        return blobs;
    }

    /**
     * Publishes {@code manifest} (whose generation must be {@code expectedGeneration + 1}) if the
     * task's current generation is {@code expectedGeneration} (0 = no manifest yet).
     *
     * @throws StaleGenerationException when another writer has published in between
     */
    void publish(String taskKey, long expectedGeneration, Manifest manifest);

    /**
     * Counts an attempt at the task and returns its number (1 for the first). For orchestrators that
     * do not count attempts themselves: a task whose lock keeps expiring (its worker died) is fetched
     * again with the same retries, and only this count shows it has been tried before. Atomic across
     * the workers sharing the store; it need not survive a power loss.
     */
    int beginAttempt(String taskKey);

    /**
     * Durably records the journal entry of host call {@code sequence} (opaque bytes, at most a few MiB)
     * unless the task already has one under that number, and returns the entry the task has now:
     * {@code entry} itself, or the one recorded first by another writer (put-if-absent: an entry is
     * never replaced). Durable when this returns (fsync, if enabled).
     *
     * @throws StaleGenerationException ({@link StaleGenerationException#taskFinished()}) when the task
     *     has finished; an entry written while it finished is removed again, as a blob is
     */
    byte[] recordCall(String taskKey, long sequence, byte[] entry);

    /**
     * The journal entry of host call {@code sequence}, exactly as recorded, or empty when there is none.
     * An entry that cannot be read, or is longer than {@code maxBytes} (checked before it is read, where
     * the store can tell), throws {@link CorruptSnapshotException}.
     */
    Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes);

    /**
     * Removes the task's journal entries numbered {@code throughSequence} and below (a published
     * checkpoint covers them: no resumed attempt replays them). Idempotent; {@code Long.MAX_VALUE}
     * clears the journal.
     */
    void dropCalls(String taskKey, long throughSequence);

    /** Every task key with a readable manifest, sorted; damaged entries are in {@link #entries()}. */
    List<String> taskKeys();

    /**
     * Every task in the store, readable or not: a damaged or stray entry is listed with what is wrong
     * and never hides the others. The default reads each of {@link #taskKeys()}; stores that can see
     * entries whose key cannot be read should override it.
     */
    default List<TaskEntry> entries() {
        return taskKeys().stream()
                .map(key -> {
                    try {
                        return latest(key)
                                .map(m -> TaskEntry.ok(key, m))
                                .orElseGet(() -> TaskEntry.damaged(key, "its checkpoint disappeared while listing"));
                    } catch (CorruptSnapshotException e) {
                        return TaskEntry.damaged(key, e.getMessage());
                    }
                })
                .toList();
    }

    /**
     * One task of the store.
     *
     * @param location where it is (a directory, an object prefix)
     * @param manifest its manifest, when it could be read
     * @param problem  what is wrong with it otherwise (never the file's contents)
     */
    record TaskEntry(String location, Optional<Manifest> manifest, String problem) {
        public static TaskEntry ok(String location, Manifest manifest) {
            return new TaskEntry(location, Optional.of(manifest), null);
        }

        public static TaskEntry damaged(String location, String problem) {
            return new TaskEntry(location, Optional.empty(), problem);
        }
    }

    /**
     * The orchestrator accepted the task's result: removes its manifest, blobs and attempt count and
     * leaves a tombstone, so that no late attempt of the task re-creates a checkpoint of it (see the
     * class comment). Idempotent.
     */
    void finished(String taskKey);

    /**
     * Removes everything the store holds for the task, its tombstone included: an operator's
     * explicit removal ({@code wasm-worker snapshots rm}), or a task key deliberately reused (the
     * CLI's {@code invoke --task-key}), after which the key starts afresh.
     */
    void delete(String taskKey);

    /**
     * Collects leftovers: every task whose newest file (manifest, blob, attempt count or tombstone)
     * is older than {@code cutoff} is removed whole; in the others, blobs their manifest does not
     * name that are older than {@code cutoff} (a blob younger than it may be a checkpoint whose
     * manifest is not published yet), and everything of a finished task but its tombstone. Tasks in
     * {@code running} are not touched at all. Damaged entries are never removed, only reported.
     * Examines at most {@code maxEntries} tasks, going on after the last one the previous collection
     * of this instance examined (so a sweep's cost is bounded, and young tasks never hold back old ones).
     */
    Collected collect(Instant cutoff, Set<String> running, int maxEntries);

    /**
     * What {@link #collect} did.
     *
     * @param tasks   tasks removed whole (checkpoints, attempt counts, tombstones)
     * @param blobs   unreferenced blobs removed from tasks that stay (and whatever a finished task had left
     *                beside its tombstone)
     * @param damaged entries left alone because they cannot be read (location and reason)
     */
    record Collected(int tasks, int blobs, List<String> damaged) {
        public Collected {
            damaged = List.copyOf(damaged);
        }

        public int removals() {
            return tasks + blobs;
        }
    }

    /** A short, human-readable description, e.g. {@code local:/var/lib/wasm-worker/snapshots}. */
    String describe();

    /** Releases what the store holds open (an S3 store's connections); the local store holds nothing. */
    @Override
    default void close() {}
}
