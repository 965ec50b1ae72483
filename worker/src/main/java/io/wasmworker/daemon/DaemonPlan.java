package io.wasmworker.daemon;

import io.wasmworker.adapter.camunda.CamundaSettings;
import io.wasmworker.adapter.camunda.OAuth2ClientCredentials;
import io.wasmworker.adapter.camunda.RetryBackoff;
import io.wasmworker.adapter.camunda.TopicSettings;
import io.wasmworker.adapter.temporal.Concurrency;
import io.wasmworker.adapter.temporal.TaskQueueSettings;
import io.wasmworker.adapter.temporal.TemporalSettings;
import io.wasmworker.artifact.ArtifactException;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.daemon.config.ConfigException;
import io.wasmworker.daemon.config.Endpoints;
import io.wasmworker.daemon.config.Located;
import io.wasmworker.daemon.config.SnapshotEncryption;
import io.wasmworker.daemon.config.Suggestions;
import io.wasmworker.daemon.config.WorkerConfig;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.payload.PayloadSettings;
import io.wasmworker.payload.Payloads;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the daemon will run, derived from a loaded configuration: defaults applied, every artifact
 * reference resolved and compiled (an error names the file, line and field; the daemon runs the
 * modules compiled here), adapter settings built, and the whole checked against the heap
 * ({@link HeapBudget}). Nothing connects to an orchestrator here.
 */
