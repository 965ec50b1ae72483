package io.wasmworker.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob is read only up to the size its manifest records: a swollen file is refused before it is read. */
class BlobLimitTest {
    @TempDir
    Path root;

    @Test
    void aBlobLargerThanItsManifestSaysIsRefusedWithoutReadingIt() throws Exception {
        LocalSnapshotStore store = new LocalSnapshotStore(root, false);
        byte[] bytes = {1, 2, 3};
        store.putBlob("t", "b", bytes);
        Manifest.BlobRef ref = Blobs.ref("b", bytes);
        Path file;
        try (Stream<Path> files = Files.walk(root)) {
            file = files.filter(p -> p.getFileName().toString().equals("b"))
                    .findFirst()
                    .orElseThrow();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(3L << 30); // sparse: 3 GiB that would never fit one array
        }
        assertThatThrownBy(() -> Blobs.readVerified(store, "t", ref))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("damaged")
                .hasMessageContaining("more than the 3 expected");
    }
}
