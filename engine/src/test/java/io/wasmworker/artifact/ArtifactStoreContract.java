package io.wasmworker.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ArtifactStore} promises, run against each implementation: a subclass says how to
 * open a fresh, empty store and how to change what is stored behind the store's back.
 */
abstract class ArtifactStoreContract {
    static final byte[] MODULE = {0, 'a', 's', 'm', 1, 0, 0, 0};
    static final byte[] OTHER = {0, 'a', 's', 'm', 1, 0, 0, 0, 0};

    /** A fresh, empty store keeping modules of at most {@code maxBytes}. */
    abstract ArtifactStore open(long maxBytes);

    /** Replaces the bytes stored under {@code digest}, bypassing the store. */
    abstract void overwriteBlob(ArtifactStore store, Digest digest, byte[] bytes) throws Exception;

    /** Replaces what binds {@code name}, bypassing the store. */
    abstract void overwriteName(ArtifactStore store, String name, byte[] bytes) throws Exception;

    /** Puts something that is not named like a digest where the modules are, bypassing the store. */
    abstract void addStray(ArtifactStore store, String fileName, byte[] bytes) throws Exception;

    /** Where the bytes of {@code digest} are, as the store's messages name it. */
    abstract String where(ArtifactStore store, Digest digest);

    ArtifactStore open() {
        return open(ArtifactStore.DEFAULT_MAX_BYTES);
    }

    @Test
    void putReturnsTheSha256AndGetReturnsTheSameBytes() {
        var store = open();
        Digest d = store.put(MODULE);
        // sha256 of the 8-byte empty module, computed independently with sha256sum
        assertThat(d.toString()).isEqualTo("sha256:93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476");
        assertThat(store.get(d)).isEqualTo(MODULE);
        assertThat(store.put(MODULE)).isEqualTo(d);
        assertThat(store.list()).containsExactly(d);
        assertThat(store.contains(d)).isTrue();
        assertThat(store.contains(Digest.of(OTHER))).isFalse();
    }

