package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
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
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
        camunda.deploy(Path.of("../config/examples/order-process.bpmn"), Path.of("../config/examples/long-work.bpmn"));
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

    private Process startDaemon(Path config, Path log, String... jvmOptions) throws IOException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(
                "-jar", Path.of("target", "wasm-worker-all.jar").toString(), "run", "--config", config.toString()));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static void awaitReady(int port, Process daemon, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(daemon.isAlive())
                    .as("the daemon died:\n" + Files.readString(log))
                    .isTrue();
            if (status(port, "/health/ready") == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not ready in time:\n" + Files.readString(log));
    }

    private static int status(int port, String path) {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The instance ends within a minute; if not, the failure shows the daemon's log. */
    private static void awaitEnded(String pid, Path log) throws IOException {
        try {
            camunda.awaitEnded(pid, Duration.ofSeconds(60));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ndaemon log:\n" + Files.readString(log), e);
        }
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static WorkflowStub callActivity(String type, Object input) {
        return callActivity(
                ActivityCall.once(type, "daemon-it", input).withRetries(10, 200).withStartToClose(120_000));
    }

    private static WorkflowStub callActivity(ActivityCall call) {
        WorkflowClient client = temporal.newClient();
        WorkflowStub stub = client.newUntypedWorkflowStub(
                "CallActivityWorkflow",
                WorkflowOptions.newBuilder()
                        .setTaskQueue(WORKFLOW_QUEUE)
                        .setWorkflowId("daemon-it-" + call.activityType() + "-" + System.nanoTime())
                        .build());
        stub.start(call);
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
            awaitEnded(pid, firstLog);
            assertThat(camunda.variables(pid).get("total").path("value").asDouble())
                    .isEqualTo(24.1);
            JsonNode priced =
                    JSON.valueToTree(callActivity("price-order", order()).getResult(60, TimeUnit.SECONDS, Map.class));
            assertThat(priced.path("total").asDouble()).isEqualTo(24.1);

            String metrics = get(port, "/metrics");
            assertThat(metrics)
                    .containsPattern(
                            "wasm_worker_tasks_total\\{outcome=\"success\",queue=\"price-order\",source=\"camunda\"} 1\\.0");
            assertThat(metrics)
                    .containsPattern(
                            "wasm_worker_tasks_total\\{outcome=\"success\",queue=\"daemon-it\",source=\"temporal\"} 1\\.0");
            // the Temporal SDK's own meters on the same endpoint, reported to it every second
            long sdkDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            String sdkMetrics = metrics;
            while (!Pattern.compile("temporal_activity_execution_latency_seconds_count\\{activity_type=\"price-order\"")
                    .matcher(sdkMetrics)
                    .find()) {
                assertThat(System.nanoTime())
                        .as("the Temporal SDK's temporal_* meters on /metrics:\n" + sdkMetrics)
                        .isLessThan(sdkDeadline);
                Thread.sleep(200);
                sdkMetrics = get(port, "/metrics");
            }
            assertThat(sdkMetrics).containsPattern("temporal_activity_poll_no_task_total|temporal_request_total");

            // long tasks in flight on both sides, then SIGTERM
            String longPid = camunda.startProcess("long-work-process", "daemon-it-long", LONG_WORK);
            WorkflowStub longRun = callActivity("long-work", LONG_WORK);
            LocalSnapshotStore snapshots = new LocalSnapshotStore(home.resolve("snapshots"), false);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (snapshots.taskKeys().size() < 2) {
                assertThat(System.nanoTime())
                        .as("both long tasks checkpoint:\n" + Files.readString(firstLog))
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
            daemon.destroy(); // SIGTERM
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS))
                    .as("stopped within its grace")
                    .isTrue();
            String firstRun = Files.readString(firstLog);
            assertThat(firstRun).contains("shutting down").contains("stopped");
            assertThat(firstRun)
                    .as("every temporal_* meter fits Prometheus (one set of tag keys per name)")
                    .doesNotContain("registration has failed");

            Path secondLog = home.resolve("daemon-2.log");
            daemon = startDaemon(config, secondLog);
            awaitReady(port, daemon, secondLog);
            JsonNode expected = uninterrupted();
            camunda.awaitEnded(longPid, Duration.ofMinutes(2));
            assertThat(camunda.variables(longPid).get("result").path("value").asText())
                    .isEqualTo(expected.path("result").asText());
            assertThat(camunda.incidents(longPid)).isEmpty();
            JsonNode longResult = JSON.valueToTree(longRun.getResult(120, TimeUnit.SECONDS, Map.class));
            assertThat(longResult.path("result").asText())
                    .isEqualTo(expected.path("result").asText());
            String secondRun = Files.readString(secondLog);
            assertThat(secondRun).as("the Camunda task resumed").contains("resumed from checkpoint");
            String scrape = get(port, "/metrics");
            assertThat(scrape)
                    .containsPattern("wasm_worker_resumes_total\\{queue=\"long-work\",source=\"camunda\"}")
                    .containsPattern("wasm_worker_resumes_total\\{queue=\"daemon-it\",source=\"temporal\"}");
            // what config/monitoring's dashboard and alerts query is really served (a checkpoint is
            // discarded only when a task's input changed, which this run never does)
            Set<String> served = MonitoringFilesTest.metricNames(scrape);
            Set<String> queried = new TreeSet<>(MonitoringFilesTest.metricNames(
                    Files.readString(Path.of("..", "config", "monitoring", "grafana-dashboard.json"))
                            + Files.readString(Path.of("..", "config", "monitoring", "alerts.yml"))));
            queried.remove("wasm_worker_checkpoints_discarded_total");
            assertThat(served).containsAll(queried);
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
        assertThat(Files.readString(log))
                .contains(file + ":5:")
                .contains("camunda.topics[0].artifact")
                .contains("no artifact is named 'not-in-the-store'");
    }

    /**
     * A guest of a few dozen bytes that makes the host allocate as much as it lets it: its one table
     * grows a million entries at a time, then its memory 16 pages at a time, until each is refused;
     * then it traps. Chicory 1.7.5 lets a table reach 10M entries (about 80 MB of heap, twice that
     * while it copies) whatever the memory limit says.
     */
    static final String HEAP_BOMB = """
            (module
              (memory (export "memory") 1)
              (table $t 0 funcref)
              (func (export "_start")
                (block $tables (loop $grow
                  (br_if $tables (i32.eq (table.grow $t (ref.null func) (i32.const 1000000)) (i32.const -1)))
                  (br $grow)))
                (block $pages (loop $grow
                  (br_if $pages (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
                  (br $grow)))
                unreachable))
            """;

    /** How the sandbox reports an OutOfMemoryError during a run (GuestRun). */
    private static final String HEAP_RAN_OUT = "heap ran out";

    private static final String HEAP_BOMB_PROCESS = """
            <?xml version="1.0" encoding="UTF-8"?>
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_heap-bomb"
                targetNamespace="http://wasm-worker.io/bpmn">
              <bpmn:process id="heap-bomb-process" isExecutable="true" camunda:historyTimeToLive="P1D">
                <bpmn:startEvent id="Start" />
                <bpmn:sequenceFlow id="Flow_start" sourceRef="Start" targetRef="Task" />
                <bpmn:serviceTask id="Task" camunda:type="external" camunda:topic="heap-bomb" />
                <bpmn:sequenceFlow id="Flow_done" sourceRef="Task" targetRef="Done" />
                <bpmn:endEvent id="Done" />
              </bpmn:process>
            </bpmn:definitions>
            """;

    /**
     * Heap bombs beside good work in a daemon with a tight heap: the bombs fail as memory_limit (an
     * incident in Camunda, a failed activity in Temporal), every good task completes, and
     * /health/live answers throughout.
     */
    @Test
    void heapBombsFailAsMemoryLimitWhileTheirNeighboursCompleteAndHealthStaysUp() throws Exception {
        LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        artifacts.bindName("order-pricing", artifacts.put(Guests.bytes("order-pricing")));
        artifacts.bindName("heap-bomb", artifacts.put(Guests.wat(HEAP_BOMB)));
        Path bpmn = home.resolve("heap-bomb.bpmn");
        Files.writeString(bpmn, HEAP_BOMB_PROCESS);
        camunda.deploy(bpmn);
        int port = OrchestratorProcess.freePort();
        Path config = home.resolve("heap.yaml");
        // admitted: 6 x 8.1 + 2 x 18 + 4 x 18 MiB of guests fit the 160 MiB a 256 MiB heap leaves them,
        // were every limit honoured; good tasks get no retries, so any harm the bombs do shows
        Files.writeString(config, """
                home: %s
                shutdownGrace: 5s
                http: { port: %d }
                artifacts:
                  heap-bomb:
                    limits: { maxMemory: 8MiB, timeout: 60s, maxInput: 64KiB, maxOutput: 64KiB }
                  order-pricing:
                    limits: { maxMemory: 16MiB, maxInput: 1MiB, maxOutput: 1MiB }
                camunda:
                  url: %s
                  longPoll: 5s
                  topics:
                    - topic: heap-bomb
                      artifact: heap-bomb
                      maxConcurrent: 6
                      maxRetries: 2
                      backoff: { initial: 0s, max: 0s }
                    - { topic: price-order, artifact: order-pricing, maxConcurrent: 2, maxRetries: 0 }
                temporal:
                  target: %s
                  taskQueues:
                    - name: heap-it
                      maxConcurrent: 4
                      activities: { heap-bomb: heap-bomb, price-order: order-pricing }
                """.formatted(home, port, camunda.restUrl(), temporal.target()));
        Path log = home.resolve("heap.log");
        Process daemon = startDaemon(config, log, "-Xmx256m");
        HealthWatch health = null;
        try {
            awaitReady(port, daemon, log);
            health = new HealthWatch(port);

            // bombs (each Camunda one three times) and good tasks, interleaved so the good ones run while
            // the bombs press on the heap
            List<String> bombs = new ArrayList<>();
            List<WorkflowStub> temporalBombs = new ArrayList<>();
            List<String> orders = new ArrayList<>();
            List<WorkflowStub> temporalOrders = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                bombs.add(camunda.startProcess("heap-bomb-process", "bomb-" + round + "a", Map.of()));
                bombs.add(camunda.startProcess("heap-bomb-process", "bomb-" + round + "b", Map.of()));
                temporalBombs.add(callActivity(
                        ActivityCall.once("heap-bomb", "heap-it", Map.of()).withStartToClose(120_000)));
                orders.add(camunda.startProcess("order-process", "good-" + round, order()));
                temporalOrders.add(callActivity(
                        ActivityCall.once("price-order", "heap-it", order()).withStartToClose(120_000)));
                Thread.sleep(250);
            }

            for (String pid : orders) {
                camunda.awaitEnded(pid, Duration.ofMinutes(3));
                assertThat(camunda.variables(pid).get("total").path("value").asDouble())
                        .as("good Camunda task " + pid + ":\n" + Files.readString(log))
                        .isEqualTo(24.1);
            }
            for (WorkflowStub stub : temporalOrders) {
                JsonNode priced = JSON.valueToTree(stub.getResult(180, TimeUnit.SECONDS, Map.class));
                assertThat(priced.path("total").asDouble()).isEqualTo(24.1);
            }
            // stopped by its own limit: never by the heap running out, which would be luck for its neighbours
            for (String pid : bombs) {
                JsonNode incident = camunda.awaitIncident(pid, Duration.ofMinutes(3));
                assertThat(incident.path("incidentMessage").asText())
                        .as("bomb " + pid)
                        .contains("memory_limit")
                        .doesNotContain(HEAP_RAN_OUT);
            }
            for (WorkflowStub stub : temporalBombs) {
                Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                        () -> stub.getResult(180, TimeUnit.SECONDS, Map.class));
                assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
                assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
                assertThat(thrown.getCause().getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
                    assertThat(app.getType()).isEqualTo("wasm-worker.memory_limit");
                    assertThat(app.getOriginalMessage()).doesNotContain(HEAP_RAN_OUT);
                });
            }
            health.stop();
            assertThat(health.failures())
                    .as("/health/live failures while the bombs ran")
                    .isEmpty();
            assertThat(health.answers()).isGreaterThan(10);
            assertThat(daemon.isAlive()).isTrue();
            assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError").doesNotContain(HEAP_RAN_OUT);
        } finally {
            if (health != null) {
                health.stop();
            }
            // SIGTERM: the shutdown lets its pending long poll end and gives back what it brings; a
            // killed daemon's poll would lock the next test's price-order task for a whole lock duration
            daemon.destroy();
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor();
            }
        }
    }

    /** Polls /health/live every 100 ms, each answer due within 5 s, and keeps what went wrong. */
    private static final class HealthWatch {
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final java.util.concurrent.atomic.AtomicInteger answers =
                new java.util.concurrent.atomic.AtomicInteger();
        private final Thread thread;
        private volatile boolean running = true;

        HealthWatch(int port) {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            thread = new Thread(
                    () -> {
                        while (running) {
                            try {
                                int status = client.send(
                                                HttpRequest.newBuilder(
                                                                URI.create("http://127.0.0.1:" + port + "/health/live"))
                                                        .timeout(Duration.ofSeconds(5))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode();
                                if (status != 200) {
                                    failures.add("status " + status);
                                }
                                answers.incrementAndGet();
                            } catch (InterruptedException e) {
                                return;
                            } catch (IOException e) {
                                failures.add(e.toString());
                            }
                            try {
                                Thread.sleep(100);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "health-watch");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        int answers() {
            return answers.get();
        }
    }

    private static JsonNode uninterrupted() throws IOException {
        byte[] wasm = Guests.bytes("ckpt-step-rust");
        try (Sandbox sandbox = new Sandbox()) {
            return JSON.readTree(sandbox.invoke(
                            new ModuleLoader().load(Digest.of(wasm), wasm),
                            Invocation.of(JSON.writeValueAsBytes(LONG_WORK)))
                    .stdout());
        }
    }
}
