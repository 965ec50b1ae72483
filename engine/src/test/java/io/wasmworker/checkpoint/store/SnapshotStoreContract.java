package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link SnapshotStore} contract, run against every store (local directory, S3): round trips,
 * fencing, data before metadata, loud corruption, safe keys, attempt counts, finished tasks and
 * collection. A subclass gives a store on fresh storage for each test and raw access to that storage,
 * to damage it the way a crash, a disk or a hand edit would.
 */
abstract class SnapshotStoreContract {
    static final String KEY = "camunda:ext-task-42";
    static final Digest ARTIFACT = Digest.parse("sha256:" + "ab".repeat(32));
    /** A cutoff after everything a test wrote: all of it counts as old. */
    static final Duration LATER = Duration.ofHours(1);

    SnapshotStore store;

    /** A store on fresh, empty storage (called before each test). */
    abstract SnapshotStore open();

    /** Another instance on the same storage as the last {@link #open()}: a restarted or second worker. */
    abstract SnapshotStore reopen();

    /** Writes {@code file} of the task's storage directly ({@code manifest.json}, {@code blobs/NAME}, ...). */
    abstract void writeRaw(String taskKey, String file, byte[] bytes);

    abstract byte[] readRaw(String taskKey, String file);

    abstract void deleteRaw(String taskKey, String file);

    /** Every file the store holds for the task, relative to its directory, sorted; empty when none. */
    abstract List<String> filesOf(String taskKey);

    /** How errors name the task's manifest. */
    abstract String manifestLocation(String taskKey);

    /** Puts a file where task directories live that is not one. */
    abstract void writeStray(String name, byte[] bytes);

    /** What a finished task keeps ({@code finished} locally; S3's tombstone replaces the manifest). */
    abstract List<String> tombstoneFiles();

    /** Writes the tombstone as {@link SnapshotStore#finished} does first: a crash right after it. */
    abstract void writeTombstone(String taskKey);

    /**
     * Whether {@link SnapshotStore#putBlob} refuses a finished task's blob at once (locally: a file
     * look-up), or accepts it and removes it again when the publish naming it is refused (S3: a
     * request less per checkpoint).
     */
    abstract boolean refusesBlobsOfFinishedTasks();

