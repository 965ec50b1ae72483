package io.wasmworker.sandbox;

import io.wasmworker.module.GuestModule;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs guests under their limits. Each run gets a fresh instance on a sandbox thread with a known
 * stack size (so runaway recursion ends as a clean failure, not a dead worker); the calling thread
 * keeps the wall clock and interrupts the guest when its time is up.
 *
 * <p>Thread-safe. Callers bound concurrency (the adapters size it to memory limits); the sandbox
 * adds one thread per concurrent run and lets idle ones go.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sandbox.class);

    /** Guest stack: deep enough for real programs, small enough that runaway recursion ends fast. */
    public static final long DEFAULT_STACK_BYTES = 8L << 20;
    /** How long a stopped guest may take to notice its interrupt before we give up on its thread. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final ExecutorService threads;

    public Sandbox() {
        this(DEFAULT_STACK_BYTES);
    }

    public Sandbox(long stackBytes) {
        this.threads = Executors.newCachedThreadPool(new GuestThreads(stackBytes));
    }

    /** Runs the guest to its outcome; never throws for anything the guest does. */
    public InvocationResult run(GuestModule module, Invocation invocation) {
        Outcome rejected = InputCheck.check(invocation);
        if (rejected != null) {
            return new InvocationResult(rejected, new byte[0], new byte[0],
                    InvocationMetrics.notRun(0, invocation.input().length, rejected.label()));
        }
        GuestRun run = new GuestRun(module, invocation);
        threads.execute(run);
        try {
            InvocationResult result = run.await(invocation.limits().timeout().toNanos());
            if (result == null) {
                run.stop();
                result = run.await(STOP_GRACE.toNanos());
                if (result == null) {
                    log.error("guest {} ignored its interrupt for {}; abandoning its thread",
                            module.digest().shortForm(), STOP_GRACE);
                    Outcome o = new Outcome.Failure(FailureKind.TIMEOUT, "the guest ran past its time limit and did not stop");
                    return new InvocationResult(o, new byte[0], new byte[0],
                            InvocationMetrics.notRun(invocation.limits().timeout().toNanos(),
                                    invocation.input().length, o.label()));
                }
            }
            return result;
        } catch (InterruptedException e) {
            run.stop();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for guest " + module.digest().shortForm(), e);
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }

    private static final class GuestThreads implements ThreadFactory {
        private final long stackBytes;
        private final AtomicInteger count = new AtomicInteger();

        GuestThreads(long stackBytes) {
            this.stackBytes = stackBytes;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(null, r, "guest-" + count.incrementAndGet(), stackBytes);
            t.setDaemon(true);
            return t;
        }
    }
}
