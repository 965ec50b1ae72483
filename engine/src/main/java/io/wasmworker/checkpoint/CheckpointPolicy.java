package io.wasmworker.checkpoint;

import java.time.Duration;
import java.util.Objects;

/**
 * When a step guest is checkpointed (between steps), and what happens to a checkpoint taken with
 * another input. Asyncify guests are checkpointed at every {@code wasm_worker.checkpoint} call they
 * make.
 *
 * @param everySteps     after every N steps (0 = off)
 * @param every          when this much time has passed since the last checkpoint (zero = off)
 * @param onRequest      when the guest asked, by calling {@code wasm_worker.checkpoint(0, 0)}
 * @param onInputChange  what an attempt does with the task's checkpoint when it was taken with
 *                       another input (a variable changed between attempts, a reused task key)
 */
public record CheckpointPolicy(int everySteps, Duration every, boolean onRequest, InputChange onInputChange) {
    public static final CheckpointPolicy DEFAULT = new CheckpointPolicy(0, Duration.ofSeconds(10), true);

    /** What to do with a checkpoint of another input: it belongs to another computation. */
    public enum InputChange {
        /** Start afresh with the new input (the old checkpoint is superseded by the first new one). */
        RESTART,
        /** Fail the attempt as {@code checkpoint}, naming both input digests. */
        FAIL
    }

    public CheckpointPolicy {
        if (everySteps < 0 || every == null || every.isNegative()) {
            throw new IllegalArgumentException("checkpoint policy values must not be negative");
        }
        Objects.requireNonNull(onInputChange, "onInputChange");
    }

    /** The default {@link InputChange#RESTART} on an input change. */
    public CheckpointPolicy(int everySteps, Duration every, boolean onRequest) {
        this(everySteps, every, onRequest, InputChange.RESTART);
    }

    public CheckpointPolicy withOnInputChange(InputChange what) {
        return new CheckpointPolicy(everySteps, every, onRequest, what);
    }

    public boolean due(long stepsSinceLast, long nanosSinceLast, boolean requested) {
        return (onRequest && requested)
                || (everySteps > 0 && stepsSinceLast >= everySteps)
                || (!every.isZero() && nanosSinceLast >= every.toNanos());
    }
}
