package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.ByteMutations;
import io.wasmworker.testing.Fuzzer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what an encrypting store reads: every mutation of a sealed manifest or blob either opens
 * to exactly what was sealed, or is refused as {@link CorruptSnapshotException}; nothing else
 * escapes, and no mutation is ever accepted as something else. Half of the mutated manifests get
 * their checksum recomputed (as a writer without the keys could), so the seal itself is what refuses
 * them.
 */
class SealedSnapshotFuzzTest {
    private static final String TASK = "task-1";
    private static final SnapshotKeys KEYS = EncryptingSnapshotStoreTest.ring(
            "k2", "k2", EncryptingSnapshotStoreTest.K2, "k1", EncryptingSnapshotStoreTest.K1);
    private static final byte[] SNAPSHOT =
            "WWSNAP... pages, globals and the guest's secret hunter2".repeat(20).getBytes(StandardCharsets.UTF_8);

    private final MemorySnapshotStore memory = new MemorySnapshotStore();
    private final EncryptingSnapshotStore store = new EncryptingSnapshotStore(memory, KEYS, false);
    private final Manifest written;
    private final byte[] sealedManifest;
    private final byte[] sealedBlob;

    SealedSnapshotFuzzTest() {
        Manifest.BlobRef ref = store.writeSnapshot(TASK, 1, SNAPSHOT);
        written = new Manifest(
                TASK, 1, Digest.of(new byte[] {1}), 1, 1, List.of(ref), 1_700_000_000_000L, Digest.of(new byte[] {2}));
        store.publish(TASK, 0, written);
        sealedManifest = memory.manifests.get(TASK).clone();
        sealedBlob =
                memory.blobs.get(MemorySnapshotStore.blobKey(TASK, ref.name())).clone();
    }

    private void openManifest(byte[] bytes) {
        memory.manifests.put(TASK, bytes);
        Manifest opened = store.latest(TASK).orElseThrow();
        assertThat(opened).as("a mutated manifest that opens").isEqualTo(written);
    }

    private void openBlob(byte[] bytes) {
        String name = written.chain().get(0).name();
        memory.blobs.put(MemorySnapshotStore.blobKey(TASK, name), bytes);
        assertThat(store.getBlob(TASK, name)).as("a mutated blob that opens").isEqualTo(SNAPSHOT);
        assertThat(store.readSnapshot(TASK, written.chain().get(0))).isEqualTo(SNAPSHOT);
    }

    @Test
    void theSeedsOpen() {
        openManifest(sealedManifest);
        openBlob(sealedBlob);
        assertThat(ManifestFuzzTest.withRecomputedChecksum(sealedManifest)).isNotEqualTo(sealedManifest);
    }

    @Tag("fuzz")
    @Test
    void mutatedSealedManifestsOpenUnchangedOrAreRefusedAsCorrupt() {
        new Fuzzer("sealed-manifest", List.of(sealedManifest), ByteMutations.ALL)
                .refusing(CorruptSnapshotException.class)
                .repairing(0.5, SealedSnapshotFuzzTest::withRecomputedChecksum)
                .run(this::openManifest)
                .assertNoFindings("sealed manifest fuzz", 100);
    }

    @Tag("fuzz")
    @Test
    void mutatedSealedBlobsOpenUnchangedOrAreRefusedAsCorrupt() {
        new Fuzzer("sealed-blob", List.of(sealedBlob), ByteMutations.ALL)
                .refusing(CorruptSnapshotException.class)
                .run(this::openBlob)
                .assertNoFindings("sealed blob fuzz", 100);
    }

    /** {@link ManifestFuzzTest#withRecomputedChecksum}, for format 3 (whose body has {@code sealed}). */
    static byte[] withRecomputedChecksum(byte[] bytes) {
        try {
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            var root = json.readTree(bytes);
            if (root == null || !root.isObject()) {
                return bytes;
            }
            var body = ((com.fasterxml.jackson.databind.node.ObjectNode) root).deepCopy();
            body.remove("checksum");
            var out = body.deepCopy();
            out.put("checksum", "sha256:" + Blobs.sha256Hex(json.writeValueAsBytes(body)));
            return json.writeValueAsBytes(out);
        } catch (Exception e) {
            return bytes;
        }
    }

    @Test
    void aMutationWithARecomputedChecksumIsRefusedByTheSeal() {
        byte[] changed = new String(sealedManifest, StandardCharsets.UTF_8)
                .replace("\"attempt\" : 1", "\"attempt\" : 3")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(changed).isNotEqualTo(sealedManifest);
        byte[] repaired = withRecomputedChecksum(changed);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> openManifest(repaired))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication");
        assertThat(Arrays.equals(repaired, changed)).isFalse();
    }
}
