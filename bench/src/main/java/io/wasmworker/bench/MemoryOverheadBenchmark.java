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
import io.wasmworker.host.WasiHost;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.OutcomeDecoder;
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

/**
 * What the sandbox's {@link LimitedMemory} wrapper costs a memory-bound guest: the primes C guest
 * (a sieve: almost every instruction is a linear-memory load or store) on instances built directly
 * with Chicory on the benchmark thread, identical except for the memory factory: Chicory's plain
 * {@link ByteArrayMemory}, or the worker's {@link LimitedMemory}, which delegates every access to
 * one, counts refused grows and marks the pages each store touches (for checkpoints). Both get the
 * same limits (the module's, capped at the default memory limit).
 *
 * <p>JMH runs each benchmark method in its own fork, so the compiled guest code sees only one
 * memory class per JVM (monomorphic calls), as it does in the worker.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class MemoryOverheadBenchmark {
    private static final int CAP_PAGES = GuestLimits.DEFAULTS.maxMemoryPages();

    @Param("2000000")
    public int n;

    private int expected;
    private GuestModule primes;
    private byte[] input;
    private Map<String, String> environment;

    @Setup(Level.Trial)
    public void setUp() {
        expected = CpuHeavyBenchmark.knownCount(n);
        primes = Guests.load("primes.wasm");
        input = Guests.utf8("{\"n\":" + n + "}");
        environment = AbiV1.environment(Map.of());
    }

    @Benchmark
    public int byteArrayMemory() {
        return run(declared -> new ByteArrayMemory(
                new MemoryLimits(declared.initialPages(), Math.min(declared.maximumPages(), CAP_PAGES))));
    }

    @Benchmark
    public int limitedMemory() {
        return run(declared -> LimitedMemory.create(declared, CAP_PAGES));
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
