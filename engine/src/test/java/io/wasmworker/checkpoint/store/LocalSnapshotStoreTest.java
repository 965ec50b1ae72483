package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What only the local store does: fsync, temp files, cross-process races through its file locks,
 * modification times, symbolic links. The contract every store keeps is {@link SnapshotStoreContract}.
 */
class LocalSnapshotStoreTest {
    private static final String KEY = "camunda:ext-task-42";
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "ab".repeat(32));

    @TempDir
    Path temp;

    Path root;
    LocalSnapshotStore store;

    @BeforeEach
    void open() {
        root = temp.resolve("store");
        store = new LocalSnapshotStore(root, false); // fsync on/off does not change behaviour; one test uses it
    }

    // ---------------------------------------------------------------- round trip

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {true, false})
    void roundTripFullSnapshotThenDeltaChain(boolean fsync) {
        SnapshotStore s = new LocalSnapshotStore(root, fsync);
        assertThat(s.latest(KEY)).isEmpty();

        Manifest.BlobRef full = put(s, KEY, "000001-full", "full snapshot bytes");
        Manifest gen1 = manifest(KEY, 1, 1, full);
        s.publish(KEY, 0, gen1);

        assertThat(s.latest(KEY)).contains(gen1);
        assertThat(Blobs.readVerified(s, KEY, full))
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("full snapshot bytes");

        Manifest.BlobRef delta = put(s, KEY, "000002-delta", "delta bytes");
        Manifest gen2 = manifest(KEY, 2, 2, full, delta);
        s.publish(KEY, 1, gen2);

        Manifest latest = s.latest(KEY).orElseThrow();
        assertThat(latest).isEqualTo(gen2);
        assertThat(latest.reference()).isEqualTo(KEY + "@2");
        assertThat(latest.chain()).extracting(Manifest.BlobRef::name).containsExactly("000001-full", "000002-delta");
        for (Manifest.BlobRef ref : latest.chain()) {
            Blobs.readVerified(s, KEY, ref);
        }
        // a second instance (a restarted worker) sees the same thing
        assertThat(new LocalSnapshotStore(root, fsync).latest(KEY)).contains(gen2);
    }

    // ---------------------------------------------------------------- fencing

    @Nested
    class Fencing {
        @Test
        void childProcessesRaceForGenerationOneAndExactlyOneWins() throws Exception {
            int processes = 4;
            Path go = temp.resolve("go");
            List<Process> children = new ArrayList<>();
            try {
                for (int i = 0; i < processes; i++) {
                    children.add(startChild(i, go)); // child i publishes as attempt i + 1
                }
                for (int i = 0; i < processes; i++) {
                    awaitReady(children.get(i), i + 1);
                }
                Files.createFile(go);

                List<Integer> exits = new ArrayList<>();
                for (Process child : children) {
                    assertThat(child.waitFor(60, TimeUnit.SECONDS))
                            .as("child finished")
                            .isTrue();
                    exits.add(child.exitValue());
                }
                assertThat(exits)
                        .as("exit codes (0 = won, 3 = stale), stderr in " + temp)
                        .containsOnly(PublishRaceMain.WON, PublishRaceMain.STALE)
                        .filteredOn(code -> code == PublishRaceMain.WON)
                        .hasSize(1);
                assertThat(store.latest(KEY).orElseThrow().attempt()).isEqualTo(exits.indexOf(PublishRaceMain.WON) + 1);
            } finally {
                children.forEach(Process::destroyForcibly);
            }
        }

        private Process startChild(int attempt, Path go) throws IOException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            return new ProcessBuilder(
                            java.toString(),
                            "-XX:TieredStopAtLevel=1",
                            "-Xmx64m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            PublishRaceMain.class.getName(),
                            root.toString(),
                            KEY,
                            Integer.toString(attempt),
                            go.toString())
                    .redirectError(temp.resolve("child-" + attempt + ".err").toFile())
                    .start();
        }

        private void awaitReady(Process child, int attempt) throws IOException {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            for (String line = out.readLine(); !"ready".equals(line); line = out.readLine()) {
                if (line == null) {
                    throw new AssertionError("child " + attempt + " exited before it was ready: "
                            + Files.readString(temp.resolve("child-" + attempt + ".err")));
                }
            }
        }
    }

    @Test
    void aTaskWithNoDirectoryHasNoCheckpointButATaskDirectoryThatIsAFileIsDamage() throws IOException {
        assertThat(store.latest(KEY)).isEmpty();
        Path taskDir = manifestFile(KEY).getParent();
        Files.createDirectories(taskDir.getParent());
        Files.writeString(taskDir, "not a directory");
        assertThatThrownBy(() -> store.latest(KEY))
                .as("a damaged store is never taken for a fresh start")
                .isInstanceOf(CorruptSnapshotException.class);
    }

    // ---------------------------------------------------------------- crash safety

    @Test
    void leftoverManifestTempFileDoesNotAffectLatest() throws IOException {
        Manifest.BlobRef a = put(store, KEY, "a", "a");
        Path taskDir = manifestFile(KEY).getParent();
        // a crash after writing the temp file but before the rename
        Path torn = taskDir.resolve(".tmp-123456.part");
        Files.writeString(torn, "{\"format\" : 1, \"taskKey\" : \"camu");
        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.taskKeys()).isEmpty();

        Manifest gen1 = manifest(KEY, 1, 1, a);
        store.publish(KEY, 0, gen1);
        assertThat(store.latest(KEY)).contains(gen1);
        assertThat(torn)
                .as("publish removes manifest temp files, which only lock holders write")
                .doesNotExist();

        Files.writeString(torn, "garbage");
        assertThat(new LocalSnapshotStore(root, false).latest(KEY)).contains(gen1);
    }

    @Test
    void tornBlobTempFileIsIgnoredAndCleanedOnceStale() throws IOException {
        Manifest.BlobRef a = put(store, KEY, "a", "whole blob");
        Path blobs = blobFile(KEY, "a").getParent();
        Path oldTorn = blobs.resolve(".tmp-1.part");
        Path freshTorn = blobs.resolve(".tmp-2.part");
        Files.writeString(oldTorn, "whole b");
        Files.writeString(freshTorn, "who");
        Files.setLastModifiedTime(
                oldTorn,
                FileTime.from(
                        Instant.now().minus(LocalSnapshotStore.STALE_TEMP_AGE).minusSeconds(60)));

        assertThat(store.getBlob(KEY, "a")).isEqualTo(bytes("whole blob"));
        store.publish(KEY, 0, manifest(KEY, 1, 1, a));
        assertThat(store.getBlob(KEY, "a")).isEqualTo(bytes("whole blob"));

        new LocalSnapshotStore(root, false); // startup cleaning
        assertThat(oldTorn).doesNotExist();
        assertThat(freshTorn)
                .as("may belong to a write still running elsewhere")
                .exists();
        assertThatThrownBy(() -> store.getBlob(KEY, ".tmp-2.part")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- the two manifest files

    /** Each publish links the new manifest under the free name, then unlinks the old: one file stays. */
    @Test
    void publishesAlternateBetweenTwoManifestFilesAndLeaveOne() throws IOException {
        Manifest.BlobRef full = put(store, KEY, "000001-full", "full");
        Path dir = manifestFile(KEY).getParent();
        List<Manifest.BlobRef> chain = new ArrayList<>(List.of(full));
        for (int g = 1; g <= 4; g++) {
            if (g > 1) {
                chain.add(put(store, KEY, "00000" + g + "-delta", "delta " + g));
            }
            Manifest m = manifest(KEY, g, g, chain.toArray(Manifest.BlobRef[]::new));
            store.publish(KEY, g - 1, m);
            assertThat(manifestNames(dir)).containsExactly(g % 2 == 1 ? "manifest.json" : "manifest.b.json");
            assertThat(store.latest(KEY)).contains(m);
            assertThat(new LocalSnapshotStore(root, false).latest(KEY)).contains(m);
        }
        assertThatThrownBy(() -> store.publish(KEY, 3, manifest(KEY, 4, 5, full)))
                .isInstanceOf(StaleGenerationException.class);
    }

    /**
     * A crash between a publish's link of the new manifest and its unlink of the old leaves both: the
     * higher generation is the checkpoint, a writer of the older one is fenced, and the next publish
     * leaves one file again. Either file may hold the newer one.
     */
    @ParameterizedTest(name = "newer in manifest.b.json: {0}")
    @ValueSource(booleans = {true, false})
    void aCrashBetweenLinkAndUnlinkLeavesBothAndTheNewerWins(boolean newerInB) throws IOException {
        Manifest.BlobRef full = put(store, KEY, "000001-full", "full");
        Manifest.BlobRef delta = put(store, KEY, "000002-delta", "delta");
        Manifest gen1 = manifest(KEY, 1, 1, full);
        Manifest gen2 = manifest(KEY, 2, 2, full, delta);
        Path dir = manifestFile(KEY).getParent();
        Files.createDirectories(dir);
        Files.write(dir.resolve(newerInB ? "manifest.json" : "manifest.b.json"), ManifestCodec.encode(gen1));
        Files.write(dir.resolve(newerInB ? "manifest.b.json" : "manifest.json"), ManifestCodec.encode(gen2));

        assertThat(store.latest(KEY)).contains(gen2);
        assertThat(store.taskKeys()).containsExactly(KEY);
        assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, full)))
                .isInstanceOf(StaleGenerationException.class);
        assertThat(store.latest(KEY)).contains(gen2);

        Manifest gen3 = manifest(KEY, 3, 3, full, delta, put(store, KEY, "000003-delta", "delta 3"));
        store.publish(KEY, 2, gen3);
        assertThat(manifestNames(dir)).containsExactly(newerInB ? "manifest.json" : "manifest.b.json");
        assertThat(store.latest(KEY)).contains(gen3);

        store.delete(KEY);
        assertThat(store.latest(KEY)).isEmpty();
    }

    /** Two manifests that cannot be ordered, or one that cannot be read, fail loudly and are never overwritten. */
    @Test
    void twoManifestsOfOneGenerationOrOneUnreadableFailLoudly() throws IOException {
        Manifest.BlobRef full = put(store, KEY, "000001-full", "full");
        Manifest gen1 = manifest(KEY, 1, 1, full);
        store.publish(KEY, 0, gen1);
        Path dir = manifestFile(KEY).getParent();
        Files.write(dir.resolve("manifest.b.json"), ManifestCodec.encode(gen1));
        assertThatThrownBy(() -> store.latest(KEY))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("both have generation 1");

        Files.writeString(dir.resolve("manifest.b.json"), "{\"torn");
        assertThatThrownBy(() -> store.latest(KEY)).isInstanceOf(CorruptSnapshotException.class);
        assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, full)))
                .isInstanceOf(CorruptSnapshotException.class);
        assertThat(Files.readString(dir.resolve("manifest.b.json"))).isEqualTo("{\"torn");
        assertThat(store.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.problem()).isNotNull());
    }

    /** A store written before the second file existed has manifest.json only: read, and continued. */
    @Test
    void aManifestOfTheEarlierLayoutIsReadAndContinued() throws IOException {
        Manifest.BlobRef full = put(store, KEY, "000001-full", "full");
        Manifest gen5 = manifest(KEY, 5, 5, full);
        Files.write(manifestFile(KEY), ManifestCodec.encode(gen5)); // as the earlier store left it
        assertThat(store.latest(KEY)).contains(gen5);
        Manifest gen6 = manifest(KEY, 6, 6, full, put(store, KEY, "000006-delta", "delta"));
        store.publish(KEY, 5, gen6);
        assertThat(manifestNames(manifestFile(KEY).getParent())).containsExactly("manifest.b.json");
        assertThat(new LocalSnapshotStore(root, false).latest(KEY)).contains(gen6);
    }

    /**
     * A reader racing publishes sees each one as a whole, in order: never "no checkpoint" once there is
     * one, never a manifest older than one it saw before (reading the two files without the lock, on
     * either side of a publish, gave both).
     */
    @Test
    void aReaderRacingPublishesAlwaysSeesACheckpoint() throws Exception {
        Manifest.BlobRef full = put(store, KEY, "000001-full", "full");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        int publishes = 1500;
        Thread writer = new Thread(() -> {
            for (int g = 2; g <= publishes; g++) {
                store.publish(KEY, g - 1, manifest(KEY, g, g, full));
            }
        });
        LocalSnapshotStore reader = new LocalSnapshotStore(root, false);
        writer.start();
        long seen = 0;
        while (writer.isAlive() || seen < publishes) {
            Manifest m = reader.latest(KEY).orElseThrow(() -> new AssertionError("no checkpoint seen"));
            assertThat(m.generation()).isGreaterThanOrEqualTo(seen);
            seen = m.generation();
        }
        writer.join();
        assertThat(seen).isEqualTo(publishes);
    }

    /** A delta supersedes no blob: its publish lists no directory, and a stray waits for the next full snapshot. */
    @Test
    void aStrayBlobWaitsForTheNextFullSnapshot() throws IOException {
        Manifest.BlobRef full1 = put(store, KEY, "000001-full", "full 1", 1);
        store.publish(KEY, 0, manifest(KEY, 1, 1, full1));
        Manifest.BlobRef stray = put(store, KEY, "000000-stray", "from a fenced-off writer", 0);
        Manifest.BlobRef delta2 = put(store, KEY, "000002-delta", "delta 2", 2);
        store.publish(KEY, 1, manifest(KEY, 2, 2, full1, delta2));
        assertThat(blobFile(KEY, stray.name())).exists();
        Manifest.BlobRef full3 = put(store, KEY, "000003-full", "full 3", 3);
        store.publish(KEY, 2, manifest(KEY, 3, 3, full3));
        assertThat(blobFile(KEY, stray.name())).doesNotExist();
        assertThat(blobFile(KEY, delta2.name())).doesNotExist();
    }

    private static List<String> manifestNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("manifest"))
                    .sorted()
                    .toList();
        }
    }

    // ---------------------------------------------------------------- garbage

    @Test
    void publishDeletesSupersededBlobsButKeepsReferencedAndNewerOnes() throws IOException {
        // explicit modification times, one minute apart, so the test does not depend on clock resolution
        Manifest.BlobRef orphan = put(store, KEY, "000000-orphan", "from a crashed attempt", 0);
        Manifest.BlobRef full1 = put(store, KEY, "000001-full", "full 1", 1);
        store.publish(KEY, 0, manifest(KEY, 1, 1, full1));
        assertThat(blobFile(KEY, orphan.name()))
                .as("older than the chain, never published")
                .doesNotExist();

        Manifest.BlobRef delta2 = put(store, KEY, "000002-delta", "delta 2", 2);
        store.publish(KEY, 1, manifest(KEY, 2, 2, full1, delta2));
        assertThat(blobFile(KEY, full1.name())).exists();

        Manifest.BlobRef full3 = put(store, KEY, "000003-full", "full 3", 3);
        Manifest.BlobRef pending4 = put(store, KEY, "000004-delta", "put, not yet published", 4);
        store.publish(KEY, 2, manifest(KEY, 3, 3, full3));

        assertThat(blobFile(KEY, full1.name())).doesNotExist();
        assertThat(blobFile(KEY, delta2.name())).doesNotExist();
        assertThat(blobFile(KEY, full3.name())).exists();
        assertThat(blobFile(KEY, pending4.name()))
                .as("newer than the chain: the next checkpoint")
                .exists();
        store.publish(KEY, 3, manifest(KEY, 4, 4, full3, pending4));
        assertThat(store.getBlob(KEY, pending4.name())).isEqualTo(bytes("put, not yet published"));
    }

    @Test
    void garbageCollectionKeepsABlobPutAgainAfterTheNewChain() throws IOException {
        Manifest.BlobRef a = put(store, KEY, "a", "a", 0);
        store.publish(KEY, 0, manifest(KEY, 1, 1, a));
        Manifest.BlobRef b = put(store, KEY, "b", "b", 1);
        store.putBlob(KEY, "a", bytes("a")); // re-put of the same bytes makes "a" new again
        store.publish(KEY, 1, manifest(KEY, 2, 2, b));
        assertThat(blobFile(KEY, "a")).exists();
    }

    private Manifest.BlobRef put(SnapshotStore s, String key, String name, String content, int minute)
            throws IOException {
        Manifest.BlobRef ref = put(s, key, name, content);
        Instant start = Instant.now().minusSeconds(3600);
        Files.setLastModifiedTime(blobFile(key, name), FileTime.from(start.plusSeconds(60L * minute)));
        return ref;
    }

    // ---------------------------------------------------------------- keys

    @Test
    void hostileKeysStayUnderTheRootAndComeBackUnchanged() throws IOException {
        List<String> keys = List.of(
                "../../etc/passwd",
                "../../../../../../tmp/escape",
                "/absolute/path",
                "a/b/c",
                "a\\b\\c",
                "C:\\Windows\\system32",
                "..",
                ".",
                "",
                "задача-🚀-任务",
                "caf\u00e9", // NFC
                "cafe\u0301", // NFD: a different string, so a different task
                "nul\u0000byte",
                "line\nbreak",
                "k".repeat(10_000));
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            Manifest.BlobRef ref = put(store, key, "full", "payload " + i);
            store.publish(key, 0, manifest(key, 1, 1, ref));
        }

        try (Stream<Path> all = Files.walk(temp)) {
            assertThat(all.filter(p -> !p.equals(temp)))
                    .allSatisfy(p -> assertThat(p).startsWith(root));
        }
        assertThat(store.taskKeys()).containsExactlyInAnyOrderElementsOf(keys);
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            Manifest latest = store.latest(key).orElseThrow();
            assertThat(latest.taskKey()).isEqualTo(key);
            assertThat(Blobs.readVerified(store, key, latest.chain().get(0))).isEqualTo(bytes("payload " + i));
        }
    }

    // ---------------------------------------------------------------- delete, describe

    @Test
    void deletingATaskWhoseDirectoryIsASymlinkNeverTouchesWhatItPointsAt() throws IOException {
        // someone planted a link where the task's directory belongs, pointing at files outside the store
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("manifest.json"), "precious");
        Files.createDirectories(outside.resolve("blobs"));
        Files.writeString(outside.resolve("blobs/keep"), "precious too");
        Path taskDir = root.resolve("tasks").resolve(LocalSnapshotStore.storageName(KEY));
        Files.createSymbolicLink(taskDir, outside);

        store.delete(KEY);

        assertThat(taskDir).doesNotExist();
        assertThat(outside.resolve("manifest.json")).hasContent("precious");
        assertThat(outside.resolve("blobs/keep")).hasContent("precious too");
    }

    @Test
    void listingReportsADamagedOrStrayEntryAndCarriesOn() throws IOException {
        store.publish("good", 0, manifest("good", 1, 1, put(store, "good", "a", "x")));
        store.publish(KEY, 0, manifest(KEY, 1, 1, put(store, KEY, "a", "y")));
        Files.writeString(manifestFile(KEY), "{\"secret\": \"hunter2\"");
        Files.writeString(root.resolve("tasks/stray.txt"), "hunter2");
        Path outside = Files.createDirectories(temp.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve("tasks").resolve("0".repeat(64)), outside);
        store.beginAttempt("counted only"); // a directory without a checkpoint: not listed at all

        List<SnapshotStore.TaskEntry> entries = store.entries();
        assertThat(entries)
                .filteredOn(e -> e.manifest().isPresent())
                .singleElement()
                .satisfies(e -> assertThat(e.manifest().orElseThrow().taskKey()).isEqualTo("good"));
        assertThat(entries)
                .filteredOn(e -> e.manifest().isEmpty())
                .hasSize(3)
                .allSatisfy(e -> assertThat(e.problem()).isNotBlank().doesNotContain("hunter2"));
        assertThat(entries).anySatisfy(e -> assertThat(e.problem()).contains("symbolic link"));
        assertThat(store.taskKeys()).containsExactly("good");
    }

    @Test
    void describeNamesTheAbsoluteRoot() {
        assertThat(store.describe()).isEqualTo("local:" + root.toAbsolutePath().normalize());
    }

    // ---------------------------------------------------------------- helpers

    private static Manifest manifest(String key, long generation, long sequence, Manifest.BlobRef... chain) {
        return new Manifest(key, generation, ARTIFACT, sequence, 1, List.of(chain), 1_700_000_000_000L + generation);
    }

    private static Manifest.BlobRef put(SnapshotStore s, String key, String name, String content) {
        byte[] data = bytes(content);
        s.putBlob(key, name, data);
        return Blobs.ref(name, data);
    }

    private Path manifestFile(String key) {
        return root.resolve("tasks")
                .resolve(LocalSnapshotStore.storageName(key))
                .resolve("manifest.json");
    }

    private Path blobFile(String key, String name) {
        return root.resolve("tasks")
                .resolve(LocalSnapshotStore.storageName(key))
                .resolve("blobs")
                .resolve(name);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
