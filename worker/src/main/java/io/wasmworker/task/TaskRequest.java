package io.wasmworker.task;

import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.sandbox.RunControl;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One task as an adapter hands it to the {@link TaskRunner}.
 *
 * @param binding      what runs it
 * @param taskKey      the checkpoint key: the same for every attempt of the task, across workers
 * @param attempt      1 for the first attempt
 * @param input        the guest's stdin (a JSON object)
 * @param metadata     {@code WASM_WORKER_TASK_<KEY>} values, keys without the prefix (SOURCE, TOPIC,
 *                     WORKFLOW_ID, ...); ID and ATTEMPT are added from {@code taskKey} and {@code attempt}
 *                     unless given
 * @param onCheckpoint told of each published checkpoint (heartbeat, lock extension)
 * @param control      lets the adapter suspend (shutdown) or cancel (lost lease) the run
 */
public record TaskRequest(TaskBinding binding, String taskKey, int attempt, byte[] input, Map<String, String> metadata,
        Consumer<Manifest> onCheckpoint, RunControl control) {
    public TaskRequest {
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(taskKey, "taskKey");
        Objects.requireNonNull(input, "input");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be 1 or more, got " + attempt);
        }
        metadata = Map.copyOf(metadata);
        onCheckpoint = onCheckpoint == null ? m -> {} : onCheckpoint;
        control = control == null ? new RunControl() : control;
    }
}
