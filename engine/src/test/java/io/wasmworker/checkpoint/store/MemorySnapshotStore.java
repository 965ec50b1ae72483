package io.wasmworker.checkpoint.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store that is not the local one (as an S3 store is not): manifests kept as {@link ManifestCodec}
 * bytes and blobs as arrays, in memory, with the fenced publish and nothing else of the contract.
 * Tests reach into {@link #manifests} and {@link #blobs} to damage what it holds.
 */
final class MemorySnapshotStore implements SnapshotStore {
    final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final Map<String, byte[]> calls = new ConcurrentHashMap<>();

    static String blobKey(String taskKey, String blobName) {
        return taskKey + "\u0000" + blobName;
    }

    @Override
    public Optional<Manifest> latest(String taskKey) {
        byte[] bytes = manifests.get(taskKey);
        return bytes == null ? Optional.empty() : Optional.of(ManifestCodec.decode(bytes, "memory:" + taskKey));
    }

    @Override
    public void putBlob(String taskKey, String blobName, byte[] data) {
        blobs.put(blobKey(taskKey, Blobs.checkName(blobName)), data.clone());
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName) {
        byte[] bytes = blobs.get(blobKey(taskKey, blobName));
        if (bytes == null) {
            throw new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey + "' is missing");
        }
        return bytes.clone();
    }

    @Override
    public synchronized void publish(String taskKey, long expectedGeneration, Manifest manifest) {
        long actual = latest(taskKey).map(Manifest::generation).orElse(0L);
        if (actual != expectedGeneration) {
            throw new StaleGenerationException(taskKey, expectedGeneration, actual);
        }
        manifests.put(taskKey, ManifestCodec.encode(manifest));
    }

    @Override
    public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
        return calls.computeIfAbsent(callKey(taskKey, sequence), k -> entry.clone())
                .clone();
    }

    @Override
    public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
        return Optional.ofNullable(calls.get(callKey(taskKey, sequence))).map(byte[]::clone);
    }

    @Override
    public void dropCalls(String taskKey, long throughSequence) {
        calls.keySet()
                .removeIf(k -> k.startsWith(taskKey + "\u0000")
                        && Long.parseLong(k.substring(taskKey.length() + 1)) <= throughSequence);
    }

    private static String callKey(String taskKey, long sequence) {
        return taskKey + "\u0000" + sequence;
    }

    @Override
    public int beginAttempt(String taskKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<String> taskKeys() {
        return List.copyOf(new TreeMap<>(manifests).keySet());
    }

    @Override
    public void finished(String taskKey) {
        delete(taskKey);
    }

    @Override
    public void delete(String taskKey) {
        manifests.remove(taskKey);
        blobs.keySet().removeIf(k -> k.startsWith(taskKey + "\u0000"));
        calls.keySet().removeIf(k -> k.startsWith(taskKey + "\u0000"));
    }

    @Override
    public Collected collect(Instant cutoff, Set<String> running, int maxEntries) {
        return new Collected(0, 0, List.of());
    }

    @Override
    public String describe() {
        return "memory";
    }
}
