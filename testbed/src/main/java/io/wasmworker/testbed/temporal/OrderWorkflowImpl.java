package io.wasmworker.testbed.temporal;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.ActivityStub;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Orchestrator-side use of a guest: an untyped stub calls {@code price-order} with the caller's
 * retry policy. A guest failure (trap, timeout...) is retried by that policy; a business error
 * arrives at once as a non-retryable {@link ApplicationFailure} whose type is the guest's error
 * code and whose first detail is its details object, and the workflow decides what it means.
 */
public final class OrderWorkflowImpl implements OrderWorkflow {
    private final ActivityStub pricing = Workflow.newUntypedActivityStub(ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setHeartbeatTimeout(Duration.ofSeconds(10))
            .setRetryOptions(RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofMillis(500))
                    .setMaximumAttempts(5)
                    .build())
            .build()); // no task queue: the workflow's own, where the wasm-worker polls for activities too

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> process(Map<String, Object> order) {
        try {
            return pricing.execute(PRICE_ORDER, Map.class, order);
        } catch (ActivityFailure failure) {
            if (failure.getCause() instanceof ApplicationFailure error && "UNKNOWN_COUPON".equals(error.getType())) {
                Map<String, Object> withoutCoupon = new LinkedHashMap<>(order);
                withoutCoupon.remove("couponCode");
                Map<String, Object> priced =
                        new LinkedHashMap<>(pricing.execute(PRICE_ORDER, Map.class, withoutCoupon));
                priced.put("couponRejected", error.getOriginalMessage());
                return priced;
            }
            throw failure;
        }
    }
}
