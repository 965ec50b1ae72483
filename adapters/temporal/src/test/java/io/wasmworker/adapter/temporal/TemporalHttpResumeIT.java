package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.wasmworker.artifact.Digest;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testing.LoopbackService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's proof through Temporal: an activity that reserves stock (the stock-reservation guest,
 * against a real HTTP service on loopback that counts what it receives) in a worker JVM that is
 * SIGKILLed once the reservation is recorded and before the activity ends is retried by another
 * worker without reserving twice, and the workflow gets exactly the uninterrupted output; a call that
 * fails shows its endpoint and status in the activity's failure.
 */
class TemporalHttpResumeIT {
    private static final String WORKFLOWS = "http-resume-workflows";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> INPUT = Map.of("sku", "X-1", "quantity", 2);

    @TempDir
    static Path home;

    static WorkflowBed bed;

    @BeforeAll
    static void start() {
        Guests.artifacts(home, "ckpt-step-c", "stock-reservation"); // the workers' shared home
        bed = WorkflowBed.start(WORKFLOWS);
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    private static WorkerProcess worker(String name, String queue, String endpoint, String... jvmOptions)
            throws Exception {
        List<String> options = new java.util.ArrayList<>(List.of("-Dwasmworker.endpoint=inventory=" + endpoint));
        options.addAll(List.of(jvmOptions));
        // both share the home: the snapshot store holds the call journal
        return WorkerProcess.start(home, name, options, Map.of(), bed.target(), queue, home.toString(), "2");
    }

    private static WorkflowStub startWorkflow(String workflowId, ActivityCall call) {
        return bed.startWorkflow(workflowId, call, Duration.ofMinutes(2));
    }

    @Test
    void aWorkerKilledAfterTheReservationWasRecordedIsReplacedAndTheStockIsReservedOnce() throws Exception {
        String queue = "http-resume";
        try (LoopbackService inventory = new LoopbackService()) {
            JsonNode expected = uninterrupted();
            WorkflowStub run;
            // call 1 is GET /stock, call 2 POST /reserve: killed once the reservation is in the journal
            try (WorkerProcess first =
                    worker("first", queue, inventory.uri().toString(), "-Dwasmworker.test.pause=call-recorded:2")) {
                run = startWorkflow(
                        "http-kill-" + UUID.randomUUID(),
                        ActivityCall.once("reserve", queue, INPUT)
                                .withRetries(3, 100)
                                .withHeartbeatTimeout(2_000)
                                .withStartToClose(30_000));
                first.await(l -> l.contains("wasm-worker-test: paused at call-recorded 2"), Duration.ofSeconds(60));
                first.kill();
                assertThat(first.lines()).noneMatch(l -> l.startsWith("FINISHED"));
            }
            assertThat(inventory.requests("/reserve")).isEqualTo(1);

            try (WorkerProcess second = worker("second", queue, inventory.uri().toString())) {
                Object result = run.getResult(60, TimeUnit.SECONDS, Object.class);
                assertThat((JsonNode) JSON.valueToTree(result)).isEqualTo(expected);
                String finished = second.await(
                        l -> l.startsWith("FINISHED") && l.contains("outcome=success"), Duration.ofSeconds(5));
                assertThat(finished).contains("attempt=2");
            }
            assertThat(inventory.requests("/reserve"))
                    .as("one reservation request")
                    .isEqualTo(1);
            assertThat(inventory.reservations()).as("one reservation effect").isEqualTo(1);
        }
    }

    @Test
    void aServiceThatIsDownShowsItsEndpointAndResultInTheFailure() throws Exception {
        String queue = "http-down";
        try (WorkerProcess worker =
                worker("down", queue, LoopbackService.nothingListening().toString())) {
            WorkflowStub run = startWorkflow(
                    "http-down-" + UUID.randomUUID(),
                    ActivityCall.once("reserve", queue, INPUT).withRetries(1, 100));
            Throwable thrown = catchThrowable(() -> run.getResult(60, TimeUnit.SECONDS, Object.class));
            assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
            assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
            assertThat(thrown.getCause().getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
                assertThat(app.getType()).isEqualTo("wasm-worker.exit");
                assertThat(app.getOriginalMessage())
                        .contains("host call 1 (GET /stock/X-1 on endpoint 'inventory'): unavailable, no response");
                @SuppressWarnings("unchecked")
                Map<String, Object> details = app.getDetails().get(Map.class);
                assertThat(details.get("lastHostCall"))
                        .isInstanceOfSatisfying(
                                Map.class,
                                call -> assertThat(call)
                                        .containsEntry("endpoint", "inventory")
                                        .containsEntry("method", "GET")
                                        .containsEntry("path", "/stock/X-1")
                                        .containsEntry("result", "unavailable")
                                        .containsEntry("status", 0));
            });
        }
    }

    /** The guest's output in one uninterrupted run against a service of its own. */
    private static JsonNode uninterrupted() throws Exception {
        byte[] wasm = Guests.bytes("stock-reservation");
        try (LoopbackService own = new LoopbackService();
                Sandbox sandbox = new Sandbox()) {
            InvocationResult r = sandbox.invoke(
                    new ModuleLoader().load(Digest.of(wasm), wasm),
                    Invocation.of(JSON.writeValueAsBytes(INPUT)).withEndpoints(own.endpoints("inventory")));
            assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
            return JSON.readTree(new String(r.stdout(), StandardCharsets.UTF_8));
        }
    }
}
