package io.wasmworker.module;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;

/**
 * Compiled modules by digest. A digest names immutable bytes, so a cached module never goes stale;
 * the cache only bounds how many stay compiled. Concurrent requests for one digest compile it once.
 */
public final class ModuleCache {
    private final ArtifactStore store;
    private final ModuleLoader loader;
    private final Cache<Digest, GuestModule> modules;

    public ModuleCache(ArtifactStore store, ModuleLoader loader, int maxModules) {
        this.store = store;
        this.loader = loader;
        this.modules = Caffeine.newBuilder().maximumSize(maxModules).build();
    }

    /** The compiled module; bytes come from the store, which verifies their digest. */
    public GuestModule get(Digest digest) {
        return modules.get(digest, d -> loader.load(d, store.get(d)));
    }

    /** The compiled module a reference (digest or name) stands for now. */
    public GuestModule get(ArtifactRef ref) {
        return get(store.resolve(ref));
    }

    public ArtifactStore store() {
        return store;
    }

    /** Compiles bytes that are not (yet) in the store, caching them under their digest. */
    public GuestModule load(byte[] bytes) {
        Digest digest = Digest.of(bytes);
        return modules.get(digest, d -> loader.load(d, bytes));
    }

    public long size() {
        return modules.estimatedSize();
    }
}
