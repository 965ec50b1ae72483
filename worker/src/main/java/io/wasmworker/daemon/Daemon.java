package io.wasmworker.daemon;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wasmworker.adapter.camunda.CamundaAdapter;
import io.wasmworker.adapter.temporal.TaskQueueSettings;
import io.wasmworker.adapter.temporal.TemporalAdapter;
import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStores;
import io.wasmworker.daemon.config.SnapshotEncryption;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running worker: the stores, one task runner, the adapters its plan names, and the HTTP
 * endpoint. {@link #close()} shuts down gracefully: in-flight tasks checkpoint or finish within the
 * grace period, and nothing is lost.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final DaemonPlan plan;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmMeters jvmMeters = JvmMeters.bindTo(registry);
    private final Sandbox sandbox = new Sandbox();
    private final SnapshotStore snapshots;
    private final TaskRunner runner;
    private CamundaAdapter camunda;
    private TemporalAdapter temporal;
    private HttpEndpoint http;
    private SnapshotCollector collector;
    private volatile boolean ready;

    public Daemon(DaemonPlan plan) {
        this.plan = plan;
        // the plan's cache: the modules it compiled while checking the configuration are reused
        this.snapshots = snapshotStore(plan);
        this.runner = new TaskRunner(
                plan.modules().store(), plan.modules(), snapshots, sandbox, new TaskMetrics(registry), plan.payloads());
    }

    /** The snapshot store, sealing snapshots at rest when {@code stores.encryption} is configured. */
    static SnapshotStore snapshotStore(DaemonPlan plan) {
        SnapshotStore store = SnapshotStores.open(plan.snapshots(), plan.fsync(), plan.s3());
        SnapshotEncryption encryption = plan.snapshotEncryption();
        return encryption == null
                ? store
                : new EncryptingSnapshotStore(store, encryption.keys(), encryption.allowPlaintext());
    }

    /** Starts the HTTP endpoint, then every configured adapter. */
    public Daemon start() {
        http = new HttpEndpoint(plan.httpHost(), plan.httpPort(), registry, () -> ready);
        LOG.info(
                "metrics on http://{}:{}/metrics, health on /health/live and /health/ready",
                plan.httpHost(),
                http.port());
        LOG.info("artifacts in {}, snapshots in {}", plan.artifacts(), snapshots.describe());
        if (plan.payloads() != null) {
            LOG.info(
                    "payloads by reference in {} (streamed input up to {} bytes, output values over {} bytes"
                            + " offloaded)",
                    plan.payloads().settings().location(),
                    plan.payloads().settings().maxStreamedBytes(),
                    plan.payloads().settings().offloadAbove());
        }
        if (plan.camunda() != null) {
            camunda = CamundaAdapter.builder(plan.camunda(), runner)
                    .shutdownGrace(plan.shutdownGrace())
                    .build()
                    .start();
        }
        if (plan.temporal() != null) {
            TemporalAdapter.Builder builder = TemporalAdapter.builder(plan.temporal(), runner)
                    .shutdownGrace(plan.shutdownGrace())
                    .metrics(registry); // the SDK's temporal_* meters on the same /metrics
            for (TaskQueueSettings queue : plan.taskQueues()) {
                builder.queue(queue);
            }
            temporal = builder.build().start();
            plan.taskQueues()
                    .forEach(q -> LOG.info(
                            "temporal {}: task queue '{}' serves {}",
                            plan.temporal().target(),
                            q.taskQueue(),
                            q.typeList()));
        }
        if (plan.snapshotGc() != null) {
            collector = new SnapshotCollector(
                            snapshots,
                            plan.snapshotGc(),
                            runner::runningTaskKeys,
                            registry,
                            java.time.Clock.systemUTC())
                    .start();
        } else {
            LOG.info("snapshot leftovers are not collected (stores.gc.enabled: false): use `wasm-worker snapshots gc`");
        }
        ready = true;
        LOG.info("wasm-worker is ready");
        return this;
    }

    public int httpPort() {
        return http.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public synchronized void close() {
        if (!ready && http == null) {
            return;
        }
        ready = false;
        if (collector != null) {
            collector.close();
        }
        LOG.info("shutting down: in-flight tasks get {} to checkpoint or finish", plan.shutdownGrace());
        Thread camundaStop = new Thread(
                () -> {
                    if (camunda != null) {
                        camunda.close();
                    }
                },
                "camunda-shutdown");
        camundaStop.start();
        if (temporal != null) {
            temporal.close();
        }
        try {
            camundaStop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sandbox.close();
        plan.modules().store().close();
        if (plan.payloads() != null) {
            plan.payloads().close();
        }
        if (http != null) {
            http.close();
            http = null;
        }
        snapshots.close();
        jvmMeters.close();
        LOG.info("stopped");
    }
}
