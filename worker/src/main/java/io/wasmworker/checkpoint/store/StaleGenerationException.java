package io.wasmworker.checkpoint.store;

/** A publish lost the race: another writer published a newer checkpoint for the task. */
public final class StaleGenerationException extends RuntimeException {
    private final long expected;
    private final long actual;

    public StaleGenerationException(String taskKey, long expected, long actual) {
        super("stale checkpoint writer for task '" + taskKey + "': expected generation " + expected
                + " but the store has " + actual + "; another attempt has taken over");
        this.expected = expected;
        this.actual = actual;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
