package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots sealed at rest: what opens, and every way of tampering that must not. */
class EncryptingSnapshotStoreTest {
    static final byte[] K1 = key(1);
    static final byte[] K2 = key(2);
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "ab".repeat(32));
    private static final Digest INPUT = Digest.of("{\"pin\":\"1234\"}".getBytes(StandardCharsets.UTF_8));
    private static final byte[] SECRET = "the guest's secret: hunter2".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    static byte[] key(int seed) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) seed);
        key[0] = (byte) (seed * 31);
        return key;
    }

    static SnapshotKeys ring(String current, Object... idsAndKeys) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < idsAndKeys.length; i += 2) {
            keys.put((String) idsAndKeys[i], (byte[]) idsAndKeys[i + 1]);
        }
        return SnapshotKeys.of(current, keys);
    }

    private static EncryptingSnapshotStore sealed(SnapshotStore store, SnapshotKeys keys) {
        return new EncryptingSnapshotStore(store, keys, false);
    }

    /** Writes one checkpoint (sequence {@code sequence}) of {@code content} and publishes it; returns the manifest. */
    private static Manifest checkpoint(SnapshotStore store, String task, long generation, byte[] content) {
        Manifest.BlobRef ref = store.writeSnapshot(task, generation, content);
        Manifest m = new Manifest(task, generation, ARTIFACT, generation, 1, List.of(ref), 1_700_000_000_000L, INPUT);
        store.publish(task, generation - 1, m);
        return m;
    }

    @Test
    void aSealedCheckpointReadsBackExactlyAndNothingOfItIsInTheClear() throws Exception {
        var local = new LocalSnapshotStore(dir, false);
        var store = sealed(local, ring("k1", "k1", K1));
        Manifest written = checkpoint(store, "task-1", 1, SECRET);

        Manifest read = store.latest("task-1").orElseThrow();
        assertThat(read).isEqualTo(written);
        assertThat(read.seal()).isNull();
        assertThat(store.readSnapshot("task-1", read.chain().get(0))).isEqualTo(SECRET);
        assertThat(SnapshotStoreContract.contents(
                        store.openSnapshot("task-1", read.chain().get(0))))
                .isEqualTo(SECRET);
        assertThat(store.taskKeys()).containsExactly("task-1");
        assertThat(store.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.manifest()).contains(written));

        // at rest: the store's own manifest is sealed, records the key id, and its input is only inside the seal
        Manifest stored = local.latest("task-1").orElseThrow();
        assertThat(stored.seal()).isNotNull();
        assertThat(stored.seal().keyId()).isEqualTo("k1");
        assertThat(stored.input()).isNull();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                assertThat(text).as(file.toString()).doesNotContain("hunter2").doesNotContain(INPUT.hex());
                // a blob's name tells nothing of its content either
                assertThat(file.getFileName().toString())
                        .doesNotContain(Blobs.sha256Hex(SECRET).substring(0, 16));
            }
        }
    }

    @Test
    void twoSealsOfTheSameContentDiffer() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        Manifest.BlobRef a = store.writeSnapshot("t", 1, SECRET);
        Manifest.BlobRef b = store.writeSnapshot("t", 1, SECRET); // a retry of the same checkpoint
        assertThat(a.name()).isNotEqualTo(b.name());
        assertThat(a.sha256()).isNotEqualTo(b.sha256()); // fresh nonce
        assertThat(store.readSnapshot("t", a))
                .isEqualTo(store.readSnapshot("t", b))
                .isEqualTo(SECRET);
    }

    @Test
    void aWrongKeyUnderTheSameIdFailsAuthenticationNamingTaskBlobAndKey() {
        var memory = new MemorySnapshotStore();
        Manifest m = checkpoint(sealed(memory, ring("k1", "k1", K1)), "task-1", 1, SECRET);
        var wrong = sealed(memory, ring("k1", "k1", K2));

        assertThatThrownBy(() -> wrong.latest("task-1"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("manifest of task 'task-1'")
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
        assertThatThrownBy(() -> wrong.readSnapshot("task-1", m.chain().get(0)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("snapshot blob " + m.chain().get(0).name() + " of task 'task-1'")
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
    }

    @Test
    void anUnknownKeyIdIsAClearErrorNamingIt() {
        var memory = new MemorySnapshotStore();
        Manifest m = checkpoint(sealed(memory, ring("k1", "k1", K1)), "task-1", 1, SECRET);
        var other = sealed(memory, ring("k2", "k2", K2));

        assertThatThrownBy(() -> other.latest("task-1"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("task 'task-1'")
                .hasMessageContaining("sealed with snapshot key 'k1', which the key ring does not hold (it holds: k2)")
                .hasMessageContaining("wasm-worker snapshots rm task-1");
        assertThatThrownBy(() -> other.readSnapshot("task-1", m.chain().get(0)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining(m.chain().get(0).name())
                .hasMessageContaining("snapshot key 'k1', which the key ring does not hold");
    }

    /** A restore's chain, read at once from the store underneath, opens link by link; a tampered link fails it. */
    @Test
    void aChainOpensWholeAndATamperedLinkFailsIt() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        List<Manifest.BlobRef> chain = List.of(
                store.writeSnapshot("task-1", 1, bytes("link 1")),
                store.writeSnapshot("task-1", 2, bytes("link 2")),
                store.writeSnapshot("task-1", 3, bytes("link 3")));

        assertThat(store.openSnapshots("task-1", chain).stream().map(SnapshotStoreContract::contents))
                .containsExactly(bytes("link 1"), bytes("link 2"), bytes("link 3"));

        byte[] blob = memory.blobs.get(
                MemorySnapshotStore.blobKey("task-1", chain.get(1).name()));
        blob[blob.length - 20] ^= 1;
        assertThatThrownBy(() -> store.openSnapshots("task-1", chain))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining(chain.get(1).name())
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aTamperedBlobFailsEvenWhenItsReferenceIsRewrittenToMatch() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        Manifest m = checkpoint(store, "task-1", 1, SECRET);
        Manifest.BlobRef ref = m.chain().get(0);
        byte[] blob = memory.blobs.get(MemorySnapshotStore.blobKey("task-1", ref.name()));
        blob[blob.length - 20] ^= 1;

        // the unkeyed checksum catches it first...
        assertThatThrownBy(() -> store.readSnapshot("task-1", ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("is damaged: sha256");
        // ...and the seal, whatever the reference says
        assertThatThrownBy(() -> store.readSnapshot("task-1", Blobs.ref(ref.name(), blob)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
        assertThatThrownBy(() -> store.getBlob("task-1", ref.name()))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication");
        // a restore hashes nothing: the seal refuses it
        assertThatThrownBy(() -> store.openSnapshot("task-1", ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
    }

    /** The gap an unkeyed checksum leaves: blob and manifest rewritten consistently. */
    @Test
    void aConsistentRewriteOfBlobAndManifestIsRefused() {
        // without keys, such a forgery restores: the checksums match
        var plainStore = new MemorySnapshotStore();
        checkpoint(plainStore, "task-1", 1, SECRET);
        forgeConsistently(plainStore, "task-1");
        assertThat(plainStore.readSnapshot(
                        "task-1",
                        plainStore.latest("task-1").orElseThrow().chain().get(0)))
                .isEqualTo("forged".getBytes(StandardCharsets.UTF_8));

        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        checkpoint(store, "task-1", 1, SECRET);
        forgeConsistently(memory, "task-1");
        assertThatThrownBy(() -> store.latest("task-1"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("manifest of task 'task-1'")
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
    }

    /** Writes a new blob and a manifest naming it with a correct size, sha256 and checksum, keeping any seal. */
    private static void forgeConsistently(MemorySnapshotStore memory, String task) {
        Manifest stored = memory.latest(task).orElseThrow();
        byte[] forged = "forged".getBytes(StandardCharsets.UTF_8);
        memory.putBlob(task, "0000000001-forged.snap", forged);
        Manifest rewritten = new Manifest(
                task,
                stored.generation(),
                stored.artifact(),
                stored.sequence(),
                stored.attempt(),
                List.of(Blobs.ref("0000000001-forged.snap", forged)),
                stored.createdAtMillis(),
                stored.input(),
                stored.seal());
        memory.manifests.put(task, ManifestCodec.encode(rewritten));
    }

    @Test
    void aBlobMovedToAnotherTaskOrNameDoesNotOpen() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        Manifest a = checkpoint(store, "task-a", 1, SECRET);
        Manifest b = checkpoint(store, "task-b", 1, "other".getBytes(StandardCharsets.UTF_8));
        byte[] fromA = memory.blobs.get(
                MemorySnapshotStore.blobKey("task-a", a.chain().get(0).name()));

        // to another task under its own blob's name
        String nameB = b.chain().get(0).name();
        memory.blobs.put(MemorySnapshotStore.blobKey("task-b", nameB), fromA.clone());
        assertThatThrownBy(() -> store.getBlob("task-b", nameB))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("snapshot blob " + nameB + " of task 'task-b'")
                .hasMessageContaining("fails authentication with snapshot key 'k1'");
        // within the task, under another name
        memory.blobs.put(MemorySnapshotStore.blobKey("task-a", "0000000002-moved.snap"), fromA.clone());
        assertThatThrownBy(() -> store.getBlob("task-a", "0000000002-moved.snap"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication");
    }

    @Test
    void aManifestOrItsSealMovedToAnotherTaskDoesNotOpen() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        checkpoint(store, "task-a", 1, SECRET);
        checkpoint(store, "task-b", 1, SECRET);
        Manifest a = memory.latest("task-a").orElseThrow();
        Manifest b = memory.latest("task-b").orElseThrow();

        // b's fields, a's seal
        memory.manifests.put(
                "task-b",
                ManifestCodec.encode(new Manifest(
                        "task-b",
                        b.generation(),
                        b.artifact(),
                        b.sequence(),
                        b.attempt(),
                        b.chain(),
                        b.createdAtMillis(),
                        null,
                        a.seal())));
        assertThatThrownBy(() -> store.latest("task-b"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("manifest of task 'task-b'")
                .hasMessageContaining("fails authentication");
        // a's whole manifest where b's belongs (a store that does not check the key itself)
        memory.manifests.put("task-b", ManifestCodec.encode(a));
        assertThatThrownBy(() -> store.latest("task-b"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("fails authentication");
    }

    @Test
    void everyFieldOfASealedManifestIsAuthenticated() {
        var memory = new MemorySnapshotStore();
        var store = sealed(memory, ring("k1", "k1", K1));
        checkpoint(store, "task-1", 1, SECRET);
        Manifest s = memory.latest("task-1").orElseThrow();
        Manifest.BlobRef ref = s.chain().get(0);
        List<Manifest> changed = List.of(
                new Manifest("task-1", 2, s.artifact(), 1, 1, s.chain(), s.createdAtMillis(), null, s.seal()),
                new Manifest("task-1", 1, Digest.of(new byte[0]), 1, 1, s.chain(), s.createdAtMillis(), null, s.seal()),
                new Manifest("task-1", 1, s.artifact(), 2, 1, s.chain(), s.createdAtMillis(), null, s.seal()),
                new Manifest("task-1", 1, s.artifact(), 1, 9, s.chain(), s.createdAtMillis(), null, s.seal()),
                new Manifest("task-1", 1, s.artifact(), 1, 1, s.chain(), 0L, null, s.seal()),
                new Manifest(
                        "task-1",
                        1,
                        s.artifact(),
                        1,
                        1,
                        List.of(new Manifest.BlobRef(ref.name(), ref.size() + 1, ref.sha256())),
                        s.createdAtMillis(),
                        null,
                        s.seal()),
                new Manifest(
                        "task-1",
                        1,
                        s.artifact(),
                        1,
                        1,
                        s.chain(),
                        s.createdAtMillis(),
                        null,
                        new Manifest.Seal("k2", s.seal().nonce(), s.seal().ciphertext())));
        var both = sealed(memory, ring("k1", "k1", K1, "k2", K1)); // so k2 is known (same bytes, other id)
        for (Manifest m : changed) {
            memory.manifests.put("task-1", ManifestCodec.encode(m));
            assertThatThrownBy(() -> both.latest("task-1"))
                    .as(m.toString())
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("fails authentication");
        }
    }

    @Test
    void snapshotsInTheClearAreRefusedUnlessAllowed() {
        var memory = new MemorySnapshotStore();
        Manifest m = checkpoint(memory, "old-task", 1, SECRET); // written before encryption was turned on

        var strict = sealed(memory, ring("k1", "k1", K1));
        assertThatThrownBy(() -> strict.latest("old-task"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("manifest of task 'old-task'")
                .hasMessageContaining("is not encrypted")
                .hasMessageContaining("allowPlaintext");
        assertThatThrownBy(() -> strict.readSnapshot("old-task", m.chain().get(0)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("is not encrypted");
        assertThat(strict.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.problem()).contains("is not encrypted"));

        var lenient = new EncryptingSnapshotStore(memory, ring("k1", "k1", K1), true);
        assertThat(lenient.latest("old-task")).contains(m);
        assertThat(lenient.readSnapshot("old-task", m.chain().get(0))).isEqualTo(SECRET);
        assertThat(SnapshotStoreContract.contents(
                        lenient.openSnapshot("old-task", m.chain().get(0))))
                .isEqualTo(SECRET);
        assertThatThrownBy(() -> strict.openSnapshot("old-task", m.chain().get(0)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("is not encrypted");
        // the next checkpoint on top of it is sealed, and its manifest authenticates the old blob by its sha256
        Manifest.BlobRef next = lenient.writeSnapshot("old-task", 2, "delta".getBytes(StandardCharsets.UTF_8));
        Manifest m2 =
                new Manifest("old-task", 2, ARTIFACT, 2, 1, List.of(m.chain().get(0), next), 1_700_000_000_001L, INPUT);
        lenient.publish("old-task", 1, m2);
        assertThat(lenient.latest("old-task")).contains(m2);
        assertThat(memory.latest("old-task").orElseThrow().seal()).isNotNull();
    }

    @Test
    void rotationKeepsOldKeysReadableUntilTheyAreRemoved() {
        var local = new LocalSnapshotStore(dir, false);
        var before = sealed(local, ring("k1", "k1", K1));
        Manifest m1 = checkpoint(before, "task-1", 1, SECRET);

        // k2 becomes current, k1 stays for reading: the k1 checkpoint resumes, the next one is sealed with k2
        var rotated = sealed(local, ring("k2", "k2", K2, "k1", K1));
        assertThat(rotated.latest("task-1")).contains(m1);
        byte[] delta = "delta".getBytes(StandardCharsets.UTF_8);
        Manifest.BlobRef ref2 = rotated.writeSnapshot("task-1", 2, delta);
        Manifest m2 =
                new Manifest("task-1", 2, ARTIFACT, 2, 1, List.of(m1.chain().get(0), ref2), 1_700_000_000_001L, INPUT);
        rotated.publish("task-1", 1, m2);
        assertThat(local.latest("task-1").orElseThrow().seal().keyId()).isEqualTo("k2");
        assertThat(rotated.latest("task-1")).contains(m2);
        assertThat(rotated.readSnapshot("task-1", m2.chain().get(0))).isEqualTo(SECRET);
        assertThat(rotated.readSnapshot("task-1", m2.chain().get(1))).isEqualTo(delta);

        // k1 removed while a blob sealed with it is still in the chain: a clear error naming k1
        var k2Only = sealed(local, ring("k2", "k2", K2));
        assertThat(k2Only.latest("task-1")).contains(m2);
        assertThatThrownBy(() -> k2Only.readSnapshot("task-1", m2.chain().get(0)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("of task 'task-1'")
                .hasMessageContaining(m2.chain().get(0).name())
                .hasMessageContaining("sealed with snapshot key 'k1', which the key ring does not hold (it holds: k2)");
    }

    @Test
    void aReadOnlyRingReadsButDoesNotWrite() {
        var memory = new MemorySnapshotStore();
        Manifest m = checkpoint(sealed(memory, ring("k1", "k1", K1)), "task-1", 1, SECRET);
        var reader = sealed(memory, ring(null, "k1", K1));
        assertThat(reader.latest("task-1")).contains(m);
        assertThat(reader.describe()).contains("read only");
        assertThatThrownBy(() -> reader.writeSnapshot("task-1", 2, SECRET))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no current key");
    }

    @Test
    void keyRingsAreValidatedWithoutPrintingKeys() {
        assertThatThrownBy(() -> SnapshotKeys.of("k1", Map.of("k1", new byte[15])))
                .hasMessageContaining("snapshot key 'k1' is 120 bits long; AES keys are 128, 192 or 256 bits");
        assertThatThrownBy(() -> SnapshotKeys.of("k3", Map.of("k1", K1)))
                .hasMessageContaining("current snapshot key 'k3' is not in the key ring (its keys: k1)");
        assertThatThrownBy(() -> SnapshotKeys.of("a b", Map.of("a b", K1)))
                .hasMessageContaining("invalid snapshot key id 'a b'");
        assertThatThrownBy(() -> SnapshotKeys.of(null, Map.of())).hasMessageContaining("empty");
        assertThatThrownBy(() -> SnapshotKeys.decodeKey("k1", "not*base64!"))
                .hasMessageContaining("snapshot key 'k1' is not valid base64")
                .hasMessageNotContaining("not*base64!");
        assertThat(SnapshotKeys.decodeKey(
                        "k1", " " + java.util.Base64.getEncoder().encodeToString(K1) + "\n"))
                .isEqualTo(K1);
        assertThat(ring("k1", "k1", K1).toString())
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(K1));
    }

    @Test
    void everyOtherMethodReachesTheStoreBelow() {
        var local = new LocalSnapshotStore(dir, false);
        var store = sealed(local, ring("k1", "k1", K1));
        assertThat(store.beginAttempt("task-1")).isEqualTo(1);
        assertThat(local.beginAttempt("task-1")).isEqualTo(2);
        checkpoint(store, "task-1", 1, SECRET);
        assertThatThrownBy(() -> checkpoint(store, "task-1", 1, SECRET)).isInstanceOf(StaleGenerationException.class);
        store.finished("task-1");
        assertThat(local.latest("task-1")).isEmpty();
        assertThatThrownBy(() -> store.writeSnapshot("task-1", 2, SECRET)).isInstanceOf(StaleGenerationException.class);
        store.delete("task-1");
        checkpoint(store, "task-1", 1, SECRET);
        assertThat(store.collect(java.time.Instant.now().plusSeconds(60), java.util.Set.of(), 10)
                        .tasks())
                .isEqualTo(1);
        assertThat(store.describe()).startsWith(local.describe()).contains("key 'k1'");
    }
}
