package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The journal part of the {@link SnapshotStore} contract ({@code recordCall}, {@code recordedCall},
 * {@code dropCalls}, and what {@code finished}, {@code delete} and {@code collect} do to a journal),
 * for any store: a store's test extends this and says how to open one (two instances of one store
 * must share it, as two workers do).
 */
public abstract class CallJournalContract {
    private static final String KEY = "camunda:ext-task-13";
    private static final Digest ARTIFACT = Digest.parse("sha256:" + "ab".repeat(32));

    /** A fresh, empty store. */
    protected abstract SnapshotStore newStore();

    /** Another instance over the same storage as the last {@link #newStore()} (another worker). */
    protected abstract SnapshotStore sameStore();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRecordedCallReadsBackExactlyAndAnUnrecordedOneIsEmpty() {
        SnapshotStore store = newStore();
        assertThat(store.recordedCall(KEY, 1, 1 << 20)).isEmpty();

        byte[] entry = bytes("call one");
        assertThat(store.recordCall(KEY, 1, entry)).isEqualTo(entry);

        assertThat(store.recordedCall(KEY, 1, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(entry));
        assertThat(sameStore().recordedCall(KEY, 1, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(entry));
        assertThat(store.recordedCall(KEY, 2, 1 << 20)).isEmpty();
        assertThat(store.recordedCall("another task", 1, 1 << 20)).isEmpty();
        byte[] empty = new byte[0];
        assertThat(store.recordCall(KEY, 3, empty)).isEmpty();
        assertThat(store.recordedCall(KEY, 3, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEmpty());
    }

    @Test
    void theFirstEntryUnderANumberIsKeptAndHandedToLaterWriters() {
        SnapshotStore store = newStore();
        byte[] first = bytes("first attempt's response");
        store.recordCall(KEY, 1, first);

        byte[] kept = sameStore().recordCall(KEY, 1, bytes("a zombie's response"));

        assertThat(kept).isEqualTo(first);
        assertThat(store.recordedCall(KEY, 1, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(first));
    }

    @Test
    void racingWritersAllSeeTheSameEntry() throws Exception {
        SnapshotStore store = newStore();
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                SnapshotStore s = i % 2 == 0 ? store : sameStore();
                byte[] mine = bytes("writer " + i);
                results.add(pool.submit(() -> {
                    start.await();
                    return s.recordCall(KEY, 7, mine);
                }));
            }
            start.countDown();
            byte[] winner = results.get(0).get(30, TimeUnit.SECONDS);
            for (Future<byte[]> r : results) {
                assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(winner);
            }
            assertThat(store.recordedCall(KEY, 7, 1 << 20))
                    .hasValueSatisfying(b -> assertThat(b).isEqualTo(winner));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void droppingRemovesTheEntriesThroughTheNumberOnly() {
        SnapshotStore store = newStore();
        for (long seq = 1; seq <= 5; seq++) {
            store.recordCall(KEY, seq, bytes("call " + seq));
        }

        store.dropCalls(KEY, 3);
        store.dropCalls(KEY, 3); // idempotent
        store.dropCalls("a task without a journal", 3);

        assertThat(store.recordedCall(KEY, 1, 1 << 20)).isEmpty();
        assertThat(store.recordedCall(KEY, 3, 1 << 20)).isEmpty();
        assertThat(store.recordedCall(KEY, 4, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("call 4")));
        assertThat(store.recordedCall(KEY, 5, 1 << 20)).isPresent();

        store.dropCalls(KEY, Long.MAX_VALUE);
        assertThat(store.recordedCall(KEY, 5, 1 << 20)).isEmpty();
    }

    @Test
    void anEntryLongerThanTheCallerExpectsIsRefusedLoudly() {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 1, new byte[1000]);

        assertThatThrownBy(() -> store.recordedCall(KEY, 1, 999))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("journal entry 1")
                .hasMessageContaining(KEY);
    }

    @Test
    void aFinishedTaskLosesItsJournalAndRefusesNewEntries() {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 1, bytes("call 1"));

        store.finished(KEY);

        assertThat(store.recordedCall(KEY, 1, 1 << 20)).isEmpty();
        assertThatThrownBy(() -> sameStore().recordCall(KEY, 2, bytes("a zombie's call")))
                .isInstanceOfSatisfying(
                        StaleGenerationException.class,
                        e -> assertThat(e.taskFinished()).isTrue())
                .hasMessageContaining("host call 2");
        assertThat(store.recordedCall(KEY, 2, 1 << 20)).isEmpty();
    }

    @Test
    void deletingATaskRemovesItsJournal() {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 1, bytes("call 1"));

        store.delete(KEY);

        assertThat(store.recordedCall(KEY, 1, 1 << 20)).isEmpty();
        store.recordCall(KEY, 1, bytes("a fresh start's call 1")); // the key starts afresh
        assertThat(store.recordedCall(KEY, 1, 1 << 20))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("a fresh start's call 1")));
    }

    @Test
    void aCollectionKeepsTheJournalOfATaskThatStays() {
        SnapshotStore store = newStore();
        Manifest.BlobRef blob = store.writeSnapshot(KEY, 1, bytes("state"));
        store.publish(KEY, 0, new Manifest(KEY, 1, ARTIFACT, 1, 1, List.of(blob), 1L));
        store.recordCall(KEY, 2, bytes("call 2"));

        // a cutoff in the past: the task is young, so it stays, journal and all
        store.collect(Instant.now().minusSeconds(3600), Set.of(), 100);
        assertThat(store.recordedCall(KEY, 2, 1 << 20)).isPresent();

        // a cutoff in the future: the whole task is a leftover, its journal with it
        store.collect(Instant.now().plusSeconds(3600), Set.of(), 100);
        assertThat(store.latest(KEY)).isEmpty();
        assertThat(store.recordedCall(KEY, 2, 1 << 20)).isEqualTo(Optional.empty());
    }

    @Test
    void aTaskWithOnlyAJournalIsNotListedAsACheckpoint() {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 1, bytes("call 1"));

        assertThat(store.taskKeys()).isEmpty();
        assertThat(store.entries()).isEmpty();
    }
}
