package io.wasmworker.artifact;

/** A problem with an artifact: missing, damaged or unreadable. Its message names the artifact. */
public class ArtifactException extends RuntimeException {
    public ArtifactException(String message) {
        super(message);
    }

    public ArtifactException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No artifact with this digest or name is in the store. */
    public static final class NotFound extends ArtifactException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The stored bytes do not hash to the digest they are filed under: they never run. */
    public static final class DigestMismatch extends ArtifactException {
        public DigestMismatch(Digest expected, Digest actual, String where) {
            super("digest mismatch for " + expected + ": the bytes at " + where + " hash to " + actual
                    + "; refusing to run them (the artifact store is damaged or was tampered with)");
        }
    }
}
