package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskObserver;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Recovery against a real Camunda 7.24 engine: an operator retries an incident, reports that fail
 * transiently are sent again, lock extensions never race the task's own report, and a worker that
 * fails (an Error) reports the task and keeps serving.
 */
class CamundaRecoveryIT {
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

    private JsonNode failures(String pid) {
        return engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + pid);
    }

    private List<String> failureMessages(String pid) {
        List<String> messages = new ArrayList<>();
        failures(pid).forEach(f -> messages.add(f.path("errorMessage").asText()));
        return messages;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void anIncidentRetriedByAnOperatorAfterTheFixRunsTheFixedGuest(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        try (Worker worker = new Worker(home)) {
            worker.artifacts.bindName(
                    "operator-fix", worker.artifacts.put(Files.readAllBytes(Worker.guestPath("hostile-trap"))));
            TopicSettings topic = TopicSettings.of("flaky", binding(ArtifactRef.parse("operator-fix")))
                    .withRetries(1, NO_DELAY);
            worker.start(engine.restUrl(), Duration.ofSeconds(5), topic);
            String pid = engine.startProcess("flaky-process", "operator-retry", Map.of("name", "Ada"));
            engine.awaitIncident(pid, WAIT);
            assertThat(failureMessages(pid)).hasSize(2).allMatch(m -> m.startsWith("trap:"));

            // the documented recovery: fix the cause (the name now means a good guest), set retries again
            worker.artifacts.bindName(
                    "operator-fix", worker.artifacts.put(Files.readAllBytes(Worker.guestPath("greet"))));
            String taskId = engine.externalTasks(pid).get(0).path("id").asText();
            engine.put(
                    "/external-task/" + taskId + "/retries",
                    JSON.createObjectNode().put("retries", 1));

            engine.awaitEnded(pid, Duration.ofSeconds(30));
            Map<String, JsonNode> vars = engine.variables(pid);
            assertThat(vars.get("greeting").path("value").asText())
                    .as("the fixed guest ran")
                    .isEqualTo("Hello, Ada!");
            assertThat(vars.get("attempt").path("value").asInt()).isEqualTo(3);
            assertThat(failureMessages(pid))
                    .as("no new failure after the operator's retry")
                    .hasSize(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aCompletionRefusedWithAnOptimisticLockingErrorIsSentAgain(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        try (EngineProxy proxy = new EngineProxy(engine.restUrl());
                Worker worker = new Worker(home)) {
            proxy.failCompletions(1);
            // the lock (60 s) outlasts the test: only a retry of the report can end the task in time
            worker.start(
                    proxy.restUrl(), Duration.ofSeconds(5), TopicSettings.of("echo", binding(worker.guest("greet"))));
            String pid = engine.startProcess("echo-process", "transient-complete", Map.of("name", "Bo"));

            engine.awaitEnded(pid, Duration.ofSeconds(20));
            assertThat(engine.variables(pid).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Bo!");
            assertThat(proxy.calls("complete"))
                    .as("refused once, then sent again")
                    .isEqualTo(2);
            assertThat(failures(pid).size()).isZero();
            assertThat(engine.incidents(pid)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void lockExtensionsNeverOverlapTheTasksOwnReport(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        try (EngineProxy proxy = new EngineProxy(engine.restUrl());
                Worker worker = new Worker(home)) {
            // 2 s locks are extended every second, and each extension is kept under way for 600 ms: a report
            // sent at a random moment would meet one more often than not, and an extension still lands
            // 400 ms before the lock runs out (on a loaded machine 1 s locks left too little: the lock was
            // lost, not the property tested)
            proxy.delayExtensions(Duration.ofMillis(600));
            TaskBinding binding = new TaskBinding(
                    worker.guest("ckpt-step-rust"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
            worker.start(
                    proxy.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.of("long-work", binding)
                            .withLockDuration(Duration.ofSeconds(2))
                            .withMaxConcurrent(3));
            List<String> pids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // a few seconds a task even on an idle machine: several extensions fall inside each run
                pids.add(engine.startProcess("ckpt-process", "race-" + i, Map.of("steps", 8, "work", 80_000_000)));
            }
            for (String pid : pids) {
                engine.awaitEnded(pid, Duration.ofMinutes(2));
            }
            assertThat(proxy.calls("extendLock"))
                    .as("locks were extended while the guests ran")
                    .isGreaterThan(8);
            assertThat(proxy.overlappingReports())
                    .as("reports sent while an extension of the task was under way")
                    .isEmpty();
            for (String pid : pids) {
                assertThat(failures(pid).size()).as("failures of " + pid).isZero();
                assertThat(engine.incidents(pid)).isEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void anErrorAfterTheGuestRanCostsNeitherThatTaskNorTheNextOne(EngineProduct product) {
        engine = SharedEngine.get(product);
        AtomicInteger runs = new AtomicInteger();
        TaskObserver failsOnce = (task, result) -> {
            if (runs.incrementAndGet() == 1) {
                throw new OutOfMemoryError("test: the worker ran out of memory after the guest");
            }
        };
        try (Worker worker = new Worker(home, failsOnce)) {
            TopicSettings topic = TopicSettings.of("echo", binding(worker.guest("greet")))
                    .withRetries(2, NO_DELAY)
                    .withMaxConcurrent(1);
            worker.start(engine.restUrl(), Duration.ofSeconds(5), topic);
            String first = engine.startProcess("echo-process", "error-1", Map.of("name", "Cy"));
            String second = engine.startProcess("echo-process", "error-2", Map.of("name", "Di"));

            engine.awaitEnded(first, Duration.ofSeconds(30));
            engine.awaitEnded(second, Duration.ofSeconds(30));
            assertThat(runs)
                    .as("the observer saw both runs: the Error killed no thread")
                    .hasValue(2);
            assertThat(engine.variables(second).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Di!");
            assertThat(engine.variables(first).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Cy!");
            List<String> messages = new ArrayList<>(failureMessages(first));
            messages.addAll(failureMessages(second));
            assertThat(messages)
                    .as("the guest's result stands: the Error came after it")
                    .isEmpty();
        }
    }
}
