package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A guest whose state would not fit one snapshot array gets a clear refusal, not an overflow or an OOM. */
class SnapshotSizeTest {
    @Test
    void aSnapshotLargerThanAnArrayCanHoldIsRefusedBeforeItIsAllocated() {
        // 32767 incompressible pages (the largest memory limit) take more than 2 GiB stored raw; they
        // all share one 64 KiB array here, so nothing near that size is ever allocated
        byte[] page = new byte[SnapshotPages.PAGE];
        new SplittableRandom(7).nextBytes(page);
        int pages = 32767;
        SnapshotPages all = SnapshotPages.withCapacity(pages);
        for (int p = 0; p < pages; p++) {
            all.add(p, page, 0, SnapshotPages.PAGE);
        }
        GuestSnapshot huge = GuestSnapshot.builder(Digest.parse("sha256:" + "0".repeat(64)), "big-task")
                .memory(pages, all)
                .host(new HostState(0, new byte[0], 0, 0, 0, -1, -1, 0))
                .build();
        assertThatThrownBy(() -> SnapshotCodec.encode(huge))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("big-task")
                .hasMessageContaining("more than a snapshot can hold")
                .hasMessageContaining("memory limit");
    }
}
