package io.wasmworker.task;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.sandbox.GuestLimits;
import java.util.Objects;

/**
 * What one Camunda topic or Temporal activity type runs: an artifact (a digest, or a name resolved
 * on every task so a rebinding deploys a new version), its limits, its checkpoint policy, and the
 * HTTP endpoints its guests may call.
 */
public record TaskBinding(
        ArtifactRef artifact, GuestLimits limits, CheckpointPolicy checkpoints, HttpEndpoints endpoints) {
    public TaskBinding {
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(checkpoints, "checkpoints");
        if (endpoints == null) {
            endpoints = HttpEndpoints.NONE;
        }
    }

    /** A binding whose guests call no endpoint. */
    public TaskBinding(ArtifactRef artifact, GuestLimits limits, CheckpointPolicy checkpoints) {
        this(artifact, limits, checkpoints, HttpEndpoints.NONE);
    }

    public static TaskBinding of(ArtifactRef artifact) {
        return new TaskBinding(artifact, GuestLimits.DEFAULTS, CheckpointPolicy.DEFAULT);
    }
}
