package io.wasmworker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.daemon.Daemon;
import io.wasmworker.testbed.OrchestratorProcess;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.temporal.OrderWorkflow;
import io.wasmworker.testbed.temporal.OrderWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code wasm-worker dev}: everything on localhost with no set-up. Starts a Camunda 7 engine and a
 * Temporal service (each in a process of its own, from the test bed), deploys the sample process
 * and workflow, stores the example guests, starts the worker on a generated configuration, and
 * drives a few demo instances to completion; then keeps serving until stopped.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Start Camunda 7 and Temporal on localhost, deploy the samples, run the worker on them and"
                + " drive demo instances; then keep running (Ctrl-C stops everything).")
final class DevCommand implements Callable<Integer> {
    private static final String QUEUE = "orders";
    private static final List<String> GUESTS = List.of("order-pricing", "ckpt-step-rust");

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--exit-after-demo", description = "Stop once the demo instances are done (for scripts and tests).")
    boolean exitAfterDemo;

    @Option(names = "--guests", paramLabel = "DIR", description = "The example guests (default: guests/dist of the checkout).")
    Path guests = Path.of(System.getProperty("wasmworker.guests.dir", "guests/dist"));

    @Option(names = "--examples", paramLabel = "DIR", description = "The sample BPMN files (default: config/examples).")
    Path examples = Path.of(System.getProperty("wasmworker.examples.dir", "config/examples"));

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path home = store.home().resolve("dev");
        say("starting Camunda 7 and Temporal on localhost (each in its own JVM; 10-30 s)...");
        CompletableFuture<TemporalService> temporalStart = CompletableFuture.supplyAsync(TemporalService::start);
        CamundaEngine camunda = CamundaEngine.start();
        TemporalService temporal = temporalStart.join();
        List<AutoCloseable> running = new java.util.ArrayList<>(List.of(temporal, camunda)); // stopped in reverse
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // the worker first (its tasks checkpoint and are given back), then the orchestrators
            for (int i = running.size() - 1; i >= 0; i--) {
                try {
                    running.get(i).close();
                } catch (Exception e) {
                    System.err.println("dev: stopping " + running.get(i) + " failed: " + e);
                }
            }
            stopped.countDown();
        }, "dev-stop"));
        say("Camunda REST at " + camunda.restUrl() + ", Temporal at " + temporal.target());
        say("Cockpit at " + camunda.cockpitUrl() + " (user demo, password demo)");

        camunda.deploy(examples.resolve("order-process.bpmn"), examples.resolve("long-work.bpmn"));
        LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        for (String guest : GUESTS) {
            var digest = artifacts.put(Files.readAllBytes(guests.resolve(guest + ".wasm")));
            artifacts.bindName(guest, digest);
            say("guest " + guest + " stored as " + digest);
        }
        Path config = writeConfig(home, camunda, temporal);
        say("worker configuration: " + config);

        Daemon daemon = new Daemon(RunCommand.plan(config, home));
        running.add(daemon);
        daemon.start();
        WorkflowClient client = temporal.newClient();
        WorkerFactory workflows = WorkerFactory.newInstance(client);
        workflows.newWorker(QUEUE).registerWorkflowImplementationTypes(OrderWorkflowImpl.class);
        workflows.start();
        running.add(workflows::shutdownNow);

        boolean ok = demo(camunda, client);
        say("");
        say("the worker keeps serving. Try:");
        say("  curl -s -X POST " + camunda.restUrl() + "/process-definition/key/order-process/start \\");
        say("    -H 'Content-Type: application/json' -d '{\"variables\":{\"orderId\":{\"value\":\"B-1\"},"
                + "\"customer\":{\"value\":\"{\\\"tier\\\":\\\"silver\\\",\\\"country\\\":\\\"FR\\\"}\",\"type\":\"Json\"},"
                + "\"lines\":{\"value\":\"[{\\\"sku\\\":\\\"Y\\\",\\\"quantity\\\":1,\\\"unitPrice\\\":40}]\",\"type\":\"Json\"}}}'");
        say("  curl -s " + camunda.restUrl() + "/history/variable-instance?variableName=total");
        say("  curl -s http://127.0.0.1:" + daemon.httpPort() + "/metrics | grep wasm_worker_tasks");
        say("  Temporal: start workflow type OrderWorkflow on task queue '" + QUEUE + "' at " + temporal.target());
        say("  look at the instances in Cockpit: " + camunda.cockpitUrl() + " (demo/demo)");
        say("Ctrl-C stops the worker and both orchestrators.");
        if (exitAfterDemo) {
            return ok ? ExitCodes.SUCCESS : ExitCodes.GUEST_FAILURE;
        }
        stopped.await();
        return ExitCodes.SUCCESS;
    }

    private Path writeConfig(Path home, CamundaEngine camunda, TemporalService temporal) throws IOException {
        Path file = home.resolve("worker-dev.yaml");
        Files.writeString(file, """
                # generated by `wasm-worker dev`; a starting point for your own (see config/README.md)
                home: %s
                shutdownGrace: 10s
                http: { port: %d }
                artifacts:
                  ckpt-step-rust:
                    limits: { timeout: 5m, maxMemory: 16MiB }   # small: the heap check counts 4x for checkpointing guests
                    checkpoint: { everySteps: 1 }
                camunda:
                  url: %s
                  longPoll: 5s
                  topics:
                    - { topic: price-order, artifact: order-pricing }
                    - { topic: long-work, artifact: ckpt-step-rust }
                temporal:
                  target: %s
                  taskQueues:
                    - name: %s
                      activities:
                        price-order: order-pricing
                        long-work: ckpt-step-rust
                """.formatted(home, OrchestratorProcess.freePort(), camunda.restUrl(), temporal.target(), QUEUE));
        return file;
    }

    /** Drives the demo instances and prints each result; false if one did not end as expected. */
    private boolean demo(CamundaEngine camunda, WorkflowClient client) {
        say("");
        say("demo: Camunda process 'order-process' (topic price-order -> guest order-pricing)");
        boolean ok = true;
        String good = camunda.startProcess("order-process", "demo-A-1", order("A-1", "SAVE10"));
        String badCoupon = camunda.startProcess("order-process", "demo-A-2", order("A-2", "FREE"));
        String longWork = camunda.startProcess("long-work-process", "demo-long", Map.of("steps", 8, "work", 20_000_000));
        camunda.awaitEnded(good, Duration.ofSeconds(60));
        JsonNode total = camunda.variables(good).get("total");
        say("  order A-1 priced: total " + (total == null ? "?" : total.path("value").asText()) + " EUR");
        ok &= total != null;
        camunda.awaitEnded(badCoupon, Duration.ofSeconds(60));
        boolean rejected = camunda.activityIds(badCoupon).contains("CouponRejected");
        say("  order A-2 with coupon FREE: " + (rejected ? "BPMN error UNKNOWN_COUPON, ended at 'Coupon rejected'"
                : "unexpected end " + camunda.activityIds(badCoupon)));
        ok &= rejected;

        say("demo: Temporal workflow OrderWorkflow (activity price-order -> guest order-pricing)");
        for (String coupon : new String[] {"SAVE10", "FREE"}) {
            String id = "demo-order-" + coupon + "-" + System.currentTimeMillis();
            OrderWorkflow workflow = client.newWorkflowStub(OrderWorkflow.class,
                    WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
            Map<String, Object> result = workflow.process(order(id, coupon));
            say("  workflow " + id + ": total " + result.get("total") + " EUR"
                    + (result.containsKey("couponRejected") ? " (coupon rejected: " + result.get("couponRejected") + ")" : ""));
            ok &= result.containsKey("total");
        }

        say("demo: Camunda process 'long-work-process' (guest ckpt-step-rust checkpoints after every step)");
        camunda.awaitEnded(longWork, Duration.ofMinutes(3));
        JsonNode result = camunda.variables(longWork).get("result");
        say("  long work done: result " + (result == null ? "?" : result.path("value").asText()));
        ok &= result != null;
        say(ok ? "demo complete." : "demo finished with problems (see above and the log).");
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

    private void say(String line) {
        out.println(line);
        out.flush();
    }
}
