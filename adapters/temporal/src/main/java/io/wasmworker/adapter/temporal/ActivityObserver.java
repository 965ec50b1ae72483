package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityInfo;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.task.CheckpointRef;

/**
 * Told what each activity attempt did, for metrics, logs and tests. Called on the guest's thread:
 * keep it quick, and do not throw.
 */
public interface ActivityObserver {
    ActivityObserver NONE = new ActivityObserver() {};

    /** The attempt published a checkpoint (and heartbeats with its reference). */
    default void checkpointed(ActivityInfo info, CheckpointRef checkpoint) {}

    /** The attempt's guest run ended (before its result is reported to Temporal). */
    default void finished(ActivityInfo info, InvocationResult result) {}
}
