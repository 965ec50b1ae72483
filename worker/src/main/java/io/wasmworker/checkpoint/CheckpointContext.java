package io.wasmworker.checkpoint;

import io.wasmworker.checkpoint.store.SnapshotStore;

/**
 * Where and under which identity a run checkpoints: with it, a run resumes from the task's last
 * checkpoint and saves new ones; without it, checkpoint calls are no-ops.
 *
 * @param store    the snapshot store
 * @param taskKey  the task identity (a retry of the same task uses the same key)
 * @param attempt  this attempt's number, recorded in each checkpoint
 * @param policy   when step guests are checkpointed
 */
public record CheckpointContext(SnapshotStore store, String taskKey, int attempt, CheckpointPolicy policy) {
    public CheckpointContext {
        if (taskKey == null || taskKey.isEmpty()) {
            throw new IllegalArgumentException("a checkpointing run needs a task key");
        }
    }
}
