package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationErrorCategory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.worker.WorkerFactory;
import io.wasmworker.adapter.temporal.RecordingObserver.Attempt;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testbed.temporal.CallActivityWorkflow;
import io.wasmworker.testbed.temporal.CallActivityWorkflowImpl;
import io.wasmworker.testbed.temporal.OrderWorkflow;
import io.wasmworker.testbed.temporal.OrderWorkflowImpl;
import io.wasmworker.testbed.temporal.TemporalService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter against a real Temporal service (the test server, in its own JVM): workflows call
 * activities by type name with their own retry policies, and the adapter in this JVM runs guests.
 */
class TemporalAdapterTest {
    private static final String QUEUE = "wasm-test";
    private static final String WORKFLOWS = "workflows-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> STEPS = Map.of("steps", 6, "work", 1_000_000);

    @TempDir
    static Path home;

    static TemporalService service;
    static Sandbox sandbox;
    static LocalArtifactStore artifacts;
    static FlakySnapshotStore snapshots;
    static TaskRunner runner;
    static RecordingObserver observer = new RecordingObserver();
    static SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    static TemporalAdapter adapter;
    static WorkflowClient client;
    static WorkerFactory workflows;

    static TaskBinding steps(Duration timeout) {
        return new TaskBinding(
                ArtifactRef.parse("ckpt-step-c"),
                GuestLimits.DEFAULTS.withTimeout(timeout),
                new CheckpointPolicy(1, Duration.ZERO, true));
    }

    @BeforeAll
    static void start() {
        service = TemporalService.start();
        sandbox = new Sandbox();
        artifacts = Guests.artifacts(home, "greet", "echo", "order-pricing", "hostile-exit-code", "ckpt-step-c");
        artifacts.bindName("env-dump", artifacts.put(Guests.envDump()));
        snapshots = new FlakySnapshotStore(Guests.snapshots(home));
        runner = Guests.runner(artifacts, snapshots, sandbox);
        adapter = TemporalAdapter.builder(TemporalSettings.of(service.target(), TemporalService.NAMESPACE), runner)
                .queue(
                        QUEUE,
                        Map.of(
                                "greet", TaskBinding.of(ArtifactRef.parse("greet")),
                                "echo", TaskBinding.of(ArtifactRef.parse("echo")),
                                "env", TaskBinding.of(ArtifactRef.parse("env-dump")),
                                "give-up", TaskBinding.of(ArtifactRef.parse("hostile-exit-code")),
                                "steps", steps(Duration.ofSeconds(30))),
                        4)
                .queue(
                        OrderWorkflow.TASK_QUEUE,
                        Map.of(OrderWorkflow.PRICE_ORDER, TaskBinding.of(ArtifactRef.parse("order-pricing"))),
                        0)
                .observer(observer)
                .metrics(metrics)
                .build()
                .start();
        client = service.newClient();
        workflows = WorkerFactory.newInstance(client);
        workflows.newWorker(WORKFLOWS).registerWorkflowImplementationTypes(CallActivityWorkflowImpl.class);
        // the sample: workflow and activities share the "orders" queue, served by two different workers
        workflows.newWorker(OrderWorkflow.TASK_QUEUE).registerWorkflowImplementationTypes(OrderWorkflowImpl.class);
        workflows.start();
    }

