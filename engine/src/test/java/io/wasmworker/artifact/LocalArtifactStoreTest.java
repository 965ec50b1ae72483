package io.wasmworker.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalArtifactStoreTest {
    private static final byte[] MODULE = {0, 'a', 's', 'm', 1, 0, 0, 0};

    @TempDir
    Path dir;

    @Test
    void putReturnsTheSha256AndGetReturnsTheSameBytes() {
        var store = new LocalArtifactStore(dir);
        Digest d = store.put(MODULE);
        // sha256 of the 8-byte empty module, computed independently with sha256sum
        assertThat(d.toString()).isEqualTo("sha256:93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476");
        assertThat(store.get(d)).isEqualTo(MODULE);
        assertThat(store.put(MODULE)).isEqualTo(d);
        assertThat(store.list()).containsExactly(d);
    }

    @Test
    void tamperedBytesAreRefusedWithBothDigests() throws Exception {
        var store = new LocalArtifactStore(dir);
        Digest d = store.put(MODULE);
        Path blob = dir.resolve("blobs/sha256/" + d.hex() + ".wasm");
        Files.write(blob, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 1});
        assertThatThrownBy(() -> store.get(d))
                .isInstanceOf(ArtifactException.DigestMismatch.class)
                .hasMessageContaining("digest mismatch for " + d)
                .hasMessageContaining(blob.toString());
    }

    @Test
    void missingArtifactsAndNamesAreClearErrors() {
        var store = new LocalArtifactStore(dir);
        Digest absent = Digest.of(new byte[] {1});
        assertThatThrownBy(() -> store.get(absent))
                .isInstanceOf(ArtifactException.NotFound.class)
                .hasMessageContaining(absent.toString());
        assertThatThrownBy(() -> store.resolve(ArtifactRef.parse("pricing")))
                .isInstanceOf(ArtifactException.NotFound.class)
                .hasMessageContaining("no artifact is named 'pricing'");
    }

    @Test
    void namesResolveToDigestsAndCannotEscapeTheStore() {
        var store = new LocalArtifactStore(dir);
        Digest d = store.put(MODULE);
        store.bindName("order-pricing", d);
        assertThat(store.resolve(ArtifactRef.parse("order-pricing"))).isEqualTo(d);
        assertThat(store.names()).containsEntry("order-pricing", d);
        assertThatThrownBy(() -> store.bindName("../evil", d)).hasMessageContaining("invalid artifact name '../evil'");
        assertThatThrownBy(() -> ArtifactRef.parse("a/b")).hasMessageContaining("invalid artifact name");
    }

    @Test
    void digestsAreParsedStrictly() {
        assertThatThrownBy(() -> Digest.parse("sha256:abc")).hasMessageContaining("got 3 characters");
        assertThatThrownBy(() -> Digest.parse("md5:abc")).hasMessageContaining("expected sha256:");
        assertThatThrownBy(() -> Digest.parse("sha256:" + "A".repeat(64))).hasMessageContaining("lowercase");
    }

    @Test
    void puttingTheRightBytesRepairsADamagedBlob() throws Exception {
        var store = new LocalArtifactStore(dir);
        Digest d = store.put(MODULE);
        Path blob = dir.resolve("blobs/sha256/" + d.hex() + ".wasm");
        Files.write(blob, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 1});

        assertThat(store.put(MODULE)).isEqualTo(d);
        assertThat(store.get(d)).isEqualTo(MODULE);
    }

    @Test
    void anArtifactOverTheLimitIsRefusedByItsSizeWithoutReadingIt() throws Exception {
        var store = new LocalArtifactStore(dir, 1 << 20);
        Digest d = store.put(MODULE);
        try (RandomAccessFile raf = new RandomAccessFile(
                dir.resolve("blobs/sha256/" + d.hex() + ".wasm").toFile(), "rw")) {
            raf.setLength(3L << 30); // sparse, and more than any array could hold
        }
        assertThatThrownBy(() -> store.get(d))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining(d.toString())
                .hasMessageContaining("3221225472 bytes")
                .hasMessageContaining("limit of 1048576 bytes");
        assertThatThrownBy(() -> store.put(new byte[(1 << 20) + 1]))
                .isInstanceOf(ArtifactException.class)
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
    void aDamagedNameFileIsNamedButNotQuoted() throws Exception {
        var store = new LocalArtifactStore(dir);
        Path file = dir.resolve("names/pricing");
        Files.writeString(file, "password=hunter2\n");
        assertThatThrownBy(() -> store.lookupName("pricing"))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("does not hold a digest")
                .hasMessageNotContaining("hunter2");
        Files.write(file, new byte[1 << 20]);
        assertThatThrownBy(() -> store.lookupName("pricing"))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining("damaged");
    }

    @Test
    void oneStrayOrDamagedFileIsListedAsSuchAndTheRestStillAre() throws Exception {
        var store = new LocalArtifactStore(dir);
        Digest good = store.put(MODULE);
        store.bindName("good", good);
        byte[] other = {0, 'a', 's', 'm', 1, 0, 0, 0, 0};
        Digest damaged = store.put(other);
        Files.write(dir.resolve("blobs/sha256/" + damaged.hex() + ".wasm"), new byte[] {9});
        Files.writeString(dir.resolve("blobs/sha256/notes.txt"), "stray");
        Files.writeString(dir.resolve("blobs/sha256/" + "z".repeat(64) + ".wasm"), "stray");
        Files.writeString(dir.resolve("names/broken"), "hunter2");
        Files.writeString(dir.resolve("names/dangling"), Digest.of(new byte[] {7}) + "\n");

        List<LocalArtifactStore.Entry> entries = store.inventory();
        assertThat(entries)
                .filteredOn(LocalArtifactStore.Entry::ok)
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.digest()).contains(good);
                    assertThat(e.names()).containsExactly("good");
                });
        assertThat(entries)
                .filteredOn(e -> !e.ok())
                .hasSize(5)
                .allSatisfy(e -> assertThat(e.problem()).isNotBlank().doesNotContain("hunter2"));
        assertThat(entries)
                .filteredOn(e -> e.digest().equals(Optional.of(damaged)))
                .singleElement()
                .satisfies(e -> assertThat(e.problem()).contains("digest mismatch"));
        assertThat(store.list()).containsExactlyInAnyOrder(good, damaged);
    }
}
