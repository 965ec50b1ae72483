package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17 item 3: a finished task stays finished in the store, whatever a late (zombie) attempt does. */
class FinishedTaskTest {
    private static final String KEY = "camunda:ext-task-7";
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "cd".repeat(32));

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
    void aFinishedTaskKeepsOnlyItsTombstone() throws IOException {
        store.beginAttempt(KEY);
        Manifest.BlobRef full = put(KEY, "0000000001-full", "full");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));

        store.finished(KEY);

        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.taskKeys()).isEmpty();
        assertThat(store.entries()).isEmpty(); // `snapshots ls` shows nothing pending
        assertThat(filesOf(KEY)).containsExactly("finished");
        store.finished(KEY); // idempotent
        assertThat(filesOf(KEY)).containsExactly("finished");
    }

    /** The worst case: the zombie's first publish expected "no checkpoint yet" and found the directory gone. */
    @Test
    void aZombieCannotRecreateTheCheckpointOfAFinishedTask() throws IOException {
        store.finished(KEY); // the task never checkpointed in this store before it finished

        byte[] data = "zombie snapshot".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store.putBlob(KEY, "0000000001-zombie", data))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue())
                .hasMessageContaining("task '" + KEY + "'")
                .hasMessageContaining("has finished");
        assertThatThrownBy(() -> store.publish(KEY, 0, manifest(KEY, 1, 1, Blobs.ref("0000000001-zombie", data))))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());
        assertThatThrownBy(() -> store.beginAttempt(KEY))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue());

        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.entries()).isEmpty();
        assertThat(filesOf(KEY)).containsExactly("finished");
    }

    @Test
    void aZombieThatCheckpointedBeforeTheTaskFinishedIsRefusedToo() throws IOException {
        Manifest.BlobRef first = put(KEY, "0000000001-a", "one");
        store.publish(KEY, 0, manifest(KEY, 1, 1, first));
        store.finished(KEY);

        byte[] next = "two".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store.putBlob(KEY, "0000000002-b", next)).isInstanceOf(StaleGenerationException.class);
        assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, first, Blobs.ref("0000000002-b", next))))
                .isInstanceOf(StaleGenerationException.class);
        assertThat(filesOf(KEY)).containsExactly("finished");
    }

    /**
     * Zombies writing blobs while the task finishes: a write that passed its check just before the
     * tombstone and landed after finished() listed the blobs is removed by its writer, so nothing is
     * left once every writer has been refused.
     */
    @RepeatedTest(5)
    void blobsWrittenWhileTheTaskFinishesAreNotLeftBehind() throws Exception {
        int writers = 6;
        CountDownLatch started = new CountDownLatch(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Integer>> refusals = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                refusals.add(pool.submit(() -> {
                    started.countDown();
                    for (int i = 0; ; i++) {
                        try {
                            put(KEY, String.format("%010d-w%d", i, writer), "zombie " + writer + " " + i);
                        } catch (StaleGenerationException e) {
                            return e.taskFinished() ? 1 : 0;
                        }
                    }
                }));
            }
            started.await();
            Thread.sleep(20);
            store.finished(KEY);
            for (Future<Integer> refused : refusals) {
                assertThat(refused.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(filesOf(KEY)).containsExactly("finished");
    }

    @Test
    void aCrashWhileFinishingLeavesNoCheckpointBehind() throws IOException {
        Manifest.BlobRef full = put(KEY, "0000000001-full", "full");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        // the tombstone is written first: a crash right after it leaves the old manifest beside it
        Files.writeString(
                root.resolve("tasks")
                        .resolve(LocalSnapshotStore.storageName(KEY))
                        .resolve("finished"),
                KEY);

        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.entries()).isEmpty();
        assertThatThrownBy(() -> store.publish(KEY, 1, manifest(KEY, 2, 2, full)))
                .isInstanceOf(StaleGenerationException.class);
    }

    /** rm semantics: an operator's removal (and the CLI's reuse of a key) is a fresh start. */
    @Test
    void deleteRemovesTheTombstoneSoTheKeyStartsAfresh() throws IOException {
        store.finished(KEY);
        store.delete(KEY);

        assertThat(Files.exists(root.resolve("tasks").resolve(LocalSnapshotStore.storageName(KEY))))
                .isFalse();
        assertThat(store.beginAttempt(KEY)).isEqualTo(1);
        Manifest.BlobRef full = put(KEY, "0000000001-full", "again");
        store.publish(KEY, 0, manifest(KEY, 1, 1, full));
        assertThat(store.latest(KEY)).isPresent();
    }

    @Test
    void finishedReplacesALinkPlantedWhereTheTaskBelongsWithoutFollowingIt() throws IOException {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "not the store's");
        Files.createSymbolicLink(root.resolve("tasks").resolve(LocalSnapshotStore.storageName(KEY)), outside);

        store.finished(KEY);

        assertThat(filesOf(KEY)).containsExactly("finished");
        assertThat(outside.resolve("keep")).hasContent("not the store's");
    }

    /** Every file (not directory) under the task's directory, relative to it. */
    private List<String> filesOf(String key) throws IOException {
        Path dir = root.resolve("tasks").resolve(LocalSnapshotStore.storageName(key));
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    private Manifest.BlobRef put(String key, String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        store.putBlob(key, name, data);
        return Blobs.ref(name, data);
    }

    private static Manifest manifest(String key, long generation, long sequence, Manifest.BlobRef... chain) {
        return new Manifest(key, generation, ARTIFACT, sequence, 1, List.of(chain), 1_700_000_000_000L + generation);
    }
}
