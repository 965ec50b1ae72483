package io.wasmworker.cli;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * What {@code dev} tells the user to try once its demo is done: ready-to-run commands that start an
 * order on Camunda and on Temporal (with the Temporal CLI, or with the test bed's jar for those who
 * have none), reserve stock through the inventory service, and links that show the demo instances.
 */
final class DevInstructions {
    /** An order as the sample workflow takes it (see guests/rust/order-pricing). */
    private static final String ORDER = "{\"orderId\":\"B-2\",\"customer\":{\"tier\":\"silver\",\"country\":\"FR\"},"
            + "\"lines\":[{\"sku\":\"Y\",\"quantity\":1,\"unitPrice\":40}]}";
    /** The test bed's CallActivityWorkflow calling activity reserve-stock (guest stock-reservation). */
    private static final String RESERVATION = "{\"activityType\":\"reserve-stock\",\"taskQueue\":\"%s\","
            + "\"input\":{\"sku\":\"X-2\",\"quantity\":1},\"maxAttempts\":3,\"startToCloseMillis\":30000,"
            + "\"heartbeatTimeoutMillis\":0,\"retryIntervalMillis\":1000}";

    private final TestbedSession orchestrators;
    private final String engine;
    private final Path testbedJar;
    private final int metricsPort;
    private final Consumer<String> say;

    DevInstructions(
            TestbedSession orchestrators, String engine, Path testbedJar, int metricsPort, Consumer<String> say) {
        this.orchestrators = orchestrators;
        this.engine = engine;
        this.testbedJar = testbedJar.toAbsolutePath().normalize();
        this.metricsPort = metricsPort;
        this.say = say;
    }

    void print() {
        String rest = orchestrators.camundaRestUrl();
        String temporal = orchestrators.temporalTarget();
        String queue = orchestrators.taskQueue();
        say.accept("");
        say.accept("the worker keeps serving. Try:");
        say.accept("  what the demo instances did (the engine's history of finished instances; Cockpit's own"
                + " history view is an Enterprise plugin):");
        say.accept("    " + rest + "/history/process-instance?processDefinitionKey=order-process&sortBy=startTime"
                + "&sortOrder=asc");
        say.accept("  the deployed processes in Cockpit (demo/demo): " + orchestrators.cockpitUrl() + "#/processes");
        say.accept("  another order on " + (engine.equals("camunda") ? "Camunda" : "Operaton") + ":");
        say.accept("    curl -s -X POST " + rest + "/process-definition/key/order-process/start \\");
        if (engine.equals("camunda")) {
            say.accept(
                    "      -H 'Content-Type: application/json' -d '{\"variables\":{\"orderId\":{\"value\":\"B-1\"},"
                            + "\"customer\":{\"value\":\"{\\\"tier\\\":\\\"silver\\\",\\\"country\\\":\\\"FR\\\"}\",\"type\":\"Json\"},"
                            + "\"lines\":{\"value\":\"[{\\\"sku\\\":\\\"Y\\\",\\\"quantity\\\":1,\\\"unitPrice\\\":40}]\",\"type\":\"Json\"}}}'");
            say.accept("    curl -s " + rest + "/history/variable-instance?variableName=total");
        } else { // the test bed's Operaton has no Json variables (its Spin JSON data format is not installed)
            say.accept(
                    "      -H 'Content-Type: application/json' -d '{\"variables\":{\"orderId\":{\"value\":\"B-1\"}}}'");
            say.accept("    curl -s " + rest + "/history/variable-instance?variableName=errorCode");
        }
        say.accept("  a Temporal workflow (OrderWorkflow on task queue '" + queue + "'), with the Temporal CLI:");
        say.accept("    temporal workflow execute --address " + temporal + " --task-queue " + queue
                + " --type OrderWorkflow --workflow-id order-B-2 --input '" + ORDER + "'");
        say.accept("  or without it:");
        say.accept("    java -jar " + testbedJar + " start-workflow " + temporal + " " + queue + " OrderWorkflow '"
                + ORDER + "'");
        say.accept("  a stock reservation: the guest stock-reservation calls the inventory service at "
                + orchestrators.stockUrl() + ":");
        say.accept("    java -jar " + testbedJar + " start-workflow " + temporal + " " + queue
                + " CallActivityWorkflow '" + RESERVATION.formatted(queue) + "'");
        say.accept("    curl -s " + orchestrators.stockUrl() + "/reservations");
        say.accept("  the worker's metrics: curl -s http://127.0.0.1:" + metricsPort
                + "/metrics | grep wasm_worker_tasks");
    }
}
