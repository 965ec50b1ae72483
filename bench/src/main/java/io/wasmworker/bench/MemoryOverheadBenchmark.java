package io.wasmworker.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestIo;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.host.MemoryBudget;
import io.wasmworker.host.WasiHost;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.OutcomeDecoder;
import io.wasmworker.sandbox.Sandbox;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the sandbox costs a memory-bound guest against bare Chicory: the primes C guest (a sieve:
 * almost every instruction is a linear-memory load or store) on instances built directly with
 * Chicory on the benchmark thread, identical except for the memory factory: Chicory's plain
 * {@link ByteArrayMemory}, or the worker's {@link LimitedMemory} with or without dirty-page tracking
 * (for checkpoints); and the same guest through the whole {@link Sandbox}. All get the same limits
 * (the module's, capped at the default memory limit). Each operation also counts the benchmark
 * thread's CPU time ({@code cpuNanos}/{@code ops}, see {@link CpuTimeBenchmark}), which other load on
 * the machine barely changes.
 *
 * <p>JMH runs each benchmark method in its own fork, so the compiled guest code sees only one
 * memory class per JVM (monomorphic calls), as it does in the worker.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class MemoryOverheadBenchmark {
    private static final int CAP_PAGES = GuestLimits.DEFAULTS.maxMemoryPages();
    private static final long CAP_BYTES = GuestLimits.DEFAULTS.maxMemoryBytes();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Param("2000000")
    public int n;

    private int expected;
    private GuestModule primes;
    private byte[] input;
    private Map<String, String> environment;
    private Sandbox sandbox;
    private Invocation invocation;

    @Setup(Level.Trial)
    public void setUp() {
        expected = CpuHeavyBenchmark.knownCount(n);
        primes = Guests.load("primes.wasm");
        input = Guests.utf8("{\"n\":" + n + "}");
        environment = AbiV1.environment(Map.of());
        sandbox = new Sandbox();
        invocation = Invocation.of(input);
    }

    @TearDown(Level.Trial)
    public void closeSandbox() {
        sandbox.close();
    }

    /** Bare Chicory: its compiler and its plain memory, the yardstick. */
    @Benchmark
    public int byteArrayMemory(CpuTimeBenchmark.CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = run(declared -> new ByteArrayMemory(
                new MemoryLimits(declared.initialPages(), Math.min(declared.maximumPages(), CAP_PAGES))));
        return counted(counters, start, count);
    }

    /** The worker's memory as a checkpointing guest has it: dirty pages tracked. */
    @Benchmark
    public int limitedMemory(CpuTimeBenchmark.CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = run(declared -> LimitedMemory.create(declared, new MemoryBudget(CAP_BYTES), true));
        return counted(counters, start, count);
    }

    /** The worker's memory as a guest that cannot checkpoint has it: no dirty pages. */
    @Benchmark
    public int limitedMemoryUntracked(CpuTimeBenchmark.CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = run(declared -> LimitedMemory.create(declared, new MemoryBudget(CAP_BYTES), false));
        return counted(counters, start, count);
    }

    /**
     * The whole sandbox ({@link Sandbox#invoke}, on this thread): its memory, tables, WASI, limits and
     * output decoding (a plain command, so no dirty pages).
     */
    @Benchmark
    public int sandbox(CpuTimeBenchmark.CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        InvocationResult result = sandbox.invoke(primes, invocation);
        if (!(result.outcome() instanceof Outcome.Success success)) {
            throw new IllegalStateException("primes did not succeed: " + result.report());
        }
        int count = success.output().path("primes").asInt(-1);
        if (count != expected) {
            throw new IllegalStateException("primes counted " + count + " up to " + n + ", expected " + expected);
        }
        return counted(counters, start, count);
    }

    private static int counted(CpuTimeBenchmark.CpuCounters counters, long start, int count) {
        counters.cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
        counters.ops++;
        return count;
    }

    private int run(Function<MemoryLimits, Memory> memoryFactory) {
        GuestIo io = new GuestIo(input, 1 << 20, 4096);
        try (WasiPreview1 wasi = WasiHost.newWasi(environment)) {
            var functions = WasiHost.functions(wasi, io, GuestClock.system(), GuestRandom.secure());
            Instance instance = Instance.builder(primes.wasm())
                    .withMachineFactory(primes.machineFactory())
                    .withImportValues(ImportValues.builder()
                            .addFunction(functions.toArray(HostFunction[]::new))
                            .build())
                    .withMemoryFactory(memoryFactory)
                    .withStart(false)
                    .build();
            try {
                instance.export("_start").apply();
            } catch (WasiExitException e) {
                if (e.exitCode() != 0) {
                    throw new IllegalStateException("primes exited with " + e.exitCode());
                }
            }
        }
        int count = OutcomeDecoder.parse(io.stdout()).path("primes").asInt(-1);
        if (count != expected) {
            throw new IllegalStateException("primes counted " + count + " up to " + n + ", expected " + expected);
        }
        return count;
    }
}
