package io.wasmworker.testbed.dev;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testbed.temporal.CallActivityWorkflow;
import io.wasmworker.testbed.temporal.OrderWorkflow;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The demo instances of {@code wasm-worker dev}: two orders through the Camunda sample process, two
 * through the Temporal sample workflow, a stock reservation whose guest calls the inventory service
 * ({@link StockService}), one long checkpointing task; each result is told to the user.
 * Needs a worker serving the samples' topics and activities. On an engine without Json variables (the
 * test bed's Operaton) the Camunda orders are left out and the user is told why: an order's customer
 * and lines are Json.
 */
final class DevDemo {
    private final CamundaEngine camunda;
    private final WorkflowClient client;
    private final StockService stock;
    private final Consumer<String> say;

    DevDemo(CamundaEngine camunda, WorkflowClient client, StockService stock, Consumer<String> say) {
        this.camunda = camunda;
        this.client = client;
        this.stock = stock;
        this.say = say;
    }

    /**
     * Drives the demo instances and tells each result; false if one did not end as expected.
     *
     * @param withLongWork also the Camunda long-work instance ({@code dev --s3} runs that one on two
     *     worker processes of its own instead)
     */
    boolean run(boolean withLongWork) {
        say.accept("");
        boolean ok = true;
        String longWork = withLongWork
                ? camunda.startProcess("long-work-process", "demo-long", Map.of("steps", 8, "work", 20_000_000))
                : null;
        String engine = camunda.product().displayName();
        if (camunda.product().hasJson()) {
            say.accept("demo: " + engine + " process 'order-process' (topic price-order -> guest order-pricing)");
            ok &= orders();
        } else {
            say.accept("demo: " + engine + " process 'order-process' (topic price-order -> guest order-pricing);"
                    + " an order's customer and lines are Json variables, which this engine cannot store (its"
                    + " Spin JSON data format is not installed), so only an order without them");
            ok &= invalidOrder();
        }
        ok &= temporalOrders();
        ok &= stockReservation();
        if (longWork != null) {
            ok &= longWork(longWork);
        }
        return ok;
    }

    /** Starts a long-work instance of {@code steps} steps of {@code work} each; its process instance id. */
    String startLongWork(int steps, int work) {
        return camunda.startProcess(
                "long-work-process", "demo-resume-" + System.currentTimeMillis(), Map.of("steps", steps, "work", work));
    }

    /** Waits for a long-work instance to end: its result and the id of the worker that completed its task. */
    String awaitLongWork(String processInstanceId) {
        camunda.awaitEnded(processInstanceId, Duration.ofMinutes(5));
        JsonNode result = camunda.variables(processInstanceId).get("result");
        String worker = "?";
        for (JsonNode entry :
                camunda.get("/history/external-task-log?successLog=true&processInstanceId=" + processInstanceId)) {
            worker = entry.path("workerId").asText("?");
        }
        return (result == null ? "?" : result.path("value").asText("?")) + " " + worker;
    }

    /**
     * A Temporal activity whose guest calls a service: {@code reserve-stock} runs {@code stock-reservation},
     * which asks the inventory service for the stock and reserves through it (endpoint {@code inventory}).
     */
    private boolean stockReservation() {
        say.accept("demo: Temporal activity reserve-stock -> guest stock-reservation, which calls the inventory"
                + " service at " + stock.uri() + " (endpoint 'inventory')");
        int before = stock.requests();
        CallActivityWorkflow workflow = client.newWorkflowStub(
                CallActivityWorkflow.class,
                WorkflowOptions.newBuilder()
                        .setTaskQueue(OrderWorkflow.TASK_QUEUE)
                        .setWorkflowId("demo-reserve-" + System.currentTimeMillis())
                        .build());
        Object result = workflow.call(
                ActivityCall.once("reserve-stock", OrderWorkflow.TASK_QUEUE, Map.of("sku", "X-1", "quantity", 2)));
        boolean reserved = result instanceof Map<?, ?> map && map.get("reservation") instanceof Map<?, ?>;
        say.accept("  reserved 2 of X-1: " + result);
        say.accept("  the inventory service received " + (stock.requests() - before)
                + " requests (GET /stock/X-1, POST /reserve); reservations made so far: " + stock.reservations());
        return reserved;
    }

