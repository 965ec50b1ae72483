package io.wasmworker.adapter.temporal;

import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real store that can be told to fail one publish of a first attempt (as a full disk or a lost
 * connection would), so a test can end attempt 1 right after a known checkpoint, on any machine.
 */
final class FlakySnapshotStore implements SnapshotStore {
    private final SnapshotStore store;
    /** task key fragment → the checkpoint sequence whose publish fails in attempt 1 */
    private final Map<String, Long> failures = new ConcurrentHashMap<>();

    FlakySnapshotStore(SnapshotStore store) {
        this.store = store;
    }

    /** task key fragment → what reading its checkpoint throws, once */
    private final Map<String, Error> readErrors = new ConcurrentHashMap<>();

    /** The next read of a checkpoint of a task whose key holds the fragment throws this error (once). */
    void throwOnNextRead(String keyFragment, Error error) {
        readErrors.put(keyFragment, error);
    }

    void failFirstAttemptAt(String keyFragment, long sequence) {
        failures.put(keyFragment, sequence);
    }

    @Override
    public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
        failures.forEach((fragment, sequence) -> {
            if (taskKey.contains(fragment) && manifest.attempt() == 1 && manifest.sequence() == sequence) {
                throw new UncheckedIOException(new java.io.IOException("injected: the disk is full"));
            }
        });
        store.publish(taskKey, expectedGeneration, manifest);
    }

    @Override
    public Optional<Manifest> latest(String taskKey) {
        for (String fragment : readErrors.keySet()) {
            if (taskKey.contains(fragment)) {
                Error error = readErrors.remove(fragment);
                if (error != null) {
                    throw error;
                }
            }
        }
        return store.latest(taskKey);
    }

    @Override
    public void putBlob(String taskKey, String blobName, byte[] data) {
        store.putBlob(taskKey, blobName, data);
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName) {
        return store.getBlob(taskKey, blobName);
    }

    @Override
    public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
        return store.recordCall(taskKey, sequence, entry);
    }

    @Override
    public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
        return store.recordedCall(taskKey, sequence, maxBytes);
    }

    @Override
    public void dropCalls(String taskKey, long throughSequence) {
        store.dropCalls(taskKey, throughSequence);
    }

    @Override
    public int beginAttempt(String taskKey) {
        return store.beginAttempt(taskKey);
    }

    @Override
    public List<String> taskKeys() {
        return store.taskKeys();
    }

    @Override
    public void delete(String taskKey) {
        store.delete(taskKey);
    }

    @Override
    public void finished(String taskKey) {
        store.finished(taskKey);
    }

    @Override
    public Collected collect(java.time.Instant cutoff, java.util.Set<String> running, int maxEntries) {
        return store.collect(cutoff, running, maxEntries);
    }

    @Override
    public String describe() {
        return store.describe();
    }
}
