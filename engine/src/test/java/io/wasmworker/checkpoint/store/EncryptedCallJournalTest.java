package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal contract through the sealing store: entries (service responses) are sealed at rest. */
class EncryptedCallJournalTest extends CallJournalContract {
    private static final String KEY = "camunda:task-7";
    private static final byte[] K1 = new byte[32];

    @TempDir
    Path temp;

    private Path root;

    private static EncryptingSnapshotStore sealed(SnapshotStore store) {
        return new EncryptingSnapshotStore(store, SnapshotKeys.of("k1", Map.of("k1", K1)), false);
    }

    @Override
    protected SnapshotStore newStore() {
        root = temp.resolve("store-" + System.nanoTime());
        return sealed(new LocalSnapshotStore(root, false));
    }

    @Override
    protected SnapshotStore sameStore() {
        return sealed(new LocalSnapshotStore(root, false));
    }

    @Test
    void anEntryIsSealedAtRestAndBoundToItsCallNumber() {
        SnapshotStore store = newStore();
        byte[] response = "{\"card\":\"4111-1111\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(store.recordCall(KEY, 3, response)).containsExactly(response);

        LocalSnapshotStore raw = new LocalSnapshotStore(root, false);
        byte[] atRest = raw.recordedCall(KEY, 3, 1 << 20).orElseThrow();
        assertThat(new String(atRest, StandardCharsets.ISO_8859_1)).doesNotContain("4111-1111");
        assertThat(sameStore().recordedCall(KEY, 3, 1 << 20)).hasValue(response);

        // the sealed entry of call 3 moved to call 4 does not open
        raw.recordCall(KEY, 4, atRest);
        assertThatThrownBy(() -> sameStore().recordedCall(KEY, 4, 1 << 20))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("journal-call-4");
    }
}
