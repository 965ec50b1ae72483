package io.wasmworker.task;

import io.wasmworker.checkpoint.CheckpointCost;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.sandbox.InvocationResult;

/** Told of every task attempt the {@link TaskRunner} ran (metrics); called on the task's thread, must be quick. */
@FunctionalInterface
public interface TaskObserver {
    TaskObserver NONE = (task, result) -> {};

    void finished(TaskAttempt task, InvocationResult result);

    /**
     * The task had a checkpoint of another input, which this attempt did not resume: it started
     * afresh (the policy's {@code onInputChange: restart}). Told before the run; already logged.
     */
    default void checkpointDiscarded(TaskAttempt task, DiscardedCheckpoint discarded) {}

    /**
     * The task's guest published a checkpoint (told as it happens, not when the task ends); on the
     * guest's thread, must be quick.
     */
    default void checkpointed(TaskAttempt task, CheckpointCost cost) {}

    /** The task's guest made a journaled host call (live or replayed); on the guest's thread, must be quick. */
    default void hostCall(TaskAttempt task, HttpCallObserver.Call call) {}
}
