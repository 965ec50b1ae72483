package io.wasmworker.checkpoint;

import java.time.Duration;

/**
 * When a step guest is checkpointed (between steps). Asyncify guests are checkpointed at every
 * {@code wasm_worker.checkpoint} call they make.
 *
 * @param everySteps  after every N steps (0 = off)
 * @param every       when this much time has passed since the last checkpoint (zero = off)
 * @param onRequest   when the guest asked, by calling {@code wasm_worker.checkpoint(0, 0)}
 */
public record CheckpointPolicy(int everySteps, Duration every, boolean onRequest) {
    public static final CheckpointPolicy DEFAULT = new CheckpointPolicy(0, Duration.ofSeconds(10), true);

    public CheckpointPolicy {
        if (everySteps < 0 || every == null || every.isNegative()) {
            throw new IllegalArgumentException("checkpoint policy values must not be negative");
        }
    }

    public boolean due(long stepsSinceLast, long nanosSinceLast, boolean requested) {
        return (onRequest && requested)
                || (everySteps > 0 && stepsSinceLast >= everySteps)
                || (!every.isZero() && nanosSinceLast >= every.toNanos());
    }
}
