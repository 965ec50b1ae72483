package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attempts counted in the store: for orchestrators whose lock expiries leave no trace. */
class AttemptCountTest {
    @TempDir
    Path dir;

    @Test
    void attemptsCountUpPerTaskAndStartOverAfterDelete() {
        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);
        assertThat(store.beginAttempt("a")).isEqualTo(1);
        assertThat(store.beginAttempt("a")).isEqualTo(2);
        assertThat(store.beginAttempt("b")).isEqualTo(1);
        assertThat(new LocalSnapshotStore(dir, false).beginAttempt("a"))
                .as("survives a restart")
                .isEqualTo(3);
        assertThat(store.taskKeys()).as("a count is not a checkpoint").isEmpty();

        store.delete("a");
        assertThat(store.beginAttempt("a")).isEqualTo(1);
    }

    @Test
    void concurrentWorkersNeverGetTheSameAttempt() throws Exception {
        LocalSnapshotStore one = new LocalSnapshotStore(dir, false);
        LocalSnapshotStore two = new LocalSnapshotStore(dir, false);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                LocalSnapshotStore store = i % 2 == 0 ? one : two;
                futures.add(pool.submit(() -> store.beginAttempt("task")));
            }
            List<Integer> attempts = new ArrayList<>();
            for (Future<Integer> f : futures) {
                attempts.add(f.get());
            }
            Collections.sort(attempts);
            assertThat(attempts)
                    .isEqualTo(java.util.stream.IntStream.rangeClosed(1, 40)
                            .boxed()
                            .toList());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDamagedCountIsReportedNotReset() throws Exception {
        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);
        store.beginAttempt("t");
        Path count = dir.resolve("tasks")
                .resolve(LocalSnapshotStore.storageName("t"))
                .resolve("attempts");
        Files.writeString(count, "garbage");
        assertThatThrownBy(() -> store.beginAttempt("t"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("attempt count")
                .hasMessageContaining("'t'");
    }
}
