package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DurableFiles} writes any array whole, up to the largest one Java has. */
class DurableFilesTest {
    @TempDir
    Path dir;

    /** The slicing arithmetic for arrays near 2 GiB, without writing one: an int offset used to overflow there. */
    @Test
    void slicesCoverArraysUpToTheLargestExactlyWithoutOverflow() {
        for (int length :
                new int[] {0, 1, (1 << 20) - 1, 1 << 20, (2047 << 20) + 1, Integer.MAX_VALUE - 16, Integer.MAX_VALUE}) {
            long covered = 0;
            int slices = 0;
            for (int offset = 0; offset < length; offset = DurableFiles.nextSlice(offset, length)) {
                int end = DurableFiles.nextSlice(offset, length);
                assertThat(end)
                        .as("slice end after %d of %d", offset, length)
                        .isGreaterThan(offset)
                        .isLessThanOrEqualTo(length);
                assertThat(end - offset).isLessThanOrEqualTo(1 << 20);
                covered += end - offset;
                slices++;
            }
            assertThat(covered).as("%d bytes", length).isEqualTo(length);
            assertThat(slices).isEqualTo((int) ((length + (1L << 20) - 1) >> 20));
        }
    }

    @Test
    void writesAreExactAcrossSliceBoundaries() throws Exception {
        DurableFiles files = new DurableFiles(false);
        SplittableRandom random = new SplittableRandom(3);
        for (int size : new int[] {0, 5, (1 << 20), (3 << 20) + 17}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            Path target = dir.resolve("f" + size);
            files.replace(target, bytes);
            assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        }
    }
}
