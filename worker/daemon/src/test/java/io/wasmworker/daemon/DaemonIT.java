package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testbed.OrchestratorProcess;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testbed.temporal.CallActivityWorkflow;
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged daemon ({@code wasm-worker run --config FILE}) as its own process, against a real
 * Camunda engine and a real Temporal service (each in a process of its own).
 */
class DaemonIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WORKFLOW_QUEUE = "daemon-it-workflows";
    private static final Map<String, Object> LONG_WORK = Map.of("steps", 8, "work", 30_000_000);
    private static CamundaEngine camunda;
    private static TemporalService temporal;
    private static WorkerFactory workflows;

    @TempDir
    Path home;

    @BeforeAll
    static void orchestrators() {
        CompletableFuture<TemporalService> t = CompletableFuture.supplyAsync(TemporalService::start);
        camunda = CamundaEngine.start();
        camunda.deploy(Path.of("../../config/examples/order-process.bpmn"), Path.of("../../config/examples/long-work.bpmn"));
        temporal = t.join();
        // the workflow side, as a user's application would host it
        workflows = WorkerFactory.newInstance(temporal.newClient());
        workflows.newWorker(WORKFLOW_QUEUE).registerWorkflowImplementationTypes(CallActivityWorkflowImpl.class);
        workflows.start();
    }

    @AfterAll
    static void stop() {
        if (workflows != null) {
            workflows.shutdownNow();
        }
        if (camunda != null) {
            camunda.close();
        }
        if (temporal != null) {
            temporal.close();
        }
    }

    private static Map<String, Object> order() {
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("orderId", "A-1");
        order.put("customer", Map.of("tier", "gold", "country", "DE"));
        order.put("lines", List.of(Map.of("sku", "X", "quantity", 2, "unitPrice", 12.5)));
        order.put("couponCode", "SAVE10");
        return order;
    }

    private Path config(int httpPort) throws IOException {
        LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        for (String guest : List.of("order-pricing", "ckpt-step-rust")) {
            artifacts.bindName(guest, artifacts.put(Guests.bytes(guest)));
        }
        Path file = home.resolve("worker.yaml");
        Files.writeString(file, """
                home: %s
                shutdownGrace: 20s
                http: { port: %d }
                artifacts:
                  ckpt-step-rust:
                    limits: { timeout: 5m }
                    checkpoint: { everySteps: 1 }
                camunda:
                  url: %s
                  longPoll: 5s
                  topics:
                    - { topic: price-order, artifact: order-pricing }
                    - { topic: long-work, artifact: ckpt-step-rust, lockDuration: 20s }
                temporal:
                  target: %s
                  taskQueues:
                    - name: daemon-it
                      maxConcurrent: 2
                      activities:
                        price-order: order-pricing
                        long-work: ckpt-step-rust
                """.formatted(home, httpPort, camunda.restUrl(), temporal.target()));
        return file;
    }

    private Process startDaemon(Path config, Path log) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Path.of("target", "wasm-worker-all.jar").toString(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitReady(int port, Process daemon, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(daemon.isAlive()).as("the daemon died:\n" + Files.readString(log)).isTrue();
            if (status(port, "/health/ready") == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not ready in time:\n" + Files.readString(log));
    }

    private static int status(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static WorkflowStub callActivity(String type, Object input) {
        WorkflowClient client = temporal.newClient();
        WorkflowStub stub = client.newUntypedWorkflowStub("CallActivityWorkflow", WorkflowOptions.newBuilder()
                .setTaskQueue(WORKFLOW_QUEUE).setWorkflowId("daemon-it-" + type + "-" + System.nanoTime()).build());
        stub.start(ActivityCall.once(type, "daemon-it", input).withRetries(10, 200).withStartToClose(120_000));
        return stub;
    }

    @Test
    void runServesBothOrchestratorsReportsMetricsAndLosesNothingOnSigterm() throws Exception {
        int port = OrchestratorProcess.freePort();
        Path config = config(port);
        Path firstLog = home.resolve("daemon-1.log");
        Process daemon = startDaemon(config, firstLog);
        try {
            awaitReady(port, daemon, firstLog);
            assertThat(status(port, "/health/live")).isEqualTo(200);

            // one task from each orchestrator
            String pid = camunda.startProcess("order-process", "daemon-it", order());
            camunda.awaitEnded(pid, Duration.ofSeconds(60));
            assertThat(camunda.variables(pid).get("total").path("value").asDouble()).isEqualTo(24.1);
            JsonNode priced = JSON.valueToTree(callActivity("price-order", order()).getResult(60, TimeUnit.SECONDS, Map.class));
            assertThat(priced.path("total").asDouble()).isEqualTo(24.1);

            String metrics = get(port, "/metrics");
            assertThat(metrics).containsPattern(
                    "wasm_worker_tasks_total\\{outcome=\"success\",queue=\"price-order\",source=\"camunda\"} 1\\.0");
            assertThat(metrics).containsPattern(
                    "wasm_worker_tasks_total\\{outcome=\"success\",queue=\"daemon-it\",source=\"temporal\"} 1\\.0");

            // long tasks in flight on both sides, then SIGTERM
            String longPid = camunda.startProcess("long-work-process", "daemon-it-long", LONG_WORK);
            WorkflowStub longRun = callActivity("long-work", LONG_WORK);
            LocalSnapshotStore snapshots = new LocalSnapshotStore(home.resolve("snapshots"), false);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (snapshots.taskKeys().size() < 2) {
                assertThat(System.nanoTime()).as("both long tasks checkpoint:\n" + Files.readString(firstLog))
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
            daemon.destroy(); // SIGTERM
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).as("stopped within its grace").isTrue();
            String firstRun = Files.readString(firstLog);
            assertThat(firstRun).contains("shutting down").contains("stopped");

            Path secondLog = home.resolve("daemon-2.log");
            daemon = startDaemon(config, secondLog);
            awaitReady(port, daemon, secondLog);
            JsonNode expected = uninterrupted();
            camunda.awaitEnded(longPid, Duration.ofMinutes(2));
            assertThat(camunda.variables(longPid).get("result").path("value").asText())
                    .isEqualTo(expected.path("result").asText());
            assertThat(camunda.incidents(longPid)).isEmpty();
            JsonNode longResult = JSON.valueToTree(longRun.getResult(120, TimeUnit.SECONDS, Map.class));
            assertThat(longResult.path("result").asText()).isEqualTo(expected.path("result").asText());
            String secondRun = Files.readString(secondLog);
            assertThat(secondRun).as("the Camunda task resumed").contains("resumed from checkpoint");
            assertThat(get(port, "/metrics")).containsPattern("wasm_worker_resumes_total\\{queue=\"long-work\",source=\"camunda\"}")
                    .containsPattern("wasm_worker_resumes_total\\{queue=\"daemon-it\",source=\"temporal\"}");
        } finally {
            daemon.destroyForcibly();
            daemon.waitFor();
        }
    }

    @Test
    void aBadConfigurationStopsStartUpNamingTheFileLineAndField() throws Exception {
        Path file = home.resolve("bad.yaml");
        Files.writeString(file, """
                camunda:
                  url: http://127.0.0.1:1/engine-rest
                  topics:
                    - topic: t
                      artifact: not-in-the-store
                """);
        Path log = home.resolve("bad.log");
        Process daemon = startDaemon(file, log);
        assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(daemon.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains(file + ":5:").contains("camunda.topics[0].artifact")
                .contains("no artifact is named 'not-in-the-store'");
    }

    private static JsonNode uninterrupted() throws IOException {
        byte[] wasm = Guests.bytes("ckpt-step-rust");
        try (Sandbox sandbox = new Sandbox()) {
            return JSON.readTree(sandbox.run(new ModuleLoader().load(Digest.of(wasm), wasm),
                    Invocation.of(JSON.writeValueAsBytes(LONG_WORK))).stdout());
        }
    }
}
