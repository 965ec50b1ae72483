package io.wasmworker.task;

import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest slots of one adapter, and its graceful stop. Each topic or task queue gets a
 * {@linkplain #pool pool}: at most {@code size} tasks at once, each holding a {@link Slot} with the
 * {@link RunControl} of its guest, which runs on one of the pool's sandbox threads (an explicit
 * {@value Sandbox#DEFAULT_STACK_BYTES}-byte stack, so the recursion limit is the same on every JDK and a
 * guest never pins a virtual thread's carrier) or, for measurements, on the caller's thread.
 *
 * <p>{@link #stop()} stops all pools at once: every running guest is asked to stop at its next
 * checkpoint (its task is given back and resumes elsewhere); the tasks get the shutdown grace to end;
 * the guests still running then (those that cannot checkpoint) are cancelled and get {@value
 * #CANCEL_WAIT_SECONDS} s more. A task taking a slot after that is suspended at once, so it goes no
 * further than a checkpoint. {@link #close()} stops, then stops the threads. The adapter stops taking
 * work before, and reports what it is told after: its orchestrator's part of the shutdown stays with
 * it (an adapter whose orchestrator may still hand a task over after the stop, as Temporal's SDK may,
 * closes the slots only once its SDK has stopped).
 */
public final class GuestSlots implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GuestSlots.class);
    /** How long running guests get to reach a checkpoint or finish when nobody says otherwise. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** After the grace period and the cancel, how long cancelled guests get to end. */
    static final long CANCEL_WAIT_SECONDS = 10;

    private final String name;
    private final Duration grace;
    private final List<Pool> pools = new CopyOnWriteArrayList<>();
    /** The run controls of the tasks holding a slot now. */
    private final Set<RunControl> running = ConcurrentHashMap.newKeySet();

    private volatile boolean stopping;
    private boolean stopped;
    private boolean closed;

    /**
     * @param name  what the slots serve, for log lines ({@code camunda http://...})
     * @param grace how long running guests get to reach a checkpoint or finish on {@link #close()}
     */
    public GuestSlots(String name, Duration grace) {
        this.name = Objects.requireNonNull(name, "name");
        this.grace = Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("the shutdown grace must not be negative, got " + grace);
        }
    }

    public Duration grace() {
        return grace;
    }

    /** A pool of {@code size} slots whose guests run on sandbox threads. */
    public Pool pool(String poolName, int size) {
        return add(new Pool(poolName, size, true));
    }

    /**
     * A pool of {@code size} slots whose guests run on the caller's thread: no hand-off, but the
     * recursion limit follows the caller's stack; for measurements, never on virtual threads.
     */
    public Pool callerThreadPool(String poolName, int size) {
        return add(new Pool(poolName, size, false));
    }

    private synchronized Pool add(Pool pool) {
        if (stopping) {
            pool.threadsDown();
            throw new IllegalStateException(name + ": the guest slots are stopping; no pool can be added");
        }
        pools.add(pool);
        return pool;
    }

    /** Whether {@link #stop()} has begun: a guest stopped now was stopped for the shutdown. */
    public boolean stopping() {
        return stopping;
    }

    /** Slots held now, in all pools. */
    public int busy() {
        return pools.stream().mapToInt(Pool::busy).sum();
    }

    /** {@link #stop()}, then the pools' threads stop: a task handed over after that is refused. Idempotent. */
    @Override
    public void close() {
        stop();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        pools.forEach(Pool::threadsDown);
    }

    /**
     * Suspend, grace, cancel (see the class comment); returns once every task has ended or the waits
     * are over. Idempotent. Interrupted, it cancels what still runs and returns with the interrupt
     * flag set.
     */
    public void stop() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            stopping = true;
        }
        running.forEach(RunControl::suspend);
        int busy = busy();
        if (busy > 0) {
            LOG.info(
                    "{}: stopping: {} running guest(s) will stop at their next checkpoint (grace {})",
                    name,
                    busy,
                    grace);
        }
        try {
            if (!awaitIdle(System.nanoTime() + grace.toNanos())) {
                LOG.warn(
                        "{}: stopping: {} guest(s) did not reach a checkpoint within {}; cancelling them",
                        name,
                        busy(),
                        grace);
                cancelAll("the worker is shutting down and the guest reached no checkpoint within " + grace);
                if (!awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(CANCEL_WAIT_SECONDS))) {
                    pools.forEach(p -> {
                        if (p.busy() > 0) {
                            LOG.warn("{}: {}: {} task(s) did not stop in time", name, p.name, p.busy());
                        }
                    });
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelAll("the worker's shutdown was interrupted");
        }
    }

    private void cancelAll(String reason) {
        running.forEach(c -> c.cancel(reason));
    }

    private boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        while (busy() > 0) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** The slots of one topic or task queue. */
    public final class Pool {
        private final String name;
        private final int size;
        private final Semaphore free;
        /** Null: guests run on the caller's thread. */
        private final ThreadPoolExecutor threads;

        private Pool(String name, int size, boolean sandboxThreads) {
            if (size < 1) {
                throw new IllegalArgumentException(name + ": a pool needs at least 1 slot, got " + size);
            }
            this.name = Objects.requireNonNull(name, "name");
            this.size = size;
            this.free = new Semaphore(size);
            if (sandboxThreads) {
                // as many threads as slots: a hand-off never waits for a thread
                threads = new ThreadPoolExecutor(
                        size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), Sandbox.threadFactory());
                threads.allowCoreThreadTimeOut(true);
            } else {
                threads = null;
            }
        }

        public int size() {
            return size;
        }

        int busy() {
            return size - free.availablePermits();
        }

        /**
         * Waits until a slot is free without taking it (a fetch loop asks before it fetches, so that
         * nothing is fetched that cannot run); false if none came free in time.
         */
        public boolean awaitFree(long timeout, TimeUnit unit) throws InterruptedException {
            if (!free.tryAcquire(timeout, unit)) {
                return false;
            }
            free.release();
            return true;
        }

        /**
         * Takes a slot for a task whose guest {@code control} steers, waiting at most {@code timeout};
         * null if none came free in time. Taken while the slots stop, the guest is suspended at once.
         */
        public Slot tryTake(RunControl control, long timeout, TimeUnit unit) throws InterruptedException {
            Objects.requireNonNull(control, "control");
            return free.tryAcquire(timeout, unit) ? new Slot(this, control) : null;
        }

        /**
         * Takes a slot, waiting for one (where the orchestrator's client already bounds the tasks to
         * the pool's size, it never waits).
         */
        public Slot take(RunControl control) throws InterruptedException {
            Objects.requireNonNull(control, "control");
            free.acquire();
            return new Slot(this, control);
        }

        void threadsDown() {
            if (threads != null) {
                threads.shutdownNow();
            }
        }
    }

    /**
     * One task's slot, from {@linkplain Pool#take taking} it to {@link #close()}: while it is held,
     * {@link GuestSlots#stop()} suspends or cancels the task's guest through its control.
     */
    public final class Slot implements AutoCloseable {
        private final Pool pool;
        private final RunControl control;
        private boolean released;

        private Slot(Pool pool, RunControl control) {
            this.pool = pool;
            this.control = control;
            running.add(control);
            if (stopping) {
                control.suspend(); // taken while the slots stop: go no further than a checkpoint
            }
        }

        /**
         * Hands the whole task to one of the pool's threads (the caller's own when the pool has none);
         * the slot is freed when the task ends. If the pool refuses it (its threads are stopped), the
         * slot is freed and the refusal thrown.
         */
        public void handOver(Runnable task) {
            Runnable owned = () -> {
                try {
                    task.run();
                } finally {
                    close();
                }
            };
            if (pool.threads == null) {
                owned.run();
                return;
            }
            try {
                pool.threads.execute(owned);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /**
         * Runs the guest on one of the pool's threads (or the caller's) and waits for its result. If
         * the waiting thread is interrupted (an SDK's forced shutdown), the guest is cancelled and still
         * waited for, so no guest outlives the task that started it.
         */
        public <T> T runGuest(Supplier<T> guest) {
            if (pool.threads == null) {
                return guest.get();
            }
            Future<T> future = pool.threads.submit(guest::get);
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return future.get();
                    } catch (InterruptedException e) {
                        interrupted = true;
                        control.cancel("the task's thread was interrupted (the worker is stopping)");
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

        /** Frees the slot; once only, whoever calls it. */
        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            running.remove(control);
            pool.free.release();
        }
    }
}
