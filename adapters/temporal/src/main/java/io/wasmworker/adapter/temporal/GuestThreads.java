package io.wasmworker.adapter.temporal;

import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs a guest either on the calling (activity) thread or on a pool of sandbox threads with a fixed
 * 8 MiB stack, as {@link TemporalAdapter.GuestThreadMode} decides. The pool has as many threads as
 * the queue has activity slots, so a hand-off never waits for a thread.
 */
final class GuestThreads implements AutoCloseable {
    private final ThreadPoolExecutor pool;

    private GuestThreads(ThreadPoolExecutor pool) {
        this.pool = pool;
    }

    static GuestThreads sandboxThreads(int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), Sandbox.threadFactory());
        pool.allowCoreThreadTimeOut(true);
        return new GuestThreads(pool);
    }

    static GuestThreads callerThreads() {
        return new GuestThreads(null);
    }

    /**
     * Runs the guest and waits for it. If the waiting thread is interrupted (the SDK's
     * {@code shutdownNow}), the guest is cancelled and still waited for, so no guest outlives
     * the activity that started it.
     */
    <T> T run(RunControl control, Supplier<T> guest) {
        if (pool == null) {
            return guest.get();
        }
        Future<T> future = pool.submit(guest::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    control.cancel("the activity thread was interrupted (the worker is stopping)");
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
