package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The adapters' handle on a running guest: suspend at the next checkpoint, cancel at once. */
class RunControlTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final byte[] INPUT = "{\"steps\":8,\"work\":200000}".getBytes(StandardCharsets.UTF_8);
    /** Checkpoints only when the guest asks (the checkpoint guests ask after every step). */
    private static final CheckpointPolicy ON_REQUEST = new CheckpointPolicy(0, Duration.ZERO, true);

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static Invocation checkpointed(LocalSnapshotStore store, int attempt, Consumer<Manifest> published) {
        return Invocation.of(INPUT)
                .deterministic(7)
                .withCheckpoints(new CheckpointContext(store, "task", attempt, ON_REQUEST, published));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ckpt-step-c",
                "ckpt-async-rust",
                "ckpt-async-as",
                "ckpt-step-as",
                "ckpt-async-zig",
                "ckpt-step-zig"
            })
    void aSuspendedGuestStopsAtItsNextCheckpointAndTheRetryEndsExactlyLikeAnUninterruptedRun(String guest) {
        GuestModule module = Guests.module(guest);
        InvocationResult uninterrupted =
                SANDBOX.invoke(module, Invocation.of(INPUT).deterministic(7));
        assertThat(uninterrupted.outcome()).as(uninterrupted.report()).isInstanceOf(Outcome.Success.class);

        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);
        RunControl control = new RunControl();
        List<Long> published = new CopyOnWriteArrayList<>();
        InvocationResult suspended = SANDBOX.invoke(
                module,
                checkpointed(store, 1, m -> {
                            published.add(m.sequence());
                            if (m.sequence() == 3) {
                                control.suspend(); // as a shutdown would, while the guest runs
                            }
                        })
                        .withControl(control));

        assertThat(suspended.outcome()).isInstanceOf(Outcome.Failure.class);
        Outcome.Failure failure = (Outcome.Failure) suspended.outcome();
        assertThat(failure.kind()).isEqualTo(FailureKind.SUSPENDED);
        // asked while checkpoint 3 was being published: it stops right there, before step 4
        assertThat(published).containsExactly(1L, 2L, 3L);
        assertThat(failure.reason()).contains("checkpoint 3");
        assertThat(steps(suspended.stderrTail())).containsExactly(1, 2, 3);

        InvocationResult resumed = SANDBOX.invoke(module, checkpointed(store, 2, m -> {}));
        assertThat(resumed.outcome()).as(resumed.report()).isInstanceOf(Outcome.Success.class);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(3);
        assertThat(steps(resumed.stderrTail()))
                .as("no step before the checkpoint ran again")
                .startsWith(4)
                .allMatch(s -> s > 3);
        assertThat(resumed.stdout()).isEqualTo(uninterrupted.stdout());
    }

    @Test
    void aCancelledRunStopsAtOnceWithTheCallersReason() {
        RunControl control = new RunControl();
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        try {
            later.schedule(
                    () -> control.cancel("the heartbeat says the attempt timed out"), 300, TimeUnit.MILLISECONDS);
            long start = System.nanoTime();
            InvocationResult r = SANDBOX.invoke(
                    Guests.module("hostile-spin"),
                    Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                            .withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(20)))
                            .withControl(control));
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(r.outcome())
                    .isEqualTo(new Outcome.Failure(
                            FailureKind.CANCELLED, "the run was cancelled: the heartbeat says the attempt timed out"));
            assertThat(millis).as("stopped long before its 20 s limit").isLessThan(10_000);
            assertThat(Thread.currentThread().isInterrupted())
                    .as("the interrupt does not outlive the run")
                    .isFalse();
        } finally {
            later.shutdownNow();
        }
    }

    @Test
    void aRunCancelledBeforeItStartsDoesNotRun() {
        RunControl control = new RunControl();
        control.cancel("shutting down");
        InvocationResult r = SANDBOX.invoke(
                Guests.module("echo"),
                Invocation.of("{\"a\":1}".getBytes(StandardCharsets.UTF_8)).withControl(control));
        assertThat(r.outcome())
                .isEqualTo(new Outcome.Failure(FailureKind.CANCELLED, "the run was cancelled: shutting down"));
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void anOlderAttemptIsFencedOffOnceALaterOneHasCheckpointed() {
        GuestModule module = Guests.module("ckpt-step-c");
        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);
        RunControl control = new RunControl();
        InvocationResult second = SANDBOX.invoke(
                module, checkpointed(store, 2, m -> control.suspend()).withControl(control));
        assertThat(((Outcome.Failure) second.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);

        InvocationResult zombie = SANDBOX.invoke(module, checkpointed(store, 1, m -> {}));
        assertThat(zombie.outcome()).isInstanceOf(Outcome.Failure.class);
        Outcome.Failure failure = (Outcome.Failure) zombie.outcome();
        assertThat(failure.kind()).isEqualTo(FailureKind.CHECKPOINT);
        assertThat(failure.reason()).contains("stale attempt 1").contains("attempt 2 has checkpointed it");
        assertThat(zombie.stderrTail()).as("the zombie ran no step").isEmpty();
        assertThat(store.latest("task").orElseThrow().attempt()).isEqualTo(2);
    }

    private static List<Integer> steps(byte[] stderr) {
        List<Integer> steps = new ArrayList<>();
        Matcher m = Pattern.compile("step (\\d+)").matcher(new String(stderr, StandardCharsets.UTF_8));
        while (m.find()) {
            steps.add(Integer.parseInt(m.group(1)));
        }
        return steps;
    }
}
