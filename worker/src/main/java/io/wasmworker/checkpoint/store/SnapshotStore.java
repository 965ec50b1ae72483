package io.wasmworker.checkpoint.store;

import java.util.List;
import java.util.Optional;

/**
 * Where checkpoints live. The contract every implementation (local directory, S3) keeps:
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
 * </ul>
 */
public interface SnapshotStore {

    /** The task's current manifest, or empty when the task has never checkpointed. */
    Optional<Manifest> latest(String taskKey);

    /**
     * Stores an immutable blob under a name unique within the task (callers use the checkpoint
     * sequence number and a content hash). Durable when this returns (fsync, if enabled).
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

    /** Every task key with a readable manifest, sorted; damaged entries are in {@link #entries()}. */
    List<String> taskKeys();

    /**
     * Every task in the store, readable or not: a damaged or stray entry is listed with what is wrong
     * and never hides the others. The default reads each of {@link #taskKeys()}; stores that can see
     * entries whose key cannot be read should override it.
     */
    default List<TaskEntry> entries() {
        return taskKeys().stream().map(key -> {
            try {
                return latest(key).map(m -> TaskEntry.ok(key, m))
                        .orElseGet(() -> TaskEntry.damaged(key, "its checkpoint disappeared while listing"));
            } catch (CorruptSnapshotException e) {
                return TaskEntry.damaged(key, e.getMessage());
            }
        }).toList();
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

    /** Removes the task's manifest, blobs and attempt count (after the task completed). */
    void delete(String taskKey);

    /** A short, human-readable description, e.g. {@code local:/var/lib/wasm-worker/snapshots}. */
    String describe();
}
