package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal contract on the local store, and what only the local store can show (its files). */
class LocalCallJournalTest extends CallJournalContract {
    private static final String KEY = "temporal:wf/act-3";

    @TempDir
    Path temp;

    private Path root;

    @Override
    protected SnapshotStore newStore() {
        root = temp.resolve("store-" + System.nanoTime());
        return new LocalSnapshotStore(root, false);
    }

    @Override
    protected SnapshotStore sameStore() {
        return new LocalSnapshotStore(root, false);
    }

    @Test
    void anEntryIsAFileOfItsOwnInTheTasksJournal() throws IOException {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 42, new byte[] {1, 2, 3});

        Path file = root.resolve("tasks")
                .resolve(LocalSnapshotStore.storageName(KEY))
                .resolve("journal")
                .resolve("00000000000000000042.call");
        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    }

    @Test
    void anUnreadableEntryIsLoudNeverEmpty() throws IOException {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 1, new byte[] {1});
        Path file = root.resolve("tasks")
                .resolve(LocalSnapshotStore.storageName(KEY))
                .resolve("journal")
                .resolve("00000000000000000001.call");
        Files.delete(file);
        Files.createDirectory(file); // something that is there but cannot be read as an entry

        assertThatThrownBy(() -> store.recordedCall(KEY, 1, 100))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("journal entry 1");
    }

    @Test
    void sequenceNumbersStartAtOne() {
        SnapshotStore store = newStore();
        assertThatThrownBy(() -> store.recordCall(KEY, 0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
