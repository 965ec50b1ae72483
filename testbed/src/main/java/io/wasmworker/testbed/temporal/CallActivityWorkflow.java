package io.wasmworker.testbed.temporal;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A workflow that calls one activity by name and returns its result (an object result arrives
 * as a Map). Tests and benchmarks drive activity workers through it.
 */
@WorkflowInterface
public interface CallActivityWorkflow {
    @WorkflowMethod
    Object call(ActivityCall call);
}
