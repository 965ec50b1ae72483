package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17 item 4: {@link SnapshotStore#collect} removes leftovers, and only leftovers. */
class SnapshotGcTest {
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "ef".repeat(32));
    private static final Instant NOW = Instant.now();
    private static final Instant CUTOFF = NOW.minus(Duration.ofDays(7));
    private static final FileTime OLD = FileTime.from(NOW.minus(Duration.ofDays(8)));

    @TempDir
    Path temp;

    Path root;
    LocalSnapshotStore store;

    @BeforeEach
    void open() {
        root = temp.resolve("store");
        store = new LocalSnapshotStore(root, false);
    }

    @Test
    void removesOldCheckpointsAttemptCountsAndTombstonesKeepsYoungOnes() throws IOException {
        checkpoint("old-checkpoint");
        store.beginAttempt("old-attempt-only");
        store.finished("old-finished");
        checkpoint("young-checkpoint");
        store.finished("young-finished");
        store.beginAttempt("young-attempt-only");
        age("old-checkpoint");
        age("old-attempt-only");
        age("old-finished");

        SnapshotStore.Collected collected = store.collect(CUTOFF, Set.of(), 100);

        assertThat(collected.tasks()).isEqualTo(3);
        assertThat(collected.damaged()).isEmpty();
        assertThat(exists("old-checkpoint")).isFalse();
        assertThat(exists("old-attempt-only")).isFalse();
        assertThat(exists("old-finished")).isFalse();
        assertThat(store.taskKeys()).containsExactly("young-checkpoint");
        assertThat(filesOf("young-finished")).containsExactly("finished");
        assertThat(filesOf("young-attempt-only")).containsExactly("attempts");
    }

    @Test
    void neverTouchesARunningTaskHoweverOld() throws IOException {
        checkpoint("running");
        age("running");

        assertThat(store.collect(CUTOFF, Set.of("running"), 100).removals()).isZero();
        assertThat(store.latest("running")).isPresent();
    }

    @Test
    void aTaskWithAYoungFileIsKeptWhole() throws IOException {
        checkpoint("resumed");
        age("resumed");
        store.beginAttempt("resumed"); // a new attempt began: the task is alive

        assertThat(store.collect(CUTOFF, Set.of(), 100).removals()).isZero();
        assertThat(store.latest("resumed")).isPresent();
    }

    @Test
    void removesOldStrayBlobsButNeverAReferencedOrAYoungUnpublishedOne() throws IOException {
        Manifest m = checkpoint("task");
        String named = m.chain().get(0).name();
        store.putBlob("task", "0000000009-stray", bytes("crashed writer"));
        store.putBlob("task", "0000000002-next", bytes("checkpoint being published"));
        Path blobs = taskDir("task").resolve("blobs");
        Files.setLastModifiedTime(blobs.resolve("0000000009-stray"), OLD);
        Files.setLastModifiedTime(blobs.resolve(named), OLD); // old but referenced

        SnapshotStore.Collected collected = store.collect(CUTOFF, Set.of(), 100);

        assertThat(collected.tasks()).isZero();
        assertThat(collected.blobs()).isEqualTo(1);
        assertThat(filesOf("task"))
                .containsExactlyInAnyOrder("manifest.json", "blobs/" + named, "blobs/0000000002-next");
        Blobs.readVerified(store, "task", m.chain().get(0));
    }

    @Test
    void aFinishedTaskLosesEverythingButItsTombstoneAtOnce() throws IOException {
        checkpoint("done");
        // a crash right after the tombstone was written left the checkpoint beside it
        Files.writeString(taskDir("done").resolve("finished"), "done");

        SnapshotStore.Collected collected = store.collect(CUTOFF, Set.of(), 100);

        assertThat(collected.blobs()).isEqualTo(2); // the manifest and its blob
        assertThat(filesOf("done")).containsExactly("finished");
    }

    @Test
    void damagedEntriesAreReportedNeverRemoved() throws IOException {
        checkpoint("damaged");
        Path manifest = taskDir("damaged").resolve("manifest.json");
        Files.writeString(manifest, "{ not a manifest");
        age("damaged");
        Path stray = Files.writeString(root.resolve("tasks").resolve("not-a-task"), "x");
        Files.setLastModifiedTime(stray, OLD);

        SnapshotStore.Collected collected = store.collect(CUTOFF, Set.of(), 100);

        assertThat(collected.removals()).isZero();
        assertThat(collected.damaged()).hasSize(2);
        assertThat(collected.damaged()).anySatisfy(d -> assertThat(d).contains("not a task directory"));
        assertThat(collected.damaged()).anySatisfy(d -> assertThat(d).contains("manifest.json"));
        assertThat(manifest).exists();
        assertThat(stray).exists();
    }

    @Test
    void aSweepIsBounded() throws IOException {
        for (int i = 0; i < 5; i++) {
            store.finished("t" + i);
            age("t" + i);
        }
        assertThat(store.collect(CUTOFF, Set.of(), 2).tasks()).isEqualTo(2);
        assertThat(store.collect(CUTOFF, Set.of(), 2).tasks()).isEqualTo(2);
        assertThat(store.collect(CUTOFF, Set.of(), 2).tasks()).isEqualTo(1);
        assertThat(Files.list(root.resolve("tasks")).count()).isZero();
    }

    /** Each sweep goes on where the last one stopped: however the young ones are ordered, every entry is reached. */
    @Test
    void youngTasksDoNotHoldBackOldOnesAcrossBoundedSweeps() throws IOException {
        for (int i = 0; i < 6; i++) {
            store.finished("young-" + i);
        }
        store.finished("old-1");
        store.finished("old-2");
        age("old-1");
        age("old-2");

        int removed = 0;
        for (int sweep = 0; sweep < 4; sweep++) { // 8 tasks, 2 a sweep
            removed += store.collect(CUTOFF, Set.of(), 2).tasks();
        }
        assertThat(removed).isEqualTo(2);
        assertThat(exists("old-1")).isFalse();
        assertThat(exists("old-2")).isFalse();
        assertThat(Files.list(root.resolve("tasks")).count()).isEqualTo(6);
    }

    @Test
    void aCollectedFinishedTaskCanRunAgainUnderItsKey() throws IOException {
        store.finished("k");
        age("k");
        store.collect(CUTOFF, Set.of(), 100);
        assertThat(store.beginAttempt("k")).isEqualTo(1);
    }

    private Manifest checkpoint(String key) {
        byte[] data = bytes("snapshot of " + key);
        store.putBlob(key, "0000000001-full", data);
        Manifest m = new Manifest(
                key, 1, ARTIFACT, 1, 1, List.of(Blobs.ref("0000000001-full", data)), System.currentTimeMillis());
        store.publish(key, 0, m);
        return m;
    }

    /** Every file of the task made older than the cutoff. */
    private void age(String key) throws IOException {
        try (Stream<Path> tree = Files.walk(taskDir(key))) {
            for (Path p : tree.toList()) {
                Files.setLastModifiedTime(p, OLD);
            }
        }
    }

    private boolean exists(String key) {
        return Files.exists(taskDir(key));
    }

    private Path taskDir(String key) {
        return root.resolve("tasks").resolve(LocalSnapshotStore.storageName(key));
    }

    private List<String> filesOf(String key) throws IOException {
        Path dir = taskDir(key);
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
