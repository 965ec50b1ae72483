package io.wasmworker.payload;

/** A task's input references a payload that cannot be used, or an output cannot be offloaded; the message says why. */
public final class PayloadException extends RuntimeException {
    public PayloadException(String message) {
        super(message);
    }

    public PayloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
