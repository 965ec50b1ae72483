package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.ByteMutations;
import io.wasmworker.testing.Fuzzer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the manifest decoder: every mutated manifest decodes or is refused as
 * {@link CorruptSnapshotException}. Most mutated manifests that are still JSON objects get their
 * checksum recomputed, so the checks behind it (types, digests, blob references) are reached.
 */
class ManifestFuzzTest {
    private static final Path CORPUS = Path.of("src/test/resources/fuzz/manifest");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> BODY = List.of(
            "format", "taskKey", "generation", "artifact", "sequence", "attempt", "input", "chain", "createdAtMillis");
    private static final Consumer<byte[]> DECODE = bytes -> ManifestCodec.decode(bytes, "fuzzed manifest");

    private static List<byte[]> seeds() {
        Digest artifact = Digest.parse("sha256:" + "ab".repeat(32));
        Manifest.BlobRef full = Blobs.ref("0000000001-full.snap", new byte[] {1, 2, 3});
        Manifest.BlobRef delta = Blobs.ref("0000000002-delta.snap", new byte[] {4});
        return List.of(
                ManifestCodec.encode(new Manifest(
                        "task-1",
                        3,
                        artifact,
                        2,
                        1,
                        List.of(full, delta),
                        1_700_000_000_000L,
                        Digest.parse("sha256:" + "cd".repeat(32)))),
                ManifestCodec.encode(new Manifest("k\u00e9y with \"quotes\"", 1, artifact, 1, 7, List.of(full), 0L)));
    }

    /** The manifest's checksum over its fields as they stand, in the codec's order (for the fuzzer's repair). */
    static byte[] withRecomputedChecksum(byte[] bytes) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                return bytes;
            }
            ObjectNode body = JSON.createObjectNode();
            for (String field : BODY) {
                if (root.has(field)) {
                    body.set(field, root.get(field));
                }
            }
            ObjectNode out = ((ObjectNode) root).deepCopy();
            out.put("checksum", "sha256:" + Blobs.sha256Hex(JSON.writeValueAsBytes(body)));
            return JSON.writeValueAsBytes(out);
        } catch (Exception e) {
            return bytes;
        }
    }

    private static Fuzzer fuzzer() {
        return new Fuzzer("manifest", seeds(), ByteMutations.ALL)
                .refusing(CorruptSnapshotException.class)
                .repairing(0.7, ManifestFuzzTest::withRecomputedChecksum);
    }

    @Test
    void theSeedsDecodeAndTheRepairKeepsThemValid() {
        for (byte[] seed : seeds()) {
            assertThat(ManifestCodec.decode(withRecomputedChecksum(seed), "seed"))
                    .isEqualTo(ManifestCodec.decode(seed, "seed"));
        }
    }

    @Tag("fuzz")
    @Test
    void mutatedManifestsDecodeOrAreRefusedAsCorrupt() {
        fuzzer().run(DECODE::accept).assertNoFindings("manifest fuzz", 100);
    }

    /** Kept inputs are all invalid: each must be refused, without quoting what it holds. */
    @Test
    void keptInputsAreRefusedAsCorruptWithoutEchoingThem() {
        Consumer<byte[]> refused = bytes -> assertThatThrownBy(() -> DECODE.accept(bytes))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageNotContaining("hunter2")
                .hasMessageNotContaining("passwd");
        fuzzer().replay(CORPUS, refused::accept).assertNoFindings("manifest regression inputs", 1);
    }
}
