package io.wasmworker.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.host.GuestClock;
import io.wasmworker.host.GuestIo;
import io.wasmworker.host.GuestRandom;
import io.wasmworker.host.WasiHost;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Warm invocation of the trivial echo guest. The module is compiled once in setup (as the worker's
 * module cache does); every operation is a fresh instance, a run and its output, as every task is.
 * SampleTime, so JMH prints the percentiles (p0.50, p0.99) of single operations.
 *
 * <ul>
 *   <li>{@code sandboxEcho}: the worker's path, {@link Sandbox#invoke} on the benchmark thread:
 *       input check, watchdog registration, instantiation with the sandbox's WASI, counted host
 *       functions, {@code LimitedMemory}, private tables, {@code _start}, JSON decoding of stdout,
 *       metrics.</li>
 *   <li>{@code rawChicoryEcho}: the least a host can do with the same compiled module: on the
 *       benchmark thread, the same WASI functions (uncounted), Chicory's {@link ByteArrayMemory}
 *       (the memory the sandbox uses underneath; Chicory's default, ByteBufferMemory, is slower),
 *       Chicory's own tables, {@code _start}, the stdout bytes. No JSON decoding. The difference to
 *       {@code sandboxEcho} is the sandbox's own overhead.</li>
 *   <li>{@code threadHandoff}: no guest at all, only what running each invocation on another
 *       thread would add (the sandbox did that until it moved runs onto the calling thread; an
 *       adapter that hands tasks to a {@code Sandbox.threadFactory()} executor pays it): hand an empty
 *       task to a cached pool of 8 MiB-stack threads and wait on a latch for it to finish.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class InvocationBenchmark {
    static final String INPUT = "{\"orderId\":\"A-1\",\"amount\":42}";

    private GuestModule echo;
    private Sandbox sandbox;
    private byte[] input;
    private Invocation invocation;
    private Map<String, String> environment;
    private ExecutorService handoffPool;

    @Setup(Level.Trial)
    public void setUp() {
        echo = Guests.load("echo.wasm");
        sandbox = new Sandbox();
        input = Guests.utf8(INPUT);
        invocation = Invocation.of(input);
        environment = AbiV1.environment(Map.of());
        handoffPool = Executors.newCachedThreadPool(Sandbox.threadFactory());
        // No warm-up calls of the other paths here: they would pollute this fork's JIT profiles
        // (rawChicoryEcho's ByteArrayMemory at the call sites sandboxEcho uses with LimitedMemory).
        // Every operation checks its own output, so a broken path fails at its first operation.
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
        handoffPool.shutdownNow();
    }

    @Benchmark
    public Object sandboxEcho() {
        InvocationResult result = sandbox.invoke(echo, invocation);
        if (!(result.outcome() instanceof Outcome.Success success)) {
            throw new IllegalStateException("echo did not succeed: " + result.report());
        }
        return success.output();
    }

    @Benchmark
    public byte[] rawChicoryEcho() {
        GuestIo io = new GuestIo(input, 1 << 20, 4096);
        try (WasiPreview1 wasi = WasiHost.newWasi(environment)) {
            var functions = WasiHost.functions(wasi, io, GuestClock.system(), GuestRandom.secure());
            Instance instance = Instance.builder(echo.wasm())
                    .withMachineFactory(echo.machineFactory())
                    .withImportValues(ImportValues.builder()
                            .addFunction(functions.toArray(HostFunction[]::new))
                            .build())
                    .withMemoryFactory(ByteArrayMemory::new)
                    .withStart(false)
                    .build();
            try {
                instance.export("_start").apply();
            } catch (WasiExitException e) {
                if (e.exitCode() != 0) {
                    throw new IllegalStateException("echo exited with " + e.exitCode());
                }
            }
        }
        byte[] out = io.stdout();
        if (out.length != input.length) {
            throw new IllegalStateException("echo wrote " + out.length + " bytes for " + input.length);
        }
        return out;
    }

    @Benchmark
    public boolean threadHandoff() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        handoffPool.execute(done::countDown);
        if (!done.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the handoff task did not run");
        }
        return true;
    }
}
