package io.wasmworker.checkpoint.store;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * Any {@link SnapshotStore}, with its snapshots encrypted and authenticated at rest (AES-GCM, keys
 * from a {@link SnapshotKeys} ring). The store below keeps doing everything it does (fencing,
 * attempt counts, tombstones, collection) on what it is given, and never sees a key:
 *
 * <ul>
 *   <li><b>Blobs</b> are sealed ({@link SnapshotCipher}'s format) under a fresh random nonce, bound
 *       to their task key and blob name, and named by the sequence and 64 random bits, never by a hash
 *       of what they hold. A manifest's references describe the sealed bytes.</li>
 *   <li><b>Manifests</b> are sealed whole: the store keeps a {@link Manifest} whose {@link
 *       Manifest#seal() seal} holds the encrypted manifest and whose other fields, which the store
 *       needs to fence and collect (task key, generation, chain, ...), stay readable but are
 *       authenticated by the seal; the input digest is only inside it. {@link #latest} opens it.</li>
 * </ul>
 *
 * Whatever does not open (an unknown key id, another key under the same id, changed bytes, a blob
 * moved from another task or name, a seal moved to another manifest) throws {@link
 * CorruptSnapshotException} naming the task key, the blob or manifest and the key id: the attempt
 * fails as {@code checkpoint}, never starts afresh. So a writer without the keys can no longer make
 * a worker restore forged state by rewriting blobs and manifests consistently, which the checksums
 * alone (unkeyed) allowed. What stays possible for one with write access: deleting a task's
 * checkpoint (its retry starts afresh) and putting back an older one of the same task.
 *
 * <p>Snapshots in the clear (written before encryption was turned on) are refused unless {@code
 * allowPlaintext}: then they are read as before, unauthenticated, while they drain.
 *
 * <p>Every method that does not carry snapshot content is passed on to the store below unchanged.
 */
public final class EncryptingSnapshotStore implements SnapshotStore {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SnapshotStore store;
    private final SnapshotKeys keys;
    private final boolean allowPlaintext;

    /**
     * @param store          where the sealed snapshots are kept
     * @param keys           the key ring; without a current key the store only reads
     * @param allowPlaintext whether snapshots in the clear are read (unauthenticated) instead of refused
     */
    public EncryptingSnapshotStore(SnapshotStore store, SnapshotKeys keys, boolean allowPlaintext) {
        this.store = Objects.requireNonNull(store, "store");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.allowPlaintext = allowPlaintext;
    }

    /** The store below, which holds the sealed snapshots. */
    public SnapshotStore sealedStore() {
        return store;
    }

    public SnapshotKeys keys() {
        return keys;
    }

    @Override
    public Optional<Manifest> latest(String taskKey) {
        return store.latest(taskKey).map(m -> open(taskKey, m));
    }

    @Override
    public void putBlob(String taskKey, String blobName, byte[] data) {
        Blobs.checkName(blobName);
        store.putBlob(taskKey, blobName, seal(taskKey, blobName, data));
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName) {
        return open(taskKey, blobName, store.getBlob(taskKey, blobName));
    }

    @Override
    public byte[] getBlob(String taskKey, String blobName, long maxBytes) {
        long sealedMax = maxBytes > Long.MAX_VALUE - SnapshotCipher.MAX_BLOB_OVERHEAD
                ? Long.MAX_VALUE
                : maxBytes + SnapshotCipher.MAX_BLOB_OVERHEAD;
        byte[] content = open(taskKey, blobName, store.getBlob(taskKey, blobName, sealedMax));
        if (content.length > maxBytes) {
            throw new CorruptSnapshotException("blob " + blobName + " of task '" + taskKey + "' is damaged: "
                    + content.length + " bytes, more than the " + maxBytes + " expected");
        }
        return content;
    }

    /** Sealed, and named by the sequence and random bits: a name must not tell anything of the content. */
    @Override
    public Manifest.BlobRef writeSnapshot(String taskKey, long sequence, byte[] snapshot) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String name = Blobs.snapshotName(sequence, HexFormat.of().formatHex(random));
        byte[] sealed = seal(taskKey, name, snapshot);
        store.putBlob(taskKey, name, sealed);
        return Blobs.ref(name, sealed);
    }

    /** The sealed bytes are checked against the (authenticated) reference, then opened. */
    @Override
    public byte[] readSnapshot(String taskKey, Manifest.BlobRef ref) {
        return open(taskKey, ref.name(), Blobs.readVerified(store, taskKey, ref));
    }

    /**
     * For a restore: a sealed blob needs no hash, its seal authenticates it (bound to the task and the
     * name, which the authenticated manifest gives) and AES-GCM is far cheaper than a SHA-256 of it. A
     * snapshot in the clear (allowed while old ones drain) is checked against its full SHA-256.
     */
    @Override
    public ByteBuffer openSnapshot(String taskKey, Manifest.BlobRef ref) {
        return openStored(taskKey, ref, store.getBlobBuffer(taskKey, ref.name(), ref.size()));
    }

    /** The chain's sealed blobs as the store reads them (at once, from S3), each opened as {@link #openSnapshot} does. */
    @Override
    public List<ByteBuffer> openSnapshots(String taskKey, List<Manifest.BlobRef> chain) {
        List<ByteBuffer> stored = new ArrayList<>(store.getBlobBuffers(taskKey, chain));
        List<ByteBuffer> opened = new ArrayList<>(chain.size());
        for (int i = 0; i < chain.size(); i++) {
            opened.add(openStored(taskKey, chain.get(i), stored.get(i)));
            stored.set(i, null); // the sealed copy is garbage once opened
        }
        return opened;
    }

    private ByteBuffer openStored(String taskKey, Manifest.BlobRef ref, ByteBuffer stored) {
        if (stored.remaining() != ref.size()) {
            throw new CorruptSnapshotException("blob " + ref.name() + " of task '" + taskKey + "' is damaged: "
                    + stored.remaining() + " bytes, but the manifest says " + ref.size());
        }
        byte[] bytes = new byte[stored.remaining()];
        stored.duplicate().get(bytes);
        if (!SnapshotCipher.isSealedBlob(bytes) && allowPlaintext) {
            // the full SHA-256 (open() refuses it otherwise): a sealed manifest that names a blob in the
            // clear authenticates it by that hash, and a CRC32C can be forged by a writer without the keys
            Blobs.verify(taskKey, ref, bytes);
        }
        return ByteBuffer.wrap(open(taskKey, ref.name(), bytes));
    }

    @Override
    public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
        Objects.requireNonNull(manifest, "manifest");
        Manifest clear = manifest.seal() == null ? manifest : manifest.opened(manifest.input());
        String keyId = currentKeyId();
        byte[] nonce = SnapshotCipher.nonce();
        byte[] data = SnapshotCipher.manifestData(clear.taskKey(), ManifestCodec.sealedData(clear, keyId));
        byte[] ciphertext = SnapshotCipher.encrypt(key(keyId), nonce, data, ManifestCodec.encode(clear), new byte[0]);
        Base64.Encoder base64 = Base64.getEncoder();
        store.publish(
                taskKey,
                expectedGeneration,
                clear.sealedAs(
                        new Manifest.Seal(keyId, base64.encodeToString(nonce), base64.encodeToString(ciphertext))));
    }

    /**
     * A journal entry holds what the guest sent and the service answered, so it is sealed like a blob,
     * bound to its task and call number. With put-if-absent, the entry returned is the first writer's:
     * opened, as every reader sees it.
     */
    @Override
    public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
        String name = callName(sequence);
        return open(taskKey, name, store.recordCall(taskKey, sequence, seal(taskKey, name, entry)));
    }

    @Override
    public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
        long sealedMax = maxBytes > Long.MAX_VALUE - SnapshotCipher.MAX_BLOB_OVERHEAD
                ? Long.MAX_VALUE
                : maxBytes + SnapshotCipher.MAX_BLOB_OVERHEAD;
        String name = callName(sequence);
        Optional<byte[]> entry =
                store.recordedCall(taskKey, sequence, sealedMax).map(at -> open(taskKey, name, at));
        if (entry.isPresent() && entry.get().length > maxBytes) {
            throw new CorruptSnapshotException("journal entry " + sequence + " of task '" + taskKey + "' is damaged: "
                    + entry.get().length + " bytes, more than the " + maxBytes + " expected");
        }
        return entry;
    }

    @Override
    public void dropCalls(String taskKey, long throughSequence) {
        store.dropCalls(taskKey, throughSequence);
    }

    /** The name a journal entry is sealed under: an entry cannot pass for another call's or a blob. */
    private static String callName(long sequence) {
        return "journal-call-" + sequence;
    }

    @Override
    public int beginAttempt(String taskKey) {
        return store.beginAttempt(taskKey);
    }

    @Override
    public List<String> taskKeys() {
        return entries().stream()
                .flatMap(e -> e.manifest().stream())
                .map(Manifest::taskKey)
                .sorted()
                .toList();
    }

    /** The store's entries, each manifest opened; one that does not open is listed as damaged. */
    @Override
    public List<TaskEntry> entries() {
        return store.entries().stream()
                .map(e -> {
                    if (e.manifest().isEmpty()) {
                        return e;
                    }
                    Manifest m = e.manifest().get();
                    try {
                        return TaskEntry.ok(e.location(), open(m.taskKey(), m));
                    } catch (CorruptSnapshotException x) {
                        return TaskEntry.damaged(e.location(), x.getMessage());
                    }
                })
                .toList();
    }

    @Override
    public void finished(String taskKey) {
        store.finished(taskKey);
    }

    @Override
    public void delete(String taskKey) {
        store.delete(taskKey);
    }

    @Override
    public Collected collect(Instant cutoff, Set<String> running, int maxEntries) {
        return store.collect(cutoff, running, maxEntries);
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public String describe() {
        return store.describe() + " (encrypted"
                + keys.current().map(id -> ", sealing with key '" + id + "'").orElse(", read only") + ")";
    }

    @Override
    public String toString() {
        return describe();
    }

    private String currentKeyId() {
        return keys.current()
                .orElseThrow(() -> new IllegalStateException("cannot write snapshots: the snapshot key ring has no"
                        + " current key (it holds " + String.join(", ", keys.ids()) + " for reading only)"));
    }

    private SecretKey key(String keyId) {
        return keys.key(keyId).orElseThrow();
    }

    private byte[] seal(String taskKey, String blobName, byte[] content) {
        Objects.requireNonNull(content, "data");
        String keyId = currentKeyId();
        return SnapshotCipher.sealBlob(keyId, key(keyId), taskKey, blobName, content);
    }

    private byte[] open(String taskKey, String blobName, byte[] stored) {
        String what = "snapshot blob " + blobName + " of task '" + taskKey + "' in " + store.describe();
        if (!SnapshotCipher.isSealedBlob(stored)) {
            if (allowPlaintext) {
                return stored;
            }
            throw notSealed(what, taskKey);
        }
        SnapshotCipher.SealedBlob sealed = SnapshotCipher.SealedBlob.parse(stored);
        if (sealed == null) {
            throw new CorruptSnapshotException(what + " is damaged: its seal's header is malformed or cut short");
        }
        SecretKey key = keys.key(sealed.keyId()).orElseThrow(() -> unknownKey(what, sealed.keyId(), taskKey));
        byte[] content = sealed.open(key, taskKey, blobName, stored);
        if (content == null) {
            throw notAuthentic(what, sealed.keyId());
        }
        return content;
    }

    /** The manifest in the clear; throws unless {@code stored} opens and matches its sealed content. */
    private Manifest open(String taskKey, Manifest stored) {
        String what = "the checkpoint manifest of task '" + taskKey + "' (generation " + stored.generation() + ") in "
                + store.describe();
        Manifest.Seal seal = stored.seal();
        if (seal == null) {
            if (allowPlaintext) {
                return stored;
            }
            throw notSealed(what, taskKey);
        }
        SecretKey key = keys.key(seal.keyId()).orElseThrow(() -> unknownKey(what, seal.keyId(), taskKey));
        byte[] nonce;
        byte[] ciphertext;
        try {
            nonce = Base64.getDecoder().decode(seal.nonce());
            ciphertext = Base64.getDecoder().decode(seal.ciphertext());
        } catch (IllegalArgumentException e) {
            throw notAuthentic(what, seal.keyId());
        }
        if (nonce.length != SnapshotCipher.NONCE_BYTES) {
            throw notAuthentic(what, seal.keyId());
        }
        byte[] data = SnapshotCipher.manifestData(taskKey, ManifestCodec.sealedData(stored, seal.keyId()));
        byte[] content = SnapshotCipher.decrypt(key, nonce, data, ciphertext, 0, ciphertext.length);
        if (content == null) {
            throw notAuthentic(what, seal.keyId());
        }
        // authentic, so written by a holder of the key: still checked, as every manifest is
        Manifest clear = ManifestCodec.decode(content, "sealed in " + what);
        if (clear.seal() != null || !clear.equals(stored.opened(clear.input()))) {
            throw new CorruptSnapshotException(what + " is damaged: its sealed content does not match its fields");
        }
        return clear;
    }

    private static CorruptSnapshotException notAuthentic(String what, String keyId) {
        return new CorruptSnapshotException(what + " fails authentication with snapshot key '" + keyId
                + "': it was altered or cut short, moved from another task, blob or manifest, or sealed with another"
                + " key under the same id; refusing to restore it");
    }

    private CorruptSnapshotException unknownKey(String what, String keyId, String taskKey) {
        return new CorruptSnapshotException(what + " is sealed with snapshot key '" + keyId
                + "', which the key ring does not hold (it holds: " + String.join(", ", keys.ids())
                + "); add that key to the ring (old keys stay readable beside the current one), or remove the"
                + " checkpoint with `wasm-worker snapshots rm " + taskKey + "` to start the task over");
    }

    private static CorruptSnapshotException notSealed(String what, String taskKey) {
        return new CorruptSnapshotException(what + " is not encrypted, but this store refuses snapshots in the clear:"
                + " it was written before encryption was turned on, or by a writer without the keys. Allow them while"
                + " old checkpoints drain (stores.encryption.allowPlaintext: true), or remove the checkpoint with"
                + " `wasm-worker snapshots rm " + taskKey + "`");
    }
}
