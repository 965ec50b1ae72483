package io.wasmworker.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.testbed.s3.Rgw;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The artifact store contract on a real S3 server (Ceph RGW), and what is particular to S3. */
class S3ArtifactStoreTest extends ArtifactStoreContract {
    private static final AtomicInteger STORES = new AtomicInteger();
    private static S3Client s3;
    private static String bucket;

    @BeforeAll
    static void server() {
        s3 = Rgw.shared().client();
        bucket = Rgw.shared().newBucket("s3-artifact-store");
    }

    @Override
    ArtifactStore open(long maxBytes) {
        // a fresh prefix per store: each test starts empty
        return new S3ArtifactStore(s3, S3Location.parse("s3://" + bucket + "/t" + STORES.incrementAndGet()), maxBytes);
    }

    private static S3Location location(ArtifactStore store) {
        return S3Location.parse(store.location());
    }

    private static String blobKey(ArtifactStore store, Digest digest) {
        return location(store).key("blobs", "sha256", digest.hex());
    }

    @Override
    void overwriteBlob(ArtifactStore store, Digest digest, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(blobKey(store, digest)), RequestBody.fromBytes(bytes));
    }

    @Override
    void removeBlob(ArtifactStore store, Digest digest) {
        s3.deleteObject(b -> b.bucket(bucket).key(blobKey(store, digest)));
    }

    @Override
    void overwriteName(ArtifactStore store, String name, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(location(store).key("names", name)), RequestBody.fromBytes(bytes));
    }

    @Override
    void addStray(ArtifactStore store, String fileName, byte[] bytes) {
        s3.putObject(
                b -> b.bucket(bucket).key(location(store).key("blobs", "sha256", fileName)),
                RequestBody.fromBytes(bytes));
    }

    @Override
    String where(ArtifactStore store, Digest digest) {
        return "s3://" + bucket + "/" + blobKey(store, digest);
    }

    @Test
    void modulesAreContentAddressedUnderThePrefix() {
        var store = open();
        Digest d = store.put(MODULE);
        store.bindName("m", d);
        String prefix = location(store).prefix();
        assertThat(s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix + "/")).contents())
                .extracting(S3Object::key)
                .containsExactlyInAnyOrder(prefix + "/blobs/sha256/" + d.hex(), prefix + "/names/m");
    }

    @Test
    void aModuleAlreadyStoredIsNotUploadedAgain() {
        var store = open();
        Digest d = store.put(MODULE);
        // the same bytes, marked: a second upload would replace the object and lose the mark
        s3.putObject(
                b -> b.bucket(bucket).key(blobKey(store, d)).metadata(Map.of("mark", "first")),
                RequestBody.fromBytes(MODULE));
        assertThat(store.put(MODULE)).isEqualTo(d);
        assertThat(s3.headObject(b -> b.bucket(bucket).key(blobKey(store, d))).metadata())
                .containsEntry("mark", "first");
    }

    @Test
    void aNameObjectCarriesAVersionThatEveryRebindingAdvances() {
        var store = open();
        Digest d = store.put(MODULE);
        String key = location(store).key("names", "n");
        store.bindName("n", d);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String())
                .isEqualTo("{\"digest\":\"" + d + "\",\"version\":1}\n");
        store.bindName("n", d);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String())
                .isEqualTo("{\"digest\":\"" + d + "\",\"version\":2}\n");
    }

    @Test
    void anUnreachableStoreIsAnErrorNamingTheObjectNotAHang() {
        S3Settings nowhere = S3Settings.builder()
                .endpoint(URI.create("http://127.0.0.1:1"))
                .region("us-east-1")
                .credentials(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)
                .attemptTimeout(Duration.ofSeconds(2))
                .callTimeout(Duration.ofSeconds(5))
                .maxAttempts(2)
                .build();
        Digest d = Digest.of(MODULE);
        try (S3ArtifactStore store = S3ArtifactStore.open(S3Location.parse("s3://" + bucket + "/down"), nowhere)) {
            assertThatThrownBy(() -> store.get(d))
                    .isInstanceOf(ArtifactException.class)
                    .isNotInstanceOf(ArtifactException.NotFound.class)
                    .hasMessageContaining("cannot read artifact " + d + " from s3://" + bucket + "/down/blobs/sha256/");
            assertThatThrownBy(() -> store.lookupName("n"))
                    .isInstanceOf(ArtifactException.class)
                    .hasMessageContaining("s3://" + bucket + "/down/names/n");
        }
    }
}
