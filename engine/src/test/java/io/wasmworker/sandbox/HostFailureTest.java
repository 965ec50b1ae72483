package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Sandbox#invoke} never throws, not even an Error from the host, and a run that failed that way
 * leaves the sandbox as it found it: no pending deadline, no stray interrupt, the next run fine.
 */
class HostFailureTest {
    private static final Sandbox SANDBOX = new Sandbox();

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static final GuestModule EMIT_ONE =
            Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 1)))");

    /** Reads the real-time clock once, then emits 7. */
    private static final GuestModule READS_CLOCK = Guests.emitting("""
            (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
            """, """
            (func (export "_start")
              (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 64)))
              (call $emit (i32.const 7)))
            """);

    private static Invocation withClock(Supplier<GuestClock> clock) {
        return new Invocation(
                "{}".getBytes(StandardCharsets.UTF_8),
                GuestLimits.DEFAULTS,
                Map.of(),
                clock,
                GuestRandom::secure,
                null,
                null);
    }

    /** A clock whose readings throw what {@code error} makes. */
    private static GuestClock throwingClock(Supplier<Error> error) {
        GuestClock system = GuestClock.system();
        return new GuestClock() {
            @Override
            public long realtimeNanos() {
                throw error.get();
            }

            @Override
            public long monotonicNanos() {
                throw error.get();
            }

            @Override
            public long state() {
                return system.state();
            }

            @Override
            public void restore(long state) {}
        };
    }

    private static Outcome.Failure failure(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Failure.class);
        return (Outcome.Failure) r.outcome();
    }

    private static void assertTheSandboxCarriesOn() {
        assertThat(SANDBOX.pendingDeadlines())
                .as("the run's deadline was cancelled")
                .isZero();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        InvocationResult next = SANDBOX.invoke(EMIT_ONE, Invocation.of("{}".getBytes(StandardCharsets.UTF_8)));
        assertThat(next.outcome()).as(next.report()).isInstanceOf(Outcome.Success.class);
    }

    @Test
    void anErrorFromTheHostBeforeTheGuestStartsIsAFailureNotAThrow() {
        InvocationResult r = SANDBOX.invoke(EMIT_ONE, withClock(() -> {
            throw new NoClassDefFoundError("test: a class went missing");
        }));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
        assertThat(f.reason()).contains("NoClassDefFoundError").contains("a class went missing");
        assertTheSandboxCarriesOn();
    }

    @Test
    void anOutOfMemoryErrorOutsideTheGuestsOwnAllocationsIsInternalNotTheGuestsFault() {
        InvocationResult r = SANDBOX.invoke(
                READS_CLOCK, withClock(() -> throwingClock(() -> new OutOfMemoryError("test: Java heap space"))));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
        assertThat(f.reason()).contains("outside the guest's own allocations").contains("-Xmx");
        assertTheSandboxCarriesOn();
    }

    @Test
    void anErrorFromAHostFunctionWhileTheGuestRunsIsAFailure() {
        InvocationResult r = SANDBOX.invoke(
                READS_CLOCK, withClock(() -> throwingClock(() -> new AssertionError("test: a host bug"))));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
        assertThat(f.reason()).contains("AssertionError: test: a host bug");
        assertTheSandboxCarriesOn();
    }

    @Test
    void aClosedSandboxReportsAFailureInsteadOfThrowing() {
        Sandbox closed = new Sandbox();
        closed.close();
        Outcome.Failure f = failure(closed.invoke(EMIT_ONE, Invocation.of("{}".getBytes(StandardCharsets.UTF_8))));
        assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
        assertThat(f.reason()).contains("RejectedExecutionException");
    }

    @Test
    void aNullModuleIsAFailureToo() {
        Outcome.Failure f = failure(SANDBOX.invoke(null, Invocation.of("{}".getBytes(StandardCharsets.UTF_8))));
        assertThat(f.kind()).isEqualTo(FailureKind.INTERNAL);
        assertThat(f.reason()).contains("NullPointerException");
    }

    /**
     * The guest grows its memory within a limit larger than the whole heap: the JVM runs out in the
     * guest's own (charged) allocation, which is the guest's memory_limit, and the heap comes back for
     * the next run. In a JVM of its own with a 64 MiB heap: exhausting this one's would starve its
     * other threads (surefire's among them) at random.
     */
    @Test
    void theHeapRunningOutInTheGuestsOwnAllocationIsAMemoryLimitFailure() throws Exception {
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx64m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HeapExhaustion.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(out).isZero();
        assertThat(out)
                .contains("first: memory_limit: the worker's heap ran out while the guest allocated memory"
                        + " within its limit of 128 MiB")
                .contains("next: success");
    }

    /** Runs in the child JVM: a guest growing to 128 MiB in a 64 MiB heap, then a small one. */
    public static final class HeapExhaustion {
        public static void main(String[] args) {
            var grows = Guests.emitting("", "(func (export \"_start\") (call $emit (memory.grow (i32.const 2047))))");
            try (Sandbox sandbox = new Sandbox()) {
                InvocationResult first = sandbox.invoke(
                        grows,
                        Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                                .withLimits(GuestLimits.DEFAULTS.withMaxMemoryBytes(128L << 20)));
                System.out.println("first: " + first.outcome().label() + ": "
                        + (first.outcome() instanceof Outcome.Failure f ? f.reason() : ""));
                InvocationResult next = sandbox.invoke(EMIT_ONE, Invocation.of("{}".getBytes(StandardCharsets.UTF_8)));
                System.out.println(
                        "next: " + next.outcome().label() + " deadlines left: " + sandbox.pendingDeadlines());
            }
        }
    }
}