    /**
     * A late writer's blob of a finished task: refused at once, or accepted and removed again with
     * the refused publish that would name it. Either way, nothing is left but the tombstone.
     */
    void assertLateBlobIsRefused(
            SnapshotStore s, String name, byte[] data, long expectedGeneration, Manifest.BlobRef... before) {
        Manifest.BlobRef ref = Blobs.ref(name, data);
        if (refusesBlobsOfFinishedTasks()) {
            assertThatThrownBy(() -> s.putBlob(KEY, name, data))
                    .isInstanceOfSatisfying(
                            StaleGenerationException.class,
                            e -> assertThat(e.taskFinished()).isTrue())
                    .hasMessageContaining("task '" + KEY + "'")
                    .hasMessageContaining("has finished");
        } else {
            s.putBlob(KEY, name, data);
            assertThat(filesOf(KEY)).contains("blobs/" + name);
        }
        Manifest.BlobRef[] chain = java.util.Arrays.copyOf(before, before.length + 1);
        chain[before.length] = ref;
        long generation = expectedGeneration + 1;
        assertThatThrownBy(() -> s.publish(KEY, expectedGeneration, manifest(KEY, generation, generation, chain)))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue())
                .hasMessageContaining("task '" + KEY + "'")
                .hasMessageContaining("has finished");
        assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
    }

    @BeforeEach
    void openStore() {
        store = open();
    }

    // ---------------------------------------------------------------- round trip

    @Test
    void roundTripFullSnapshotThenDeltaChain() {
        assertThat(store.latest(KEY)).isEmpty();

        Manifest.BlobRef full = put(store, KEY, "000001-full", "full snapshot bytes");
        Manifest gen1 = manifest(KEY, 1, 1, full);
        store.publish(KEY, 0, gen1);

        assertThat(store.latest(KEY)).contains(gen1);
        assertThat(Blobs.readVerified(store, KEY, full))
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("full snapshot bytes");

        Manifest.BlobRef delta = put(store, KEY, "000002-delta", "delta bytes");
        Manifest gen2 = manifest(KEY, 2, 2, full, delta);
        store.publish(KEY, 1, gen2);

        Manifest latest = store.latest(KEY).orElseThrow();
        assertThat(latest).isEqualTo(gen2);
        assertThat(latest.reference()).isEqualTo(KEY + "@2");
        assertThat(latest.chain()).extracting(Manifest.BlobRef::name).containsExactly("000001-full", "000002-delta");
        for (Manifest.BlobRef ref : latest.chain()) {
            Blobs.readVerified(store, KEY, ref);
        }
        // a second instance (a restarted worker) sees the same thing
        assertThat(reopen().latest(KEY)).contains(gen2);
    }

    @Test
    void manifestIsVersionedJsonWithChecksumAndOriginalKey() throws Exception {
        Manifest.BlobRef full = put(store, KEY, "full", "x");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));

        JsonNode json = new ObjectMapper().readTree(readRaw(KEY, "manifest.json"));
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
        assertThatThrownBy(() -> store.putBlob(KEY, "b1", bytes("one and more")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("immutable");
        assertThat(store.getBlob(KEY, "b1")).isEqualTo(bytes("one"));
    }

    /** The blob sizes {@link #blobsOfAnySizeReadBackExactly} tries. */
    int[] blobSizes() {
        return new int[] {0, 1, 4095, 4096, 65537, (16 << 20) + 3};
    }

    @Test
    void blobsOfAnySizeReadBackExactly() {
        SplittableRandom random = new SplittableRandom(1);
        for (int size : blobSizes()) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            store.putBlob(KEY, "blob-" + size, bytes);
            assertThat(store.getBlob(KEY, "blob-" + size)).as("%d bytes", size).isEqualTo(bytes);
        }
    }

    @Test
    void aBlobLargerThanItsManifestSaysIsRefused() {
        byte[] bytes = {1, 2, 3};
        Manifest.BlobRef ref = Blobs.ref("b", bytes);
        store.putBlob(KEY, "b", new byte[1 << 20]);
        assertThatThrownBy(() -> Blobs.readVerified(store, KEY, ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("damaged")
                .hasMessageContaining("more than the 3 expected");
    }

    // ---------------------------------------------------------------- reading a snapshot for a restore

    @Test
    void aSnapshotIsNamedByItsSha256AndCrc32cAndOpensForARestore() {
        byte[] snapshot = new byte[(1 << 20) + 5];
        new SplittableRandom(3).nextBytes(snapshot);
        Manifest.BlobRef ref = store.writeSnapshot(KEY, 3, snapshot);

        assertThat(ref.name())
                .matches("0000000003-[0-9a-f]{16}-[0-9a-f]{8}\\.snap")
                .startsWith("0000000003-" + ref.sha256().substring(0, 16) + "-");
        assertThat(ref.sha256()).isEqualTo(Blobs.sha256Hex(snapshot));
        assertThat(contents(store.openSnapshot(KEY, ref))).isEqualTo(snapshot);
        assertThat(store.readSnapshot(KEY, ref)).isEqualTo(snapshot);
    }

    @Test
    void openingASnapshotChecksTheCrc32cItsNameRecords() {
        byte[] snapshot = bytes("a snapshot that will be damaged");
        Manifest.BlobRef ref = store.writeSnapshot(KEY, 1, snapshot);
        byte[] damaged = snapshot.clone();
        damaged[7] ^= 0x10;
        writeRaw(KEY, "blobs/" + ref.name(), damaged);

        assertThatThrownBy(() -> store.openSnapshot(KEY, ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("blob " + ref.name() + " of task '" + KEY + "' is damaged: crc32c");
        writeRaw(KEY, "blobs/" + ref.name(), Arrays.copyOf(snapshot, 5));
        assertThatThrownBy(() -> store.openSnapshot(KEY, ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("5 bytes, but the manifest says " + snapshot.length);
    }

    @Test
    void openingASnapshotRefusesAManifestWhoseSha256DisagreesWithTheName() {
        Manifest.BlobRef ref = store.writeSnapshot(KEY, 1, bytes("one snapshot"));
        Manifest.BlobRef other = new Manifest.BlobRef(ref.name(), ref.size(), Blobs.sha256Hex(bytes("another one!")));

        assertThatThrownBy(() -> store.openSnapshot(KEY, other))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("does not match its manifest");
    }

    /** Blobs named before names carried a CRC32C (and any other name) get the full SHA-256 check. */
    @Test
    void aSnapshotOfAnOlderNameIsCheckedByItsSha256() {
        byte[] snapshot = bytes("written by an older worker");
        Manifest.BlobRef ref =
                Blobs.ref(Blobs.snapshotName(1, Blobs.sha256Hex(snapshot).substring(0, 16)), snapshot);
        store.putBlob(KEY, ref.name(), snapshot);
        assertThat(contents(store.openSnapshot(KEY, ref))).isEqualTo(snapshot);

        byte[] damaged = snapshot.clone();
        damaged[0] ^= 1;
        writeRaw(KEY, "blobs/" + ref.name(), damaged);
        assertThatThrownBy(() -> store.openSnapshot(KEY, ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("blob " + ref.name() + " of task '" + KEY + "' is damaged: sha256");
    }

    static byte[] contents(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
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

            for (SnapshotStore s : List.of(store, reopen())) {
                assertThatThrownBy(() -> s.publish(KEY, 0, manifest(KEY, 1, 1, a)))
                        .isInstanceOfSatisfying(StaleGenerationException.class, e -> {
                            assertThat(e.expected()).isZero();
                            assertThat(e.actual()).isEqualTo(1);
                        });
            }
        }

        @Test
        void writerHoldingAnOldGenerationCannotOverwriteANewerOne() {
            SnapshotStore zombieWorker = reopen();
            Manifest.BlobRef a = put(store, KEY, "a", "a");
            store.publish(KEY, 0, manifest(KEY, 1, 1, a));
            assertThat(zombieWorker.latest(KEY).orElseThrow().generation()).isEqualTo(1);
            // attempt 2 takes over and publishes generation 2
            Manifest.BlobRef b = put(store, KEY, "b", "b");
            Manifest newer = manifest(KEY, 2, 2, b);
            store.publish(KEY, 1, newer);

            // the zombie attempt 1, on this worker or another, still believes generation 1 is current
            for (SnapshotStore s : List.of(store, zombieWorker)) {
                Manifest.BlobRef z = put(s, KEY, "z", "zombie");
                assertThatThrownBy(() -> s.publish(KEY, 1, manifest(KEY, 2, 2, a, z)))
                        .isInstanceOfSatisfying(
                                StaleGenerationException.class,
                                e -> assertThat(e.actual()).isEqualTo(2));
            }
            assertThat(store.latest(KEY)).contains(newer);
            assertThat(reopen().latest(KEY)).contains(newer);
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
            SnapshotStore other = reopen(); // two instances on one storage: another worker
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
                    if (results.get(i).get(60, TimeUnit.SECONDS)) {
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
        void truncatedManifest() {
            byte[] bytes = readRaw(KEY, "manifest.json");
            writeRaw(KEY, "manifest.json", Arrays.copyOf(bytes, bytes.length / 2));
            assertCorrupt("not valid JSON");
        }

        @Test
        void emptyManifest() {
            writeRaw(KEY, "manifest.json", new byte[0]);
            assertCorrupt("empty");
        }

        @Test
        void editedFieldFailsTheChecksum() {
            String json = new String(readRaw(KEY, "manifest.json"), StandardCharsets.UTF_8);
            assertThat(json).contains("\"sequence\" : 1,");
            writeRaw(KEY, "manifest.json", bytes(json.replace("\"sequence\" : 1,", "\"sequence\" : 7,")));
            assertCorrupt("checksum mismatch");
        }

        @Test
        void garbageBytes() {
            writeRaw(KEY, "manifest.json", new byte[] {(byte) 0xff, 0x00, 0x13, 0x37, '{', '{'});
            assertCorrupt("corrupt");
        }

        @Test
        void unknownFormatVersion() {
            String json = new String(readRaw(KEY, "manifest.json"), StandardCharsets.UTF_8);
            writeRaw(KEY, "manifest.json", bytes(json.replace("\"format\" : 1,", "\"format\" : 99,")));
            assertCorrupt("unsupported manifest format 99");
        }

        @Test
        void errorsNameTheManifestButNeverQuoteItsContents() {
            for (String content : new String[] {
                "hunter2-secret-token",
                "{\"format\": 1, \"hunter2\": 5}",
                "{\"format\": hunter2}",
                "{\"format\": 1, \"generation\": 1.5e308, \"x\": \"hunter2\"}"
            }) {
                writeRaw(KEY, "manifest.json", bytes(content));
                assertThatThrownBy(() -> store.latest(KEY))
                        .as(content)
                        .isInstanceOf(CorruptSnapshotException.class)
                        .hasMessageContaining(manifestLocation(KEY))
                        .hasMessageNotContaining("hunter2");
            }
        }

        @Test
        void manifestMovedToAnotherTasksDirectory() {
            writeRaw("another task", "manifest.json", readRaw(KEY, "manifest.json"));
            assertThatThrownBy(() -> store.latest("another task"))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("names task '" + KEY + "'");
            assertThat(store.entries())
                    .filteredOn(e -> e.manifest().isEmpty())
                    .singleElement()
                    .satisfies(e -> assertThat(e.problem()).contains("does not belong"));
        }

        @Test
        void publishDoesNotOverwriteACorruptManifest() {
            writeRaw(KEY, "manifest.json", bytes("{\"torn"));
            Manifest.BlobRef next = put(store, KEY, "next", "next");
            for (SnapshotStore s : List.of(store, reopen())) {
                assertThatThrownBy(() -> s.publish(KEY, 0, manifest(KEY, 1, 2, next)))
                        .isInstanceOf(CorruptSnapshotException.class);
                assertThatThrownBy(() -> s.publish(KEY, 1, manifest(KEY, 2, 2, next)))
                        .isInstanceOf(CorruptSnapshotException.class);
            }
            assertThat(readRaw(KEY, "manifest.json")).isEqualTo(bytes("{\"torn"));
        }

        @Test
        void missingBlob() {
            deleteRaw(KEY, "blobs/full");
            assertThatThrownBy(() -> store.getBlob(KEY, "full"))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("blob full of task '" + KEY + "' is missing");
        }

        @Test
        void damagedBlobFailsVerification() {
            byte[] bytes = readRaw(KEY, "blobs/full");
            bytes[0] ^= 1;
            writeRaw(KEY, "blobs/full", bytes);
            assertThatThrownBy(() -> Blobs.readVerified(store, KEY, full))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("blob full of task '" + KEY + "' is damaged: sha256");

            writeRaw(KEY, "blobs/full", bytes("short"));
            assertThatThrownBy(() -> Blobs.readVerified(store, KEY, full))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("5 bytes, but the manifest says 12");
        }

        private void assertCorrupt(String what) {
            for (SnapshotStore s : List.of(store, reopen())) {
                assertThatThrownBy(() -> s.latest(KEY))
                        .isInstanceOf(CorruptSnapshotException.class)
                        .hasMessageContaining(manifestLocation(KEY))
                        .hasMessageContaining(what);
                // listing reports the damaged task instead of failing (or hiding it)
                assertThat(s.entries()).singleElement().satisfies(e -> {
                    assertThat(e.manifest()).isEmpty();
                    assertThat(e.problem()).contains(manifestLocation(KEY)).contains(what);
                });
            }
        }
    }

    // ---------------------------------------------------------------- keys

    @Test
    void hostileKeysComeBackUnchanged() {
        List<String> keys = hostileKeys();
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            Manifest.BlobRef ref = put(store, key, "full", "payload " + i);
            store.publish(key, 0, manifest(key, 1, 1, ref));
        }
        assertThat(store.taskKeys()).containsExactlyInAnyOrderElementsOf(keys);
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            Manifest latest = store.latest(key).orElseThrow();
            assertThat(latest.taskKey()).isEqualTo(key);
            assertThat(Blobs.readVerified(store, key, latest.chain().get(0))).isEqualTo(bytes("payload " + i));
        }
    }

    static List<String> hostileKeys() {
        return List.of(
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
        store.beginAttempt("counted only");
        Manifest.BlobRef ref = put(store, KEY, "b", "x");
        store.publish(KEY, 0, manifest(KEY, 1, 1, ref));
        assertThat(store.taskKeys()).containsExactly(KEY);
        assertThat(store.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.manifest().orElseThrow().taskKey()).isEqualTo(KEY));
    }

    // ---------------------------------------------------------------- delete, listing

    @Test
    void deleteRemovesEverything() {
        Manifest.BlobRef a = put(store, KEY, "a", "a");
        Manifest.BlobRef b = put(store, KEY, "b", "b");
        store.publish(KEY, 0, manifest(KEY, 1, 1, a, b));
        store.beginAttempt(KEY);
        Manifest.BlobRef keep = put(store, "other", "a", "other");
        store.publish("other", 0, manifest("other", 1, 1, keep));

        store.delete(KEY);

        assertThat(filesOf(KEY)).isEmpty();
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
        assertThat(store.beginAttempt(KEY)).isEqualTo(1);
    }

    @Test
    void listingReportsADamagedOrStrayEntryAndCarriesOn() {
        store.publish("good", 0, manifest("good", 1, 1, put(store, "good", "a", "x")));
        store.publish(KEY, 0, manifest(KEY, 1, 1, put(store, KEY, "a", "y")));
        writeRaw(KEY, "manifest.json", bytes("{\"secret\": \"hunter2\""));
        writeStray("stray.txt", bytes("hunter2"));

        List<SnapshotStore.TaskEntry> entries = store.entries();
        assertThat(entries)
                .filteredOn(e -> e.manifest().isPresent())
                .singleElement()
                .satisfies(e -> assertThat(e.manifest().orElseThrow().taskKey()).isEqualTo("good"));
        assertThat(entries)
                .filteredOn(e -> e.manifest().isEmpty())
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.problem()).isNotBlank().doesNotContain("hunter2"));
        assertThat(entries).anySatisfy(e -> assertThat(e.problem()).contains("not a task directory"));
        assertThat(store.taskKeys()).containsExactly("good");
    }

    // ---------------------------------------------------------------- attempts

    @Nested
    class Attempts {
        @Test
        void attemptsCountUpPerTaskAndStartOverAfterDelete() {
            assertThat(store.beginAttempt("a")).isEqualTo(1);
            assertThat(store.beginAttempt("a")).isEqualTo(2);
            assertThat(store.beginAttempt("b")).isEqualTo(1);
            assertThat(reopen().beginAttempt("a")).as("survives a restart").isEqualTo(3);
            assertThat(store.beginAttempt("a")).as("counted by another worker").isEqualTo(4);
            assertThat(store.taskKeys()).as("a count is not a checkpoint").isEmpty();

            store.delete("a");
            assertThat(store.beginAttempt("a")).isEqualTo(1);
        }

        @Test
        void concurrentWorkersNeverGetTheSameAttempt() throws Exception {
            SnapshotStore two = reopen();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    SnapshotStore s = i % 2 == 0 ? store : two;
                    futures.add(pool.submit(() -> s.beginAttempt("task")));
                }
                List<Integer> attempts = new ArrayList<>();
                for (Future<Integer> f : futures) {
                    attempts.add(f.get(60, TimeUnit.SECONDS));
                }
                Collections.sort(attempts);
                assertThat(attempts)
                        .isEqualTo(IntStream.rangeClosed(1, 40).boxed().toList());
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        void aDamagedCountIsReportedNotReset() {
            store.beginAttempt("t");
            writeRaw("t", "attempts", bytes("garbage"));
            assertThatThrownBy(() -> store.beginAttempt("t"))
                    .isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("attempt count")
                    .hasMessageContaining("'t'");
        }
    }

    // ---------------------------------------------------------------- finished tasks

    @Nested
    class Finished {
        @Test
        void aFinishedTaskKeepsOnlyItsTombstone() {
            store.beginAttempt(KEY);
            Manifest.BlobRef full = put(store, KEY, "0000000001-full", "full");
            store.publish(KEY, 0, manifest(KEY, 1, 1, full));

            store.finished(KEY);

            assertThat(store.latest(KEY)).isEmpty();
            assertThat(store.taskKeys()).isEmpty();
            assertThat(store.entries()).isEmpty(); // `snapshots ls` shows nothing pending
            assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
            store.finished(KEY); // idempotent
            assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
        }

        /** The worst case: the zombie's first publish expected "no checkpoint yet" and found none. */
        @Test
        void aZombieCannotRecreateTheCheckpointOfAFinishedTask() {
            SnapshotStore zombieWorker = reopen();
            assertThat(zombieWorker.latest(KEY)).isEmpty(); // it started before the task finished
            store.finished(KEY); // the task never checkpointed before it finished

            for (SnapshotStore s : List.of(store, zombieWorker)) {
                assertLateBlobIsRefused(s, "0000000001-zombie", bytes("zombie snapshot"), 0);
                assertThatThrownBy(() -> s.beginAttempt(KEY))
                        .isInstanceOfSatisfying(
                                StaleGenerationException.class,
                                e -> assertThat(e.taskFinished()).isTrue());
            }

            assertThat(store.latest(KEY)).isEmpty();
            assertThat(store.entries()).isEmpty();
            assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
        }

        @Test
        void aZombieThatCheckpointedBeforeTheTaskFinishedIsRefusedToo() {
            Manifest.BlobRef first = put(store, KEY, "0000000001-a", "one");
            store.publish(KEY, 0, manifest(KEY, 1, 1, first));
            SnapshotStore zombieWorker = reopen();
            zombieWorker.latest(KEY);
            store.finished(KEY);

            for (SnapshotStore s : List.of(store, zombieWorker)) {
                // both hold generation 1 (its ETag, in S3), which the tombstone replaced
                assertLateBlobIsRefused(s, "0000000002-b", bytes("two"), 1, first);
            }
            assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
        }

        /**
         * Zombies checkpointing while the task finishes (each puts a blob, then publishes it as a first
         * checkpoint, which one of them wins): a blob that landed after finished() listed the blobs is
         * removed by its writer (refused at once, or with its publish), so nothing is left once every
         * writer has been refused.
         */
        @RepeatedTest(3)
        void blobsWrittenWhileTheTaskFinishesAreNotLeftBehind() throws Exception {
            int writers = 6;
            SnapshotStore other = reopen();
            CountDownLatch started = new CountDownLatch(writers);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<Integer>> refusals = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    SnapshotStore s = w % 2 == 0 ? store : other;
                    refusals.add(pool.submit(() -> {
                        started.countDown();
                        for (int i = 0; ; i++) {
                            try {
                                Manifest.BlobRef blob = put(
                                        s, KEY, String.format("%010d-w%d", i, writer), "zombie " + writer + " " + i);
                                s.publish(KEY, 0, manifest(KEY, 1, 1, blob));
                            } catch (StaleGenerationException e) {
                                if (e.taskFinished()) {
                                    return 1;
                                }
                                // another zombie's first checkpoint won: go on
                            }
                        }
                    }));
                }
                started.await();
                Thread.sleep(50);
                store.finished(KEY);
                for (Future<Integer> refused : refusals) {
                    assertThat(refused.get(30, TimeUnit.SECONDS)).isEqualTo(1);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(filesOf(KEY)).isEqualTo(tombstoneFiles());
        }

        @Test
        void aCrashWhileFinishingLeavesNoCheckpointBehind() {
            Manifest.BlobRef full = put(store, KEY, "0000000001-full", "full");
            store.publish(KEY, 0, manifest(KEY, 1, 1, full));
            // the tombstone is written first: a crash right after it leaves the checkpoint's blobs beside it
            writeTombstone(KEY);

            assertThat(store.latest(KEY)).isEmpty();
            assertThat(store.entries()).isEmpty();
            assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, full)))
                    .isInstanceOf(StaleGenerationException.class);
        }

        /** rm semantics: an operator's removal (and the CLI's reuse of a key) is a fresh start. */
        @Test
        void deleteRemovesTheTombstoneSoTheKeyStartsAfresh() {
            store.finished(KEY);
            store.delete(KEY);

            assertThat(filesOf(KEY)).isEmpty();
            assertThat(store.beginAttempt(KEY)).isEqualTo(1);
            Manifest.BlobRef full = put(store, KEY, "0000000001-full", "again");
            store.publish(KEY, 0, manifest(KEY, 1, 1, full));
            assertThat(store.latest(KEY)).isPresent();
        }
    }

    // ---------------------------------------------------------------- garbage

    @Test
    void publishDeletesTheBlobsItsChainNoLongerNames() {
        Manifest.BlobRef full1 = put(store, KEY, "000001-full", "full 1");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full1));
        Manifest.BlobRef delta2 = put(store, KEY, "000002-delta", "delta 2");
        store.publish(KEY, 1, manifest(KEY, 2, 2, full1, delta2));
        assertThat(filesOf(KEY)).contains("blobs/000001-full", "blobs/000002-delta");

        Manifest.BlobRef full3 = put(store, KEY, "000003-full", "full 3");
        store.publish(KEY, 2, manifest(KEY, 3, 3, full3));

        assertThat(filesOf(KEY)).containsExactly("blobs/000003-full", "manifest.json");
        assertThat(Blobs.readVerified(store, KEY, full3)).isEqualTo(bytes("full 3"));
    }

    @Nested
    class Collection {
        @Test
        void removesTasksOlderThanTheCutoffWhole() {
            checkpoint("old-checkpoint");
            store.beginAttempt("old-attempt-only");
            store.finished("old-finished");

            SnapshotStore.Collected collected = store.collect(Instant.now().plus(LATER), Set.of(), 100);

            assertThat(collected.tasks()).isEqualTo(3);
            assertThat(collected.damaged()).isEmpty();
            for (String key : List.of("old-checkpoint", "old-attempt-only", "old-finished")) {
                assertThat(filesOf(key)).as(key).isEmpty();
            }
            assertThat(store.taskKeys()).isEmpty();
        }

        @Test
        void keepsTasksYoungerThanTheCutoff() {
            checkpoint("young-checkpoint");
            store.finished("young-finished");
            store.beginAttempt("young-attempt-only");

            assertThat(store.collect(Instant.now().minus(LATER), Set.of(), 100).removals())
                    .isZero();

            assertThat(store.taskKeys()).containsExactly("young-checkpoint");
            assertThat(filesOf("young-finished")).isEqualTo(tombstoneFiles());
            assertThat(filesOf("young-attempt-only")).containsExactly("attempts");
        }

        @Test
        void neverTouchesARunningTaskHoweverOld() {
            checkpoint("running");

            assertThat(store.collect(Instant.now().plus(LATER), Set.of("running"), 100)
                            .removals())
                    .isZero();
            assertThat(store.latest("running")).isPresent();
        }

        @Test
        void aFinishedTaskLosesEverythingButItsTombstoneAtOnce() {
            checkpoint("done");
            // a crash right after the tombstone was written left the checkpoint beside it
            writeTombstone("done");
            int left = filesOf("done").size() - tombstoneFiles().size(); // the blob (and the manifest, locally)

            SnapshotStore.Collected collected = store.collect(Instant.now().minus(LATER), Set.of(), 100);

            assertThat(left).isPositive();
            assertThat(collected.blobs()).isEqualTo(left);
            assertThat(filesOf("done")).isEqualTo(tombstoneFiles());
        }

        @Test
        void damagedEntriesAreReportedNeverRemoved() {
            checkpoint("damaged");
            writeRaw("damaged", "manifest.json", bytes("{ not a manifest"));
            writeStray("not-a-task", bytes("x"));

            SnapshotStore.Collected collected = store.collect(Instant.now().plus(LATER), Set.of(), 100);

            assertThat(collected.removals()).isZero();
            assertThat(collected.damaged()).hasSize(2);
            assertThat(collected.damaged()).anySatisfy(d -> assertThat(d).contains("not a task directory"));
            assertThat(collected.damaged()).anySatisfy(d -> assertThat(d).contains(manifestLocation("damaged")));
            assertThat(readRaw("damaged", "manifest.json")).isEqualTo(bytes("{ not a manifest"));
        }

        @Test
        void aSweepIsBounded() {
            for (int i = 0; i < 5; i++) {
                store.finished("t" + i);
            }
            Instant cutoff = Instant.now().plus(LATER);
            assertThat(store.collect(cutoff, Set.of(), 2).tasks()).isEqualTo(2);
            assertThat(store.collect(cutoff, Set.of(), 2).tasks()).isEqualTo(2);
            assertThat(store.collect(cutoff, Set.of(), 2).tasks()).isEqualTo(1);
            for (int i = 0; i < 5; i++) {
                assertThat(filesOf("t" + i)).isEmpty();
            }
        }

        @Test
        void aCollectedFinishedTaskCanRunAgainUnderItsKey() {
            store.finished("k");
            store.collect(Instant.now().plus(LATER), Set.of(), 100);
            assertThat(store.beginAttempt("k")).isEqualTo(1);
        }

        private void checkpoint(String key) {
            byte[] data = bytes("snapshot of " + key);
            store.putBlob(key, "0000000001-full", data);
            store.publish(
                    key,
                    0,
                    new Manifest(
                            key,
                            1,
                            ARTIFACT,
                            1,
                            1,
                            List.of(Blobs.ref("0000000001-full", data)),
                            System.currentTimeMillis()));
        }
    }

    // ---------------------------------------------------------------- helpers

    static Manifest manifest(String key, long generation, long sequence, Manifest.BlobRef... chain) {
        return new Manifest(key, generation, ARTIFACT, sequence, 1, List.of(chain), 1_700_000_000_000L + generation);
    }

    static Manifest.BlobRef put(SnapshotStore s, String key, String name, String content) {
        byte[] data = bytes(content);
        s.putBlob(key, name, data);
        return Blobs.ref(name, data);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
