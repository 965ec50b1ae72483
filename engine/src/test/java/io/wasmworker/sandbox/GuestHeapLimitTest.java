package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.wasm.Parser;
import io.wasmworker.artifact.Digest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.GuestStyle;
import io.wasmworker.testing.Guests;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The memory limit covers everything a guest can make the host allocate: linear memory and tables
 * share it, and what cannot be charged (the WasmGC heap) is refused. Hostile modules in WAT; the heap
 * the calling thread allocated during a run is measured, so a limit that is only checked after the
 * allocation fails these tests even where the test JVM's heap would have survived it.
 */
class GuestHeapLimitTest {
    private static final Sandbox SANDBOX = new Sandbox();
    /** Far below what any of these guests would allocate without the limit (80 MiB and up). */
    private static final long SMALL_ALLOCATION = 16L << 20;

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    /** A run and what the calling thread allocated during it. */
    record Measured(InvocationResult result, long allocatedBytes) {}

    private static Measured run(GuestModule m, GuestLimits limits) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Invocation invocation =
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8)).withLimits(limits);
        long before = threads.getCurrentThreadAllocatedBytes();
        InvocationResult r = SANDBOX.invoke(m, invocation);
        return new Measured(r, threads.getCurrentThreadAllocatedBytes() - before);
    }

    /**
     * A command module straight from Chicory's parser, interpreted: past the module loader, whose
     * load-time bounds (on the number of tables, for one) this limit must not depend on.
     */
    private static GuestModule unloaded(byte[] wasm) {
        return new GuestModule(
                Digest.of(wasm), Parser.parse(wasm), InterpreterMachine::new, GuestStyle.COMMAND, wasm.length, 0);
    }

    private static Outcome.Failure failure(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Failure.class);
        return (Outcome.Failure) r.outcome();
    }

    private static long emitted(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return ((Outcome.Success) r.outcome()).output().get("v").asLong();
    }

    @Test
    void aTableOfTenMillionEntriesIsRefusedBeforeItIsAllocated() {
        // 10M entries are ~80 MB of host heap (an int and a reference each): above the default 64 MiB
        var m = Guests.watModule(
                "(module (memory (export \"memory\") 1) (table 10000000 funcref)" + " (func (export \"_start\")))");
        Measured run = run(m, GuestLimits.DEFAULTS);
        Outcome.Failure f = failure(run.result());
        assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
        assertThat(f.reason())
                .contains("1 table of 10000000 initial entries")
                .contains("table 0: 10000000")
                .contains("memory limit of 64 MiB");
        assertThat(run.allocatedBytes()).as("heap allocated by the run").isLessThan(SMALL_ALLOCATION);
    }

    @Test
    void aFewHundredBytesDeclaringManyBigTablesAreRefusedBeforeTheHeapRunsOut() {
        // 100 tables of Chicory's maximum 10M entries: 8 GB of heap without the limit
        byte[] wasm = Guests.wat("(module (memory (export \"memory\") 1)" + " (table 10000000 funcref)".repeat(100)
                + " (func (export \"_start\")))");
        assertThat(wasm.length).isLessThan(1000);
        Measured run = run(unloaded(wasm), GuestLimits.DEFAULTS);
        Outcome.Failure f = failure(run.result());
        assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
        assertThat(f.reason())
                .contains("100 tables of 1000000000 initial entries in all")
                .contains("table 4: 10000000, ...")
                .doesNotContain("heap ran out");
        assertThat(run.allocatedBytes()).isLessThan(SMALL_ALLOCATION);
    }

    @Test
    void tablesAndLinearMemoryShareTheLimit() {
        // 60 pages (3.75 MiB) fit a 4 MiB limit, and so do 40000 entries (~320 KB), but not both
        var m = Guests.watModule(
                "(module (memory (export \"memory\") 60) (table 40000 funcref)" + " (func (export \"_start\")))");
        Outcome.Failure f = failure(
                run(m, GuestLimits.DEFAULTS.withMaxMemoryBytes(4L << 20)).result());
        assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
        assertThat(f.reason()).contains("table 0: 40000").contains("3840 KiB of memory and tables already taken");
    }

    @Test
    void twoMemoriesAreChargedTogether() {
        // each memory alone fits the 64 MiB limit (600 pages = 37.5 MiB), the pair does not
        // (module (memory (export "memory") 600) (memory 600) (func (export "_start"))): multi-memory,
        // hand-assembled (the test's WAT assembler refuses it)
        byte[] wasm = HexFormat.of()
                .parseHex("0061736d01000000" + "0104016000000302010005070200d80400d804"
                        + "071302066d656d6f72790200065f737461727400000a040102000b");
        Measured run = run(unloaded(wasm), GuestLimits.DEFAULTS);
        Outcome.Failure f = failure(run.result());
        assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
        assertThat(f.reason()).contains("needs 600 pages").contains("taken already");
        assertThat(run.allocatedBytes()).isLessThan(48L << 20);
    }

    @Test
    void tableGrowthStopsAtTheLimitInsideTheGuest() {
        // grows by 65536 entries until refused, then reports the size it got
        var m = Guests.emitting("", """
                (table $t 1 funcref)
                (func (export "_start")
                  (block $full (loop $grow
                    (br_if $full (i32.eq (table.grow $t (ref.null func) (i32.const 65536)) (i32.const -1)))
                    (br $grow)))
                  (call $emit (table.size $t)))
                """);
        Measured run = run(m, GuestLimits.DEFAULTS.withMaxMemoryBytes(4L << 20));
        // 4 MiB - 64 KiB of memory leave room for 516096 entries: 1 + 7 * 65536 of them
        assertThat(emitted(run.result())).isEqualTo(1 + 7 * 65536);
    }

    @Test
    void aGuestThatTrapsAfterARefusedTableGrowIsAMemoryLimitFailure() {
        // 9M entries (~72 MB) fit Chicory's table maximum but not the default 64 MiB limit
        var m = Guests.emitting("", """
                (table $t 1 funcref)
                (func (export "_start")
                  (if (i32.eq (table.grow $t (ref.null func) (i32.const 9000000)) (i32.const -1))
                    (then unreachable))
                  (call $emit (table.size $t)))
                """);
        Measured run = run(m, GuestLimits.DEFAULTS);
        Outcome.Failure f = failure(run.result());
        assertThat(f.kind()).isEqualTo(FailureKind.MEMORY_LIMIT);
        assertThat(f.reason())
                .contains("memory limit of 64 MiB")
                .contains("1 table.grow refused")
                .contains("trapped");
        assertThat(run.allocatedBytes()).isLessThan(SMALL_ALLOCATION);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0x7FFFFFFF, 0x80000000, 0x7FFFFFFC})
    void tableGrowByAHugeCountReturnsMinusOne(int count) {
        // Chicory 1.7.5 adds the count to the size in an int: 0x7FFFFFFC + 5 overflows
        var m = Guests.emitting("", """
                (table $t 5 funcref)
                (func (export "_start")
                  (call $emit (i32.add (i32.mul (i32.add (table.grow $t (ref.null func) (i32.const %d)) (i32.const 1))
                                                (i32.const 1000))
                                       (table.size $t))))
                """.formatted(count));
        assertThat(emitted(run(m, GuestLimits.DEFAULTS).result()))
                .as("(grow + 1) * 1000 + size")
                .isEqualTo(5);
    }

    @Test
    void growingByZeroOrWithinTheLimitStillWorks() {
        var m = Guests.emitting("", """
                (table $t 2 funcref)
                (func (export "_start")
                  (call $emit (i32.add (i32.mul (table.grow $t (ref.null func) (i32.const 0)) (i32.const 1000))
                                       (i32.add (table.grow $t (ref.null func) (i32.const 3)) (table.size $t)))))
                """);
        assertThat(emitted(run(m, GuestLimits.DEFAULTS).result()))
                .as("0 grow -> 2, then 3 more -> 2, size 5")
                .isEqualTo(2 * 1000 + 2 + 5);
    }

    /**
     * {@code (array.new $a (i64.const 0) (i32.const 200000000))} kept in a global: 1.6 GB of JVM heap
     * in one instruction, in Chicory's own GC heap that no limit charges. Hand-assembled (the test's
     * WAT assembler knows no GC).
     */
    private static final byte[] GC_ARRAY_BOMB = HexFormat.of()
            .parseHex("0061736d01000000"
                    + "0107025e7e01600000" // types: (array (mut i64)), (func)
                    + "03020101" + "0503010001" // one function; memory 1
                    + "060701630001d0000b" // global (mut (ref null 0)) = ref.null 0
                    + "071302066d656d6f72790200065f737461727400000a" // exports memory, _start
                    + "11010f004200418084afdf00fb060024000b"); // i64.const 0, i32.const 2e8, array.new 0, global.set 0

    @Test
    void aWasmGcModuleIsRefusedBeforeItRuns() {
        Measured run = run(unloaded(GC_ARRAY_BOMB), GuestLimits.DEFAULTS);
        Outcome.Failure f = failure(run.result());
        assertThat(f.kind()).isEqualTo(FailureKind.ARTIFACT);
        assertThat(f.reason()).contains("WasmGC array type (type 0)").contains("outside the memory limit");
        assertThat(run.allocatedBytes()).isLessThan(SMALL_ALLOCATION);
    }
}
