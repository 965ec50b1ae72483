package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskMetricsTest {
    @Test
    void aDiscardedCheckpointIsCountedBySourceAndQueue() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TaskMetrics metrics = new TaskMetrics(registry);
        TaskRequest task = new TaskRequest(TaskBinding.of(ArtifactRef.parse("logic")), "camunda:1", 2, new byte[0],
                Map.of("SOURCE", "camunda", "TOPIC", "pricing"), null, null);
        Manifest stale = new Manifest("camunda:1", 3, "sha256:" + "ab".repeat(32), 3, 1,
                List.of(Blobs.ref("b", new byte[] {1})), 0L, Digest.of(new byte[] {1}).toString());

        metrics.checkpointDiscarded(task, new DiscardedCheckpoint(stale, Digest.of(new byte[0])));
        metrics.checkpointDiscarded(task, new DiscardedCheckpoint(stale, Digest.of(new byte[0])));

        assertThat(registry.get("wasm_worker_checkpoints_discarded").tags("source", "camunda", "queue", "pricing")
                .counter().count()).isEqualTo(2.0);
    }
}
