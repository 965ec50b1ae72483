package io.wasmworker.checkpoint.store;

import io.wasmworker.artifact.Digest;
import java.util.List;

/**
 * The small, atomically published record of a task's latest checkpoint.
 *
 * @param taskKey      the task identity (Camunda external task id, Temporal activity, CLI key)
 * @param generation   1 for the first publish, +1 for every later one (the fencing token)
 * @param artifact     the digest of the module the snapshot belongs to
 * @param sequence     the checkpoint's sequence number within the task (1, 2, ...)
 * @param attempt      the attempt that wrote it
 * @param chain        the blobs to apply in order: a full snapshot, then deltas
 * @param createdAtMillis when it was published
 * @param input        the digest of the input the checkpointed run was given; null
 *                     for manifests written before workers recorded it (format 1): such a checkpoint
 *                     is resumed whatever the input, as it was then; also null while the manifest is
 *                     sealed (then the input is inside the seal)
 * @param seal         present on a manifest as an {@link EncryptingSnapshotStore} has the store keep it:
 *                     the whole manifest, encrypted and authenticated (every other field stays readable
 *                     for the store's own fencing and collection, and is authenticated by the seal).
 *                     Null for a manifest in the clear and for one the encrypting store has opened
 */
public record Manifest(
        String taskKey,
        long generation,
        Digest artifact,
        long sequence,
        int attempt,
        List<BlobRef> chain,
        long createdAtMillis,
        Digest input,
        Seal seal) {

    public Manifest {
        chain = List.copyOf(chain);
        if (generation < 1) {
            throw new IllegalArgumentException("generation must be >= 1, got " + generation);
        }
        // what the decoder accepts, so that no manifest is written that cannot be read back
        if (sequence < 1 || attempt < 1) {
            throw new IllegalArgumentException("sequence and attempt start at 1, got " + sequence + " and " + attempt);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a manifest names at least one blob");
        }
        if (seal != null && input != null) {
            throw new IllegalArgumentException("a sealed manifest keeps its input inside the seal, never in the clear");
        }
    }

    /** A manifest in the clear. */
    public Manifest(
            String taskKey,
            long generation,
            Digest artifact,
            long sequence,
            int attempt,
            List<BlobRef> chain,
            long createdAtMillis,
            Digest input) {
        this(taskKey, generation, artifact, sequence, attempt, chain, createdAtMillis, input, null);
    }

    /** A manifest that does not record its input (tests, and manifests of format 1). */
    public Manifest(
            String taskKey,
            long generation,
            Digest artifact,
            long sequence,
            int attempt,
            List<BlobRef> chain,
            long createdAtMillis) {
        this(taskKey, generation, artifact, sequence, attempt, chain, createdAtMillis, null, null);
    }

    /**
     * One blob of the chain.
     *
     * @param name    the blob's name within the task
     * @param size    its length in bytes
     * @param sha256  hex SHA-256 of its bytes, checked when it is read back
     */
    public record BlobRef(String name, long size, String sha256) {}

    /**
     * The sealed form of a manifest (see {@link EncryptingSnapshotStore}).
     *
     * @param keyId      the id of the key it was sealed with
     * @param nonce      base64 of the 96-bit AES-GCM nonce
     * @param ciphertext base64 of the AES-GCM ciphertext and tag of the manifest in the clear
     */
    public record Seal(String keyId, String nonce, String ciphertext) {
        public Seal {
            java.util.Objects.requireNonNull(keyId, "keyId");
            java.util.Objects.requireNonNull(nonce, "nonce");
            java.util.Objects.requireNonNull(ciphertext, "ciphertext");
        }
    }

    /** This manifest as sealed with {@code seal}: its input goes into the seal only. */
    Manifest sealedAs(Seal seal) {
        return new Manifest(taskKey, generation, artifact, sequence, attempt, chain, createdAtMillis, null, seal);
    }

    /** This manifest in the clear: without a seal, with {@code input}. */
    Manifest opened(Digest input) {
        return new Manifest(taskKey, generation, artifact, sequence, attempt, chain, createdAtMillis, input, null);
    }

    /** A reference for error details and heartbeats: {@code <taskKey>@<generation>}. */
    public String reference() {
        return taskKey + "@" + generation;
    }
}
