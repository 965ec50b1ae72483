package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.host.CallJournal;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestIo;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.HostCallCounter;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.host.MemoryBudget;
import io.wasmworker.host.WasiContext;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the sandbox reuses from one run of a module to its next (issue 14, target 4) leaks nothing: a
 * run after another sees the state a first run sees. One test per reused piece.
 */
class RunIsolationTest {
    private final Sandbox sandbox = new Sandbox();

    @AfterEach
    void close() {
        sandbox.close();
    }

    private static Invocation input(String json) {
        return Invocation.of(json.getBytes(StandardCharsets.UTF_8));
    }

    private static long emitted(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return ((Outcome.Success) r.outcome()).output().get("v").asLong();
    }

    /** Reads one byte of stdin into 64; iovec at 16, count at 24. */
    private static final String READ_FIRST_BYTE = """
            (i32.store (i32.const 16) (i32.const 64)) (i32.store (i32.const 20) (i32.const 1))
            (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
            """;

    @Test
    void theImportTableIsReusedAndHoldsNothingOfTheRunBetweenRuns() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 7)))");
        assertThat(emitted(sandbox.invoke(m, input("{}")))).isEqualTo(7);
        assertThat(sandbox.idleImportTables(m)).isEqualTo(1);
        assertThat(emitted(sandbox.invoke(m, input("{}")))).isEqualTo(7);
        assertThat(sandbox.idleImportTables(m))
                .as("the second run took the first one's table and gave it back")
                .isEqualTo(1);
    }

    @Test
    void aTableIsBoundToOneRunAtATimeAndReleasedBareOfIt() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 7)))");
        ImportTable table = new ImportTable(m.wasm());
        GuestIo io = new GuestIo(new byte[0], 100, 100);
        var wasi = new WasiContext(io, GuestClock.system(), GuestRandom.secure(), Map.of());
        var http = new HttpCalls(HttpEndpoints.NONE, CallJournal.NONE, new MemoryBudget(1 << 20));
        table.bind(new HostCallCounter(), wasi, null, http);
        assertThatThrownBy(() -> table.bind(new HostCallCounter(), wasi, null, http))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("one run at a time");
        table.release();
        assertThat(table.bound()).isFalse();
    }

    @Test
    void aDescriptorTheLastRunClosedIsOpenInTheNext() {
        // fd_close goes to Chicory's WASI, whose descriptor table is the run's own: the next run's
        // fd_fdstat_get(1) must not see the last run's close
        var m = Guests.emitting("""
                (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
                (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
                """, "(func (export \"_start\")" + READ_FIRST_BYTE + """
                  (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 49)) ;; '1': close stdout first
                    (then (drop (call $fd_close (i32.const 1)))))
                  (call $emit (call $fd_fdstat_get (i32.const 1) (i32.const 128))))
                """);
        assertThat(emitted(sandbox.invoke(m, input("0")))).as("stdout open").isZero();
        assertThat(emitted(sandbox.invoke(m, input("1"))))
                .as("EBADF after the close")
                .isEqualTo(8);
        assertThat(emitted(sandbox.invoke(m, input("0"))))
                .as("the next run's stdout is open again")
                .isZero();
    }

    @Test
    void eachRunSeesItsOwnTaskEnvironment() {
        // environ_sizes_get: the count and total size of the run's environment (its task metadata)
        var m = Guests.emitting(
                "(import \"wasi_snapshot_preview1\" \"environ_sizes_get\""
                        + " (func $environ_sizes_get (param i32 i32) (result i32)))",
                """
                (func (export "_start")
                  (drop (call $environ_sizes_get (i32.const 32) (i32.const 36)))
                  (call $emit (i32.add (i32.mul (i32.load (i32.const 32)) (i32.const 10000))
                                       (i32.load (i32.const 36)))))
                """);
        long small = emitted(sandbox.invoke(m, input("{}").withTask(Map.of("k", "a"))));
        long large = emitted(sandbox.invoke(m, input("{}").withTask(Map.of("k", "abcdef", "other", "x"))));
        long smallAgain = emitted(sandbox.invoke(m, input("{}").withTask(Map.of("k", "a"))));
        assertThat(large / 10000).isEqualTo(small / 10000 + 1); // one more variable
        assertThat(smallAgain).isEqualTo(small);
    }

    @Test
    void hostCallsAndOutputAreCountedPerRun() {
        var m = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 5)) (call $emit (i32.const 6)))");
        for (int i = 0; i < 3; i++) {
            InvocationResult r = sandbox.invoke(m, input("{}"));
            assertThat(r.metrics().hostCalls()).isEqualTo(2);
            assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).isEqualTo("{\"v\":5}{\"v\":6}");
        }
    }

    @Test
    void aRunThatTimedOutLeavesNothingToTheNext() {
        // the first run is stopped inside the guest, the table bound to it; the next run gets it clean
        var m = Guests.emitting(
                "(import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))",
                "(func (export \"_start\")" + READ_FIRST_BYTE + """
                  (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 49)) ;; '1': emit, then spin
                    (then (call $emit (i32.const 1)) (loop $l (br $l))))
                  (call $emit (i32.const 2)))
                """);
        var limits = GuestLimits.DEFAULTS.withTimeout(Duration.ofMillis(200));
        InvocationResult timedOut = sandbox.invoke(m, input("1").withLimits(limits));
        assertThat(timedOut.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
        InvocationResult next = sandbox.invoke(m, input("0").withLimits(limits));
        assertThat(emitted(next)).isEqualTo(2);
        assertThat(next.metrics().hostCalls()).isEqualTo(2); // fd_read and fd_write: none of the last run's
        assertThat(new String(next.stdout(), StandardCharsets.UTF_8)).isEqualTo("{\"v\":2}");
    }

    private static final String FD_READ =
            "(import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))";

    @Test
    void theNextRunSeesZeroedMemoryAndItsDataSegmentsWhereTheLastOneWrote() {
        // emits 1000 * (i32 at 2000) + (the data segment's first byte, '{' = 123), then, with input 1,
        // overwrites both: the next run must see them as a first run does
        var m = Guests.emitting(FD_READ, "(func (export \"_start\")" + READ_FIRST_BYTE + """
                  (call $emit (i32.add (i32.mul (i32.load (i32.const 2000)) (i32.const 1000))
                                       (i32.load8_u (i32.const 1024))))
                  (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 49))
                    (then (i32.store (i32.const 2000) (i32.const 7))
                          (i32.store8 (i32.const 1024) (i32.const 0))
                          (i32.store (i32.const 65532) (i32.const -1)))))
                """);
        assertThat(emitted(sandbox.invoke(m, input("1")))).isEqualTo(123);
        assertThat(sandbox.idleMemories(m)).as("the memory was kept").isEqualTo(1);
        assertThat(emitted(sandbox.invoke(m, input("0")))).isEqualTo(123);
        assertThat(emitted(sandbox.invoke(m, input("1")))).isEqualTo(123);
    }

    /** With input 1: memory.grow(1); emits the result + 1 (0: refused); then memory.size * 10. */
    private static final String GROWING = "(func (export \"_start\") (local $r i32)" + READ_FIRST_BYTE + """
              (local.set $r (i32.const 1))
              (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 49))
                (then (local.set $r (i32.add (memory.grow (i32.const 1)) (i32.const 1)))))
              (call $emit (i32.add (local.get $r) (i32.mul (memory.size) (i32.const 10)))))
            """;

    @Test
    void aGrownMemoryIsNotKeptAndTheNextRunStartsAtTheDeclaredSize() {
        var m = Guests.emitting(FD_READ, GROWING);
        assertThat(emitted(sandbox.invoke(m, input("1"))))
                .as("grown from 1 to 2 pages")
                .isEqualTo(22);
        assertThat(sandbox.idleMemories(m)).isZero();
        InvocationResult next = sandbox.invoke(m, input("0"));
        assertThat(emitted(next)).isEqualTo(11);
        assertThat(next.metrics().peakMemoryBytes()).isEqualTo(65536);
        assertThat(sandbox.idleMemories(m)).isEqualTo(1);
    }

    @Test
    void aKeptMemoryServesOnlyRunsUnderItsOwnLimit() {
        var m = Guests.emitting(FD_READ, GROWING);
        var roomy = GuestLimits.DEFAULTS.withMaxMemoryBytes(1 << 20);
        var tight = GuestLimits.DEFAULTS.withMaxMemoryBytes(1 << 16);
        assertThat(emitted(sandbox.invoke(m, input("0").withLimits(roomy)))).isEqualTo(11);
        assertThat(emitted(sandbox.invoke(m, input("1").withLimits(tight))))
                .as("refused under the tight limit, whatever the last run's was")
                .isEqualTo(10);
        assertThat(emitted(sandbox.invoke(m, input("1").withLimits(roomy)))).isEqualTo(22);
    }

    @Test
    void aRefusedGrowIsNotHeldAgainstTheNextRun() {
        // input 1: a grow past the limit is refused, then the guest exits with 1: a memory-limit failure.
        // The memory (not grown) is kept; the next run's exit is its own, not blamed on the last one's grow.
        var m = Guests.emitting(
                FD_READ + "(import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))",
                "(func (export \"_start\")" + READ_FIRST_BYTE + """
                  (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 49))
                    (then (drop (memory.grow (i32.const 100)))))
                  (call $proc_exit (i32.const 1)))
                """);
        var limits = GuestLimits.DEFAULTS.withMaxMemoryBytes(1 << 20);
        InvocationResult refused = sandbox.invoke(m, input("1").withLimits(limits));
        assertThat(refused.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT));
        assertThat(sandbox.idleMemories(m)).isEqualTo(1);
        InvocationResult next = sandbox.invoke(m, input("0").withLimits(limits));
        assertThat(next.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.EXIT));
        assertThat(next.metrics().peakMemoryBytes()).isEqualTo(65536);
    }

    @Test
    void aTrappedRunsMemoryIsNotKept() {
        var m = Guests.emitting(
                "", "(func (export \"_start\") (i32.store (i32.const 2000) (i32.const 7)) unreachable)");
        assertThat(sandbox.invoke(m, input("{}")).outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(sandbox.idleMemories(m)).isZero();
    }

    @Test
    void concurrentRunsOfOneModuleEachSeeOnlyTheirOwnStreams() throws Exception {
        GuestModule echo = Guests.module("echo");
        ExecutorService pool = Executors.newFixedThreadPool(4, Sandbox.threadFactory());
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    List<String> wrong = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        String json = "{\"thread\":" + thread + ",\"i\":" + i + "}";
                        InvocationResult r = sandbox.invoke(echo, input(json));
                        String out = new String(r.stdout(), StandardCharsets.UTF_8).trim();
                        if (!out.equals(json) || r.metrics().inputBytes() != json.length()) {
                            wrong.add(json + " -> " + out + " (" + r.report() + ")");
                        }
                    }
                    return wrong;
                }));
            }
            for (var result : results) {
                assertThat(result.get()).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
