package io.wasmworker.adapter.temporal;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.SimpleSslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs guests as Temporal activities: one worker per configured task queue, each with one
 * {@link WasmActivity} that serves every activity type. {@link #start()} checks every binding's
 * artifact and connects; {@link #close()} shuts down gracefully (see there).
 */
public final class TemporalAdapter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TemporalAdapter.class);
    /** After the grace period and the cancel, how long cancelled guests get to end. */
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

    private final TemporalSettings settings;
    private final List<TaskQueueSettings> queues;
    private final TaskRunner runner;
    private final ActivityObserver observer;
    private final GuestThreadMode guestThreadMode;

    private final Set<RunControl> running = ConcurrentHashMap.newKeySet();
    private final List<GuestThreads> guestThreads = new ArrayList<>();
    private volatile boolean stopping;
    private ScheduledExecutorService heartbeatScheduler;
    private WorkflowServiceStubs stubs;
    private WorkerFactory factory;

    private TemporalAdapter(Builder b) {
        this.settings = b.settings;
        this.queues = List.copyOf(b.queues);
        this.runner = b.runner;
        this.observer = b.observer;
        this.guestThreadMode = b.guestThreadMode;
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("the Temporal adapter has no task queues to serve");
        }
        Set<String> names = new HashSet<>();
        for (TaskQueueSettings q : queues) {
            if (!names.add(q.taskQueue())) {
                throw new IllegalArgumentException("task queue '" + q.taskQueue() + "' is configured twice");
            }
        }
    }

    /** @param runner opens an attempt of each activity task (and owns the artifact and snapshot stores) */
    public static Builder builder(TemporalSettings settings, TaskRunner runner) {
        return new Builder(settings, runner);
    }

    /**
     * Loads every bound artifact (a missing or invalid one fails here, naming it), connects to the
     * service (failing after {@code connectTimeout}), and starts polling.
     */
    public synchronized TemporalAdapter start() {
        if (factory != null) {
            throw new IllegalStateException("already started");
        }
        for (TaskQueueSettings q : queues) {
            q.activities().forEach((type, binding) -> loadArtifact(q, type, binding));
        }
        stubs = WorkflowServiceStubs.newConnectedServiceStubs(stubsOptions(), settings.connectTimeout());
        // explicit, because results reported through manual completion otherwise carry an empty identity
        String identity = settings.identity() != null
                ? settings.identity()
                : java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        WorkflowClientOptions.Builder client = WorkflowClientOptions.newBuilder()
                .setNamespace(settings.namespace())
                .setIdentity(identity);
        factory = WorkerFactory.newInstance(WorkflowClient.newInstance(stubs, client.build()));
        ScheduledThreadPoolExecutor scheduler =
                new ScheduledThreadPoolExecutor(2, daemonThreads("temporal-heartbeat-"));
        scheduler.setRemoveOnCancelPolicy(true); // a finished attempt's ticker leaves the queue at once
        heartbeatScheduler = scheduler;
        for (TaskQueueSettings q : queues) {
            int slots = q.effectiveConcurrency();
            GuestThreads threads = guestThreadMode.sandboxThreads()
                    ? GuestThreads.sandboxThreads(slots)
                    : GuestThreads.callerThreads();
            guestThreads.add(threads);
            Worker worker = factory.newWorker(q.taskQueue(), workerOptions(slots, identity));
            worker.registerActivitiesImplementations(
                    new WasmActivity(q, runner, threads, heartbeatScheduler, observer, running, () -> stopping));
            LOG.info(
                    "temporal task queue '{}' in namespace '{}' at {}: activity types {}, {} at once, guests on {}",
                    q.taskQueue(),
                    settings.namespace(),
                    settings.target(),
                    q.typeList(),
                    slots,
                    guestThreadMode.sandboxThreads() ? "sandbox threads" : "the activity threads");
        }
        try {
            factory.start();
        } catch (UnsupportedOperationException e) {
            close();
            // the SDK's Java 21 classes live in META-INF/versions/21: a fat jar must say Multi-Release: true
            throw new IllegalStateException(
                    "JDK " + Runtime.version().feature() + " should give the Temporal worker"
                            + " virtual threads, but temporal-sdk's Java 21 classes are not in use (" + e.getMessage()
                            + "): the jar holding temporal-sdk was repackaged without 'Multi-Release: true' in its manifest",
                    e);
        }
        return this;
    }

    private void loadArtifact(TaskQueueSettings q, String type, TaskBinding binding) {
        try {
            GuestModule module = runner.load(binding.artifact());
            LOG.info(
                    "activity type '{}' on '{}' runs {} ({})",
                    type,
                    q.taskQueue(),
                    binding.artifact(),
                    module.digest().shortForm());
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "activity type '" + type + "' on task queue '" + q.taskQueue() + "' cannot run artifact "
                            + binding.artifact() + ": " + e.getMessage(),
                    e);
        }
    }

    private WorkflowServiceStubsOptions stubsOptions() {
        WorkflowServiceStubsOptions.Builder options =
                WorkflowServiceStubsOptions.newBuilder().setTarget(settings.target());
        TemporalSettings.Tls tls = settings.tls();
        if (tls != null && tls.clientCertChain() == null) {
            options.setEnableHttps(true);
        } else if (tls != null) {
            try (InputStream cert = Files.newInputStream(tls.clientCertChain());
                    InputStream key = Files.newInputStream(tls.clientKey())) {
                options.setSslContext(
                        SimpleSslContextBuilder.forPKCS8(cert, key).build());
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read the Temporal client certificate " + tls.clientCertChain() + " or key "
                                + tls.clientKey() + ": " + e.getMessage(),
                        e);
            }
        }
        return options.build();
    }

    private static WorkerOptions workerOptions(int slots, String identity) {
        WorkerOptions.Builder options = WorkerOptions.newBuilder()
                .setIdentity(identity)
                .setMaxConcurrentActivityExecutionSize(slots)
                // pollers beyond the free slots would only hold tasks nobody can start yet
                .setMaxConcurrentActivityTaskPollers(Math.max(1, Math.min(5, slots)))
                // running guests keep heartbeating while they reach a checkpoint and stop
                .setAllowActivityHeartbeatDuringShutdown(true);
        if (virtualThreads()) {
            options.setUsingVirtualThreadsOnActivityWorker(true);
        }
        return options.build();
    }

    /** Activity threads only wait for their guest's thread, so on JDK 21+ they are virtual. */
    static boolean virtualThreads() {
        return Runtime.version().feature() >= 21;
    }

    /** The client of the adapter's connection (to start workflows from the same process, e.g. `dev`). */
    public synchronized WorkflowClient client() {
        if (factory == null) {
            throw new IllegalStateException("not started");
        }
        return factory.getWorkflowClient();
    }

    /** Activity attempts running now. */
    public int runningAttempts() {
        return running.size();
    }

    /**
     * Graceful shutdown: stop polling; ask every running guest to stop at its next checkpoint (it
     * keeps heartbeating meanwhile, and its attempt fails retryably naming the checkpoint, which the
     * retry resumes); after the shutdown grace, cancel guests that have not stopped (those that
     * cannot checkpoint); then close the connection.
     */
    @Override
    public synchronized void close() {
        if (factory == null) {
            return;
        }
        stopping = true;
        factory.shutdown();
        running.forEach(RunControl::suspend);
        int busy = running.size();
        if (busy > 0) {
            LOG.info(
                    "stopping: {} running guest(s) will stop at their next checkpoint (grace {})",
                    busy,
                    settings.shutdownGrace());
        }
        factory.awaitTermination(settings.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
        if (!running.isEmpty()) {
            LOG.warn(
                    "stopping: {} guest(s) did not reach a checkpoint within {}; cancelling them",
                    running.size(),
                    settings.shutdownGrace());
            running.forEach(c -> c.cancel("the worker is shutting down and the guest reached no checkpoint within "
                    + settings.shutdownGrace()));
            factory.awaitTermination(CANCEL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        factory.shutdownNow();
        factory.awaitTermination(5, TimeUnit.SECONDS);
        guestThreads.forEach(GuestThreads::close);
        heartbeatScheduler.shutdownNow();
        stubs.shutdownNow();
        stubs.awaitTermination(5, TimeUnit.SECONDS);
        factory = null;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Where guests run. By default the activity thread hands its guest to a platform sandbox
     * thread with an 8 MiB stack, so the recursion limit is the same on every JDK, and a guest never
     * runs on a virtual thread (JDK 21+): it is CPU-bound and never yields, so it would pin one of
     * the few carrier threads while activities queued behind it burn their wall-clock limits. The
     * hand-off costs a thread wake-up (tens of µs); end to end it was lost in the noise of a Temporal
     * round trip (bench/RESULTS.md).
     */
    public enum GuestThreadMode {
        /** Hand guests to sandbox threads (the default). */
        SANDBOX_THREADS,
        /**
         * Run guests on the SDK's activity thread: no hand-off, but the recursion limit follows
         * the JVM's {@code -Xss}; for measurements, never with virtual threads.
         */
        ACTIVITY_THREADS;

        boolean sandboxThreads() {
            return this == SANDBOX_THREADS;
        }
    }

    /** Settings that tests, the bench and the daemon choose; everything else comes from the records. */
    public static final class Builder {
        private final TemporalSettings settings;
        private final TaskRunner runner;
        private final List<TaskQueueSettings> queues = new ArrayList<>();
        private ActivityObserver observer = ActivityObserver.NONE;
        private GuestThreadMode guestThreadMode = GuestThreadMode.SANDBOX_THREADS;

        private Builder(TemporalSettings settings, TaskRunner runner) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.runner = Objects.requireNonNull(runner, "runner");
        }

        public Builder queue(TaskQueueSettings queue) {
            queues.add(Objects.requireNonNull(queue, "queue"));
            return this;
        }

        public Builder queue(String taskQueue, Map<String, TaskBinding> activities, int maxConcurrent) {
            return queue(new TaskQueueSettings(taskQueue, activities, maxConcurrent));
        }

        public Builder observer(ActivityObserver newObserver) {
            this.observer = Objects.requireNonNull(newObserver, "observer");
            return this;
        }

        /** Where guests run; {@link GuestThreadMode#SANDBOX_THREADS} unless a benchmark compares the two. */
        public Builder guestThreads(GuestThreadMode mode) {
            this.guestThreadMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        public TemporalAdapter build() {
            return new TemporalAdapter(this);
        }
    }
}
