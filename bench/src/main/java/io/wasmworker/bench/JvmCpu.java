package io.wasmworker.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where this JVM's CPU went between two points (the end-to-end programs' rounds): the process's
 * CPU time, the CPU time of its threads grouped by name (digits dropped, so that the SDK's
 * "Activity Executor taskQueue=..., namespace=...: 3" and its siblings are one group), garbage collections and JIT compilation time. A thread that ended between the two points
 * is missing from the groups (its CPU still counts in the process's).
 */
public final class JvmCpu {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long processNanos;
    private final Map<Long, String> names = new HashMap<>();
    private final Map<Long, Long> threadNanos = new HashMap<>();
    private final long gcCount;
    private final long gcMillis;
    private final long jitMillis;
    private final long classesLoaded;

    private JvmCpu() {
        processNanos = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = THREADS.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
                names.put(info.getThreadId(), info.getThreadName());
                threadNanos.put(info.getThreadId(), cpu);
            }
        }
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        gcCount = count;
        gcMillis = millis;
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        classesLoaded = ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount();
        jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    public static JvmCpu now() {
        return new JvmCpu();
    }

    /** The process's CPU time since {@code before}, in nanoseconds. */
    public long processNanosSince(JvmCpu before) {
        return processNanos - before.processNanos;
    }

    /**
     * One line per thread group with more than {@code minShare} of the threads' CPU since {@code
     * before}, each in µs per {@code ops}, then GC and JIT.
     */
    public String report(JvmCpu before, int ops, double minShare) {
        Map<String, Long> groups = new HashMap<>();
        long total = 0;
        for (Map.Entry<Long, Long> t : threadNanos.entrySet()) {
            long delta = t.getValue() - before.threadNanos.getOrDefault(t.getKey(), 0L);
            if (delta <= 0) {
                continue;
            }
            groups.merge(group(names.get(t.getKey())), delta, Long::sum);
            total += delta;
        }
        long all = total;
        Map<String, Long> shown = groups.entrySet().stream()
                .filter(e -> e.getValue() >= all * minShare)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        StringBuilder out = new StringBuilder();
        shown.forEach((name, nanos) ->
                out.append(String.format(Locale.ROOT, "      %6.0f µs  %s%n", nanos / 1e3 / ops, name)));
        out.append(String.format(
                Locale.ROOT,
                "      %6.0f µs  (all threads alive at both ends; process %.0f µs)  GCs %d (%d ms)  JIT %d ms  classes loaded %d%n",
                all / 1e3 / ops,
                processNanosSince(before) / 1e3 / ops,
                gcCount - before.gcCount,
                gcMillis - before.gcMillis,
                jitMillis - before.jitMillis,
                classesLoaded - before.classesLoaded));
        return out.toString();
    }

    /** A thread's name without numbers: the pool it belongs to. */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "N");
    }
}
