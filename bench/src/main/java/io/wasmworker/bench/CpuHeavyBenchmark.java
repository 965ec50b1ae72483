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
 * The same sieve of Eratosthenes (count the primes up to n) six ways, side by side: the C, Rust,
 * AssemblyScript, Zig and Go guests through the worker's {@link Sandbox} (fresh instance per
 * operation, as in production; at this size instantiation is noise, except perhaps for Go's 3 MB
 * module with its runtime), and plain Java. Every operation checks the
 * count, so none of them can be optimised away.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class CpuHeavyBenchmark {

    @Param("2000000")
    public int n;

    private int expected;
    private GuestModule primesC;
    private GuestModule primesRust;
    private GuestModule primesAs;
    private GuestModule primesZig;
    private GuestModule primesGo;
    private Sandbox sandbox;
    private Invocation invocation;

    @Setup(Level.Trial)
    public void setUp() {
        expected = knownCount(n);
        primesC = Guests.load("primes.wasm");
        primesRust = Guests.load("primes-rust.wasm");
        primesAs = Guests.load("primes-as.wasm");
        primesZig = Guests.load("primes-zig.wasm");
        primesGo = Guests.load("primes-go.wasm");
        sandbox = new Sandbox();
        invocation = Invocation.of(Guests.utf8("{\"n\":" + n + "}"));
        // No warm-up calls of the others here: they would pollute this fork's JIT profiles.
        // Every operation checks its count, so a broken one fails at its first operation.
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
    }

    @Benchmark
    public int wasmC() {
        return check(sandbox.invoke(primesC, invocation));
    }

    @Benchmark
    public int wasmRust() {
        return check(sandbox.invoke(primesRust, invocation));
    }

    @Benchmark
    public int wasmAssemblyScript() {
        return check(sandbox.invoke(primesAs, invocation));
    }

    @Benchmark
    public int wasmZig() {
        return check(sandbox.invoke(primesZig, invocation));
    }

    @Benchmark
    public int wasmGo() {
        return check(sandbox.invoke(primesGo, invocation));
    }

    @Benchmark
    public int javaSieve() {
        int count = JavaSieve.countPrimes(n);
        if (count != expected) {
            throw new IllegalStateException(
                    "java sieve counted " + count + " primes up to " + n + ", expected " + expected);
        }
        return count;
    }

    private int check(InvocationResult result) {
        if (!(result.outcome() instanceof Outcome.Success success)) {
            throw new IllegalStateException("primes did not succeed: " + result.report());
        }
        int count = success.output().path("primes").asInt(-1);
        if (count != expected || success.output().path("n").asInt(-1) != n) {
            throw new IllegalStateException(
                    "primes answered " + success.output() + ", expected " + expected + " primes");
        }
        return count;
    }

    /** pi(n) from the literature for the usual sizes, so the Java sieve is checked too. */
    static int knownCount(int n) {
        return switch (n) {
            case 1_000_000 -> 78_498;
            case 2_000_000 -> 148_933;
            case 10_000_000 -> 664_579;
            case 100_000_000 -> 5_761_455;
            default -> JavaSieve.countPrimes(n);
        };
    }
}
