package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.s3.S3Location;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.RgwSettings;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** The journal contract on S3 (a real Ceph RGW), and what only S3 shows: an entry is one object. */
class S3CallJournalTest extends CallJournalContract {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final String KEY = "temporal:wf/act-3";
    private static Rgw rgw;
    private static String bucket;

    private S3Location location;

    @BeforeAll
    static void server() {
        rgw = Rgw.shared();
        bucket = rgw.newBucket("s3-call-journal");
    }

    @Override
    protected SnapshotStore newStore() {
        location = new S3Location(bucket, "run-" + PREFIXES.incrementAndGet());
        return sameStore();
    }

    @Override
    protected SnapshotStore sameStore() {
        return new S3SnapshotStore(rgw.client(), location, RgwSettings.of(rgw));
    }

    private String entryKey(long sequence) {
        return location.key("tasks", TaskNames.storageName(KEY), "journal", String.format("%020d.call", sequence));
    }

    @Test
    void anEntryIsAnObjectOfItsOwnInTheTasksJournal() {
        SnapshotStore store = newStore();
        store.recordCall(KEY, 42, new byte[] {1, 2, 3});

        byte[] stored = rgw.client()
                .getObjectAsBytes(b -> b.bucket(bucket).key(entryKey(42)))
                .asByteArray();
        assertThat(stored).as("a format byte, then the entry").containsExactly(1, 1, 2, 3);
    }

    @Test
    void anEntryOfAnotherFormatIsLoudNeverEmpty() {
        SnapshotStore store = newStore();
        rgw.client().putObject(b -> b.bucket(bucket).key(entryKey(1)), RequestBody.fromBytes(new byte[] {9, 9}));

        assertThatThrownBy(() -> store.recordedCall(KEY, 1, 100))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("journal entry 1");
        assertThatThrownBy(() -> store.recordCall(KEY, 0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
