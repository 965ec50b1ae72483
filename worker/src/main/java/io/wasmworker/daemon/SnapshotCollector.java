package io.wasmworker.daemon;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wasmworker.checkpoint.store.SnapshotStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's own collection of snapshot-store leftovers (issue 17): checkpoints of tasks whose
 * worker died before the delete, of tasks that ended in an incident or ran out of retries,
 * tombstones of finished tasks past their retention, stray blobs. Periodic, low frequency and
 * bounded per sweep; never touches a task running in this worker, and relies on age for other
 * workers' tasks (the age is far past any lock, timeout and backoff configured, see
 * {@link #floor}).
 */
final class SnapshotCollector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCollector.class);
    static final Duration DEFAULT_OLDER_THAN = Duration.ofDays(7);
    static final Duration DEFAULT_EVERY = Duration.ofMinutes(10);
    // up to 1.44M tasks a day: more than the checkpointing tasks a worker finishes (others leave nothing)
    static final int DEFAULT_MAX_PER_SWEEP = 10_000;
    /** The age is at least this many times the longest lock, guest timeout or retry backoff configured. */
    static final int FLOOR_FACTOR = 10;

    /** When and how much; {@code olderThan} is already at least the floor. */
    record Schedule(Duration olderThan, Duration every, int maxPerSweep) {}

    private final SnapshotStore store;
    private final Schedule schedule;
    private final Supplier<Set<String>> running;
    private final Clock clock;
    private final Counter tasks;
    private final Counter blobs;
    private ScheduledExecutorService timer;

    SnapshotCollector(
            SnapshotStore store,
            Schedule schedule,
            Supplier<Set<String>> running,
            MeterRegistry registry,
            Clock clock) {
        this.store = store;
        this.schedule = schedule;
        this.running = running;
        this.clock = clock;
        this.tasks = Counter.builder("wasm_worker_snapshots_collected")
                .tag("what", "tasks")
                .description("Snapshot-store leftovers collected: whole tasks (checkpoints, attempt counts,"
                        + " tombstones) and unreferenced blobs")
                .register(registry);
        this.blobs = Counter.builder("wasm_worker_snapshots_collected")
                .tag("what", "blobs")
                .description("Snapshot-store leftovers collected: whole tasks (checkpoints, attempt counts,"
                        + " tombstones) and unreferenced blobs")
                .register(registry);
    }

    /**
     * The least age the daemon collects at: {@value #FLOOR_FACTOR} times the longest of {@code
     * durations} (lock durations, guest timeouts, retry backoffs), so that no task of any worker
     * sharing the configuration can still be running or waiting for its retry.
     */
    static Duration floor(Iterable<Duration> durations) {
        Duration longest = Duration.ZERO;
        for (Duration d : durations) {
            longest = d.compareTo(longest) > 0 ? d : longest;
        }
        return longest.multipliedBy(FLOOR_FACTOR);
    }

    /** Sweeps every {@code every}, the first one an {@code every} after the start. */
    SnapshotCollector start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "snapshot-gc");
            t.setDaemon(true);
            return t;
        });
        long period = schedule.every().toMillis();
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
        LOG.info(
                "snapshot leftovers older than {} are collected every {}, at most {} tasks examined per sweep",
                schedule.olderThan(),
                schedule.every(),
                schedule.maxPerSweep());
        return this;
    }

    /** One bounded collection; never throws (the timer would stop for good). */
    SnapshotStore.Collected sweep() {
        try {
            SnapshotStore.Collected c =
                    store.collect(clock.instant().minus(schedule.olderThan()), running.get(), schedule.maxPerSweep());
            tasks.increment(c.tasks());
            blobs.increment(c.blobs());
            if (c.removals() > 0) {
                LOG.info(
                        "collected {} task(s) and {} unreferenced blob(s) older than {} from {}",
                        c.tasks(),
                        c.blobs(),
                        schedule.olderThan(),
                        store.describe());
            }
            if (!c.damaged().isEmpty()) {
                LOG.warn(
                        "{} damaged entr{} in {} left alone (see `wasm-worker snapshots ls`), e.g. {}",
                        c.damaged().size(),
                        c.damaged().size() == 1 ? "y" : "ies",
                        store.describe(),
                        c.damaged().get(0));
            }
            return c;
        } catch (Throwable t) {
            try {
                LOG.warn(
                        "collecting snapshot leftovers in {} failed; tried again in {}",
                        store.describe(),
                        schedule.every(),
                        t);
            } catch (Throwable ignored) {
                // nothing left to log with
            }
            return new SnapshotStore.Collected(0, 0, java.util.List.of());
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
