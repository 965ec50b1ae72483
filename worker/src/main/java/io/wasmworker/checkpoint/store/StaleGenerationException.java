package io.wasmworker.checkpoint.store;

/**
 * A stale attempt: its publish lost the race to another writer, or a later attempt has already
 * checkpointed the task.
 */
public final class StaleGenerationException extends RuntimeException {
    private final long expected;
    private final long actual;

    public StaleGenerationException(String taskKey, long expected, long actual) {
        super("stale checkpoint writer for task '" + taskKey + "': expected generation " + expected
                + " but the store has " + actual + "; another attempt has taken over");
        this.expected = expected;
        this.actual = actual;
    }

    /** A later attempt owns the task; {@code generation} is the store's current one. */
    public StaleGenerationException(String taskKey, int attempt, int laterAttempt, long generation) {
        super("stale attempt " + attempt + " of task '" + taskKey + "': attempt " + laterAttempt
                + " has checkpointed it since (generation " + generation + "); this attempt must not run on");
        this.expected = -1;
        this.actual = generation;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
