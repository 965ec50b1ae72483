package io.wasmworker.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Thread hand-offs per operation, for latencies that wake-ups rather than work decide (a call to a
 * service on loopback): {@code -prof io.wasmworker.bench.HandOffProfiler}. Reports, per operation,
 * the voluntary context switches of the benchmark JVM's threads (each a thread that parked and was
 * woken; from {@code /proc/self/task/<tid>/status}, Linux only, threads that ended during the
 * iteration not counted) and the threads started (a pool that starts a thread per task shows here).
 * JMH's own threads switch too, a few times per iteration: compare benchmarks, not absolute counts.
 */
public final class HandOffProfiler implements InternalProfiler {
    private static final Path TASKS = Path.of("/proc/self/task");
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long switchesBefore;
    private long startedBefore;

    @Override
    public String getDescription() {
        return "voluntary context switches and threads started per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        startedBefore = threads.getTotalStartedThreadCount();
        switchesBefore = voluntarySwitches();
    }

    @Override
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        long switches = voluntarySwitches() - switchesBefore;
        long started = threads.getTotalStartedThreadCount() - startedBefore;
        double ops = Math.max(1, result.getMetadata().getAllOps());
        return List.of(
                new ScalarResult("handoff.switches", switches / ops, "#/op", AggregationPolicy.AVG),
                new ScalarResult("handoff.threadsStarted", started / ops, "#/op", AggregationPolicy.AVG));
    }

    private static long voluntarySwitches() {
        long total = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            total += Long.parseLong(
                                    line.substring(line.indexOf(':') + 1).strip());
                        }
                    }
                } catch (IOException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return 0; // not Linux: nothing to report
        }
        return total;
    }
}
