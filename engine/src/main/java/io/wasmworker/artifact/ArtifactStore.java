package io.wasmworker.artifact;

import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Content-addressed storage of WebAssembly modules. Every {@link #get} verifies that the bytes hash
 * to the requested digest, so damaged or swapped bytes never reach the sandbox. Nothing larger than
 * {@link #maxBytes()} is stored or read: a stored object is refused by its size before it is read.
 * Two implementations keep this contract (and run the same contract tests): {@link LocalArtifactStore}
 * (a directory) and {@link S3ArtifactStore} (a bucket and prefix).
 */
public interface ArtifactStore extends AutoCloseable {
    /**
     * The largest module a store keeps by default: the module loader's size bound too
     * ({@code ModuleLimits.maxModuleBytes}), so the store holds nothing the loader would refuse by size.
     */
    int DEFAULT_MAX_BYTES = 32 << 20;

    /**
     * The store at {@code location}: {@code s3://BUCKET/PREFIX} (reached with the settings {@code s3}
     * supplies, asked for only then) or a local directory.
     *
     * @throws IllegalArgumentException for a malformed S3 location, naming what is wrong
     */
    static ArtifactStore at(String location, Supplier<S3Settings> s3) {
        if (S3Location.isS3(location)) {
            return S3ArtifactStore.open(S3Location.parse(location), s3.get());
        }
        return new LocalArtifactStore(Path.of(location));
    }

    /** Stores the bytes (idempotent) and returns their digest. */
    Digest put(byte[] bytes);

    /** The verified bytes of an artifact. */
    byte[] get(Digest digest);

    boolean contains(Digest digest);

    /** The digests stored (entries not named like a digest are not among them). */
    List<Digest> list();

    /** Binds (or rebinds) a human name to a stored digest. */
    void bindName(String name, Digest digest);

    Optional<Digest> lookupName(String name);

    Map<String, Digest> names();

    /** The largest module this store keeps or reads, in bytes. */
    long maxBytes();

    /**
     * Every stored module and name, for {@code artifacts ls}: each digest with its names, verified;
     * a stray, damaged or unreadable entry is listed with its problem (never its contents), and never
     * stops the listing.
     */
    List<Entry> inventory();

    /** Where the store is, for logs and messages: a directory or {@code s3://bucket/prefix}. */
    String location();

    /** Releases what the store holds open (an S3 client); a local store holds nothing. */
    @Override
    default void close() {}

    /**
     * One entry of {@link #inventory()}.
     *
     * @param digest  the artifact, when the entry is named like one
     * @param names   the names bound to it (or the damaged name)
     * @param where   the file or object
     * @param problem what is wrong with it, or null
     */
    record Entry(Optional<Digest> digest, List<String> names, String where, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /** The digest a reference stands for, failing with a clear error when a name is unbound. */
    default Digest resolve(ArtifactRef ref) {
        if (ref.digest().isPresent()) {
            return ref.digest().get();
        }
        String name = ref.name().orElseThrow();
        return lookupName(name)
                .orElseThrow(() -> new ArtifactException.NotFound(
                        "no artifact is named '" + name + "' in the artifact store " + location() + " (bind one with"
                                + " `wasm-worker artifacts put FILE --name " + name + "`)"));
    }
}
