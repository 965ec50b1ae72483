package io.wasmworker.adapter.camunda;

import java.time.Duration;
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
 */
final class LockKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LockKeeper.class);

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
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

    /** Keeps the task's lock until the returned handle is cancelled. */
    ScheduledFuture<?> keep(ExternalTask task, ExternalTaskService service, Duration lock, LostLock onLost) {
        long period = Math.max(500, lock.toMillis() / 2);
        Extension extension = new Extension(task, service, lock, onLost);
        extension.future = scheduler.scheduleAtFixedRate(extension, period, period, TimeUnit.MILLISECONDS);
        return extension.future;
    }

    private static final class Extension implements Runnable {
        private final ExternalTask task;
        private final ExternalTaskService service;
        private final Duration lock;
        private final LostLock onLost;
        volatile ScheduledFuture<?> future;

        Extension(ExternalTask task, ExternalTaskService service, Duration lock, LostLock onLost) {
            this.task = task;
            this.service = service;
            this.lock = lock;
            this.onLost = onLost;
        }

        @Override
        public void run() {
            try {
                service.extendLock(task, lock.toMillis());
            } catch (NotFoundException | BadRequestException e) {
                future.cancel(false);
                onLost.lost("the lock on external task " + task.getId() + " could not be extended (" + e.getMessage()
                        + "); another worker owns the task now, or it is gone");
            } catch (RuntimeException e) {
                LOG.warn("cannot extend the lock on external task {} (will try again): {}", task.getId(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
