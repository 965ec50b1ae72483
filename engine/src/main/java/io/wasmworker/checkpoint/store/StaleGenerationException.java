package io.wasmworker.checkpoint.store;

/**
 * A stale attempt: its publish lost the race to another writer, a later attempt has already
 * checkpointed the task, or the task has finished (its tombstone refuses every late writer).
 */
public final class StaleGenerationException extends RuntimeException {
    private final long expected;
    private final long actual;
    private final boolean taskFinished;

    public StaleGenerationException(String taskKey, long expected, long actual) {
        this(message(taskKey, expected, actual), expected, actual, false);
    }

    private StaleGenerationException(String message, long expected, long actual, boolean taskFinished) {
        super(message);
        this.expected = expected;
        this.actual = actual;
        this.taskFinished = taskFinished;
    }

    private static String message(String taskKey, long expected, long actual) {
        return "stale checkpoint writer for task '" + taskKey + "': expected generation " + expected
                + " but the store has " + actual + "; another attempt has taken over";
    }

    /**
     * The task has finished (the orchestrator accepted its result): a late attempt of it {@code does}
     * something it must not.
     */
    public static StaleGenerationException finished(String taskKey, String does) {
        return new StaleGenerationException(
                "stale attempt of task '" + taskKey + "': the task has finished, so this"
                        + " attempt " + does
                        + " and must not run on (`wasm-worker snapshots rm` clears a finished task for a"
                        + " deliberate fresh start)",
                -1,
                -1,
                true);
    }

    /** A later attempt owns the task; {@code generation} is the store's current one. */
    public StaleGenerationException(String taskKey, int attempt, int laterAttempt, long generation) {
        super("stale attempt " + attempt + " of task '" + taskKey + "': attempt " + laterAttempt
                + " has checkpointed it since (generation " + generation + "); this attempt must not run on");
        this.expected = -1;
        this.actual = generation;
        this.taskFinished = false;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }

    /** Whether the task has finished (it has a tombstone), rather than moved on to another attempt. */
    public boolean taskFinished() {
        return taskFinished;
    }
}
