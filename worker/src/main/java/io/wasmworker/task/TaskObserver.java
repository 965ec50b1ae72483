package io.wasmworker.task;

import io.wasmworker.sandbox.InvocationResult;

/** Told of every task the {@link TaskRunner} ran (metrics); called on the task's thread, must be quick. */
@FunctionalInterface
public interface TaskObserver {
    TaskObserver NONE = (task, result) -> {};

    void finished(TaskRequest task, InvocationResult result);
}
