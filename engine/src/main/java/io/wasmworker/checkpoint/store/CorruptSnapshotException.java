package io.wasmworker.checkpoint.store;

/** A snapshot or manifest exists but cannot be used; the attempt must fail, never start fresh. */
public final class CorruptSnapshotException extends RuntimeException {
    public CorruptSnapshotException(String message) {
        super(message);
    }

    public CorruptSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