    @AfterAll
    static void stop() {
        if (workflows != null) {
            workflows.shutdownNow();
            client.getWorkflowServiceStubs().shutdownNow();
        }
        if (adapter != null) {
            adapter.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (service != null) {
            service.close();
        }
    }

    static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    static CallActivityWorkflow workflow(String workflowId) {
        return client.newWorkflowStub(
                CallActivityWorkflow.class,
                WorkflowOptions.newBuilder()
                        .setTaskQueue(WORKFLOWS)
                        .setWorkflowId(workflowId)
                        .setWorkflowExecutionTimeout(Duration.ofSeconds(90))
                        .build());
    }

    static Object call(String workflowId, ActivityCall call) {
        return workflow(workflowId).call(call);
    }

    /** The activity's failure as the workflow saw it. */
    static ActivityFailure activityFailure(String workflowId, ActivityCall call) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> call(workflowId, call));
        assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
        assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
        return (ActivityFailure) thrown.getCause();
    }

    @Test
    void aGuestAnswersAnActivityCalledByName() {
        String wf = id("greet");
        Object result = call(wf, ActivityCall.once("greet", QUEUE, Map.of("name", "Ada")));
        assertThat(result).isEqualTo(Map.of("greeting", "Hello, Ada!", "attempt", 1));
        assertThat(observer.attempts(wf))
                .singleElement()
                .satisfies(a -> assertThat(a.result().outcome()).isInstanceOf(Outcome.Success.class));
    }

    @Test
    void theSdksOwnMetricsReachTheRegistry() throws Exception {
        call(id("metrics"), ActivityCall.once("greet", QUEUE, Map.of("name", "Ada")));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (metrics.find("temporal_activity_execution_latency")
                        .tags("activity_type", "greet", "task_queue", QUEUE)
                        .timer()
                == null) {
            assertThat(System.nanoTime())
                    .as("the SDK reports its activity meters within "
                            + TemporalAdapter.METRICS_REPORT_INTERVAL + "; it reported "
                            + metrics.getMeters().stream()
                                    .map(m -> m.getId().getName())
                                    .distinct()
                                    .toList())
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(metrics.get("temporal_activity_execution_latency")
                        .tags("activity_type", "greet", "task_queue", QUEUE)
                        .timer()
                        .count())
                .isPositive();
    }

    @Test
    void anErrorInsideTheWorkerFailsTheAttemptAsInternalAndTheQueueKeepsServing() {
        String wf = id("heap-gone");
        // what a neighbouring guest that exhausted the heap would leave this attempt to meet
        snapshots.throwOnNextRead(wf, new OutOfMemoryError("Java heap space (injected)"));
        ActivityFailure failure = activityFailure(wf, ActivityCall.once("greet", QUEUE, Map.of("name", "Ada")));
        assertThat(failure.getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
            assertThat(app.getType()).isEqualTo("wasm-worker.internal");
            assertThat(app.isNonRetryable()).isFalse();
            assertThat(app.getOriginalMessage()).contains("OutOfMemoryError").contains("greet");
        });
        // the same activity threads go on serving: four at once on a queue of four slots
        for (int i = 0; i < 4; i++) {
            assertThat(call(id("after-heap"), ActivityCall.once("greet", QUEUE, Map.of("name", "Bo"))))
                    .isEqualTo(Map.of("greeting", "Hello, Bo!", "attempt", 1));
        }
    }

    @Test
    void taskMetadataReachesTheGuestAsEnvironment() {
        String wf = id("env");
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) call(wf, ActivityCall.once("env", QUEUE, Map.of()));
        @SuppressWarnings("unchecked")
        List<String> env = (List<String>) result.get("env");
        assertThat(env)
                .contains(
                        "WASM_WORKER_ABI=1",
                        "WASM_WORKER_TASK_SOURCE=temporal",
                        "WASM_WORKER_TASK_WORKFLOW_ID=" + wf,
                        "WASM_WORKER_TASK_ACTIVITY_TYPE=env",
                        "WASM_WORKER_TASK_TASK_QUEUE=" + QUEUE,
                        "WASM_WORKER_TASK_NAMESPACE=default",
                        "WASM_WORKER_TASK_WORKFLOW_TYPE=CallActivityWorkflow",
                        "WASM_WORKER_TASK_ATTEMPT=1");
        String activityId = value(env, "WASM_WORKER_TASK_ACTIVITY_ID");
        assertThat(value(env, "WASM_WORKER_TASK_ID")).isEqualTo(activityId).isNotEmpty();
        assertThat(value(env, "WASM_WORKER_TASK_RUN_ID")).matches("[0-9a-f-]{36}");
    }

    private static String value(List<String> env, String name) {
        return env.stream()
                .filter(e -> e.startsWith(name + "="))
                .map(e -> e.substring(name.length() + 1))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " missing from " + env));
    }

    @Test
    void aNonObjectArgumentIsWrappedAsArgs() {
        assertThat(call(id("args"), ActivityCall.once("echo", QUEUE, "just a string")))
                .isEqualTo(Map.of("args", List.of("just a string")));
        Map<String, Object> nested = Map.of("a", List.of(1, 2, Map.of("b", true)), "s", "x");
        assertThat(call(id("args"), ActivityCall.once("echo", QUEUE, nested))).isEqualTo(nested);
    }

    @Test
    void aBusinessErrorFailsTheActivityAtOnceWithTheGuestsCode() {
        String wf = id("business");
        ActivityFailure failure;
        List<ILoggingEvent> sdkLog;
        try (CapturedLog log = new CapturedLog("io.temporal")) {
            failure = activityFailure(
                    wf, ActivityCall.once("greet", QUEUE, Map.of()).withRetries(5, 100));
            sdkLog = log.events();
        }
        assertThat(failure.getRetryState()).isEqualTo(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
        assertThat(failure.getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
            assertThat(app.getType()).isEqualTo("NAME_MISSING");
            assertThat(app.isNonRetryable()).isTrue();
            assertThat(app.getOriginalMessage()).contains("\"name\" must be a non-empty string");
            assertThat(app.getCategory()).isEqualTo(ApplicationErrorCategory.BENIGN);
        });
        assertThat(observer.attempts(wf)).hasSize(1);
        // an outcome the guest chose is no fault: the SDK logs no WARN with a stack trace for it
        assertThat(sdkLog)
                .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN)
                        && e.getThrowableProxy() != null
                        && e.getThrowableProxy().getMessage().contains("NAME_MISSING"));
    }

    @Test
    void theSampleOrderWorkflowPricesAndHandlesABusinessError() {
        OrderWorkflow orders = client.newWorkflowStub(
                OrderWorkflow.class,
                WorkflowOptions.newBuilder()
                        .setTaskQueue(OrderWorkflow.TASK_QUEUE)
                        .setWorkflowId(id("order"))
                        .setWorkflowExecutionTimeout(Duration.ofSeconds(60))
                        .build());
        Map<String, Object> order = Map.of(
                "orderId",
                "A-1",
                "customer",
                Map.of("tier", "gold", "country", "DE"),
                "lines",
                List.of(Map.of("sku", "X", "quantity", 2, "unitPrice", 12.5)),
                "couponCode",
                "FREE");
        Map<String, Object> priced = orders.process(order);
        assertThat(priced)
                .containsEntry("orderId", "A-1")
                .containsEntry("couponDiscount", 0.0)
                .containsEntry("total", 26.78)
                .containsKey("couponRejected");
        assertThat((String) priced.get("couponRejected")).contains("FREE");
    }

    @Test
    void aFailedGuestIsRetriedByTheCallersPolicyWithReasonAndStderr() {
        String wf = id("give-up");
        ActivityFailure failure;
        List<ILoggingEvent> log;
        try (CapturedLog captured = new CapturedLog("io.wasmworker.adapter.temporal")) {
            failure = activityFailure(
                    wf, ActivityCall.once("give-up", QUEUE, Map.of()).withRetries(2, 100));
            log = captured.events();
        }
        assertThat(failure.getRetryState()).isEqualTo(RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
        assertThat(failure.getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
            assertThat(app.getType()).isEqualTo("wasm-worker.exit");
            assertThat(app.isNonRetryable()).isFalse();
            assertThat(app.getOriginalMessage()).contains("failed (exit)").contains("giving up");
            @SuppressWarnings("unchecked")
            Map<String, Object> details = app.getDetails().get(0, Map.class);
            assertThat(details)
                    .containsEntry("kind", "exit")
                    .containsEntry("attempt", 2)
                    .containsEntry("activityType", "give-up");
            assertThat((String) details.get("stderrTail")).contains("giving up");
        });
        assertThat(observer.attempts(wf)).extracting(Attempt::attempt).containsExactly(1, 2);
        // a real failure is still a WARN, one line naming the activity, attempt and reason
        assertThat(log)
                .filteredOn(e ->
                        e.getLevel() == Level.WARN && e.getFormattedMessage().contains(wf))
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("outcome=exit"));
    }

    @Test
    void anUnknownActivityTypeFailsAtOnceNamingIt() {
        String wf = id("unknown");
        ActivityFailure failure = activityFailure(
                wf, ActivityCall.once("no-such-type", QUEUE, Map.of()).withRetries(5, 100));
        assertThat(failure.getRetryState()).isEqualTo(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
        assertThat(failure.getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
            assertThat(app.getType()).isEqualTo("wasm-worker.unknown_activity_type");
            assertThat(app.getOriginalMessage())
                    .contains("'no-such-type'")
                    .contains(QUEUE)
                    .contains("echo, env, give-up, greet, steps");
        });
        assertThat(observer.attempts(wf)).isEmpty();
    }

    /** What the checkpoint guest outputs when nothing interrupts it. */
    static String uninterrupted(Map<String, Object> input) throws Exception {
        InvocationResult r = runner.open(
                        TaskKey.of("uninterrupted-" + UUID.randomUUID()),
                        TaskBinding.of(ArtifactRef.parse("ckpt-step-c")),
                        1)
                .invoke(JSON.writeValueAsBytes(input), Map.of(), null, null);
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void anAttemptThatFailsResumesFromItsHeartbeatCheckpointWithTheSameOutput() throws Exception {
        String wf = id("resume");
        snapshots.failFirstAttemptAt(wf, 4); // attempt 1 publishes checkpoints 1-3, then its store fails
        Object result = call(
                wf, ActivityCall.once("steps", QUEUE, STEPS).withRetries(3, 100).withHeartbeatTimeout(5_000));
        assertThat(JSON.writeValueAsString(result))
                .isEqualTo(JSON.readTree(uninterrupted(STEPS)).toString());

        List<Attempt> attempts = observer.attempts(wf);
        assertThat(attempts).extracting(Attempt::attempt).containsExactly(1, 2);
        Attempt first = attempts.get(0);
        assertThat(first.result().outcome())
                .as(first.result().report())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.label()).isEqualTo("checkpoint"));
        // a task checkpointing from scratch publishes checkpoint n as generation n
        assertThat(first.checkpoints()).extracting(CheckpointRef::generation).containsExactly(1L, 2L, 3L);
        assertThat(Guests.steps(first.stderr())).containsExactly(1, 2, 3, 4);
        Attempt second = attempts.get(1);
        assertThat(second.result().metrics().resumedFromSequence()).isEqualTo(3);
        assertThat(Guests.steps(second.stderr()))
                .as("steps 1-3 are not done again")
                .containsExactly(4, 5, 6);
        assertThat(snapshots.taskKeys())
                .as("checkpoints are deleted once the result is accepted")
                .noneMatch(k -> k.contains(wf));
    }

    @Test
    void aLostCheckpointFailsTheRetryLoudlyInsteadOfStartingOver() {
        String wf = id("lost");
        observer.onFinished(wf, attempt -> {
            if (attempt.attempt() == 1) { // the store loses the checkpoint the heartbeat named
                snapshots.taskKeys().stream().filter(k -> k.contains(wf)).forEach(snapshots::delete);
            }
        });
        snapshots.failFirstAttemptAt(wf, 3);
        ActivityFailure failure = activityFailure(
                wf, ActivityCall.once("steps", QUEUE, STEPS).withRetries(2, 100).withHeartbeatTimeout(5_000));
        assertThat(failure.getCause()).isInstanceOfSatisfying(ApplicationFailure.class, app -> {
            assertThat(app.getType()).isEqualTo("wasm-worker.checkpoint");
            assertThat(app.getOriginalMessage())
                    .contains("should resume from checkpoint temporal:default/" + wf)
                    .contains("the checkpoint is lost")
                    .contains("refusing to start the task over");
        });
        assertThat(observer.attempts(wf))
                .as("the second attempt never ran its guest")
                .hasSize(1);
    }

    @Test
    void onShutdownARunningGuestStopsAtItsNextCheckpointAndTheRetryResumesThere() throws Exception {
        String queue = "shutdown-test";
        String wf = id("shutdown");
        Map<String, Object> input = Map.of("steps", 8, "work", 100_000_000); // ~0.4 s a step, warm
        Map<String, TaskBinding> bindings = Map.of("slow-steps", steps(Duration.ofSeconds(60)));
        TemporalSettings settings = TemporalSettings.of(service.target(), TemporalService.NAMESPACE);
        // guests on the activity threads here: the suspend works the same without the hand-off
        TemporalAdapter first = TemporalAdapter.builder(settings, runner)
                .queue(queue, bindings, 1)
                .shutdownGrace(Duration.ofSeconds(20))
                .guestThreads(TemporalAdapter.GuestThreadMode.ACTIVITY_THREADS)
                .observer(observer)
                .build()
                .start();
        CountDownLatch checkpointed = new CountDownLatch(2);
        observer.onCheckpoint(wf, m -> checkpointed.countDown());
        WorkflowClient.start(
                workflow(wf)::call,
                ActivityCall.once("slow-steps", queue, input)
                        .withRetries(3, 100)
                        .withHeartbeatTimeout(5_000));
        assertThat(checkpointed.await(30, TimeUnit.SECONDS)).isTrue();

        long started = System.nanoTime();
        first.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("stopped at the next checkpoint, not the grace")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(observer.attempts(wf))
                .singleElement()
                .satisfies(a -> assertThat(a.result().outcome().label()).isEqualTo("suspended"));

        try (TemporalAdapter second = TemporalAdapter.builder(settings, runner)
                .queue(queue, bindings, 1)
                .observer(observer)
                .build()
                .start()) {
            Object result = client.newUntypedWorkflowStub(wf).getResult(60, TimeUnit.SECONDS, Object.class);
            assertThat(JSON.writeValueAsString(result))
                    .isEqualTo(JSON.readTree(uninterrupted(input)).toString());
        }
        List<Attempt> attempts = observer.attempts(wf);
        assertThat(attempts).hasSize(2);
        List<CheckpointRef> firstCheckpoints = attempts.get(0).checkpoints();
        long suspendedAt = firstCheckpoints.get(firstCheckpoints.size() - 1).generation(); // = its sequence here
        assertThat(attempts.get(1).result().metrics().resumedFromSequence()).isEqualTo(suspendedAt);
        assertThat(Guests.steps(attempts.get(1).stderr()))
                .startsWith((int) suspendedAt + 1)
                .allMatch(s -> s > suspendedAt);
    }

    /** An adapter of its own on {@code queue}, with the operator's pause and reset played by {@code operator}. */
    static TemporalAdapter operatedAdapter(String queue, OperatorActions operator) {
        return TemporalAdapter.builder(TemporalSettings.of(service.target(), TemporalService.NAMESPACE), runner)
                .queue(queue, Map.of("steps", steps(Duration.ofSeconds(30))), 1)
                .observer(observer)
                .interceptor(operator)
                .build()
                .start();
    }

    @Test
    void anOperatorsPauseStopsTheGuestAtItsNextCheckpointAndTheNextAttemptResumesThere() throws Exception {
        String queue = "pause-test";
        String wf = id("pause");
        Map<String, Object> input = Map.of("steps", 8, "work", 1_000_000);
        OperatorActions operator = new OperatorActions();
        observer.onCheckpoint(wf, ref -> operator.pause(wf, 1)); // paused once attempt 1 has checkpointed
        Object result;
        List<ILoggingEvent> sdkLog;
        try (TemporalAdapter paused = operatedAdapter(queue, operator);
                CapturedLog log = new CapturedLog("io.temporal")) {
            // the test server does not hold a paused activity: it retries at once, as Temporal does on unpause
            result = call(
                    wf,
                    ActivityCall.once("steps", queue, input).withRetries(2, 100).withHeartbeatTimeout(5_000));
            sdkLog = log.events();
        }
        assertThat(JSON.writeValueAsString(result))
                .isEqualTo(JSON.readTree(uninterrupted(input)).toString());
        List<Attempt> attempts = observer.attempts(wf);
        assertThat(attempts).extracting(Attempt::attempt).containsExactly(1, 2);
        Attempt first = attempts.get(0);
        assertThat(first.result().outcome().label())
                .as("stopped at a checkpoint, not cancelled: " + first.result().report())
                .isEqualTo("suspended");
        long stoppedAt = first.checkpoints().get(first.checkpoints().size() - 1).generation();
        assertThat(stoppedAt).isLessThan(8);
        assertThat(attempts.get(1).result().metrics().resumedFromSequence()).isEqualTo(stoppedAt);
        assertThat(Guests.steps(attempts.get(1).stderr()))
                .as("no step is done again")
                .startsWith((int) stoppedAt + 1)
                .allMatch(step -> step > stoppedAt);
        // what an operator asked for is no fault: no WARN with a stack trace from the SDK
        assertThat(sdkLog)
                .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN)
                        && e.getThrowableProxy() != null
                        && e.getThrowableProxy().getMessage().contains(wf));
    }

    @Test
    void afterAnOperatorsResetTheAttemptsNumberedFromOneAgainStillResume() throws Exception {
        String queue = "reset-test";
        String wf = id("reset");
        Map<String, Object> input = Map.of("steps", 10, "work", 1_000_000);
        OperatorActions operator = new OperatorActions();
        // attempt 1 is paused; attempt 2 is reset, and Temporal numbers the attempt after it 1 again
        observer.onCheckpoint(wf, ref -> {
            operator.pause(wf, 1);
            observer.onFinished(wf, a -> observer.onCheckpoint(wf, r -> operator.reset(wf, 2)));
        });
        operator.renumber(wf, attempt -> attempt >= 3 ? attempt - 2 : attempt);
        Object result;
        try (TemporalAdapter reset = operatedAdapter(queue, operator)) {
            // three attempts at most: had the third refused attempt 2's checkpoint, the workflow would fail
            result = call(
                    wf,
                    ActivityCall.once("steps", queue, input).withRetries(3, 100).withHeartbeatTimeout(5_000));
        }
        assertThat(JSON.writeValueAsString(result))
                .isEqualTo(JSON.readTree(uninterrupted(input)).toString());
        List<Attempt> attempts = observer.attempts(wf);
        assertThat(attempts).extracting(Attempt::attempt).containsExactly(1, 2, 1);
        assertThat(attempts.subList(0, 2))
                .allSatisfy(a -> assertThat(a.result().outcome().label()).isEqualTo("suspended"));
        Attempt second = attempts.get(1);
        long stoppedAt =
                second.checkpoints().get(second.checkpoints().size() - 1).generation();
        Attempt afterReset = attempts.get(2);
        assertThat(afterReset.result().outcome())
                .as(afterReset.result().report())
                .isInstanceOf(Outcome.Success.class);
        assertThat(afterReset.result().metrics().resumedFromSequence()).isEqualTo(stoppedAt);
        assertThat(Guests.steps(afterReset.stderr())).allMatch(step -> step > stoppedAt);
    }

    @Test
    void aMissingArtifactFailsStartUpNamingIt() {
        TemporalAdapter bad = TemporalAdapter.builder(TemporalSettings.of(service.target(), "default"), runner)
                .queue("never-polled", Map.of("x", TaskBinding.of(ArtifactRef.parse("no-such-guest"))), 1)
                .build();
        assertThatThrownBy(bad::start)
                .hasMessageContaining("activity type 'x' on task queue 'never-polled'")
                .hasMessageContaining("no artifact is named 'no-such-guest'");
    }

    @Test
    void startsOnceAndNeverAgainAfterClose() {
        assertThatThrownBy(adapter::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the Temporal adapter cannot start: it is STARTED");
        TemporalAdapter closed = TemporalAdapter.builder(TemporalSettings.of(service.target(), "default"), runner)
                .queue("never-polled", Map.of("x", TaskBinding.of(ArtifactRef.parse("echo"))), 1)
                .build();
        closed.close();
        assertThatThrownBy(closed::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the Temporal adapter cannot start: it is CLOSED");
        assertThatThrownBy(closed::client).hasMessageContaining("client() needs it STARTED");
    }
}
