package io.wasmworker.testbed.temporal;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.Map;

/**
 * The sample: an order workflow whose pricing step is a WebAssembly guest. The workflow knows the
 * activity only by its type name, {@value #PRICE_ORDER}; the wasm-worker on the same task queue
 * maps that name to the {@code order-pricing} guest.
 */
@WorkflowInterface
public interface OrderWorkflow {
    String TASK_QUEUE = "orders";
    String PRICE_ORDER = "price-order";

    /**
     * Prices the order (see guests/rust/order-pricing for its fields). An unknown coupon does not
     * fail the order: it is priced again without the coupon, and the result says why
     * ({@code couponRejected}).
     */
    @WorkflowMethod
    Map<String, Object> process(Map<String, Object> order);
}