public record DaemonPlan(
        Path home,
        String artifacts,
        ModuleCache modules,
        Payloads payloads,
        String snapshots,
        S3Settings s3,
        boolean fsync,
        SnapshotEncryption snapshotEncryption,
        SnapshotCollector.Schedule snapshotGc,
        Duration shutdownGrace,
        String httpHost,
        int httpPort,
        CamundaSettings camunda,
        TemporalSettings temporal,
        List<TaskQueueSettings> taskQueues) {

    public static final String DEFAULT_HTTP_HOST = "127.0.0.1";
    public static final int DEFAULT_HTTP_PORT = 9464;
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    /**
     * @param source      the configuration file, for error messages
     * @param defaultHome the home directory when the file names none
     * @param modules     the module cache over the artifact store the configuration names (opened here:
     *                    a directory or {@code s3://BUCKET/PREFIX})
     */
    public static DaemonPlan of(
            String source, WorkerConfig config, Path defaultHome, Function<ArtifactStore, ModuleCache> modules) {
        return of(
                source,
                config,
                defaultHome,
                modules,
                Runtime.getRuntime().maxMemory(),
                Runtime.getRuntime().availableProcessors());
    }

    /** As above, for a heap of {@code maxHeapBytes} and {@code cores} processors (see {@link HeapBudget}). */
    static DaemonPlan of(
            String source,
            WorkerConfig config,
            Path defaultHome,
            Function<ArtifactStore, ModuleCache> modules,
            long maxHeapBytes,
            int cores) {
        Path base = Path.of(source).toAbsolutePath().getParent();
        Path home = config.home() == null
                ? defaultHome
                : base.resolve(config.home()).normalize();
        WorkerConfig.Stores stores = config.stores() == null
                ? new WorkerConfig.Stores(null, null, null, null, null, null, null)
                : config.stores();
        String artifacts = stores.artifacts() == null
                ? home.resolve("artifacts").toString()
                : S3Location.isS3(stores.artifacts())
                        ? stores.artifacts()
                        : base.resolve(stores.artifacts()).normalize().toString();
        String snapshots = snapshotsLocation(source, stores, base, home);
        ModuleCache cache =
                modules.apply(settings(source, "stores.artifacts", () -> ArtifactStore.at(artifacts, config::s3)));
        Bindings bindings = new Bindings(source, config.artifacts(), cache, new HashMap<>());
        List<HeapBudget.Claim> claims = new ArrayList<>();
        List<Duration> waits = new ArrayList<>(); // locks, guest timeouts, backoffs: what the gc age must exceed

        CamundaSettings camunda = null;
        if (config.camunda() != null) {
            WorkerConfig.Camunda c = config.camunda();
            List<TopicSettings> topics = new ArrayList<>();
            for (int i = 0; i < c.topics().size(); i++) {
                WorkerConfig.Topic t = c.topics().get(i);
                String field = "camunda.topics[" + i + "]";
                TaskBinding binding = bindings.of(t.artifact(), field + ".artifact");
                RetryBackoff backoff = t.backoff() == null
                        ? RetryBackoff.DEFAULT
                        : new RetryBackoff(
                                or(t.backoff().initial(), RetryBackoff.DEFAULT.initial()),
                                or(t.backoff().multiplier(), RetryBackoff.DEFAULT.multiplier()),
                                or(t.backoff().max(), RetryBackoff.DEFAULT.max()));
                TopicSettings topic = settings(
                        source,
                        field,
                        () -> TopicSettings.builder(t.topic(), binding)
                                .variables(t.variables())
                                .localVariables(t.localVariables())
                                .localOutput(t.localOutput())
                                .lockDuration(t.lockDuration())
                                .maxConcurrent(t.maxConcurrent())
                                .maxRetries(t.maxRetries())
                                .backoff(backoff)
                                .processDefinitionKeys(t.allProcessDefinitionKeys())
                                .processDefinitionIds(t.allProcessDefinitionIds())
                                .processDefinitionVersionTag(t.processDefinitionVersionTag())
                                .processVariables(t.processVariables())
                                .tenantIds(t.tenantIds())
                                .withoutTenantId(t.withoutTenantId())
                                .businessKey(t.businessKey())
                                .usePriority(t.usePriority())
                                .createTimeOrder(
                                        t.orderByCreateTime() == null
                                                ? null
                                                : TopicSettings.CreateTimeOrder.valueOf(
                                                        t.orderByCreateTime().toUpperCase(java.util.Locale.ROOT)))
                                .includeExtensionProperties(t.includeExtensionProperties())
                                .build());
                topics.add(topic);
                waits.addAll(List.of(
                        topic.lockDuration(),
                        topic.backoff().max(),
                        binding.limits().timeout()));
                claims.add(new HeapBudget.Claim(
                        field, t.topic(), topic.maxConcurrent(), binding.limits(), bindings.checkpoints(binding)));
            }
            String workerId = c.workerId() != null
                    ? c.workerId()
                    : "wasm-worker-" + hostName() + "-"
                            + ProcessHandle.current().pid();
            camunda = settings(
                    source,
                    "camunda",
                    () -> new CamundaSettings(
                            c.url(),
                            workerId,
                            c.auth() == null ? null : c.auth().username(),
                            c.auth() == null ? null : c.auth().password(),
                            c.auth() == null ? null : oauth2(c.auth().oauth2()),
                            c.longPoll(),
                            topics));
        }

        TemporalSettings temporal = null;
        List<TaskQueueSettings> queues = new ArrayList<>();
        if (config.temporal() != null) {
            WorkerConfig.Temporal t = config.temporal();
            List<Integer> sizedHere = new ArrayList<>();
            for (int i = 0; i < t.taskQueues().size(); i++) {
                WorkerConfig.TaskQueue q = t.taskQueues().get(i);
                String field = "temporal.taskQueues[" + i + "]";
                Map<String, TaskBinding> activities = new LinkedHashMap<>();
                q.activities()
                        .forEach((type, ref) -> activities.put(type, bindings.of(ref, field + ".activities." + type)));
                activities.values().forEach(b -> waits.add(b.limits().timeout()));
                queues.add(settings(
                        source, field, () -> new TaskQueueSettings(q.name(), activities, or(q.maxConcurrent(), 0))));
                if (or(q.maxConcurrent(), 0) == 0) {
                    sizedHere.add(i);
                } else {
                    claims.add(queueClaim(field, queues.get(i), bindings));
                }
            }
            // queues without maxConcurrent share what the topics and the other queues leave of the heap
            long left = HeapBudget.available(maxHeapBytes)
                    - claims.stream().mapToLong(HeapBudget.Claim::bytes).sum();
            for (int i : sizedHere) {
                TaskQueueSettings q = queues.get(i);
                HeapBudget.Claim largest = queueClaim("", q, bindings);
                int slots = HeapBudget.fit(left, sizedHere.size(), largest.perSlot(), cores, Concurrency.PER_CORE);
                queues.set(i, new TaskQueueSettings(q.taskQueue(), q.activities(), slots));
                claims.add(queueClaim("temporal.taskQueues[" + i + "]", queues.get(i), bindings));
            }
            TemporalSettings.Tls tls = t.tls() == null
                    ? null
                    : new TemporalSettings.Tls(
                            t.tls().clientCert() == null
                                    ? null
                                    : base.resolve(t.tls().clientCert()),
                            t.tls().clientKey() == null
                                    ? null
                                    : base.resolve(t.tls().clientKey()));
            temporal = settings(
                    source,
                    "temporal",
                    () -> new TemporalSettings(
                            t.target(),
                            or(t.namespace(), "default"),
                            t.identity(),
                            tls,
                            t.connectTimeout(),
                            t.apiKey()));
        }
        HeapBudget.admit(source, claims, maxHeapBytes, or(config.allowHeapOvercommit(), false));

        WorkerConfig.Http http = config.http() == null ? new WorkerConfig.Http(null, null) : config.http();
        Builder plan = builder(home, artifacts, cache, snapshots)
                .s3(config.s3())
                .payloads(payloads(source, stores.payloads(), config))
                .snapshotEncryption(SnapshotEncryption.of(source, config))
                .fsync(stores.fsync())
                .shutdownGrace(config.shutdownGrace())
                .httpHost(http.host())
                .httpPort(http.port())
                .camunda(camunda)
                .temporal(temporal, queues);
        waits.add(plan.shutdownGrace);
        return plan.snapshotGc(snapshotGc(source, stores.gc(), SnapshotCollector.floor(waits)))
                .build();
    }

    /** A plan over these stores; everything else starts at its default (see {@link Builder}). */
    static Builder builder(Path home, String artifacts, ModuleCache modules, String snapshots) {
        return new Builder(home, artifacts, modules, snapshots);
    }

    /**
     * A plan by name, with the daemon's defaults in one place: here. A null argument keeps the default
     * (a configuration that leaves the field out).
     */
    static final class Builder {
        private final Path home;
        private final String artifacts;
        private final ModuleCache modules;
        private final String snapshots;
        private Payloads payloads;
        private S3Settings s3 = S3Settings.defaults();
        private SnapshotEncryption snapshotEncryption;
        private boolean fsync = true;
        private SnapshotCollector.Schedule snapshotGc;
        private Duration shutdownGrace = DEFAULT_GRACE;
        private String httpHost = DEFAULT_HTTP_HOST;
        private int httpPort = DEFAULT_HTTP_PORT;
        private CamundaSettings camunda;
        private TemporalSettings temporal;
        private List<TaskQueueSettings> taskQueues = List.of();

        private Builder(Path home, String artifacts, ModuleCache modules, String snapshots) {
            this.home = home;
            this.artifacts = artifacts;
            this.modules = modules;
            this.snapshots = snapshots;
        }

        /** Large payloads by reference; null: none. */
        Builder payloads(Payloads references) {
            payloads = references;
            return this;
        }

        /** How the stores reach S3 (default: the AWS SDK's standard settings). */
        Builder s3(S3Settings settings) {
            if (settings != null) {
                s3 = settings;
            }
            return this;
        }

        /** Snapshots sealed at rest; null: in the clear. */
        Builder snapshotEncryption(SnapshotEncryption encryption) {
            snapshotEncryption = encryption;
            return this;
        }

        /** Whether the snapshot store syncs to disk (default: yes). */
        Builder fsync(Boolean sync) {
            if (sync != null) {
                fsync = sync;
            }
            return this;
        }

        /** The collection of leftovers; null: none. */
        Builder snapshotGc(SnapshotCollector.Schedule schedule) {
            snapshotGc = schedule;
            return this;
        }

        Builder shutdownGrace(Duration grace) {
            if (grace != null) {
                shutdownGrace = grace;
            }
            return this;
        }

        Builder httpHost(String host) {
            if (host != null) {
                httpHost = host;
            }
            return this;
        }

        Builder httpPort(Integer port) {
            if (port != null) {
                httpPort = port;
            }
            return this;
        }

        /** The Camunda engine and its topics; null: none. */
        Builder camunda(CamundaSettings settings) {
            camunda = settings;
            return this;
        }

        /** The Temporal service and its task queues; null: none. */
        Builder temporal(TemporalSettings settings, List<TaskQueueSettings> queues) {
            temporal = settings;
            taskQueues = List.copyOf(queues);
            return this;
        }

        DaemonPlan build() {
            return new DaemonPlan(
                    home,
                    artifacts,
                    modules,
                    payloads,
                    snapshots,
                    s3,
                    fsync,
                    snapshotEncryption,
                    snapshotGc,
                    shutdownGrace,
                    httpHost,
                    httpPort,
                    camunda,
                    temporal,
                    taskQueues);
        }
    }

    /**
     * Per-artifact limits and checkpoint policy, the check that each reference resolves, and whether
     * the module it resolves to now checkpoints.
     */
    private record Bindings(
            String source,
            Map<String, WorkerConfig.Artifact> perArtifact,
            ModuleCache modules,
            Map<ArtifactRef, Boolean> checkpointing) {
        TaskBinding of(Located ref, String field) {
            String where = source + ":" + ref.line() + ":" + ref.column() + ": " + field + ": ";
            ArtifactRef artifact;
            GuestModule module;
            try {
                artifact = ArtifactRef.parse(ref.value());
                module = modules.get(artifact); // resolved and compiled now: a module that cannot run stops start-up
            } catch (ArtifactException.NotFound e) {
                throw new ConfigException(where + e.getMessage() + closeName(ref.value()));
            } catch (IllegalArgumentException | ArtifactException | InvalidModuleException e) {
                throw new ConfigException(where + e.getMessage());
            }
            checkpointing.put(artifact, module.style().canCheckpoint());
            WorkerConfig.Artifact settings =
                    perArtifact.getOrDefault(ref.value(), new WorkerConfig.Artifact(null, null));
            return new TaskBinding(
                    artifact,
                    limits(settings.limits()),
                    policy(settings.checkpoint()),
                    Endpoints.of(
                            settings.endpoints(),
                            Path.of(source).toAbsolutePath().getParent()));
        }

        /** {@code "; did you mean 'x'?"} for the closest name bound in the store, if one is close. */
        private String closeName(String name) {
            try {
                return Suggestions.closest(name, modules.store().names().keySet())
                        .map(n -> "; did you mean '" + n + "'?")
                        .orElse("");
            } catch (RuntimeException e) {
                return ""; // a store that cannot list its names still gets the error itself
            }
        }

        /**
         * Whether the module bound now can checkpoint (a name rebound later to a module of another
         * style is not re-checked).
         */
        boolean checkpoints(TaskBinding binding) {
            return checkpointing.getOrDefault(binding.artifact(), true);
        }
    }

    /** A queue's claim on the heap: every slot may run its largest binding. */
    private static HeapBudget.Claim queueClaim(String field, TaskQueueSettings queue, Bindings bindings) {
        HeapBudget.Claim largest = null;
        for (TaskBinding b : queue.activities().values()) {
            HeapBudget.Claim c = new HeapBudget.Claim(
                    field, queue.taskQueue(), queue.maxConcurrent(), b.limits(), bindings.checkpoints(b));
            if (largest == null || c.perSlot() > largest.perSlot()) {
                largest = c;
            }
        }
        return largest;
    }

    private static GuestLimits limits(WorkerConfig.Limits l) {
        GuestLimits limits = GuestLimits.DEFAULTS;
        if (l == null) {
            return limits;
        }
        if (l.maxMemory() != null) {
            limits = limits.withMaxMemoryBytes(l.maxMemory().bytes());
        }
        if (l.timeout() != null) {
            limits = limits.withTimeout(l.timeout());
        }
        if (l.maxInput() != null) {
            limits = limits.withMaxInputBytes(Math.toIntExact(l.maxInput().bytes()));
        }
        if (l.maxOutput() != null) {
            limits = limits.withMaxOutputBytes(Math.toIntExact(l.maxOutput().bytes()));
        }
        return limits;
    }

    private static CheckpointPolicy policy(WorkerConfig.Checkpoint c) {
        CheckpointPolicy d = CheckpointPolicy.DEFAULT;
        return c == null
                ? d
                : new CheckpointPolicy(
                        or(c.everySteps(), d.everySteps()),
                        or(c.every(), d.every()),
                        or(c.onRequest(), d.onRequest()),
                        or(c.inputChange(), d.onInputChange()));
    }

    /** Large payloads by reference, null when not configured (references are then ordinary input). */
    private static Payloads payloads(String source, WorkerConfig.Payloads p, WorkerConfig config) {
        if (p == null) {
            return null;
        }
        PayloadSettings settings = settings(
                source,
                "stores.payloads",
                () -> new PayloadSettings(
                        S3Location.parse(p.location()),
                        p.maxStreamedInput() == null
                                ? PayloadSettings.DEFAULT_MAX_STREAMED_BYTES
                                : p.maxStreamedInput().bytes(),
                        p.offloadAbove() == null
                                ? PayloadSettings.DEFAULT_OFFLOAD_ABOVE
                                : p.offloadAbove().bytes()));
        return Payloads.open(settings, config.s3());
    }

    /**
     * The collection of leftovers, null when {@code enabled: false}. The default age is raised to the
     * floor the configuration implies; an age set below it is an error naming the floor.
     */
    /**
     * Where snapshots live: {@code s3://BUCKET/PREFIX} as written (checked here, so a bad one fails at
     * start-up naming the field), else a directory, relative to the configuration file.
     */
    private static String snapshotsLocation(String source, WorkerConfig.Stores stores, Path base, Path home) {
        String location = stores.snapshots();
        if (location == null) {
            return home.resolve("snapshots").toString();
        }
        if (S3Location.isS3(location)) {
            try {
                return S3Location.parse(location).toString();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": stores.snapshots: " + e.getMessage());
            }
        }
        return base.resolve(location).normalize().toString();
    }

    private static SnapshotCollector.Schedule snapshotGc(String source, WorkerConfig.Gc gc, Duration floor) {
        WorkerConfig.Gc g = gc == null ? new WorkerConfig.Gc(null, null, null, null) : gc;
        if (!or(g.enabled(), true)) {
            return null;
        }
        Duration olderThan = g.olderThan();
        if (olderThan == null) {
            olderThan = floor.compareTo(SnapshotCollector.DEFAULT_OLDER_THAN) > 0
                    ? floor
                    : SnapshotCollector.DEFAULT_OLDER_THAN;
        } else if (olderThan.compareTo(floor) < 0) {
            throw new ConfigException(source + ": stores.gc.olderThan: " + olderThan + " is shorter than " + floor
                    + ", " + SnapshotCollector.FLOOR_FACTOR + " times the longest lock duration, guest timeout, retry"
                    + " backoff or shutdown grace configured; a task still running or waiting for its retry could lose"
                    + " its checkpoint. Raise it, or leave it out for the default ("
                    + SnapshotCollector.DEFAULT_OLDER_THAN
                    + ", or the floor if longer)");
        }
        return new SnapshotCollector.Schedule(
                olderThan,
                or(g.every(), SnapshotCollector.DEFAULT_EVERY),
                or(g.maxPerSweep(), SnapshotCollector.DEFAULT_MAX_PER_SWEEP));
    }

    /** Builds adapter settings, turning their validation errors into configuration errors. */
    private static <T> T settings(String source, String field, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException | NullPointerException | ArtifactException e) {
            throw new ConfigException(source + ": " + field + ": " + e.getMessage());
        }
    }

    private static OAuth2ClientCredentials oauth2(WorkerConfig.OAuth2 o) {
        return o == null
                ? null
                : new OAuth2ClientCredentials(
                        URI.create(o.tokenUrl()),
                        o.clientId(),
                        o.clientSecret(),
                        o.scope(),
                        o.audience(),
                        o.refreshBefore());
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