    @Test
    void tamperedBytesAreRefusedWithBothDigests() throws Exception {
        var store = open();
        Digest d = store.put(MODULE);
        overwriteBlob(store, d, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 1});
        assertThatThrownBy(() -> store.get(d))
                .isInstanceOf(ArtifactException.DigestMismatch.class)
                .hasMessageContaining("digest mismatch for " + d)
                .hasMessageContaining("hash to " + Digest.of(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 1}))
                .hasMessageContaining(where(store, d));
    }

    @Test
    void puttingTheRightBytesRepairsADamagedBlob() throws Exception {
        var store = open();
        Digest d = store.put(MODULE);
        overwriteBlob(store, d, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 1});

        assertThat(store.put(MODULE)).isEqualTo(d);
        assertThat(store.get(d)).isEqualTo(MODULE);
    }

    @Test
    void missingArtifactsAndNamesAreClearErrors() {
        var store = open();
        Digest absent = Digest.of(new byte[] {1});
        assertThatThrownBy(() -> store.get(absent))
                .isInstanceOf(ArtifactException.NotFound.class)
                .hasMessageContaining(absent.toString());
        assertThatThrownBy(() -> store.resolve(ArtifactRef.parse("pricing")))
                .isInstanceOf(ArtifactException.NotFound.class)
                .hasMessageContaining("no artifact is named 'pricing'")
                .hasMessageContaining(store.location());
        assertThatThrownBy(() -> store.bindName("pricing", absent))
                .isInstanceOf(ArtifactException.NotFound.class)
                .hasMessageContaining("is not in the store");
        assertThat(store.lookupName("pricing")).isEmpty();
    }

    @Test
    void namesResolveToDigestsRebindAndCannotEscapeTheStore() {
        var store = open();
        Digest d = store.put(MODULE);
        store.bindName("order-pricing", d);
        assertThat(store.resolve(ArtifactRef.parse("order-pricing"))).isEqualTo(d);
        assertThat(store.names()).containsEntry("order-pricing", d);

        Digest other = store.put(OTHER);
        store.bindName("order-pricing", other);
        assertThat(store.lookupName("order-pricing")).contains(other);
        store.bindName("order-pricing", d); // back to an earlier binding: still a new version
        assertThat(store.lookupName("order-pricing")).contains(d);
        assertThat(store.names()).containsExactlyEntriesOf(java.util.Map.of("order-pricing", d));

        assertThatThrownBy(() -> store.bindName("../evil", d)).hasMessageContaining("invalid artifact name '../evil'");
        assertThatThrownBy(() -> store.lookupName("a/b")).hasMessageContaining("invalid artifact name");
        assertThatThrownBy(() -> ArtifactRef.parse("a/b")).hasMessageContaining("invalid artifact name");
    }

    @Test
    void concurrentRebindsAllLandAndTheLastOneHolds() throws Exception {
        var store = open();
        List<Digest> digests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] module = new byte[9 + i];
            System.arraycopy(MODULE, 0, module, 0, MODULE.length);
            digests.add(store.put(module));
        }
        CyclicBarrier start = new CyclicBarrier(digests.size());
        ExecutorService pool = Executors.newFixedThreadPool(digests.size());
        try {
            List<Future<?>> binds = new ArrayList<>();
            for (Digest d : digests) {
                binds.add(pool.submit(() -> {
                    start.await();
                    store.bindName("contended", d);
                    return null;
                }));
            }
            for (Future<?> f : binds) {
                f.get(); // no writer fails: each loses at most a few compare-and-swaps and goes again
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(digests).contains(store.lookupName("contended").orElseThrow());
    }

    @Test
    void anArtifactOverTheLimitIsRefusedByItsSize() throws Exception {
        var store = open(1 << 20);
        assertThat(store.maxBytes()).isEqualTo(1 << 20);
        Digest d = store.put(MODULE);
        overwriteBlob(store, d, new byte[(1 << 20) + 1]);
        assertThatThrownBy(() -> store.get(d))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining(d.toString())
                .hasMessageContaining("1048577 bytes")
                .hasMessageContaining("limit of 1048576 bytes");
        assertThatThrownBy(() -> store.put(new byte[(1 << 20) + 1]))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining("limit of 1048576 bytes");
    }

    @Test
    void theDefaultLimitIsTheModuleLoadersLimit() {
        assertThat(open().maxBytes())
                .isEqualTo(io.wasmworker.module.ModuleLimits.defaults().maxModuleBytes());
    }

    @Test
    void aDamagedNameIsNamedButNotQuoted() throws Exception {
        var store = open();
        overwriteName(store, "pricing", "password=hunter2\n".getBytes());
        assertThatThrownBy(() -> store.lookupName("pricing"))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining("pricing")
                .hasMessageContaining("does not hold a digest")
                .hasMessageNotContaining("hunter2");
        overwriteName(store, "pricing", new byte[1 << 20]);
        assertThatThrownBy(() -> store.lookupName("pricing"))
                .isInstanceOf(ArtifactException.class)
                .hasMessageContaining("damaged");
    }

    @Test
    void bindingADamagedNameAgainRepairsIt() throws Exception {
        var store = open();
        Digest d = store.put(MODULE);
        overwriteName(store, "pricing", "password=hunter2\n".getBytes());
        store.bindName("pricing", d);
        assertThat(store.lookupName("pricing")).contains(d);
        overwriteName(store, "pricing", new byte[1 << 20]);
        store.bindName("pricing", d);
        assertThat(store.lookupName("pricing")).contains(d);
    }

    @Test
    void oneStrayOrDamagedEntryIsListedAsSuchAndTheRestStillAre() throws Exception {
        var store = open();
        Digest good = store.put(MODULE);
        store.bindName("good", good);
        Digest damaged = store.put(OTHER);
        overwriteBlob(store, damaged, new byte[] {9});
        addStray(store, "notes.txt", "stray".getBytes());
        addStray(store, "z".repeat(64), "stray".getBytes());
        overwriteName(store, "broken", "hunter2".getBytes());
        store.bindName("dangling", store.put(new byte[] {7}));
        removeBlob(store, Digest.of(new byte[] {7}));

        List<ArtifactStore.Entry> entries = store.inventory();
        assertThat(entries).filteredOn(ArtifactStore.Entry::ok).singleElement().satisfies(e -> {
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

    /** Removes the bytes stored under {@code digest}, bypassing the store. */
    abstract void removeBlob(ArtifactStore store, Digest digest) throws Exception;
}
