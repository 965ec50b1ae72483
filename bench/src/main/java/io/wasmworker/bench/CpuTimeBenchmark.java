package io.wasmworker.bench;

import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@link CpuHeavyBenchmark}'s C and Rust sieves and plain Java, timed twice: wall time (the primary
 * score) and the CPU time of the benchmark thread (the {@code cpuNanos} and {@code ops} counters,
 * summed per iteration; {@code summarize.py} divides them per fork). On a shared machine a fork that
 * gets less of the CPU is slower by the wall clock although its code is the same; its CPU time per
 * operation is not. So a spread between forks in CPU time comes from how the JIT compiled the guest,
 * a spread in wall time alone from the machine.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class CpuTimeBenchmark {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Param("2000000")
    public int n;

    private int expected;
    private GuestModule primesC;
    private GuestModule primesRust;
    private Sandbox sandbox;
    private Invocation invocation;

    /** Counters JMH sums per iteration; reset by JMH before each one. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CpuCounters {
        public long cpuNanos;
        public long ops;

        @Setup(Level.Iteration)
        public void clear() {
            cpuNanos = 0;
            ops = 0;
        }
    }

    /**
     * Loads only the guest this fork runs (BenchmarkParams names the method): compiling the others,
     * Go's 3 MB module above all, took up to a minute per fork on a loaded machine.
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        expected = CpuHeavyBenchmark.knownCount(n);
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.equals("wasmC")) {
            primesC = Guests.load("primes.wasm");
        } else if (method.equals("wasmRust")) {
            primesRust = Guests.load("primes-rust.wasm");
        }
        sandbox = new Sandbox();
        invocation = Invocation.of(Guests.utf8("{\"n\":" + n + "}"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
    }

    @Benchmark
    public int wasmC(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = check(sandbox.invoke(primesC, invocation));
        count(counters, start);
        return count;
    }

    @Benchmark
    public int wasmRust(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = check(sandbox.invoke(primesRust, invocation));
        count(counters, start);
        return count;
    }

    @Benchmark
    public int javaSieve(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = JavaSieve.countPrimes(n);
        if (count != expected) {
            throw new IllegalStateException("java sieve counted " + count + ", expected " + expected);
        }
        count(counters, start);
        return count;
    }

    private int check(InvocationResult result) {
        if (!(result.outcome() instanceof Outcome.Success success)) {
            throw new IllegalStateException("primes did not succeed: " + result.report());
        }
        int count = success.output().path("primes").asInt(-1);
        if (count != expected) {
            throw new IllegalStateException("primes answered " + success.output() + ", expected " + expected);
        }
        return count;
    }

    private static void count(CpuCounters counters, long start) {
        counters.cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
        counters.ops++;
    }

    // Sandbox.invoke runs the guest on the calling thread (the watchdog only waits), so this thread's
    // clock sees the whole run.
    static {
        if (!THREADS.isCurrentThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM cannot measure a thread's CPU time");
        }
    }
}
