package io.wasmworker.sandbox;

import io.wasmworker.module.GuestModule;
import io.wasmworker.module.HeapCheck;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs guests under their limits. A run executes on the calling thread (no hand-off: that would
 * cost more than a whole small invocation); one shared watchdog thread interrupts it when its time
 * is up. Runaway recursion ends as a clean {@code stack_overflow} on any thread; callers that want
 * a known recursion depth run guests on {@link #threadFactory() sandbox threads}, which have an
 * explicit stack size.
 *
 * <p>Thread-safe: any number of threads may run guests at once; callers bound the concurrency
 * (the adapters size it to memory limits).
 */
public final class Sandbox implements AutoCloseable {
    /** Guest stack: deep enough for real programs, small enough that runaway recursion ends fast. */
    public static final long DEFAULT_STACK_BYTES = 8L << 20;

    private final ScheduledThreadPoolExecutor watchdog = newWatchdog();

    /** Idle import tables per module, at most one per thread that ran it at once (up to this many). */
    private static final int MAX_IDLE_TABLES = 64;

    private final ModulePool<ImportTable> importTables = new ModulePool<>(MAX_IDLE_TABLES);

    private final ModulePool<PooledMemory> memories =
            new ModulePool<>(PooledMemory.MAX_IDLE_PER_MODULE, PooledMemory.MAX_IDLE_BYTES, PooledMemory::bytes);

    /**
     * One daemon thread; a cancelled deadline leaves the queue at once (by default it would stay,
     * holding its run and input, until the deadline passed: 30 s of garbage per finished run).
     */
    private static ScheduledThreadPoolExecutor newWatchdog() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "guest-watchdog");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Deadlines not yet cancelled or fired (for tests: finished runs must leave none behind). */
    int pendingDeadlines() {
        return watchdog.getQueue().size();
    }

    /** Import tables the module's finished runs left for its next ones (for tests). */
    int idleImportTables(GuestModule module) {
        return importTables.idle(module.wasm());
    }

    /** Memories the module's finished runs left for its next ones (for tests). */
    int idleMemories(GuestModule module) {
        return memories.idle(module.wasm());
    }

    /**
     * Invokes the guest: runs it to its outcome. Never throws, whatever the guest, the module or the host does:
     * anything thrown (Errors included) becomes a failure naming it.
     */
    public InvocationResult invoke(GuestModule module, Invocation invocation) {
        try {
            Outcome rejected = InputCheck.check(invocation);
            String heapRefusal = rejected == null ? HeapCheck.refusal(module.wasm()) : null;
            if (heapRefusal != null) {
                rejected = new Outcome.Failure(FailureKind.ARTIFACT, heapRefusal);
            }
            if (rejected != null) {
                return new InvocationResult(
                        rejected,
                        new byte[0],
                        new byte[0],
                        InvocationMetrics.notRun(0, invocation.input().length, rejected.label()));
            }
            GuestRun run = new GuestRun(module, invocation, importTables, memories);
            ScheduledFuture<?> deadline =
                    watchdog.schedule(run::stop, invocation.limits().timeout().toNanos(), TimeUnit.NANOSECONDS);
            try {
                return run.execute();
            } finally {
                deadline.cancel(false);
            }
        } catch (Throwable t) {
            // Every Throwable, Errors included: what reaches here is the host's failure (the guest's
            // limits are enforced inside the run), and one failed run must not take the caller's thread
            // (a fetch loop, a lock keeper) with it. An OutOfMemoryError is recoverable here: the run's
            // instance and memory are garbage once unwound. Nothing is rethrown, not even ThreadDeath
            // (only Thread.stop throws it: nothing here calls it, JDK 20+ cannot) or an InternalError:
            // the thread reports the task, and a JVM that is really broken shows in the failures that
            // follow rather than in silently dead threads.
            long inputBytes = invocation != null && invocation.input() != null ? invocation.input().length : 0;
            return InvocationResult.hostFailure(inputBytes, t);
        }
    }

    /** Threads with a {@link #DEFAULT_STACK_BYTES} stack, for executors that run guests. */
    public static ThreadFactory threadFactory() {
        return threadFactory(DEFAULT_STACK_BYTES);
    }

    public static ThreadFactory threadFactory(long stackBytes) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(null, r, "guest-" + count.incrementAndGet(), stackBytes);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
