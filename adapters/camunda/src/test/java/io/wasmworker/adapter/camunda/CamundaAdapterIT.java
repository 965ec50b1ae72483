package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The adapter against real engines, Camunda 7.24 and Operaton, each test on each; every assertion is
 * the engine's view. Json variables only where the engine stores them (see {@link EngineProduct#hasJson()}).
 */
class CamundaAdapterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final RetryBackoff NO_DELAY = new RetryBackoff(Duration.ZERO, 1.0, Duration.ZERO);
    /** The engine of the test under way (one process per product, shared by all tests). */
    private CamundaEngine engine;

    @TempDir
    Path home;

    private static TaskBinding binding(ArtifactRef ref) {
        return new TaskBinding(ref, GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
    }

    private static JsonNode value(Map<String, JsonNode> variables, String name) {
        assertThat(variables).containsKey(name);
        return variables.get(name);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void variablesGoInAndComeOutWithTheirTypes(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(), Duration.ofSeconds(5), TopicSettings.of("echo", binding(worker.guest("echo"))));
            Thread.sleep(2_000); // idle first: new work must still be picked up at once (long polling)

            Map<String, Object> in = new LinkedHashMap<>();
            in.put("text", "grüße");
            in.put("count", 42);
            in.put("big", 9_000_000_000L);
            in.put("ratio", 0.25);
            in.put("flag", true);
            in.put("nothing", null);
            in.put("when", Instant.parse("2025-03-04T05:06:07.089Z"));
            in.put("bytes", new byte[] {1, 2, 3});
            if (product.hasJson()) {
                in.put("order", Map.of("lines", List.of(Map.of("sku", "X", "quantity", 2))));
                in.put("blob", new byte[3200]); // base64 for the guest: 4268 characters
            }
            long start = System.nanoTime();
            String pid = engine.startProcess("echo-process", "types-1", in);
            JsonNode ended = engine.awaitEnded(pid, WAIT);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(ended.path("state").asText()).isEqualTo("COMPLETED");
            assertThat(engine.activityIds(pid)).contains("Done").doesNotContain("Failed");
            assertThat(millis)
                    .as("an idle worker picks new work up at once, not after a backoff")
                    .isLessThan(5_000);
            Map<String, JsonNode> vars = engine.variables(pid);
            // the echo guest returns its input: each variable was written back by the worker
            assertThat(value(vars, "text").path("value").asText()).isEqualTo("grüße");
            assertThat(value(vars, "count").path("type").asText()).isEqualTo("Integer");
            assertThat(value(vars, "big").path("type").asText()).isEqualTo("Long");
            assertThat(value(vars, "big").path("value").asLong()).isEqualTo(9_000_000_000L);
            assertThat(value(vars, "ratio").path("type").asText()).isEqualTo("Double");
            assertThat(value(vars, "flag").path("value").asBoolean()).isTrue();
            assertThat(value(vars, "when").path("type").asText())
                    .as("dates reach the guest as ISO text")
                    .isEqualTo("String");
            assertThat(value(vars, "when").path("value").asText()).isEqualTo("2025-03-04T05:06:07.089Z");
            assertThat(value(vars, "bytes").path("value").asText())
                    .as("bytes reach the guest as base64")
                    .isEqualTo("AQID");
            assertThat(worker.snapshots.taskKeys())
                    .as("checkpoints of finished tasks are removed")
                    .isEmpty();
            if (!product.hasJson()) {
                return;
            }
            assertThat(value(vars, "order").path("type").asText()).isEqualTo("Json");
            assertThat(JSON.readTree(value(vars, "order").path("value").asText())
                            .path("lines")
                            .get(0)
                            .path("quantity")
                            .asInt())
                    .isEqualTo(2);
            assertThat(value(vars, "blob").path("type").asText())
                    .as("too long for a String variable")
                    .isEqualTo("Json");
            assertThat(java.util.Base64.getDecoder()
                            .decode(JSON.readTree(
                                            value(vars, "blob").path("value").asText())
                                    .asText()))
                    .isEqualTo(new byte[3200]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void taskMetadataReachesTheGuest(EngineProduct product) {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(), Duration.ofSeconds(5), TopicSettings.of("echo", binding(worker.guest("greet"))));
            String pid = engine.startProcess("echo-process", "greet-1", Map.of("name", "Ada"));
            engine.awaitEnded(pid, WAIT);
            Map<String, JsonNode> vars = engine.variables(pid);
            assertThat(value(vars, "greeting").path("value").asText()).isEqualTo("Hello, Ada!");
            assertThat(value(vars, "attempt").path("value").asInt()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void businessErrorsAreBpmnErrorsCaughtByTheirBoundaryEvents(EngineProduct product) {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(), Duration.ofSeconds(5), TopicSettings.of("echo", binding(worker.guest("greet"))));
            String pid = engine.startProcess("echo-process", "greet-nameless", Map.of("nick", "Ada"));
            engine.awaitEnded(pid, WAIT);
            assertThat(engine.activityIds(pid)).contains("AnyError", "Failed").doesNotContain("Done");
            Map<String, JsonNode> vars = engine.variables(pid);
            assertThat(value(vars, "errorCode").path("value").asText()).isEqualTo("NAME_MISSING");
            assertThat(value(vars, "errorMessage").path("value").asText()).contains("\"name\"");
            assertThat(engine.incidents(pid)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void anOrderIsPricedAndABadCouponEndsAtItsBoundaryEventWithTheDetailsAsVariables(EngineProduct product) {
        assumeTrue(product.hasJson(), "the order's customer and lines are Json variables");
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.of("price-order", binding(worker.guest("order-pricing"))));
            Map<String, Object> order = new LinkedHashMap<>();
            order.put("orderId", "A-1");
            order.put("customer", Map.of("tier", "gold", "country", "DE"));
            order.put("lines", List.of(Map.of("sku", "X", "quantity", 2, "unitPrice", 12.5)));
            order.put("couponCode", "SAVE10");
            String priced = engine.startProcess("order-process", "order-ok", order);
            order.put("couponCode", "FREE");
            String rejected = engine.startProcess("order-process", "order-bad-coupon", order);

            engine.awaitEnded(priced, WAIT);
            engine.awaitEnded(rejected, WAIT);
            assertThat(engine.activityIds(priced)).contains("Done");
            assertThat(value(engine.variables(priced), "total").path("value").asDouble())
                    .isEqualTo(24.1);

            assertThat(engine.activityIds(rejected))
                    .contains("UnknownCoupon", "CouponRejected")
                    .doesNotContain("Done");
            Map<String, JsonNode> vars = engine.variables(rejected);
            assertThat(value(vars, "errorCode").path("value").asText()).isEqualTo("UNKNOWN_COUPON");
            assertThat(value(vars, "couponCode").path("value").asText())
                    .as("details become variables")
                    .isEqualTo("FREE");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void failuresAreRetriedWithBackoffThenBecomeAnIncidentThatSaysWhy(EngineProduct product) {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            TopicSettings topic = TopicSettings.of("flaky", binding(worker.guest("hostile-trap")))
                    .withRetries(2, new RetryBackoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(1)));
            worker.start(engine.restUrl(), Duration.ofSeconds(5), topic);
            String pid = engine.startProcess("flaky-process", "flaky-1", Map.of("x", 1));

            JsonNode incident = engine.awaitIncident(pid, WAIT);
            assertThat(incident.path("incidentType").asText()).isEqualTo("failedExternalTask");
            assertThat(incident.path("incidentMessage").asText()).startsWith("trap: the guest trapped");
            JsonNode task = engine.externalTasks(pid).get(0);
            assertThat(task.path("retries").asInt()).isZero();
            JsonNode details = engine.get("/external-task/" + task.path("id").asText() + "/errorDetails");
            assertThat(details.path("attempt").asInt()).isEqualTo(3);
            assertThat(details.path("maxAttempts").asInt()).isEqualTo(3);
            assertThat(details.path("kind").asText()).isEqualTo("trap");
            assertThat(details.path("reason").asText()).contains("unreachable");
            JsonNode failures = engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + pid);
            assertThat(failures.size()).as("three attempts, each reported once").isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aFailedAttemptResumesFromItsCheckpointAndEndsLikeAnUninterruptedRun(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        String input = "{\"steps\":8,\"work\":30000000}";
        InvocationResult uninterrupted;
        try (Sandbox sandbox = new Sandbox()) {
            byte[] wasm = java.nio.file.Files.readAllBytes(Worker.guestPath("ckpt-step-rust"));
            uninterrupted = sandbox.invoke(
                    new ModuleLoader().load(Digest.of(wasm), wasm),
                    Invocation.of(input.getBytes(StandardCharsets.UTF_8)));
        }
        JsonNode expected = JSON.readTree(uninterrupted.stdout());
        long fullRunMillis = uninterrupted.metrics().wallNanos() / 1_000_000;

        try (Worker worker = new Worker(home)) {
            // each attempt gets about a third of the time the whole run needs: only resuming can finish it
            GuestLimits limits = GuestLimits.DEFAULTS.withTimeout(Duration.ofMillis(Math.max(300, fullRunMillis / 3)));
            TopicSettings topic = TopicSettings.of(
                            "long-work",
                            new TaskBinding(
                                    worker.guest("ckpt-step-rust"),
                                    limits,
                                    new CheckpointPolicy(1, Duration.ZERO, true)))
                    .withRetries(20, NO_DELAY);
            worker.start(engine.restUrl(), Duration.ofSeconds(5), topic);
            String pid = engine.startProcess("ckpt-process", "resume-1", Map.of("steps", 8, "work", 30_000_000));

            engine.awaitEnded(pid, Duration.ofMinutes(2));
            Map<String, JsonNode> vars = engine.variables(pid);
            assertThat(value(vars, "result").path("value").asText())
                    .isEqualTo(expected.path("result").asText());
            assertThat(value(vars, "trail").path("value").asText())
                    .isEqualTo(expected.path("trail").asText());
            JsonNode failures = engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + pid);
            assertThat(failures.size()).as("it took several attempts").isGreaterThanOrEqualTo(2);
            List<String> messages = new ArrayList<>();
            failures.forEach(f -> messages.add(f.path("errorMessage").asText()));
            assertThat(messages).allMatch(m -> m.startsWith("timeout:"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void theModelPinsTheArtifactAndSetsTheRetriesOverTheTopicsSettings(EngineProduct product) {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.guest("greet");
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.of("pinned", binding(worker.guest("echo"))),
                    TopicSettings.of("cycle", binding(worker.guest("hostile-trap")))
                            .withRetries(5, NO_DELAY));
            String pinned = engine.startProcess("pinned-process", "model-pin", Map.of("name", "Ada"));
            String cycle = engine.startProcess("cycle-process", "model-cycle", Map.of("x", 1));
            String bad = engine.startProcess("bad-cycle-process", "model-bad", Map.of("x", 1));

            engine.awaitEnded(pinned, WAIT);
            assertThat(value(engine.variables(pinned), "greeting").path("value").asText())
                    .as("the model's guest ran, not the topic's echo")
                    .isEqualTo("Hello, Ada!");

            engine.awaitIncident(cycle, WAIT);
            JsonNode failures = engine.get("/history/external-task-log?failureLog=true&sortBy=timestamp&sortOrder=asc"
                    + "&processInstanceId=" + cycle);
            assertThat(failures.size())
                    .as("the model's two retries, not the topic's five")
                    .isEqualTo(3);
            assertThat(millisBetween(failures.get(1), failures.get(2)))
                    .as("the second retry waited the model's 1.5 s")
                    .isGreaterThanOrEqualTo(1_400);

            JsonNode incident = engine.awaitIncident(bad, WAIT);
            assertThat(incident.path("incidentMessage").asText())
                    .startsWith("invalid_model: activity 'BadTask': extension property wasm-worker.retryTimeCycle"
                            + " 'R3/5M' is not a retry time cycle");
            assertThat(engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + bad)
                            .size())
                    .as("a model error is an incident at once")
                    .isEqualTo(1);
        }
    }

    private static long millisBetween(JsonNode earlier, JsonNode later) {
        java.time.format.DateTimeFormatter format =
                java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        return java.time.Duration.between(
                        java.time.OffsetDateTime.parse(earlier.path("timestamp").asText(), format),
                        java.time.OffsetDateTime.parse(later.path("timestamp").asText(), format))
                .toMillis();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aTaskThatKeepsLosingItsLockEndsAsAnIncidentInsteadOfLoopingForever(EngineProduct product) {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            TopicSettings topic =
                    TopicSettings.of("flaky", binding(worker.guest("echo"))).withRetries(2, NO_DELAY);
            String pid = engine.startProcess("flaky-process", "lost-locks", Map.of("x", 1));
            String taskId = engine.externalTasks(pid).get(0).path("id").asText();
            // three earlier attempts whose workers died: only the store's count remembers them
            for (int i = 0; i < 3; i++) {
                worker.snapshots.beginAttempt("camunda:" + taskId);
            }
            worker.start(engine.restUrl(), Duration.ofSeconds(5), topic);

            JsonNode incident = engine.awaitIncident(pid, WAIT);
            assertThat(incident.path("incidentMessage").asText())
                    .contains("attempts_exhausted")
                    .contains("only 3 attempts are allowed")
                    .contains("3 earlier attempts lost their lock");
        }
    }
}
