package io.wasmworker.artifact;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Content-addressed storage of WebAssembly modules. Every {@link #get} verifies that the bytes hash
 * to the requested digest, so damaged or swapped bytes never reach the sandbox.
 */
public interface ArtifactStore {

    /** Stores the bytes (idempotent) and returns their digest. */
    Digest put(byte[] bytes);

    /** The verified bytes of an artifact. */
    byte[] get(Digest digest);

    boolean contains(Digest digest);

    List<Digest> list();

    /** Binds (or rebinds) a human name to a stored digest. */
    void bindName(String name, Digest digest);

    Optional<Digest> lookupName(String name);

    Map<String, Digest> names();

    /** The digest a reference stands for, failing with a clear error when a name is unbound. */
    default Digest resolve(ArtifactRef ref) {
        if (ref.digest().isPresent()) {
            return ref.digest().get();
        }
        String name = ref.name().orElseThrow();
        return lookupName(name)
                .orElseThrow(() -> new ArtifactException.NotFound(
                        "no artifact is named '" + name + "' in the artifact store (bind one with"
                                + " `wasm-worker artifacts put FILE --name " + name + "`)"));
    }
}
