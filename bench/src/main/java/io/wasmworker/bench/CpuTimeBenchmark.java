package io.wasmworker.bench;

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

    private CpuHeavyBenchmark sieves;

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

    @Setup(Level.Trial)
    public void setUp() {
        sieves = new CpuHeavyBenchmark();
        sieves.n = n;
        sieves.setUp();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sieves.tearDown();
    }

    @Benchmark
    public int wasmC(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = sieves.wasmC();
        count(counters, start);
        return count;
    }

    @Benchmark
    public int wasmRust(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = sieves.wasmRust();
        count(counters, start);
        return count;
    }

    @Benchmark
    public int javaSieve(CpuCounters counters) {
        long start = THREADS.getCurrentThreadCpuTime();
        int count = sieves.javaSieve();
        count(counters, start);
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
