package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskAttempt;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskMetricsTest {
    @TempDir
    Path dir;

    @Test
    void hostCallsAreCountedByEndpointModeResultAndStatusClass() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TaskMetrics metrics = new TaskMetrics(registry);

        metrics.hostCall(null, new HttpCallObserver.Call("inventory", 1, false, HttpCalls.OK, 201, 5_000_000));
        metrics.hostCall(null, new HttpCallObserver.Call("inventory", 1, true, HttpCalls.OK, 201, 1_000));
        metrics.hostCall(null, new HttpCallObserver.Call("inventory", 2, false, HttpCalls.TIMEOUT, 0, 9_000_000));

        assertThat(registry.get("wasm_worker_host_calls")
                        .tags("endpoint", "inventory", "mode", "live", "result", "ok", "status", "2xx")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("wasm_worker_host_calls")
                        .tags("mode", "replayed")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("wasm_worker_host_calls")
                        .tags("result", "timeout", "status", "none")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("wasm_worker_host_call_duration")
                        .tags("endpoint", "inventory", "mode", "live")
                        .timer()
                        .count())
                .isEqualTo(2);
    }

    @Test
    void eachCheckpointIsRecordedAsItIsPublishedNotWhenTheTaskEnds() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LocalArtifactStore artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        Digest digest = artifacts.put(Guests.bytes("ckpt-step-c"));
        List<Long> countsSeen = new ArrayList<>();
        InvocationResult result;
        try (Sandbox sandbox = new Sandbox()) {
            TaskRunner runner = new TaskRunner(
                    artifacts,
                    new ModuleCache(artifacts, new ModuleLoader(), 1),
                    new LocalSnapshotStore(dir.resolve("snapshots"), false),
                    sandbox,
                    new TaskMetrics(registry));
            TaskAttempt task = runner.open(
                    TaskKey.of("temporal:long"),
                    new TaskBinding(
                            ArtifactRef.parse(digest.toString()),
                            GuestLimits.DEFAULTS,
                            new CheckpointPolicy(1, Duration.ZERO, true)),
                    1);
            result = task.invoke(
                    "{\"steps\":4,\"work\":1000}".getBytes(StandardCharsets.UTF_8),
                    Map.of("SOURCE", "temporal", "TASK_QUEUE", "orders"),
                    null,
                    ref -> countsSeen.add(registry.get("wasm_worker_checkpoint_size")
                            .tags("source", "temporal", "queue", "orders")
                            .summary()
                            .count()));
        }
        assertThat(result.metrics().checkpoints()).as(result.report()).isEqualTo(4);
        assertThat(countsSeen).as("seen while the task ran").containsExactly(1L, 2L, 3L, 4L);
        assertThat(registry.get("wasm_worker_checkpoints")
                        .tags("source", "temporal", "queue", "orders")
                        .counter()
                        .count())
                .as("counted once each, not again when the task ended")
                .isEqualTo(4.0);
        DistributionSummary size = registry.get("wasm_worker_checkpoint_size").summary();
        assertThat(size.totalAmount()).isEqualTo((double) result.metrics().checkpointBytes());
        assertThat(size.max()).isLessThan(result.metrics().checkpointBytes());
        Timer duration = registry.get("wasm_worker_checkpoint_duration").timer();
        assertThat(duration.count()).isEqualTo(4);
        assertThat(duration.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    }

    @Test
    void aDiscardedCheckpointIsCountedBySourceAndQueue() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TaskMetrics metrics = new TaskMetrics(registry);
        TaskAttempt task;
        LocalArtifactStore artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        try (Sandbox sandbox = new Sandbox()) {
            TaskRunner runner = new TaskRunner(
                    artifacts,
                    new ModuleCache(artifacts, new ModuleLoader(), 1),
                    new LocalSnapshotStore(dir.resolve("snapshots"), false),
                    sandbox);
            task = runner.open(TaskKey.of("camunda:1"), TaskBinding.of(ArtifactRef.parse("logic")), 2);
            task.invoke(
                    new byte[0], Map.of("SOURCE", "camunda", "TOPIC", "pricing"), null, null); // the name is unbound
        }
        Manifest stale = new Manifest(
                "camunda:1",
                3,
                Digest.parse("sha256:" + "ab".repeat(32)),
                3,
                1,
                List.of(Blobs.ref("b", new byte[] {1})),
                0L,
                Digest.of(new byte[] {1}));

        metrics.checkpointDiscarded(task, new DiscardedCheckpoint(stale, Digest.of(new byte[0])));
        metrics.checkpointDiscarded(task, new DiscardedCheckpoint(stale, Digest.of(new byte[0])));

        assertThat(registry.get("wasm_worker_checkpoints_discarded")
                        .tags("source", "camunda", "queue", "pricing")
                        .counter()
                        .count())
                .isEqualTo(2.0);
    }
}
