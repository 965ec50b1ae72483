package io.wasmworker.task;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import java.util.Objects;

/**
 * What one Camunda topic or Temporal activity type runs: an artifact (a digest, or a name resolved
 * on every task so a rebinding deploys a new version), its limits, and its checkpoint policy.
 */
public record TaskBinding(ArtifactRef artifact, GuestLimits limits, CheckpointPolicy checkpoints) {
    public TaskBinding {
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(checkpoints, "checkpoints");
    }

    public static TaskBinding of(ArtifactRef artifact) {
        return new TaskBinding(artifact, GuestLimits.DEFAULTS, CheckpointPolicy.DEFAULT);
    }
}