    /** Two orders through the sample process: one priced, one ending in a BPMN error. */
    private boolean orders() {
        boolean ok = true;
        String good = camunda.startProcess("order-process", "demo-A-1", order("A-1", "SAVE10"));
        String badCoupon = camunda.startProcess("order-process", "demo-A-2", order("A-2", "FREE"));
        camunda.awaitEnded(good, Duration.ofSeconds(60));
        JsonNode total = camunda.variables(good).get("total");
        say.accept("  order A-1 priced: total "
                + (total == null ? "?" : total.path("value").asText()) + " EUR");
        ok &= total != null;
        camunda.awaitEnded(badCoupon, Duration.ofSeconds(60));
        boolean rejected = camunda.activityIds(badCoupon).contains("CouponRejected");
        say.accept("  order A-2 with coupon FREE: "
                + (rejected
                        ? "BPMN error UNKNOWN_COUPON, ended at 'Coupon rejected'"
                        : "unexpected end " + camunda.activityIds(badCoupon)));
        ok &= rejected;
        return ok;
    }

    /** An order of primitives alone: the guest finds no customer, a BPMN error (no Json needed). */
    private boolean invalidOrder() {
        String pid =
                camunda.startProcess("order-process", "demo-A-3", Map.of("orderId", "A-3", "couponCode", "SAVE10"));
        camunda.awaitEnded(pid, Duration.ofSeconds(60));
        boolean invalid = camunda.activityIds(pid).contains("OrderInvalid");
        JsonNode field = camunda.variables(pid).get("field");
        say.accept("  order A-3 without a customer: "
                + (invalid
                        ? "BPMN error INVALID_ORDER (field "
                                + (field == null ? "?" : field.path("value").asText()) + "), ended at 'Order invalid'"
                        : "unexpected end " + camunda.activityIds(pid)));
        return invalid;
    }

    private boolean temporalOrders() {
        boolean ok = true;
        say.accept("demo: Temporal workflow OrderWorkflow (activity price-order -> guest order-pricing)");
        for (String coupon : new String[] {"SAVE10", "FREE"}) {
            String id = "demo-order-" + coupon + "-" + System.currentTimeMillis();
            OrderWorkflow workflow = client.newWorkflowStub(
                    OrderWorkflow.class,
                    WorkflowOptions.newBuilder()
                            .setTaskQueue(OrderWorkflow.TASK_QUEUE)
                            .setWorkflowId(id)
                            .build());
            Map<String, Object> result = workflow.process(order(id, coupon));
            say.accept("  workflow " + id + ": total " + result.get("total") + " EUR"
                    + (result.containsKey("couponRejected")
                            ? " (coupon rejected: " + result.get("couponRejected") + ")"
                            : ""));
            ok &= result.containsKey("total");
        }
        return ok;
    }

    private boolean longWork(String longWork) {
        boolean ok = true;
        say.accept("demo: " + camunda.product().displayName()
                + " process 'long-work-process' (guest ckpt-step-rust checkpoints after every step)");
        camunda.awaitEnded(longWork, Duration.ofMinutes(3));
        JsonNode result = camunda.variables(longWork).get("result");
        say.accept("  long work done: result "
                + (result == null ? "?" : result.path("value").asText()));
        ok &= result != null;
        return ok;
    }

    private static Map<String, Object> order(String id, String coupon) {
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("orderId", id);
        order.put("customer", Map.of("tier", "gold", "country", "DE"));
        order.put("lines", List.of(Map.of("sku", "X", "quantity", 2, "unitPrice", 12.5)));
        order.put("couponCode", coupon);
        return order;
    }
}
