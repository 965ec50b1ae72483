package io.wasmworker.checkpoint;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.Manifest;

/**
 * A task's checkpoint an attempt did not resume because it was taken with another input (policy
 * {@link CheckpointPolicy.InputChange#RESTART}); the attempt started afresh.
 *
 * @param checkpoint the checkpoint left behind (its {@link Manifest#input()} is the old input)
 * @param input      the digest of this attempt's input
 */
public record DiscardedCheckpoint(Manifest checkpoint, Digest input) {}
