package io.wasmworker.bench;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.wasmworker.abi.AbiV1;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.sandbox.host.GuestClock;
import io.wasmworker.sandbox.host.GuestIo;
import io.wasmworker.sandbox.host.GuestRandom;
import io.wasmworker.sandbox.host.WasiHost;
import java.util.Arrays;
import java.util.Map;
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
 * Warm invocation of the trivial echo guest (the module is compiled once in setup, as the worker's
 * module cache does; every operation is a fresh instance, run and output, as every task is).
 *
 * <ul>
 *   <li>{@code sandboxEcho}: the worker's path, {@link Sandbox#run}: input check, handoff to a
 *       sandbox thread, instantiation with the sandbox's WASI, limited memory, call counting and
 *       private tables, {@code _start}, JSON decoding of stdout, result back to the caller.</li>
 *   <li>{@code rawChicoryEcho}: the least a host can do with the same compiled module: on the
 *       benchmark thread, instantiate with the same WASI functions (no counting, Chicory's own
 *       memory and tables), call {@code _start}, take the stdout bytes. No JSON decoding.</li>
 * </ul>
 * The difference is the sandbox's own overhead. SampleTime, so JMH prints p0.50 / p0.99.
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

    @Setup(Level.Trial)
    public void setUp() {
        echo = Guests.load("echo.wasm");
        sandbox = new Sandbox();
        input = Guests.utf8(INPUT);
        invocation = Invocation.of(input);
        environment = AbiV1.environment(Map.of());
        // fail fast, before any measurement, if either path does not echo
        sandboxEcho();
        rawChicoryEcho();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
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
    public byte[] rawChicoryEcho() {
        GuestIo io = new GuestIo(input, 1 << 20, 4096);
        try (WasiPreview1 wasi = WasiHost.newWasi(environment)) {
            var functions = WasiHost.functions(wasi, io, GuestClock.system(), GuestRandom.secure());
            Instance instance = Instance.builder(echo.wasm())
                    .withMachineFactory(echo.machineFactory())
                    .withImportValues(ImportValues.builder().addFunction(functions.toArray(HostFunction[]::new)).build())
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
            throw new IllegalStateException("echo wrote " + Arrays.toString(out));
        }
        return out;
    }
}
