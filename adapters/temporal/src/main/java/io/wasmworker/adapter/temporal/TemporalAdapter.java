package io.wasmworker.adapter.temporal;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.serviceclient.SimpleSslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import io.wasmworker.module.GuestModule;
import io.wasmworker.task.AdapterLifecycle;
import io.wasmworker.task.GuestSlots;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs guests as Temporal activities: one worker per configured task queue, each with one
 * {@link WasmActivity} that serves every activity type. Built with {@link #builder}; {@link #start()}
 * (once) checks every binding's artifact and connects; {@link #close()} shuts down gracefully (see
 * there).
 */
public final class TemporalAdapter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TemporalAdapter.class);
    /** Once the guests have stopped, how long their attempts get to report before the SDK is forced down. */
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(10);
    /**
     * How often the SDK's metrics reach the registry. The SDK's tally scope buffers between reports;
     * scrapes are rarely more frequent than this (Prometheus: 15 s to 1 min).
     */
    static final Duration METRICS_REPORT_INTERVAL = Duration.ofSeconds(1);

    private final TemporalSettings settings;
    private final List<TaskQueueSettings> queues;
    private final TaskRunner runner;
    private final ActivityObserver observer;
    private final GuestThreadMode guestThreadMode;
    private final GuestSlots slots;
    private final MeterRegistry metrics;
    private final List<WorkerInterceptor> interceptors;
    private final AdapterLifecycle lifecycle = new AdapterLifecycle("the Temporal adapter");

    private ScheduledExecutorService heartbeatScheduler;
    private Scope metricsScope;
    private WorkflowServiceStubs stubs;
    private WorkerFactory factory;

    private TemporalAdapter(Builder b) {
        this.settings = b.settings;
        this.queues = List.copyOf(b.queues);
        this.runner = b.runner;
        this.observer = b.observer;
        this.guestThreadMode = b.guestThreadMode;
        this.metrics = b.metrics;
        this.interceptors = List.copyOf(b.interceptors);
        this.slots = new GuestSlots("temporal " + settings.target(), b.shutdownGrace);
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
     * service (failing after {@code connectTimeout}), and starts polling. Once only: a second call, or
     * one after {@link #close()} (a failed start closes the adapter), throws.
     */
    public synchronized TemporalAdapter start() {
        lifecycle.start();
        try {
            connectAndPoll();
        } catch (RuntimeException | Error e) {
            close(); // what started stops again
            throw e;
        }
        return this;
    }

    private void connectAndPoll() {
        for (TaskQueueSettings q : queues) {
            q.activities().forEach((type, binding) -> loadArtifact(q, type, binding));
        }
        if (metrics != null) {
            // the SDK's own meters (temporal_*: polls, schedule-to-start latency, slots, RPCs...), under
            // the names Temporal's SDK dashboards query
            metricsScope = new RootScopeBuilder()
                    .reporter(new MicrometerClientStatsReporter(metrics))
                    .reportEvery(com.uber.m3.util.Duration.ofMillis(METRICS_REPORT_INTERVAL.toMillis()));
        }
        stubs = WorkflowServiceStubs.newConnectedServiceStubs(
                stubsOptions(settings, metricsScope), settings.connectTimeout());
        // explicit, because results reported through manual completion otherwise carry an empty identity
        String identity = settings.identity() != null
                ? settings.identity()
                : java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        WorkflowClientOptions.Builder client = WorkflowClientOptions.newBuilder()
                .setNamespace(settings.namespace())
                .setIdentity(identity);
        factory = WorkerFactory.newInstance(
                WorkflowClient.newInstance(stubs, client.build()),
                WorkerFactoryOptions.newBuilder()
                        .setWorkerInterceptors(interceptors.toArray(WorkerInterceptor[]::new))
                        .build());
        ScheduledThreadPoolExecutor scheduler =
                new ScheduledThreadPoolExecutor(2, daemonThreads("temporal-heartbeat-"));
        scheduler.setRemoveOnCancelPolicy(true); // a finished attempt's ticker leaves the queue at once
        heartbeatScheduler = scheduler;
        for (TaskQueueSettings q : queues) {
            int size = q.effectiveConcurrency();
            GuestSlots.Pool pool = guestThreadMode.sandboxThreads()
                    ? slots.pool("task queue " + q.taskQueue(), size)
                    : slots.callerThreadPool("task queue " + q.taskQueue(), size);
            // the SDK runs at most as many activities as the pool has slots: taking one never waits
            Worker worker = factory.newWorker(q.taskQueue(), workerOptions(size, identity));
            worker.registerActivitiesImplementations(new WasmActivity(q, runner, pool, heartbeatScheduler, observer));
            LOG.info(
                    "temporal task queue '{}' in namespace '{}' at {}: activity types {}, {} at once, guests on {}",
                    q.taskQueue(),
                    settings.namespace(),
                    settings.target(),
                    q.typeList(),
                    size,
                    guestThreadMode.sandboxThreads() ? "sandbox threads" : "the activity threads");
        }
        try {
            factory.start();
        } catch (UnsupportedOperationException e) {
            // the SDK's Java 21 classes live in META-INF/versions/21: a fat jar must say Multi-Release: true
            throw new IllegalStateException(
                    "JDK " + Runtime.version().feature() + " should give the Temporal worker"
                            + " virtual threads, but temporal-sdk's Java 21 classes are not in use (" + e.getMessage()
                            + "): the jar holding temporal-sdk was repackaged without 'Multi-Release: true' in its manifest",
                    e);
        }
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

    /** How the stubs reach the service: target, TLS or mTLS, API key, and the SDK's metrics scope (null: none). */
    static WorkflowServiceStubsOptions stubsOptions(TemporalSettings settings, Scope metricsScope) {
        WorkflowServiceStubsOptions.Builder options =
                WorkflowServiceStubsOptions.newBuilder().setTarget(settings.target());
        if (settings.apiKey() != null) {
            String key = settings.apiKey();
            options.addApiKey(() -> key); // authorization: Bearer <key>, on every call
        }
        if (metricsScope != null) {
            options.setMetricsScope(metricsScope); // the workers take it from the stubs
        }
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
        lifecycle.requireStarted("client()");
        return factory.getWorkflowClient();
    }

    /** Activity attempts whose guest runs now. */
    public int runningAttempts() {
        return slots.busy();
    }

    /**
     * Graceful shutdown: stop polling; then the guest slots stop ({@link GuestSlots#stop()}): every
     * running guest is asked to stop at its next checkpoint (it keeps heartbeating meanwhile, and its
     * attempt fails retryably naming the checkpoint, which the retry resumes), and after the shutdown
     * grace the guests that have not stopped (those that cannot checkpoint) are cancelled; then the
     * attempts report and the connection closes. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (!lifecycle.close()) {
            return;
        }
        if (factory != null) {
            factory.shutdown();
        }
        slots.stop();
        if (factory != null) {
            // the attempts whose guests stopped report their outcome; one the SDK handed over just as
            // polling stopped takes its slot now, suspended at once, and still gets a sandbox thread
            factory.awaitTermination(CANCEL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            factory.shutdownNow();
            factory.awaitTermination(5, TimeUnit.SECONDS);
        }
        slots.close();
        if (heartbeatScheduler != null) {
            heartbeatScheduler.shutdownNow();
        }
        if (stubs != null) {
            stubs.shutdownNow();
            stubs.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (metricsScope != null) {
            try {
                metricsScope.close(); // reports what is still buffered
            } catch (Exception e) {
                LOG.warn("the Temporal SDK's metrics could not be reported a last time: {}", e.toString());
            }
        }
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
        private Duration shutdownGrace = GuestSlots.DEFAULT_SHUTDOWN_GRACE;
        private MeterRegistry metrics;
        private final List<WorkerInterceptor> interceptors = new ArrayList<>();

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

        /** How long running guests get to reach a checkpoint or finish on close ({@link GuestSlots#DEFAULT_SHUTDOWN_GRACE}). */
        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        /**
         * Reports the SDK's own metrics ({@code temporal_*}, see Temporal's SDK metrics reference) to
         * this registry, every {@link #METRICS_REPORT_INTERVAL}; default: none.
         */
        public Builder metrics(MeterRegistry registry) {
            this.metrics = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Tests only: stand in for what the test server cannot do (an operator's pause or reset
         * arrives as an exception from the SDK's heartbeat).
         */
        Builder interceptor(WorkerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        public TemporalAdapter build() {
            return new TemporalAdapter(this);
        }
    }
}
