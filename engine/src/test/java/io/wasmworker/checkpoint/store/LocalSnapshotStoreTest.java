package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    @Test
    void manifestFileIsVersionedJsonWithChecksumAndOriginalKey() throws IOException {
        Manifest.BlobRef full = put(store, KEY, "full", "x");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));

        JsonNode json = new ObjectMapper().readTree(manifestFile(KEY).toFile());
        assertThat(json.get("format").intValue()).isEqualTo(1);
        assertThat(json.get("taskKey").textValue()).isEqualTo(KEY);
        assertThat(json.get("generation").longValue()).isEqualTo(1);
        assertThat(json.get("chain").get(0).get("sha256").textValue()).isEqualTo(full.sha256());
        assertThat(json.get("checksum").textValue()).matches("sha256:[0-9a-f]{64}");
    }

    @Test
    void blobsAreImmutable() {
        store.putBlob(KEY, "b1", bytes("one"));
        store.putBlob(KEY, "b1", bytes("one")); // same bytes again: fine

        assertThatThrownBy(() -> store.putBlob(KEY, "b1", bytes("two")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("b1")
                .hasMessageContaining("immutable");
        assertThat(store.getBlob(KEY, "b1")).isEqualTo(bytes("one"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                ".",
                "..",
                "../x",
                "a/b",
                "a\\b",
                ".hidden",
                "a b",
                "blob\u00e9",
                "nul\u0000",
                "manifest.json/..",
                "/etc/passwd"
            })
    void rejectsUnsafeBlobNames(String name) {
        assertThatThrownBy(() -> store.putBlob(KEY, name, bytes("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.getBlob(KEY, name)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blobNameLengthLimit() {
        store.putBlob(KEY, "n".repeat(128), bytes("x"));
        assertThatThrownBy(() -> store.putBlob(KEY, "n".repeat(129), bytes("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- fencing

    @Nested
    class Fencing {
        @Test
        void secondPublishWithExpectedZeroIsStale() {
            Manifest.BlobRef a = put(store, KEY, "a", "a");
            store.publish(KEY, 0, manifest(KEY, 1, 1, a));

            assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 1, 1, a)))
                    .isInstanceOfSatisfying(StaleGenerationException.class, e -> {
                        assertThat(e.expected()).isZero();
                        assertThat(e.actual()).isEqualTo(1);
                    });
        }

        @Test
        void writerHoldingAnOldGenerationCannotOverwriteANewerOne() {
            Manifest.BlobRef a = put(store, KEY, "a", "a");
            store.publish(KEY, 0, manifest(KEY, 1, 1, a));
            // attempt 2 takes over and publishes generation 2
            Manifest.BlobRef b = put(store, KEY, "b", "b");
            Manifest newer = manifest(KEY, 2, 2, b);
            store.publish(KEY, 1, newer);

            // the zombie attempt 1 still believes generation 1 is current
            Manifest.BlobRef z = put(store, KEY, "z", "zombie");
            assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, a, z)))
                    .isInstanceOfSatisfying(
                            StaleGenerationException.class,
                            e -> assertThat(e.actual()).isEqualTo(2));
            assertThat(store.latest(KEY)).contains(newer);
        }

        @Test
        void manifestMustBeTheNextGenerationOfTheSameTask() {
            Manifest.BlobRef a = put(store, KEY, "a", "a");
            assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 2, 1, a)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be 1");
            assertThatThrownBy(() -> store.publish(KEY, 0, manifest("other", 1, 1, a)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("other");
            assertThat(store.latest(KEY)).isEmpty();
        }

        @Test
        void sixteenThreadsRaceForGenerationOneAndExactlyOneWins() throws Exception {
            int writers = 16;
            // two store instances on one root: the in-JVM lock must be shared between them
            LocalSnapshotStore other = new LocalSnapshotStore(root, false);
            List<Manifest> manifests = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                Manifest.BlobRef ref = put(store, KEY, "full-" + i, "attempt " + i);
                manifests.add(new Manifest(KEY, 1, ARTIFACT, 1, i + 1, List.of(ref), 1L)); // attempts start at 1
            }
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    SnapshotStore s = i % 2 == 0 ? store : other;
                    Manifest m = manifests.get(i);
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            s.publish(KEY, 0, m);
                            return true;
                        } catch (StaleGenerationException e) {
                            return false;
                        }
                    }));
                }
                start.countDown();
                int winners = 0;
                int winner = -1;
                for (int i = 0; i < writers; i++) {
                    if (results.get(i).get(30, TimeUnit.SECONDS)) {
                        winners++;
                        winner = i;
                    }
                }
                assertThat(winners).isEqualTo(1);
                assertThat(store.latest(KEY).orElseThrow().attempt()).isEqualTo(winner + 1);
            } finally {
                pool.shutdownNow();
            }
        }

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

    // ---------------------------------------------------------------- data before metadata

    @Test
    void publishRefusesAManifestWhoseBlobIsMissing() {
        Manifest.BlobRef never = Blobs.ref("never-written", bytes("ghost"));
        assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 1, 1, never)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("never-written")
                .hasMessageContaining("missing");
        assertThat(store.latest(KEY)).isEmpty();
    }

    @Test
    void publishRefusesAManifestWhoseBlobHasTheWrongSize() {
        store.putBlob(KEY, "short", bytes("abc"));
        Manifest.BlobRef claimed = Blobs.ref("short", bytes("abcdef"));
        assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 1, 1, claimed)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("short")
                .hasMessageContaining("3 bytes");
        assertThat(store.latest(KEY)).isEmpty();
    }

    // ---------------------------------------------------------------- corruption is loud

    @Nested
    class Corruption {
        Manifest.BlobRef full;

        @BeforeEach
        void publishOne() {
            full = put(store, KEY, "full", "the snapshot");
            store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        }

        @Test
        void truncatedManifest() throws IOException {
            byte[] bytes = Files.readAllBytes(manifestFile(KEY));
            Files.write(manifestFile(KEY), Arrays.copyOf(bytes, bytes.length / 2));
            assertCorrupt("not valid JSON");
        }

        @Test
        void emptyManifest() throws IOException {
            Files.write(manifestFile(KEY), new byte[0]);
            assertCorrupt("empty");
        }

        @Test
        void editedFieldFailsTheChecksum() throws IOException {
            String json = Files.readString(manifestFile(KEY));
            assertThat(json).contains("\"sequence\" : 1,");
            Files.writeString(manifestFile(KEY), json.replace("\"sequence\" : 1,", "\"sequence\" : 7,"));
            assertCorrupt("checksum mismatch");
        }

        @Test
        void garbageBytes() throws IOException {
            Files.write(manifestFile(KEY), new byte[] {(byte) 0xff, 0x00, 0x13, 0x37, '{', '{'});
            assertCorrupt("corrupt");
        }

        @Test
        void unknownFormatVersion() throws IOException {
            String json = Files.readString(manifestFile(KEY));
            Files.writeString(manifestFile(KEY), json.replace("\"format\" : 1,", "\"format\" : 99,"));
            assertCorrupt("unsupported manifest format 99");
        }

        @Test
        void errorsNameTheFileButNeverQuoteItsContents() throws IOException {
            for (String content : new String[] {
                "hunter2-secret-token",
                "{\"format\": 1, \"hunter2\": 5}",
                "{\"format\": hunter2}",
                "{\"format\": 1, \"generation\": 1.5e308, \"x\": \"hunter2\"}"
            }) {
                Files.writeString(manifestFile(KEY), content);
                assertThatThrownBy(() -> store.latest(KEY))
                        .as(content)
                        .isInstanceOf(CorruptSnapshotException.class)
                        .hasMessageContaining(manifestFile(KEY).toString())
                        .hasMessageNotContaining("hunter2");
            }
        }

        @Test
        void manifestMovedToAnotherTasksDirectory() throws IOException {
            Path elsewhere = manifestFile("another task");
            Files.createDirectories(elsewhere.getParent());
            Files.copy(manifestFile(KEY), elsewhere);
            assertThatThrownBy(() -> store.latest("another task"))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("names task '" + KEY + "'");
        }

        @Test
        void publishDoesNotOverwriteACorruptManifest() throws IOException {
            Files.writeString(manifestFile(KEY), "{\"torn");
            Manifest.BlobRef next = put(store, KEY, "next", "next");
            assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 1, 2, next)))
                    .isInstanceOf(CorruptSnapshotException.class);
            assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, next)))
                    .isInstanceOf(CorruptSnapshotException.class);
            assertThat(Files.readString(manifestFile(KEY))).isEqualTo("{\"torn");
        }

        @Test
        void missingBlob() throws IOException {
            Files.delete(blobFile(KEY, "full"));
            assertThatThrownBy(() -> store.getBlob(KEY, "full"))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("blob full of task '" + KEY + "' is missing");
        }

        @Test
        void damagedBlobFailsVerification() throws IOException {
            byte[] bytes = Files.readAllBytes(blobFile(KEY, "full"));
            bytes[0] ^= 1;
            Files.write(blobFile(KEY, "full"), bytes);
            assertThatThrownBy(() -> Blobs.readVerified(store, KEY, full))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("blob full of task '" + KEY + "' is damaged: sha256");

            Files.write(blobFile(KEY, "full"), bytes("short"));
            assertThatThrownBy(() -> Blobs.readVerified(store, KEY, full))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("5 bytes, but the manifest says 12");
        }

        private void assertCorrupt(String what) {
            Path file = manifestFile(KEY);
            for (SnapshotStore s : List.of(store, new LocalSnapshotStore(root, false))) {
                assertThatThrownBy(() -> s.latest(KEY))
                        .isInstanceOf(CorruptSnapshotException.class)
                        .hasMessageContaining(file.toString())
                        .hasMessageContaining(what);
                // listing reports the damaged task instead of failing (or hiding it)
                assertThat(s.entries()).singleElement().satisfies(e -> {
                    assertThat(e.manifest()).isEmpty();
                    assertThat(e.problem()).contains(file.toString()).contains(what);
                });
            }
        }
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

    @Test
    void keysThatAreNotUnicodeTextAreRefused() {
        String loneSurrogate = "broken\ud800key";
        assertThatThrownBy(() -> store.latest(loneSurrogate)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.putBlob(loneSurrogate, "b", bytes("x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void taskKeysListsOnlyTasksWithAManifest() {
        store.putBlob("blobs only", "b", bytes("x"));
        Manifest.BlobRef ref = put(store, KEY, "b", "x");
        store.publish(KEY, 0, manifest(KEY, 1, 1, ref));
        assertThat(store.taskKeys()).containsExactly(KEY);
    }

    // ---------------------------------------------------------------- delete, describe

    @Test
    void deleteRemovesEverything() throws IOException {
        Manifest.BlobRef a = put(store, KEY, "a", "a");
        Manifest.BlobRef b = put(store, KEY, "b", "b");
        store.publish(KEY, 0, manifest(KEY, 1, 1, a, b));
        Manifest.BlobRef keep = put(store, "other", "a", "other");
        store.publish("other", 0, manifest("other", 1, 1, keep));
        Path taskDir = manifestFile(KEY).getParent();

        store.delete(KEY);

        assertThat(taskDir).doesNotExist();
        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.taskKeys()).containsExactly("other");
        assertThatThrownBy(() -> store.getBlob(KEY, "a")).isInstanceOf(CorruptSnapshotException.class);
        assertThat(store.getBlob("other", "a")).isEqualTo(bytes("other"));

        store.delete(KEY); // nothing left: no-op
        store.delete("never existed");

        // a task key can start over after deletion
        Manifest.BlobRef again = put(store, KEY, "a", "new content is fine now");
        store.publish(KEY, 0, manifest(KEY, 1, 1, again));
        assertThat(store.latest(KEY).orElseThrow().generation()).isEqualTo(1);
    }

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
