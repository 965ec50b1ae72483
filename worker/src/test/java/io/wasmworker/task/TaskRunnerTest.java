package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskRunnerTest {
    @TempDir
    Path dir;

    private final Sandbox sandbox = new Sandbox();
    private LocalArtifactStore artifacts;
    private LocalSnapshotStore snapshots;
    private TaskRunner runner;

    @BeforeEach
    void setUp() {
        artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        snapshots = new LocalSnapshotStore(dir.resolve("snapshots"), false);
        runner = new TaskRunner(artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), snapshots, sandbox);
    }

    @AfterEach
    void tearDown() {
        sandbox.close();
    }

    private TaskRequest request(TaskBinding binding, String key, String input) {
        return new TaskRequest(binding, key, 1, input.getBytes(StandardCharsets.UTF_8), Map.of("SOURCE", "test"), null, null);
    }

    @Test
    void aNamedArtifactIsResolvedOnEveryTaskSoRebindingDeploysANewVersion() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        TaskBinding binding = TaskBinding.of(ArtifactRef.parse("logic"));
        InvocationResult first = runner.run(request(binding, "t1", "{\"a\":1}"));
        assertThat(new String(first.stdout(), StandardCharsets.UTF_8)).contains("\"a\":1");

        artifacts.bindName("logic", artifacts.put(Guests.bytes("hostile-trap")));
        InvocationResult second = runner.run(request(binding, "t2", "{\"a\":1}"));
        assertThat(((Outcome.Failure) second.outcome()).kind()).isEqualTo(FailureKind.TRAP);
    }

    @Test
    void aTaskStartedBeforeANameWasReboundFinishesOnTheVersionItStartedWith() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("ckpt-step-c")));
        TaskBinding binding = new TaskBinding(ArtifactRef.parse("logic"), GuestLimits.DEFAULTS,
                new CheckpointPolicy(1, Duration.ZERO, true));
        String input = "{\"steps\":4,\"work\":1000}";
        RunControl control = new RunControl();
        InvocationResult first = runner.run(new TaskRequest(binding, "t", 1, input.getBytes(StandardCharsets.UTF_8),
                Map.of(), m -> control.suspend(), control));
        assertThat(((Outcome.Failure) first.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);

        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo"))); // a new version is deployed
        InvocationResult resumed = runner.run(new TaskRequest(binding, "t", 2, input.getBytes(StandardCharsets.UTF_8),
                Map.of(), null, null));
        assertThat(resumed.outcome()).as(resumed.report()).isInstanceOf(Outcome.Success.class);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(1);
        assertThat(new String(resumed.stdout(), StandardCharsets.UTF_8)).contains("\"result\"");

        InvocationResult fresh = runner.run(request(binding, "new-task", "{\"a\":1}"));
        assertThat(new String(fresh.stdout(), StandardCharsets.UTF_8)).as("new tasks run the new version")
                .isEqualTo("{\"a\":1}");
    }

    @Test
    void unusableArtifactsAreFailuresThatNameWhatIsWrong() {
        InvocationResult unbound = runner.run(request(TaskBinding.of(ArtifactRef.parse("nope")), "t", "{}"));
        assertThat(unbound.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(((Outcome.Failure) unbound.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
        assertThat(((Outcome.Failure) unbound.outcome()).reason()).contains("'nope'");

        Digest absent = Digest.of("not stored".getBytes(StandardCharsets.UTF_8));
        InvocationResult missing = runner.run(request(TaskBinding.of(ArtifactRef.parse(absent.toString())), "t", "{}"));
        assertThat(((Outcome.Failure) missing.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
        assertThat(((Outcome.Failure) missing.outcome()).reason()).contains(absent.toString());

        Digest notWasm = artifacts.put("definitely not wasm".getBytes(StandardCharsets.UTF_8));
        InvocationResult invalid = runner.run(request(TaskBinding.of(ArtifactRef.parse(notWasm.toString())), "t", "{}"));
        assertThat(((Outcome.Failure) invalid.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
    }

    @Test
    void checkpointsAreKeptUntilTheTaskIsFinished() {
        Digest guest = artifacts.put(Guests.bytes("ckpt-step-c"));
        TaskBinding binding = new TaskBinding(ArtifactRef.parse(guest.toString()),
                GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(30)), new CheckpointPolicy(1, Duration.ZERO, true));
        InvocationResult r = runner.run(request(binding, "task-9", "{\"steps\":3,\"work\":1000}"));
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(r.metrics().checkpoints()).isPositive();
        assertThat(snapshots.latest("task-9")).isPresent();

        runner.finished("task-9");
        assertThat(snapshots.latest("task-9")).isEmpty();
    }

    @Test
    void aRetryWithAnotherInputStartsAfreshOnTheVersionBoundNowAndTheObserverIsTold() {
        List<DiscardedCheckpoint> discarded = new ArrayList<>();
        TaskRunner observed = new TaskRunner(artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), snapshots,
                sandbox, new TaskObserver() {
                    @Override
                    public void finished(TaskRequest task, InvocationResult result) {}

                    @Override
                    public void checkpointDiscarded(TaskRequest task, DiscardedCheckpoint d) {
                        discarded.add(d);
                    }
                });
        artifacts.bindName("logic", artifacts.put(Guests.bytes("ckpt-step-c")));
        TaskBinding binding = new TaskBinding(ArtifactRef.parse("logic"), GuestLimits.DEFAULTS,
                new CheckpointPolicy(1, Duration.ZERO, true));
        RunControl control = new RunControl();
        InvocationResult first = observed.run(new TaskRequest(binding, "t", 1,
                "{\"steps\":4,\"work\":1000}".getBytes(StandardCharsets.UTF_8), Map.of(), m -> control.suspend(), control));
        assertThat(((Outcome.Failure) first.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);

        // the task's variables changed before the retry, and a new version was deployed meanwhile
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        InvocationResult retry = observed.run(request(binding, "t", "{\"changed\":true}"));
        assertThat(retry.outcome()).as(retry.report()).isInstanceOf(Outcome.Success.class);
        assertThat(retry.metrics().resumedFromSequence()).isZero();
        assertThat(new String(retry.stdout(), StandardCharsets.UTF_8)).isEqualTo("{\"changed\":true}");
        assertThat(discarded).singleElement().satisfies(d ->
                assertThat(d.input()).isEqualTo(Digest.of("{\"changed\":true}".getBytes(StandardCharsets.UTF_8))));
    }
}
