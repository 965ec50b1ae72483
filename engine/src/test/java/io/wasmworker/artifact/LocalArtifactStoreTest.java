package io.wasmworker.artifact;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The artifact store contract on a directory, and what only a directory can do. */
class LocalArtifactStoreTest extends ArtifactStoreContract {
    @TempDir
    Path dir;

    @Override
    ArtifactStore open(long maxBytes) {
        return new LocalArtifactStore(dir, maxBytes);
    }

    @Override
    void overwriteBlob(ArtifactStore store, Digest digest, byte[] bytes) throws Exception {
        Files.write(blob(digest), bytes);
    }

    @Override
    void removeBlob(ArtifactStore store, Digest digest) throws Exception {
        Files.delete(blob(digest));
    }

    @Override
    void overwriteName(ArtifactStore store, String name, byte[] bytes) throws Exception {
        Files.write(dir.resolve("names").resolve(name), bytes);
    }

    @Override
    void addStray(ArtifactStore store, String fileName, byte[] bytes) throws Exception {
        Files.write(dir.resolve("blobs/sha256").resolve(fileName), bytes);
    }

    @Override
    String where(ArtifactStore store, Digest digest) {
        return blob(digest).toString();
    }

    private Path blob(Digest digest) {
        return dir.resolve("blobs/sha256/" + digest.hex() + ".wasm");
    }

    @Test
    void anArtifactFarOverTheLimitIsRefusedByItsSizeWithoutReadingIt() throws Exception {
        var store = new LocalArtifactStore(dir, 1 << 20);
        Digest d = store.put(MODULE);
        try (RandomAccessFile raf = new RandomAccessFile(blob(d).toFile(), "rw")) {
            raf.setLength(3L << 30); // sparse, and more than any array could hold
        }
        assertThatThrownBy(() -> store.get(d))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining(d.toString())
                .hasMessageContaining("3221225472 bytes")
                .hasMessageContaining("limit of 1048576 bytes");
    }

    @Test
    void readBoundedStopsOneBytePastTheLimitOnStreamsWithoutASize() throws Exception {
        // /dev/zero has no size and no end: only a bounded read returns
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(zero));
        assertThatThrownBy(() -> LocalArtifactStore.readBounded(zero, 4096, "module /dev/zero"))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining("more than the limit of 4096 bytes");
    }

    @Test
    void digestsAreParsedStrictly() {
        assertThatThrownBy(() -> Digest.parse("sha256:abc")).hasMessageContaining("got 3 characters");
        assertThatThrownBy(() -> Digest.parse("md5:abc")).hasMessageContaining("expected sha256:");
        assertThatThrownBy(() -> Digest.parse("sha256:" + "A".repeat(64))).hasMessageContaining("lowercase");
    }

    @Test
    void aDamagedNameFileIsNamedByItsPath() throws Exception {
        var store = open();
        Path file = dir.resolve("names/pricing");
        Files.writeString(file, "password=hunter2\n");
        assertThatThrownBy(() -> store.lookupName("pricing")).hasMessageContaining(file.toString());
    }
}
