package io.wasmworker.module;

/** The bytes are not a module this host can run; the message says which artifact and why. */
public final class InvalidModuleException extends RuntimeException {
    public InvalidModuleException(String message) {
        super(message);
    }

    public InvalidModuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
