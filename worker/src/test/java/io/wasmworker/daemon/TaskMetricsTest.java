package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskAttempt;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
