package io.wasmworker.adapter.camunda;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.camunda.bpm.client.exception.BadRequestException;
import org.camunda.bpm.client.exception.NotFoundException;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extends the locks of tasks this worker holds (waiting for a slot or running) at half their lock
 * duration, so a long guest never loses its task. When the engine refuses (the lock already
 * expired and another worker took the task, or the task is gone), the holder is told at once: its
 * guest must stop, since another attempt now owns the task.
 *
 * <p>Extensions and the task's report never overlap: the engine rejects a completion that races an
 * extension of the same task with an optimistic-locking error. {@link Lease#release} waits for an
 * extension under way and no extension starts after it.
 */
final class LockKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LockKeeper.class);

    /**
     * A few threads, so that one slow answer from the engine does not hold up every other task's
     * extension past its lock (extensions of one task never run at once: the schedule and the lease
     * serialise them).
     */
    private static final int THREADS = 4;

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(THREADS, r -> {
        Thread t = new Thread(r, "camunda-lock-keeper");
        t.setDaemon(true);
        return t;
    });

    LockKeeper() {
        scheduler.setRemoveOnCancelPolicy(true);
    }

    /** Told when a lock could not be extended because the task is no longer ours. */
    interface LostLock {
        void lost(String reason);
    }

    /** Keeps the task's lock until the returned lease is released. */
    Lease keep(ExternalTask task, ExternalTaskService service, Duration lock, LostLock onLost) {
        long period = Math.max(500, lock.toMillis() / 2);
        Lease lease = new Lease(task, service, lock, onLost);
        try {
            lease.future =
                    scheduler.scheduleAtFixedRate(lease::extendOnSchedule, period, period, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            lease.released = true; // closing: nothing to keep; the task is given back or its lock expires
        }
        return lease;
    }

    /** The lock on one task while this worker holds it. */
    static final class Lease {
        private final ExternalTask task;
        private final ExternalTaskService service;
        private final Duration lock;
        private final LostLock onLost;
        /** When this worker took the task (its lock then had the whole lock duration to run). */
        private final long takenNanos = System.nanoTime();

        private volatile ScheduledFuture<?> future;
        /** Guarded by {@code this}: extensions and {@link #release} run one at a time. */
        private boolean released;

        Lease(ExternalTask task, ExternalTaskService service, Duration lock, LostLock onLost) {
            this.task = task;
            this.service = service;
            this.lock = lock;
            this.onLost = onLost;
        }

        /**
         * Extends the lock now, before a run starts: false if the task is no longer ours (its lock
         * expired while this worker stalled and another worker took it, or the task is gone). A
         * transient error counts as ours: the scheduled extensions keep trying.
         */
        synchronized boolean extendNow() {
            return !released && extend();
        }

        /**
         * Before a run starts: whether the task is still ours. One taken less than half its lock ago
         * is (the engine locked it for this worker, and no extension is due yet), so only a task that
         * waited longer, its worker stalled (a paused JVM, say), costs a call: its lock is extended
         * now ({@link #extendNow}). The monotonic clock keeps running while a JVM is stopped.
         */
        synchronized boolean stillOursBeforeRun() {
            if (released) {
                return false;
            }
            return System.nanoTime() - takenNanos < lock.toNanos() / 2 || extend();
        }

        /**
         * Stops extending, waiting for an extension under way: after this returns, the task's
         * report cannot overlap an extension. Idempotent.
         */
        synchronized void release() {
            released = true;
            if (future != null) {
                future.cancel(false);
            }
        }

        private synchronized void extendOnSchedule() {
            // any Throwable would end the schedule silently (ScheduledExecutorService), losing the lock mid-run
            try {
                if (!released) {
                    extend();
                }
            } catch (Throwable e) {
                LOG.error("cannot extend the lock on external task {} (will try again)", task.getId(), e);
            }
        }

        private boolean extend() {
            try {
                service.extendLock(task, lock.toMillis());
                return true;
            } catch (NotFoundException | BadRequestException e) {
                released = true;
                if (future != null) {
                    future.cancel(false);
                }
                onLost.lost("the lock on external task " + task.getId() + " could not be extended (" + e.getMessage()
                        + "); another worker owns the task now, or it is gone");
                return false;
            } catch (RuntimeException e) {
                LOG.warn("cannot extend the lock on external task {} (will try again): {}", task.getId(), e.toString());
                return true;
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
