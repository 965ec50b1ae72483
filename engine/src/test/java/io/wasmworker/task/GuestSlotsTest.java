package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounded guest slots, and the one graceful stop both adapters use: suspend, grace, cancel. */
class GuestSlotsTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final GuestModule ENDLESS =
            Guests.watModule("(module (memory (export \"memory\") 1) (func (export \"_start\") (loop $l (br $l))))");

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    /** Runs the guest in a slot of the pool, on its thread; the result completes the future. */
    private static CompletableFuture<InvocationResult> start(
            GuestSlots.Pool pool, RunControl control, GuestModule module, Invocation invocation)
            throws InterruptedException {
        CompletableFuture<InvocationResult> result = new CompletableFuture<>();
        GuestSlots.Slot slot = pool.take(control);
        slot.handOver(() -> result.complete(SANDBOX.invoke(module, invocation.withControl(control))));
        return result;
    }

    private static Invocation endless() {
        return Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                .withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(60)));
    }

    @Test
    void aPoolHoldsAtMostItsSizeAndAFreedSlotCanBeTakenAgain() throws Exception {
        try (GuestSlots slots = new GuestSlots("test", Duration.ZERO)) {
            GuestSlots.Pool pool = slots.pool("topic", 1);
            GuestSlots.Slot first = pool.tryTake(new RunControl(), 1, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(pool.tryTake(new RunControl(), 50, TimeUnit.MILLISECONDS))
                    .as("the pool is full")
                    .isNull();
            assertThat(pool.awaitFree(50, TimeUnit.MILLISECONDS)).isFalse();
            first.close();
            first.close(); // once only: a second close frees nothing more
            assertThat(pool.awaitFree(1, TimeUnit.SECONDS))
                    .as("looking does not take the slot")
                    .isTrue();
            GuestSlots.Slot second = pool.tryTake(new RunControl(), 1, TimeUnit.SECONDS);
            assertThat(second).isNotNull();
            assertThat(pool.tryTake(new RunControl(), 50, TimeUnit.MILLISECONDS))
                    .as("two closes of the first slot freed one")
                    .isNull();
            second.close();
        }
    }

    @Test
    void onCloseAGuestThatCanCheckpointStopsAtItsNextCheckpointWellWithinTheGrace() throws Exception {
        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);
        GuestSlots slots = new GuestSlots("test", Duration.ofSeconds(30));
        GuestSlots.Pool pool = slots.pool("topic", 2);
        CountDownLatch checkpointed = new CountDownLatch(1);
        Invocation invocation = Invocation.of("{\"steps\":1000,\"work\":2000000}".getBytes(StandardCharsets.UTF_8))
                .withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(60)))
                .withCheckpoints(new CheckpointContext(
                        store, "task", 1, new CheckpointPolicy(0, Duration.ZERO, true), m -> checkpointed.countDown()));
        CompletableFuture<InvocationResult> result =
                start(pool, new RunControl(), Guests.module("ckpt-step-c"), invocation);
        assertThat(checkpointed.await(30, TimeUnit.SECONDS)).isTrue();

        long started = System.nanoTime();
        slots.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        InvocationResult ended = result.get(10, TimeUnit.SECONDS);
        assertThat(ended.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.SUSPENDED));
        assertThat(slots.busy()).isZero();
    }

    @Test
    void onCloseAGuestThatCannotCheckpointIsCancelledWhenTheGraceIsOver() throws Exception {
        Duration grace = Duration.ofMillis(300);
        GuestSlots slots = new GuestSlots("test", grace);
        CompletableFuture<InvocationResult> result =
                start(slots.pool("topic", 1), new RunControl(), ENDLESS, endless());

        long started = System.nanoTime();
        slots.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("the grace is given in full")
                .isGreaterThanOrEqualTo(grace)
                .isLessThan(Duration.ofSeconds(10));
        InvocationResult ended = result.get(10, TimeUnit.SECONDS);
        assertThat(ended.outcome())
                .isEqualTo(new Outcome.Failure(
                        FailureKind.CANCELLED,
                        "the run was cancelled: the worker is shutting down and the guest reached no checkpoint within "
                                + grace));
    }

    @Test
    void theGraceIsSharedByAllPoolsNotGivenToEach() throws Exception {
        Duration grace = Duration.ofMillis(500);
        GuestSlots slots = new GuestSlots("test", grace);
        CompletableFuture<InvocationResult> a = start(slots.pool("a", 1), new RunControl(), ENDLESS, endless());
        CompletableFuture<InvocationResult> b = start(slots.pool("b", 1), new RunControl(), ENDLESS, endless());
        CompletableFuture<InvocationResult> c = start(slots.pool("c", 1), new RunControl(), ENDLESS, endless());

        long started = System.nanoTime();
        slots.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(grace.multipliedBy(3));
        for (CompletableFuture<InvocationResult> r : java.util.List.of(a, b, c)) {
            assertThat(r.get(10, TimeUnit.SECONDS).outcome().label()).isEqualTo("cancelled");
        }
    }

    @Test
    void aSlotTakenAfterTheStopSuspendsItsGuestAtOnceAndStillGetsAThreadUntilClose() throws Exception {
        GuestSlots slots = new GuestSlots("test", Duration.ZERO);
        GuestSlots.Pool pool = slots.pool("queue", 1);
        slots.stop();
        assertThat(slots.stopping()).isTrue();
        RunControl control = new RunControl();
        try (GuestSlots.Slot slot = pool.take(control)) {
            assertThat(control.suspendRequested()).isTrue();
            assertThat(slot.runGuest(() -> Thread.currentThread().getName()))
                    .as("an activity the SDK handed over during its shutdown still runs on a sandbox thread")
                    .startsWith("guest-");
        }
        slots.close();
        try (GuestSlots.Slot slot = pool.take(new RunControl())) {
            assertThatThrownBy(() -> slot.handOver(() -> {}))
                    .as("the pool's threads are stopped")
                    .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        }
        assertThat(slots.busy()).as("a refused hand-over frees its slot").isZero();
    }

    @Test
    void aGuestWhoseWaitingThreadIsInterruptedIsCancelledAndStillWaitedFor() throws Exception {
        try (GuestSlots slots = new GuestSlots("test", Duration.ZERO)) {
            GuestSlots.Pool pool = slots.pool("queue", 1);
            RunControl control = new RunControl();
            CompletableFuture<InvocationResult> result = new CompletableFuture<>();
            Thread waiting = new Thread(() -> {
                try (GuestSlots.Slot slot = pool.take(control)) {
                    result.complete(slot.runGuest(
                            () -> SANDBOX.invoke(ENDLESS, endless().withControl(control))));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            waiting.start();
            Thread.sleep(200);
            waiting.interrupt();
            InvocationResult ended = result.get(10, TimeUnit.SECONDS);
            assertThat(ended.outcome())
                    .isEqualTo(new Outcome.Failure(
                            FailureKind.CANCELLED,
                            "the run was cancelled: the task's thread was interrupted (the worker is stopping)"));
            waiting.join(5_000);
            assertThat(slots.busy()).isZero();
        }
    }

    @Test
    void aCallerThreadPoolRunsTheGuestOnTheCallersThread() throws Exception {
        try (GuestSlots slots = new GuestSlots("test", Duration.ZERO)) {
            GuestSlots.Pool pool = slots.callerThreadPool("queue", 1);
            try (GuestSlots.Slot slot = pool.take(new RunControl())) {
                assertThat(slot.runGuest(Thread::currentThread)).isSameAs(Thread.currentThread());
            }
        }
    }
}
