package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
import org.slf4j.LoggerFactory;

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

    /** Runs attempt 1 of task {@code key}. */
    private static InvocationResult run(TaskRunner runner, TaskBinding binding, String key, String input) {
        return run(runner, binding, key, 1, input, null, null);
    }

    private static InvocationResult run(
            TaskRunner runner,
            TaskBinding binding,
            String key,
            int attempt,
            String input,
            RunControl control,
            java.util.function.Consumer<CheckpointRef> onCheckpoint) {
        return runner.open(TaskKey.of(key), binding, attempt)
                .invoke(input.getBytes(StandardCharsets.UTF_8), Map.of("SOURCE", "test"), control, onCheckpoint);
    }

    @Test
    void aNamedArtifactIsResolvedOnEveryTaskSoRebindingDeploysANewVersion() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        TaskBinding binding = TaskBinding.of(ArtifactRef.parse("logic"));
        InvocationResult first = run(runner, binding, "t1", "{\"a\":1}");
        assertThat(new String(first.stdout(), StandardCharsets.UTF_8)).contains("\"a\":1");

        artifacts.bindName("logic", artifacts.put(Guests.bytes("hostile-trap")));
        InvocationResult second = run(runner, binding, "t2", "{\"a\":1}");
        assertThat(((Outcome.Failure) second.outcome()).kind()).isEqualTo(FailureKind.TRAP);
    }

    @Test
    void aTaskStartedBeforeANameWasReboundFinishesOnTheVersionItStartedWith() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("ckpt-step-c")));
        TaskBinding binding = new TaskBinding(
                ArtifactRef.parse("logic"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
        String input = "{\"steps\":4,\"work\":1000}";
        RunControl control = new RunControl();
        InvocationResult first = run(runner, binding, "t", 1, input, control, ref -> control.suspend());
        assertThat(((Outcome.Failure) first.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);

        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo"))); // a new version is deployed
        InvocationResult resumed = run(runner, binding, "t", 2, input, null, null);
        assertThat(resumed.outcome()).as(resumed.report()).isInstanceOf(Outcome.Success.class);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(1);
        assertThat(new String(resumed.stdout(), StandardCharsets.UTF_8)).contains("\"result\"");

        InvocationResult fresh = run(runner, binding, "new-task", "{\"a\":1}");
        assertThat(new String(fresh.stdout(), StandardCharsets.UTF_8))
                .as("new tasks run the new version")
                .isEqualTo("{\"a\":1}");
    }

    @Test
    void unusableArtifactsAreFailuresThatNameWhatIsWrong() {
        InvocationResult unbound = run(runner, TaskBinding.of(ArtifactRef.parse("nope")), "t", "{}");
        assertThat(unbound.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(((Outcome.Failure) unbound.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
        assertThat(((Outcome.Failure) unbound.outcome()).reason()).contains("'nope'");

        Digest absent = Digest.of("not stored".getBytes(StandardCharsets.UTF_8));
        InvocationResult missing = run(runner, TaskBinding.of(ArtifactRef.parse(absent.toString())), "t", "{}");
        assertThat(((Outcome.Failure) missing.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
        assertThat(((Outcome.Failure) missing.outcome()).reason()).contains(absent.toString());

        Digest notWasm = artifacts.put("definitely not wasm".getBytes(StandardCharsets.UTF_8));
        InvocationResult invalid = run(runner, TaskBinding.of(ArtifactRef.parse(notWasm.toString())), "t", "{}");
        assertThat(((Outcome.Failure) invalid.outcome()).kind()).isEqualTo(FailureKind.ARTIFACT);
    }

    @Test
    void checkpointsAreKeptUntilTheTaskIsFinished() {
        Digest guest = artifacts.put(Guests.bytes("ckpt-step-c"));
        TaskBinding binding = new TaskBinding(
                ArtifactRef.parse(guest.toString()),
                GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(30)),
                new CheckpointPolicy(1, Duration.ZERO, true));
        TaskAttempt attempt = runner.open(TaskKey.of("task-9"), binding, 1);
        InvocationResult r =
                attempt.invoke("{\"steps\":3,\"work\":1000}".getBytes(StandardCharsets.UTF_8), Map.of(), null, null);
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(r.metrics().checkpoints()).isPositive();
        assertThat(snapshots.latest("task-9")).isPresent();
        assertThat(attempt.checkpoint())
                .contains(CheckpointRef.of(snapshots.latest("task-9").get()));

        attempt.finished();
        assertThat(snapshots.latest("task-9")).isEmpty();
    }

    @Test
    void aRetryWithAnotherInputStartsAfreshOnTheVersionBoundNowAndTheObserverIsTold() {
        List<DiscardedCheckpoint> discarded = new ArrayList<>();
        TaskRunner observed = new TaskRunner(
                artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), snapshots, sandbox, new TaskObserver() {
                    @Override
                    public void finished(TaskAttempt task, InvocationResult result) {}

                    @Override
                    public void checkpointDiscarded(TaskAttempt task, DiscardedCheckpoint d) {
                        discarded.add(d);
                    }
                });
        artifacts.bindName("logic", artifacts.put(Guests.bytes("ckpt-step-c")));
        TaskBinding binding = new TaskBinding(
                ArtifactRef.parse("logic"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
        RunControl control = new RunControl();
        InvocationResult first =
                run(observed, binding, "t", 1, "{\"steps\":4,\"work\":1000}", control, ref -> control.suspend());
        assertThat(((Outcome.Failure) first.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);

        // the task's variables changed before the retry, and a new version was deployed meanwhile
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        InvocationResult retry = run(observed, binding, "t", "{\"changed\":true}");
        assertThat(retry.outcome()).as(retry.report()).isInstanceOf(Outcome.Success.class);
        assertThat(retry.metrics().resumedFromSequence()).isZero();
        assertThat(new String(retry.stdout(), StandardCharsets.UTF_8)).isEqualTo("{\"changed\":true}");
        assertThat(discarded)
                .singleElement()
                .satisfies(d -> assertThat(d.input())
                        .isEqualTo(Digest.of("{\"changed\":true}".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void anObserverFailingOnADiscardedCheckpointDoesNotFailTheFreshStart() {
        TaskRunner observed = new TaskRunner(
                artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), snapshots, sandbox, new TaskObserver() {
                    @Override
                    public void finished(TaskAttempt task, InvocationResult result) {}

                    @Override
                    public void checkpointDiscarded(TaskAttempt task, DiscardedCheckpoint d) {
                        throw new IllegalStateException("metrics backend down");
                    }
                });
        Digest guest = artifacts.put(Guests.bytes("ckpt-step-c"));
        TaskBinding binding = new TaskBinding(
                ArtifactRef.parse(guest.toString()),
                GuestLimits.DEFAULTS,
                new CheckpointPolicy(1, Duration.ZERO, true));
        assertThat(run(observed, binding, "t", "{\"steps\":2,\"work\":10}").outcome())
                .isInstanceOf(Outcome.Success.class);
        InvocationResult other = run(observed, binding, "t", "{\"steps\":3,\"work\":10}");
        assertThat(other.outcome()).as(other.report()).isInstanceOf(Outcome.Success.class);
        assertThat(other.metrics().resumedFromSequence()).isZero();
    }

    /** A snapshot store that throws {@code error} from {@code latest} and works otherwise. */
    private SnapshotStore throwingOnLatest(Error error) {
        return (SnapshotStore) Proxy.newProxyInstance(
                SnapshotStore.class.getClassLoader(), new Class<?>[] {SnapshotStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("latest")) {
                        throw error;
                    }
                    try {
                        return method.invoke(snapshots, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void anErrorFromTheHostIsAFailureOfTheTaskNotAThrow() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        TaskRunner broken = new TaskRunner(
                artifacts,
                new ModuleCache(artifacts, new ModuleLoader(), 8),
                throwingOnLatest(new NoClassDefFoundError("test: a class went missing")),
                sandbox);
        InvocationResult r = run(broken, TaskBinding.of(ArtifactRef.parse("logic")), "t", "{}");
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
            assertThat(f.reason()).contains("NoClassDefFoundError: test: a class went missing");
        });
        // the runner and its sandbox carry on
        InvocationResult next = run(runner, TaskBinding.of(ArtifactRef.parse("logic")), "t2", "[5]");
        assertThat(next.outcome()).as(next.report()).isInstanceOf(Outcome.Success.class);
    }

    @Test
    void anObserverThatThrowsDoesNotCostTheTaskItsResult() {
        artifacts.bindName("logic", artifacts.put(Guests.bytes("echo")));
        TaskRunner observed = new TaskRunner(
                artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), snapshots, sandbox, (task, result) -> {
                    throw new StackOverflowError("test: the metrics registry recursed");
                });
        InvocationResult r = run(observed, TaskBinding.of(ArtifactRef.parse("logic")), "t", "[6]");
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).contains("6");
    }

    /**
     * Writes to stderr a line rewound by {@code \r} into a fake log record, ANSI colour, a C1 CSI and
     * a bidi override; then {} to stdout.
     */
    static final String STDERR_SPOOF_WAT = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "harmless\\0d12:00:00.000 [main] ERROR io.wasmworker.daemon -- forged\\0a\\1b[31mred\\1b[0m \\c2\\9b2J \\e2\\80\\aeevil\\0a")
              (data (i32.const 300) "{}")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const %d))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                (i32.store (i32.const 0) (i32.const 300))
                (i32.store (i32.const 4) (i32.const 2))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """.formatted(
                    ("harmless\r12:00:00.000 [main] ERROR io.wasmworker.daemon -- forged\n\u001b[31mred\u001b[0m "
                                    + "\u009b2J \u202eevil\n")
                            .getBytes(StandardCharsets.UTF_8)
                            .length);

    @Test
    void guestStderrReachesTheLogWithControlCharactersEscaped() {
        Digest guest = artifacts.put(Guests.wat(STDERR_SPOOF_WAT));
        Logger guestLog = (Logger) LoggerFactory.getLogger("io.wasmworker.guest");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level level = guestLog.getLevel();
        guestLog.setLevel(Level.INFO);
        guestLog.addAppender(appender);
        try {
            InvocationResult r = run(runner, TaskBinding.of(ArtifactRef.parse(guest.toString())), "t", "{}");
            assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        } finally {
            guestLog.detachAppender(appender);
            guestLog.setLevel(level);
        }
        assertThat(appender.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly(
                        "[guest] harmless\\r12:00:00.000 [main] ERROR io.wasmworker.daemon -- forged",
                        "[guest] \\u001b[31mred\\u001b[0m \\u009b2J \\u202eevil");
    }
}
