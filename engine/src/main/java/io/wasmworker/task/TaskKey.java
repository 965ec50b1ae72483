package io.wasmworker.task;

/**
 * A task's identity across attempts and workers: the key its checkpoints are stored under. Each
 * adapter builds it from what its orchestrator calls the task ({@code camunda:<external task id>},
 * Temporal's encoded {@code temporal:<namespace>/<workflow>/<run>/<activity>}, a CLI key); here it is
 * carried as is.
 *
 * @param value the key's text; never empty
 */
public record TaskKey(String value) {
    public TaskKey {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("a task key must not be empty");
        }
    }

    public static TaskKey of(String value) {
        return new TaskKey(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
