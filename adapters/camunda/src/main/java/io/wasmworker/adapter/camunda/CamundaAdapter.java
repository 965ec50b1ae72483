package io.wasmworker.adapter.camunda;

import io.wasmworker.module.GuestModule;
import io.wasmworker.task.AdapterLifecycle;
import io.wasmworker.task.GuestSlots;
import io.wasmworker.task.TaskRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the configured external-task topics of one Camunda 7 engine: each topic's tasks run its
 * guest; outcomes become completions (variables), BPMN errors or failures (retries, incidents).
 * Built with {@link #builder}, {@linkplain #start() started} once, {@linkplain #close() closed}
 * gracefully.
 */
public final class CamundaAdapter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CamundaAdapter.class);

    private final CamundaSettings settings;
    private final TaskRunner runner;
    private final LockKeeper locks = new LockKeeper();
    private final List<TopicWorker> workers = new ArrayList<>();
    private final GuestSlots slots;
    private final AdapterLifecycle lifecycle = new AdapterLifecycle("the Camunda adapter");

    private CamundaAdapter(Builder b) {
        this.settings = b.settings;
        this.runner = b.runner;
        this.slots = new GuestSlots("camunda " + settings.baseUrl(), b.shutdownGrace);
    }

    /** @param runner opens an attempt of each external task (and owns the artifact and snapshot stores) */
    public static Builder builder(CamundaSettings settings, TaskRunner runner) {
        return new Builder(settings, runner);
    }

    /**
     * Resolves every topic's artifact (failing with a clear error if one cannot be used), then
     * subscribes to all topics. Once only: a second call, or one after {@link #close()}, throws.
     */
    public synchronized CamundaAdapter start() {
        lifecycle.start();
        try {
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
                TopicWorker worker =
                        new TopicWorker(settings, topic, runner, locks, ReportRetry.DEFAULT, slots, tokens);
                workers.add(worker);
                worker.start();
            }
        } catch (RuntimeException | Error e) {
            close(); // what started stops again; the adapter cannot be started twice
            throw e;
        }
        return this;
    }

    /**
     * Graceful shutdown: stops fetching and gives back tasks not started, then the guest slots stop
     * ({@link GuestSlots#close()}: running guests stop at their next checkpoint, their tasks are
     * given back and resume elsewhere; after the grace period the rest are cancelled the same way). A
     * long poll under way is let finish (at most the long-poll time, in parallel with the grace period)
     * so the tasks it brings are given back rather than left locked. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (!lifecycle.close()) {
            locks.close();
            return;
        }
        try {
            workers.forEach(TopicWorker::stopFetching);
            slots.close();
            if (!Thread.currentThread().isInterrupted()) {
                // a long poll under way may still bring tasks; they are given back before we return
                long fetchDeadline =
                        System.nanoTime() + settings.longPoll().plusSeconds(10).toNanos();
                for (TopicWorker worker : workers) {
                    worker.awaitFetchingStopped(fetchDeadline);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            locks.close();
        }
    }

    /** The adapter's options. */
    public static final class Builder {
        private final CamundaSettings settings;
        private final TaskRunner runner;
        private Duration shutdownGrace = GuestSlots.DEFAULT_SHUTDOWN_GRACE;

        private Builder(CamundaSettings settings, TaskRunner runner) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.runner = Objects.requireNonNull(runner, "runner");
        }

        /** How long running guests get to reach a checkpoint or finish on close ({@link GuestSlots#DEFAULT_SHUTDOWN_GRACE}). */
        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        public CamundaAdapter build() {
            return new CamundaAdapter(this);
        }
    }
}
