package io.wasmworker.checkpoint;

import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where and under which identity a run checkpoints: with it, a run resumes from the task's last
 * checkpoint and saves new ones; without it, checkpoint calls are no-ops.
 *
 * @param store     the snapshot store
 * @param taskKey   the task identity (a retry of the same task uses the same key)
 * @param attempt   this attempt's number, recorded in each checkpoint; an attempt never resumes a
 *                  checkpoint written by a later one (it is a zombie and is fenced off)
 * @param policy    when step guests are checkpointed, and what happens to a checkpoint of another input
 * @param published told of every checkpoint once it is published, on the guest's thread (adapters
 *                  heartbeat with its reference or extend their lock); must not block for long
 * @param discarded told when the run started afresh instead of resuming a checkpoint of another
 *                  input (metrics); on the guest's thread, must be quick
 * @param known     the task's latest manifest as the caller has already read it (a task attempt reads
 *                  it once for its resume decision), so the run does not read it again; null: read it
 *                  from the store
 * @param costs     told of every checkpoint's size and duration once it is published, before
 *                  {@code published} (metrics); on the guest's thread, must be quick
 */
public record CheckpointContext(
        SnapshotStore store,
        String taskKey,
        int attempt,
        CheckpointPolicy policy,
        Consumer<Manifest> published,
        Consumer<DiscardedCheckpoint> discarded,
        Optional<Manifest> known,
        Consumer<CheckpointCost> costs) {
    private static final Consumer<Manifest> NOBODY = m -> {};

    public CheckpointContext {
        if (taskKey == null || taskKey.isEmpty()) {
            throw new IllegalArgumentException("a checkpointing run needs a task key");
        }
        if (published == null) {
            published = NOBODY;
        }
        if (discarded == null) {
            discarded = d -> {};
        }
        if (costs == null) {
            costs = c -> {};
        }
    }

    public CheckpointContext(
            SnapshotStore store,
            String taskKey,
            int attempt,
            CheckpointPolicy policy,
            Consumer<Manifest> published,
            Consumer<DiscardedCheckpoint> discarded,
            Optional<Manifest> known) {
        this(store, taskKey, attempt, policy, published, discarded, known, null);
    }

    public CheckpointContext(
            SnapshotStore store,
            String taskKey,
            int attempt,
            CheckpointPolicy policy,
            Consumer<Manifest> published,
            Consumer<DiscardedCheckpoint> discarded) {
        this(store, taskKey, attempt, policy, published, discarded, null, null);
    }

    public CheckpointContext(
            SnapshotStore store, String taskKey, int attempt, CheckpointPolicy policy, Consumer<Manifest> published) {
        this(store, taskKey, attempt, policy, published, null, null, null);
    }

    public CheckpointContext(SnapshotStore store, String taskKey, int attempt, CheckpointPolicy policy) {
        this(store, taskKey, attempt, policy, NOBODY, null, null, null);
    }

    /** The task's latest manifest: the one the caller read, else the store's. */
    public Optional<Manifest> latest() {
        return known != null ? known : store.latest(taskKey);
    }
}
