package io.wasmworker.adapter.camunda;

import io.wasmworker.module.GuestModule;
import io.wasmworker.task.TaskRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the configured external-task topics of one Camunda 7 engine: each topic's tasks run its
 * guest; outcomes become completions (variables), BPMN errors or failures (retries, incidents).
 */
public final class CamundaAdapter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CamundaAdapter.class);

    private final CamundaSettings settings;
    private final TaskRunner runner;
    private final LockKeeper locks = new LockKeeper();
    private final List<TopicWorker> workers = new ArrayList<>();
    private final Duration shutdownGrace;
    private boolean closed;

    /**
     * @param shutdownGrace how long running guests get to reach a checkpoint or finish on close
     */
    public CamundaAdapter(CamundaSettings settings, TaskRunner runner, Duration shutdownGrace) {
        this.settings = settings;
        this.runner = runner;
        this.shutdownGrace = shutdownGrace;
    }

    /**
     * Resolves every topic's artifact (failing with a clear error if one cannot be used), then
     * subscribes to all topics.
     */
    public void start() {
        for (TopicSettings topic : settings.topics()) {
            GuestModule module = runner.load(topic.binding().artifact());
            LOG.info(
                    "camunda {}: topic '{}' runs {} ({}, {} at once, {} retries)",
                    settings.baseUrl(),
                    topic.topic(),
                    topic.binding().artifact(),
                    module.digest(),
                    topic.maxConcurrent(),
                    topic.maxRetries());
        }
        // one token for all topics of the engine
        OAuth2TokenSource tokens = settings.oauth2() == null ? null : new OAuth2TokenSource(settings.oauth2());
        for (TopicSettings topic : settings.topics()) {
            TopicWorker worker = new TopicWorker(settings, topic, runner, locks, ReportRetry.DEFAULT, tokens);
            worker.start();
            workers.add(worker);
        }
    }

    /**
     * Graceful shutdown: stops fetching, gives back tasks not started, asks running guests to stop
     * at their next checkpoint (their tasks are given back and resume elsewhere), waits up to the
     * grace period, then stops what is left the same way. A long poll under way is let finish (at
     * most the long-poll time, in parallel with the grace period) so the tasks it brings are given
     * back rather than left locked.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + shutdownGrace.toNanos();
        workers.forEach(TopicWorker::stopFetching);
        workers.forEach(TopicWorker::suspendRunning);
        try {
            boolean idle = true;
            for (TopicWorker worker : workers) {
                idle &= worker.awaitIdle(deadline);
            }
            if (!idle) {
                LOG.warn("shutdown grace of {} is over; stopping the guests still running", shutdownGrace);
                workers.forEach(TopicWorker::cancelRunning);
            }
            for (TopicWorker worker : workers) {
                worker.closeExecutor(Duration.ofSeconds(10));
            }
            // a long poll under way may still bring tasks; they are given back before we return
            long fetchDeadline =
                    System.nanoTime() + settings.longPoll().plusSeconds(10).toNanos();
            for (TopicWorker worker : workers) {
                worker.awaitFetchingStopped(fetchDeadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.forEach(TopicWorker::cancelRunning);
        } finally {
            locks.close();
        }
    }
}
