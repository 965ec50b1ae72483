package io.wasmworker.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
                .isInstanceOf(ArtifactException.NotFound.class).hasMessageContaining(absent.toString());
        assertThatThrownBy(() -> store.resolve(ArtifactRef.parse("pricing")))
                .isInstanceOf(ArtifactException.NotFound.class).hasMessageContaining("no artifact is named 'pricing'");
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
}
