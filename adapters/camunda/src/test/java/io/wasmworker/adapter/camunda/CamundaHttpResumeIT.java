package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.LoopbackService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's proof through Camunda 7.24: a task that reserves stock (the stock-reservation guest,
 * against a real HTTP service on loopback that counts what it receives) in a worker JVM that is
 * SIGKILLed once the reservation is recorded and before the task ends is resumed by another worker
 * without reserving twice, and ends with exactly the uninterrupted output; a call that fails, or a
 * retry that does not repeat its call, shows the endpoint and status in the incident.
 */
class CamundaHttpResumeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GUEST = "stock-reservation";
    private static final String INPUT = "{\"quantity\":2,\"sku\":\"X-1\"}";
    private static final Map<String, Object> VARIABLES = Map.of("sku", "X-1", "quantity", 2);
    private static CamundaEngine engine;

    @TempDir
    Path home;

    LoopbackService service;

    @BeforeAll
    static void engine() {
        engine = SharedEngine.get(); // the worker's own behaviour: one engine product is enough
    }

    @BeforeEach
    void start() throws Exception {
        service = new LoopbackService();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void aWorkerKilledAfterTheReservationWasRecordedIsReplacedAndTheStockIsReservedOnce() throws Exception {
        JsonNode expected = uninterrupted();
        String businessKey = "http-resume-" + System.nanoTime();
        String pid = engine.startProcess("echo-process", businessKey, VARIABLES);

        // call 1 is GET /stock, call 2 POST /reserve: killed once the reservation is in the journal
        Path firstLog = home.resolve("worker-1.log");
        Process first = startWorker(firstLog, businessKey, "-Dwasmworker.test.pause=call-recorded:2");
        try {
            awaitLine(first, firstLog, "wasm-worker-test: paused at call-recorded 2");
        } finally {
            first.destroyForcibly(); // SIGKILL: no report, no unlock; the lock expires
            first.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(service.requests("/reserve")).isEqualTo(1);

        Path secondLog = home.resolve("worker-2.log");
        Process second = startWorker(secondLog, businessKey);
        try {
            engine.awaitEnded(pid, Duration.ofSeconds(60));
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(engine.historicInstance(pid).path("state").asText())
                .as(Files.readString(secondLog))
                .isEqualTo("COMPLETED");
        Map<String, JsonNode> vars = engine.variables(pid);
        for (String name : List.of("sku", "quantity", "available")) {
            assertThat(vars.get(name).path("value").asText())
                    .as(name)
                    .isEqualTo(expected.path(name).asText());
        }
        assertThat(JSON.readTree(vars.get("reservation").path("value").asText()))
                .as("the reservation the first worker made, replayed from the journal")
                .isEqualTo(expected.path("reservation"));
        assertThat(service.requests("/reserve")).as("one reservation request").isEqualTo(1);
        assertThat(service.reservations()).as("one reservation effect").isEqualTo(1);
        assertThat(Files.readString(secondLog))
                .as("the second worker ran attempt 2 to success")
                .containsPattern("RUN camunda:\\S+ 2 \\d+ \\d+ success");
        assertThat(engine.incidents(pid)).isEmpty();
    }

    @Test
    void aServiceThatIsDownShowsItsEndpointAndResultInTheIncident() throws Exception {
        String businessKey = "http-down-" + System.nanoTime();
        try (Worker worker = new Worker(home)) {
            TaskBinding binding = new TaskBinding(
                    worker.guest(GUEST),
                    GuestLimits.DEFAULTS,
                    CheckpointPolicy.DEFAULT,
                    LoopbackService.endpoints("inventory", LoopbackService.nothingListening()));
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.builder("echo", binding)
                            .businessKey(businessKey)
                            .maxRetries(0)
                            .build());
            String pid = engine.startProcess("echo-process", businessKey, VARIABLES);

            JsonNode incident = engine.awaitIncident(pid, Duration.ofSeconds(60));
            assertThat(incident.path("incidentMessage").asText())
                    .startsWith("exit: ")
                    .contains("host call 1 (GET /stock/X-1 on endpoint 'inventory'): unavailable, no response");
            JsonNode task = engine.externalTasks(pid).get(0);
            JsonNode details = engine.get("/external-task/" + task.path("id").asText() + "/errorDetails");
            JsonNode call = details.path("lastHostCall");
            assertThat(call.path("endpoint").asText()).isEqualTo("inventory");
            assertThat(call.path("method").asText()).isEqualTo("GET");
            assertThat(call.path("path").asText()).isEqualTo("/stock/X-1");
            assertThat(call.path("result").asText()).isEqualTo("unavailable");
            assertThat(call.path("status").asInt()).isZero();
            assertThat(details.path("stderrTail").asText()).contains("GET /stock failed: unavailable");
        }
    }

    /** Reserves with a random body (a guest that does not repeat itself), then traps. */
    private static final String RANDOM_RESERVATION_THEN_TRAP = """
            (module
              (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
              (import "wasm_worker" "http_request" (func $req (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "inventory")
              (data (i32.const 120) "POST")
              (data (i32.const 130) "/reserve")
              (func (export "_start")
                (drop (call $random_get (i32.const 4000) (i32.const 8)))
                (drop (call $req (i32.const 100) (i32.const 9) (i32.const 120) (i32.const 4) (i32.const 130)
                  (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 4000) (i32.const 8) (i32.const 16)))
                unreachable))
            """;

    @Test
    void aGuestThatDoesNotRepeatItsCallOnTheRetryIsAnIncidentNamingTheCall() throws Exception {
        String businessKey = "http-nondeterministic-" + System.nanoTime();
        try (Worker worker = new Worker(home)) {
            worker.artifacts.bindName(
                    "random-reservation", worker.artifacts.put(Guests.wat(RANDOM_RESERVATION_THEN_TRAP)));
            TaskBinding binding = new TaskBinding(
                    io.wasmworker.artifact.ArtifactRef.parse("random-reservation"),
                    GuestLimits.DEFAULTS,
                    CheckpointPolicy.DEFAULT,
                    service.endpoints("inventory"));
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.builder("echo", binding)
                            .businessKey(businessKey)
                            .maxRetries(1)
                            .backoff(new RetryBackoff(Duration.ZERO, 1.0, Duration.ZERO))
                            .build());
            String pid = engine.startProcess("echo-process", businessKey, VARIABLES);

            // attempt 1 reserves and traps; attempt 2 replays call 1 with another body
            JsonNode incident = engine.awaitIncident(pid, Duration.ofSeconds(60));
            assertThat(incident.path("incidentMessage").asText())
                    .startsWith("non_determinism: host call 1 of task 'camunda:")
                    .contains("(POST /reserve on endpoint 'inventory')", "(which got status 201)");
            assertThat(service.requests("/reserve"))
                    .as("the retry did not call again")
                    .isEqualTo(1);
        }
    }

    /** The guest's output in one uninterrupted run against a service of its own. */
    private static JsonNode uninterrupted() throws Exception {
        byte[] wasm = Files.readAllBytes(Worker.guestPath(GUEST));
        try (LoopbackService own = new LoopbackService();
                Sandbox sandbox = new Sandbox()) {
            InvocationResult r = sandbox.invoke(
                    new ModuleLoader().load(Digest.of(wasm), wasm),
                    Invocation.of(INPUT.getBytes(StandardCharsets.UTF_8)).withEndpoints(own.endpoints("inventory")));
            assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
            return JSON.readTree(r.stdout());
        }
    }

    private Process startWorker(Path log, String businessKey, String... jvmOptions) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dwasmworker.guests.dir=" + Worker.guestPath("x").getParent(),
                "-Dwasmworker.endpoint=inventory=" + service.uri()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(
                CamundaWorkerMain.class.getName(),
                engine.restUrl(),
                home.toString(), // both workers share the snapshot store, which holds the journal
                GUEST,
                "echo",
                "2000",
                businessKey));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static void awaitLine(Process worker, Path log, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains(line)) {
            assertThat(worker.isAlive())
                    .as("worker ended early:\n" + Files.readString(log))
                    .isTrue();
            assertThat(System.nanoTime()).as("no '" + line + "' in time").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
