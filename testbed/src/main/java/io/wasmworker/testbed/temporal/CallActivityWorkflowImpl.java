package io.wasmworker.testbed.temporal;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** Calls the activity through an untyped stub, the way a workflow calls an activity it has no interface for. */
public final class CallActivityWorkflowImpl implements CallActivityWorkflow {
    @Override
    public Object call(ActivityCall call) {
        ActivityOptions.Builder options = ActivityOptions.newBuilder()
                .setTaskQueue(call.taskQueue())
                .setStartToCloseTimeout(Duration.ofMillis(call.startToCloseMillis()))
                .setRetryOptions(RetryOptions.newBuilder()
                        .setMaximumAttempts(call.maxAttempts())
                        .setInitialInterval(Duration.ofMillis(call.retryIntervalMillis()))
                        .setBackoffCoefficient(1.0)
                        .build());
        if (call.heartbeatTimeoutMillis() > 0) {
            options.setHeartbeatTimeout(Duration.ofMillis(call.heartbeatTimeoutMillis()));
        }
        return Workflow.newUntypedActivityStub(options.build())
                .execute(call.activityType(), Object.class, call.input());
    }
}
