package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LocalSnapshotStore#getBlob} reads blobs (memory-mapped) exactly, whatever their size. */
class BlobReadTest {
    private static final String KEY = "task";

    @TempDir
    Path root;

    @Test
    void blobsOfAnySizeReadBackExactly() {
        LocalSnapshotStore store = new LocalSnapshotStore(root, false);
        SplittableRandom random = new SplittableRandom(1);
        for (int size : new int[] {0, 1, 4095, 4096, 65537, (16 << 20) + 3}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            store.putBlob(KEY, "blob-" + size, bytes);
            assertThat(store.getBlob(KEY, "blob-" + size)).as("%d bytes", size).isEqualTo(bytes);
        }
    }

    @Test
    void aMissingBlobIsReportedAsDamage() {
        LocalSnapshotStore store = new LocalSnapshotStore(root, false);
        store.putBlob(KEY, "present", new byte[] {1});
        assertThatThrownBy(() -> store.getBlob(KEY, "absent"))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("absent")
                .hasMessageContaining("missing");
    }
}
