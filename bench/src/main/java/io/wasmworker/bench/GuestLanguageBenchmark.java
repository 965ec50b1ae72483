package io.wasmworker.bench;

import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import java.util.concurrent.TimeUnit;
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
 * Warm invocation per guest language, with a common yardstick: order-pricing, which gives the same
 * output for the same input in Rust, AssemblyScript, Zig and Go (GuestLanguagesTest). As in {@link
 * InvocationBenchmark}: the module is compiled once in setup, every operation is {@link
 * Sandbox#invoke} with a fresh instance, and SampleTime gives the percentiles of single operations.
 * Each guest runs in forks of its own (a JMH parameter), so no guest's code pollutes another's JIT
 * profile. What differs between the languages is mostly instantiation (module size, data segments,
 * the language runtime's start-up) and JSON handling, not the pricing itself.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class GuestLanguageBenchmark {
    /** The documented example of guests/rust/order-pricing: gold tier, SAVE10, German VAT. */
    static final String ORDER = "{\"orderId\":\"A-1\",\"customer\":{\"tier\":\"gold\",\"country\":\"DE\"},"
            + "\"lines\":[{\"sku\":\"X\",\"quantity\":2,\"unitPrice\":12.5}],\"couponCode\":\"SAVE10\"}";

    @Param({"order-pricing", "order-pricing-as", "order-pricing-zig", "order-pricing-go"})
    public String guest;

    private GuestModule module;
    private Sandbox sandbox;
    private Invocation invocation;

    @Setup(Level.Trial)
    public void setUp() {
        module = Guests.load(guest + ".wasm");
        sandbox = new Sandbox();
        invocation = Invocation.of(Guests.utf8(ORDER));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
    }

    @Benchmark
    public Object orderPricing() {
        InvocationResult result = sandbox.invoke(module, invocation);
        if (!(result.outcome() instanceof Outcome.Success success)
                || success.output().path("total").asDouble(-1) <= 0) {
            throw new IllegalStateException(guest + " did not price the order: " + result.report());
        }
        return success.output();
    }
}
