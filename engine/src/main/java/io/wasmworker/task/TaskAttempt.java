package io.wasmworker.task;

import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.RunControl;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One attempt of one task: the only thing an adapter holds between the engine and its orchestrator.
 * Opened from the {@link TaskRunner} with the task's key and binding (counting the attempt where the
 * orchestrator does not), it reads the task's latest checkpoint from the snapshot store once and keeps
 * it: for the adapter's own decisions (an attempt budget, the checkpoint a retry must find), for the
 * module the task resumes on, and for the run itself. It runs the guest (resuming that checkpoint, or
 * afresh), reports the task's checkpoint as a {@link CheckpointRef}, and {@linkplain #finished() cleans
 * up} once the orchestrator has accepted the result.
 *
 * <p>Used by one thread at a time (the adapter's); only the checkpoint listener runs on the guest's.
 */
public final class TaskAttempt {
    private final TaskRunner runner;
    private final TaskKey key;
    private final TaskBinding binding;
    private final int number;

    /** The task's latest checkpoint as read once; null until read (a failed read is tried again when next needed). */
    private Optional<Manifest> latest;

    private Map<String, String> metadata = Map.of();
    /** The newest checkpoint the run published. */
    private volatile CheckpointRef published;
    /** The run had a checkpointer: its guest could checkpoint (or a zombie of the task could). */
    private boolean checkpointing;

    private boolean ran;
    /** The run's latest journaled host call (set on the guest's thread). */
    private volatile HttpCallObserver.Call lastHostCall;

    TaskAttempt(TaskRunner runner, TaskKey key, TaskBinding binding, int number) {
        if (number < 1) {
            throw new IllegalArgumentException("attempt must be 1 or more, got " + number);
        }
        this.runner = runner;
        this.key = key;
        this.binding = binding;
        this.number = number;
    }

    public TaskKey key() {
        return key;
    }

    public TaskBinding binding() {
        return binding;
    }

    /** 1 for the first attempt. */
    public int number() {
        return number;
    }

    /** The guest's {@code WASM_WORKER_TASK_*} values of the run (empty before it). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The task's latest checkpoint, read from the snapshot store on first use and kept for the whole
     * attempt. Throws what the store throws (a damaged manifest, an I/O error); the next call reads again.
     */
    Optional<Manifest> latest() {
        if (latest == null) {
            latest = runner.snapshots().latest(key.value());
        }
        return latest;
    }

    /** The latest checkpoint if it has been read (null if not), for the run not to read it again. */
    Optional<Manifest> knownLatest() {
        return latest;
    }

    /** The task's latest checkpoint in the store; throws if it cannot be read (see {@link #latest()}). */
    public Optional<CheckpointRef> latestCheckpoint() {
        return latest().map(CheckpointRef::of);
    }

    /** The attempt that wrote the task's latest checkpoint, 0 when there is none; throws if unreadable. */
    public int checkpointAttempt() {
        return latest().map(Manifest::attempt).orElse(0);
    }

    /**
     * Removes the task's checkpoint before the run, which then starts afresh: for a checkpoint the
     * orchestrator says cannot be this task's (one found before a first attempt, left over from an
     * earlier task with the same key).
     */
    public void discardCheckpoint() {
        runner.snapshots().delete(key.value());
        latest = Optional.empty();
    }

    /** Where the task's checkpoints are kept, for messages ({@code local:/var/lib/...}). */
    public String describeStore() {
        return runner.snapshots().describe();
    }

    /**
     * Invokes the task's guest: runs it to its outcome, resuming from the task's latest checkpoint if there is one
     * (on the module that checkpoint belongs to, when the binding is a name). Once per attempt; never
     * throws for anything a guest, artifact or snapshot does.
     *
     * @param input        the guest's stdin (a JSON object)
     * @param metadata     {@code WASM_WORKER_TASK_<KEY>} values, keys without the prefix (SOURCE, TOPIC,
     *                     WORKFLOW_ID, ...); ID and ATTEMPT are added from the key and number unless given
     * @param control      lets the adapter suspend (shutdown) or cancel (lost lease) the run; null: none
     * @param onCheckpoint told of each published checkpoint, on the guest's thread (heartbeat, lock
     *                     extension); null: nobody
     */
    public InvocationResult invoke(
            byte[] input, Map<String, String> metadata, RunControl control, Consumer<CheckpointRef> onCheckpoint) {
        if (ran) {
            throw new IllegalStateException("attempt " + number + " of task '" + key + "' has already run");
        }
        ran = true;
        Map<String, String> all = new HashMap<>(metadata);
        all.putIfAbsent("ID", key.value());
        all.putIfAbsent("ATTEMPT", Integer.toString(number));
        this.metadata = Map.copyOf(all); // the one immutable copy the guest's invocation keeps
        Consumer<CheckpointRef> listener = onCheckpoint == null ? ref -> {} : onCheckpoint;
        InvocationResult result = runner.invoke(this, input, control == null ? new RunControl() : control, manifest -> {
            CheckpointRef ref = CheckpointRef.of(manifest);
            published = ref;
            listener.accept(ref);
        });
        checkpointing = result.metrics().checkpointReference() != null;
        return result;
    }

    /**
     * The task's latest checkpoint as this attempt knows it: the last one its run published, else the
     * one it found (resumed, or left behind for another input); empty when there is none.
     */
    public Optional<CheckpointRef> checkpoint() {
        if (published != null) {
            return Optional.of(published);
        }
        return latest == null ? Optional.empty() : latest.map(CheckpointRef::of);
    }

    /**
     * The run's latest journaled host call (live or replayed), for failure details: which endpoint a
     * guest that failed after a call was talking to, and what it answered. Empty when it made none.
     */
    public Optional<HttpCallObserver.Call> lastHostCall() {
        return Optional.ofNullable(lastHostCall);
    }

    void hostCalled(HttpCallObserver.Call call) {
        lastHostCall = call;
    }

    /**
     * Whether the task may have checkpoints to {@linkplain #finished() remove} once its result is
     * accepted: it had one, or its guest could write one.
     */
    public boolean hasCheckpoints() {
        return checkpoint().isPresent() || checkpointing;
    }

    /**
     * The orchestrator accepted the task's result: its checkpoints are no longer needed. Best effort;
     * a leftover is only disk space and is logged.
     */
    public void finished() {
        // A plain module's attempts never checkpoint, so no late attempt of the task can publish and no
        // tombstone is needed. (Only a name rebound between attempts from a checkpointing module to a
        // plain one, with an attempt of the old one still running, escapes this; that attempt then
        // leaves a checkpoint the collector removes.)
        runner.finished(key.value(), hasCheckpoints());
    }
}
