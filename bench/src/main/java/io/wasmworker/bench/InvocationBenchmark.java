package io.wasmworker.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.OutcomeDecoder;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.sandbox.host.GuestClock;
import io.wasmworker.sandbox.host.GuestIo;
import io.wasmworker.sandbox.host.GuestRandom;
import io.wasmworker.sandbox.host.HostCallCounter;
import io.wasmworker.sandbox.host.LimitedMemory;
import io.wasmworker.sandbox.host.WasiHost;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>Four views of the same work, from the worker's path down to its parts:
 * <ul>
 *   <li>{@code sandboxEcho}: the worker's path, {@link Sandbox#run}: input check, handoff to a
 *       sandbox thread, everything below, result back to the caller.</li>
 *   <li>{@code callerThreadEcho}: the steps a sandbox run performs (mirroring
 *       {@code GuestRun.execute}: the ABI environment, WASI, counted host functions,
 *       {@link LimitedMemory}, private tables, the interpreter listener, {@code _start}, JSON
 *       decoding of stdout), but on the benchmark thread. {@code sandboxEcho} minus this is the
 *       cost of running on a sandbox thread.</li>
 *   <li>{@code rawChicoryEcho}: the least a host can do with the same compiled module: on the
 *       benchmark thread, the same WASI functions (uncounted), Chicory's {@link ByteArrayMemory}
 *       (the memory the sandbox uses underneath; Chicory's default, ByteBufferMemory, is slower),
 *       Chicory's own tables, {@code _start}, the stdout bytes. No JSON decoding.</li>
 *   <li>{@code threadHandoff}: only the round trip the sandbox adds, with no guest at all: hand an
 *       empty task to a cached pool of 8 MiB-stack threads, wait on a latch for it to finish.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class InvocationBenchmark {
    static final String INPUT = "{\"orderId\":\"A-1\",\"amount\":42}";

    /** As the sandbox installs it: only interpreted instructions (none in echo) run it. */
    private static final ExecutionListener INTERRUPT_CHECK = (instruction, stack) -> {
        if (Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("Thread interrupted");
        }
    };

    private GuestModule echo;
    private Sandbox sandbox;
    private byte[] input;
    private Invocation invocation;
    private Map<String, String> environment;
    private ExecutorService handoffPool;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        echo = Guests.load("echo.wasm");
        sandbox = new Sandbox();
        input = Guests.utf8(INPUT);
        invocation = Invocation.of(input);
        environment = AbiV1.environment(Map.of());
        AtomicInteger threads = new AtomicInteger();
        handoffPool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(null, r, "handoff-" + threads.incrementAndGet(), Sandbox.DEFAULT_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        // fail fast, before any measurement, if a path does not echo
        sandboxEcho();
        callerThreadEcho();
        rawChicoryEcho();
        threadHandoff();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
        handoffPool.shutdownNow();
    }

    @Benchmark
    public Object sandboxEcho() {
        InvocationResult result = sandbox.run(echo, invocation);
        if (!(result.outcome() instanceof Outcome.Success success)) {
            throw new IllegalStateException("echo did not succeed: " + result.report());
        }
        return success.output();
    }

    @Benchmark
    public Object callerThreadEcho() {
        GuestLimits limits = invocation.limits();
        GuestIo io = new GuestIo(invocation.input(), limits.maxOutputBytes(), limits.maxStderrBytes());
        HostCallCounter calls = new HostCallCounter();
        int exitCode = 0;
        try (WasiPreview1 wasi = WasiHost.newWasi(AbiV1.environment(invocation.task()))) {
            var functions = WasiHost.counted(
                    WasiHost.functions(wasi, io, invocation.clock().get(), invocation.random().get()), calls);
            Instance instance = Instance.builder(echo.wasm())
                    .withMachineFactory(echo.machineFactory())
                    .withImportValues(ImportValues.builder().addFunction(functions.toArray(HostFunction[]::new)).build())
                    .withMemoryFactory(declared -> LimitedMemory.create(declared, limits.maxMemoryPages()))
                    .withTableFactory(InvocationBenchmark::privateTable)
                    .withUnsafeExecutionListener(INTERRUPT_CHECK)
                    .withStart(false)
                    .build();
            try {
                instance.export("_start").apply();
            } catch (WasiExitException e) {
                exitCode = e.exitCode();
            }
        }
        if (!(OutcomeDecoder.decode(exitCode, io.stdout()) instanceof Outcome.Success success)) {
            throw new IllegalStateException("echo did not succeed (exit " + exitCode + ")");
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
                    .withImportValues(ImportValues.builder().addFunction(functions.toArray(HostFunction[]::new)).build())
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

    /** As the sandbox does it: each instance gets its own copy of the table limits. */
    private static TableInstance privateTable(Table table, int initValue) {
        TableLimits limits = table.limits();
        return new TableInstance(new Table(table.elementType(), new TableLimits(limits.min(), limits.max()),
                table.initialize()), initValue);
    }
}
