package io.wasmworker.adapter.temporal;

import io.wasmworker.task.TaskBinding;
import java.util.Map;
import java.util.TreeMap;

/**
 * One task queue the worker polls for activities, and what each activity type on it runs.
 *
 * @param taskQueue     the Temporal task queue
 * @param activities    activity type → artifact, limits and checkpoint policy; any other type
 *                      arriving on the queue fails at once (non-retryable)
 * @param maxConcurrent activities run at once on this queue; 0 sizes it from the heap and the
 *                      bindings' memory limits ({@link Concurrency#fromMemory})
 */
public record TaskQueueSettings(String taskQueue, Map<String, TaskBinding> activities, int maxConcurrent) {

    public TaskQueueSettings {
        TemporalSettings.requireText(taskQueue, "taskQueue");
        if (activities == null || activities.isEmpty()) {
            throw new IllegalArgumentException("task queue '" + taskQueue + "' maps no activity types");
        }
        activities.keySet().forEach(type -> TemporalSettings.requireText(type, "activity type on " + taskQueue));
        activities = Map.copyOf(activities);
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent of task queue '" + taskQueue
                    + "' must be 0 (size from memory) or positive, got " + maxConcurrent);
        }
    }

    /** The concurrency to use: the configured one, or one sized from the heap. */
    public int effectiveConcurrency() {
        return maxConcurrent > 0
                ? maxConcurrent
                : Concurrency.fromMemory(
                        activities.values(),
                        Runtime.getRuntime().maxMemory(),
                        Runtime.getRuntime().availableProcessors());
    }

    /** The configured activity types, sorted (for messages). */
    public String typeList() {
        return String.join(", ", new TreeMap<>(activities).keySet());
    }
}
