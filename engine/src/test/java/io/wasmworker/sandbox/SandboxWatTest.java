package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.InterpreterMachine;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Focused sandbox behaviour, with tiny modules written in WAT right here. */
class SandboxWatTest {
    private static final Sandbox SANDBOX = new Sandbox();

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static InvocationResult run(GuestModule m, Invocation inv) {
        return SANDBOX.invoke(m, inv);
    }

    private static Invocation input(String json) {
        return Invocation.of(json.getBytes(StandardCharsets.UTF_8));
    }

    private static long emitted(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return ((Outcome.Success) r.outcome()).output().get("v").asLong();
    }

    @Test
    void emitsJsonThroughWasiAndCountsHostCalls() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 4242)))");
        InvocationResult r = run(m, input("{}"));
        assertThat(emitted(r)).isEqualTo(4242);
        assertThat(r.metrics().hostCalls()).isEqualTo(1);
        assertThat(r.metrics().peakMemoryBytes()).isEqualTo(65536);
        assertThat(r.metrics().outputBytes()).isEqualTo("{\"v\":4242}".length());
    }

    @Test
    void aRunInterruptedByItsCallerIsCancelledNotTimedOut() throws Exception {
        var m = Guests.watModule(
                "(module (memory (export \"memory\") 1) (func (export \"_start\") (loop $l (br $l))))");
        InvocationResult[] result = new InvocationResult[1];
        boolean[] stillInterrupted = new boolean[1];
        Thread caller = new Thread(() -> {
            result[0] = run(m, input("{}"));
            stillInterrupted[0] = Thread.currentThread().isInterrupted();
        });
        caller.start();
        Thread.sleep(200);
        caller.interrupt();
        caller.join(5000);
        assertThat(result[0].outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.CANCELLED);
            assertThat(f.reason()).contains("its thread was interrupted");
        });
        assertThat(stillInterrupted[0])
                .as("the caller's own interrupt is left for the caller to see")
                .isTrue();
    }

    @Test
    void aStepGuestReturningSomethingElseThanZeroOrOneFails() {
        var m = Guests.watModule(
                "(module (memory (export \"memory\") 1) (func (export \"ww_step\") (result i32) (i32.const 7)))");
        assertThat(run(m, input("{}")).outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.TRAP);
            assertThat(f.reason()).contains("ww_step returned 7");
        });
    }

    @Test
    void finishedRunsLeaveNoDeadlineBehind() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 1)))");
        for (int i = 0; i < 50; i++) {
            emitted(run(m, input("{}")));
        }
        // each run's deadline is removed when it finishes, not kept (with its input) until it expires
        assertThat(SANDBOX.pendingDeadlines()).isZero();
    }

    @Test
    void interpretedBrIfLoopIsStoppedByTheTimeout() {
        // Chicory 1.7.5's interpreter ignores interrupts on br_if back edges; our listener must not.
        String spin =
                "(module (memory (export \"memory\") 1) (func (export \"_start\") (loop $l (br_if $l (i32.const 1)))))";
        GuestModule compiled = Guests.watModule(spin);
        GuestModule interpreted = new GuestModule(
                compiled.digest(), compiled.wasm(), InterpreterMachine::new, compiled.style(), compiled.sizeBytes(), 0);
        Invocation inv = input("{}").withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofMillis(300)));
        for (GuestModule m : new GuestModule[] {compiled, interpreted}) {
            long start = System.nanoTime();
            InvocationResult r = run(m, inv);
            assertThat(r.outcome())
                    .as(r.report())
                    .isEqualTo(new Outcome.Failure(
                            FailureKind.TIMEOUT, "the guest ran past its time limit of 300 ms and was stopped"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void growingPastTheMemoryLimitFailsInsideTheGuest() {
        // grows one page at a time until refused, then reports how many pages it got
        var m = Guests.emitting("", """
                (func (export "_start") (local $n i32)
                  (block $full (loop $grow
                    (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))
                    (br $grow)))
                  (call $emit (memory.size)))
                """);
        InvocationResult r = run(m, input("{}").withLimits(GuestLimits.DEFAULTS.withMaxMemoryBytes(4L << 20)));
        assertThat(emitted(r)).isEqualTo(64); // 4 MiB = 64 pages, no more
        assertThat(r.metrics().peakMemoryBytes()).isEqualTo(4L << 20);
    }

    @Test
    void aGuestThatFailsAfterARefusedGrowIsAMemoryLimitFailure() {
        var m = Guests.emitting("", """
                (func (export "_start")
                  (if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1)) (then unreachable)))
                """);
        InvocationResult r = run(m, input("{}").withLimits(GuestLimits.DEFAULTS.withMaxMemoryBytes(1L << 20)));
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
            assertThat(f.reason()).contains("memory limit of 1 MiB").contains("trapped");
        });
    }

    @Test
    void aModuleWhoseInitialMemoryExceedsTheLimitIsRefusedClearly() {
        var m = Guests.watModule("(module (memory (export \"memory\") 300) (func (export \"_start\")))");
        InvocationResult r = run(m, input("{}").withLimits(GuestLimits.DEFAULTS.withMaxMemoryBytes(16L << 20)));
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
            assertThat(f.reason()).contains("needs 300 pages").contains("256 pages");
        });
    }

    @Test
    void stdinIsServedInPiecesAndTheReadPositionAdvances() {
        // reads stdin 3 bytes at a time and reports the total
        var m = Guests.emitting(
                "(import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))",
                """
                (func (export "_start") (local $total i32)
                  (loop $more
                    (i32.store (i32.const 100) (i32.const 200))
                    (i32.store (i32.const 104) (i32.const 3))
                    (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 108)))
                    (local.set $total (i32.add (local.get $total) (i32.load (i32.const 108))))
                    (br_if $more (i32.gt_u (i32.load (i32.const 108)) (i32.const 0))))
                  (call $emit (local.get $total)))
                """);
        String json = "{\"k\": \"0123456789\"}";
        assertThat(emitted(run(m, input(json)))).isEqualTo(json.length());
    }

    @Test
    void hostileIovecLengthsNeitherAllocateNorCrashTheHost() {
        // asks fd_read for 2 GiB into a 64 KiB memory: served from the small input, no host allocation
        var m = Guests.emitting(
                "(import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))",
                """
                (func (export "_start")
                  (i32.store (i32.const 100) (i32.const 200))
                  (i32.store (i32.const 104) (i32.const 0x7fffffff))
                  (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 108)))
                  (call $emit (i32.load (i32.const 108))))
                """);
        assertThat(emitted(run(m, input("[1,2]")))).isEqualTo(5);
    }

    @Test
    void theGuestSeesOnlyTheAbiEnvironmentAndNoFilesystem() {
        var m = Guests.emitting("""
                (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
                """, """
                (func (export "_start")
                  (drop (call $env_sizes (i32.const 100) (i32.const 104)))
                  ;; count * 100 + errno of fd_prestat_get(3): no preopened directory means EBADF (8)
                  (call $emit (i32.add (i32.mul (i32.load (i32.const 100)) (i32.const 100))
                                       (call $prestat (i32.const 3) (i32.const 120)))))
                """);
        // WASM_WORKER_ABI, WASM_WORKER_IMPORTS and the two task keys; nothing from the host
        assertThat(emitted(run(m, input("{}").withTask(Map.of("ID", "t-1", "ATTEMPT", "2")))))
                .isEqualTo(408);
    }

    @Test
    void deterministicModeGivesTheSameClockAndRandomEveryRun() {
        var m = Guests.emitting("""
                (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
                """, """
                (func (export "_start")
                  (drop (call $random (i32.const 100) (i32.const 4)))
                  (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 200)))
                  ;; mix 31 bits of random with the low bits of the realtime clock in milliseconds
                  (call $emit (i32.and (i32.xor (i32.load (i32.const 100))
                    (i32.wrap_i64 (i64.div_u (i64.load (i32.const 200)) (i64.const 1000000)))) (i32.const 0x7fffffff))))
                """);
        long a = emitted(run(m, input("{}").deterministic(7)));
        long b = emitted(run(m, input("{}").deterministic(7)));
        long c = emitted(run(m, input("{}").deterministic(8)));
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void tableGrowthDoesNotLeakIntoTheNextInstance() {
        var m = Guests.emitting("", """
                (table $t 1 funcref)
                (func (export "_start")
                  (drop (table.grow $t (ref.null func) (i32.const 5)))
                  (call $emit (table.size $t)))
                """);
        assertThat(emitted(run(m, input("{}")))).isEqualTo(6);
        assertThat(emitted(run(m, input("{}")))).isEqualTo(6);
    }

    @Test
    void invalidInputNeverReachesTheGuest() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 1)))");
        assertThat(run(m, input("{not json")).outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INVALID_INPUT);
            assertThat(f.reason()).contains("not valid JSON");
        });
        assertThat(run(m, input("{} {}")).outcome().label()).isEqualTo("invalid_input");
        InvocationResult big =
                run(m, input("[" + "1,".repeat(100) + "1]").withLimits(GuestLimits.DEFAULTS.withMaxInputBytes(50)));
        assertThat(((Outcome.Failure) big.outcome()).reason()).contains("more than the input limit of 50 bytes");
    }
}
