package io.wasmworker.task;

import io.wasmworker.artifact.ArtifactException;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointCost;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.StdinSource;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.payload.PayloadException;
import io.wasmworker.payload.Payloads;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestText;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationMetrics;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The orchestrator-neutral core the adapters share; they reach it only through the
 * {@link TaskAttempt}s it opens. Resolves a task's artifact (names on every task, so rebinding a name
 * deploys a new version; a task with a checkpoint stays on the version it started with), runs its
 * guest in the sandbox with checkpoints keyed by the task, and cleans up the task's snapshots once
 * the orchestrator has accepted its result. Runs on the calling thread (adapters own their threads,
 * made by {@link Sandbox#threadFactory()}); never throws for anything a guest or artifact does.
 */
public final class TaskRunner {
    private static final Logger LOG = LoggerFactory.getLogger(TaskRunner.class);
    /** Guest stderr lines; a logger of its own so that deployments can turn them down. */
    private static final Logger GUEST_LOG = LoggerFactory.getLogger("io.wasmworker.guest");

    private final ArtifactStore artifacts;
    private final ModuleCache modules;
    private final SnapshotStore snapshots;
    private final Sandbox sandbox;
    private final TaskObserver observer;
    /** Large payloads by reference; null: references are ordinary input, outputs are never offloaded. */
    private final Payloads payloads;
    /** Task key to the number of its runs under way here (two copies of one task may overlap briefly). */
    private final Map<String, Integer> running = new ConcurrentHashMap<>();

    public TaskRunner(ArtifactStore artifacts, ModuleCache modules, SnapshotStore snapshots, Sandbox sandbox) {
        this(artifacts, modules, snapshots, sandbox, TaskObserver.NONE);
    }

    public TaskRunner(
            ArtifactStore artifacts,
            ModuleCache modules,
            SnapshotStore snapshots,
            Sandbox sandbox,
            TaskObserver observer) {
        this(artifacts, modules, snapshots, sandbox, observer, null);
    }

    /**
     * @param payloads streams referenced payloads into the guests' stdin and offloads large outputs;
     *                 null: none
     */
    public TaskRunner(
            ArtifactStore artifacts,
            ModuleCache modules,
            SnapshotStore snapshots,
            Sandbox sandbox,
            TaskObserver observer,
            Payloads payloads) {
        this.artifacts = artifacts;
        this.modules = modules;
        this.snapshots = snapshots;
        this.sandbox = sandbox;
        this.observer = observer;
        this.payloads = payloads;
    }

    /** The store the attempts read and write checkpoints in. */
    SnapshotStore snapshots() {
        return snapshots;
    }

    /**
     * Resolves and compiles an artifact now (start-up checks, and the digest to log); throws
     * {@link ArtifactException} or {@link InvalidModuleException} naming what is wrong.
     */
    public GuestModule load(ArtifactRef ref) {
        return modules.get(ref);
    }

    /** An attempt the orchestrator counted: {@code number} is its attempt number (1 for the first). */
    public TaskAttempt open(TaskKey key, TaskBinding binding, int number) {
        return new TaskAttempt(this, key, binding, number);
    }

    /**
     * An attempt counted in the snapshot store, for orchestrators that do not count lock expiries
     * (see {@link SnapshotStore#beginAttempt}); throws if the store cannot count it.
     */
    public TaskAttempt openCounted(TaskKey key, TaskBinding binding) {
        return new TaskAttempt(this, key, binding, beginAttempt(key.value()));
    }

    /** Invokes the attempt's guest (see {@link TaskAttempt#invoke}). */
    InvocationResult invoke(TaskAttempt task, byte[] input, RunControl control, Consumer<Manifest> onCheckpoint) {
        String previous = MDC.get("task");
        MDC.put("task", task.key().value()); // every log line about the task carries its key
        running.merge(task.key().value(), 1, Integer::sum);
        try {
            InvocationResult result;
            try {
                result = resolveAndInvoke(task, input, control, onCheckpoint);
            } catch (Throwable t) { // not even an Error leaves the task boundary: see Sandbox.invoke
                result = InvocationResult.hostFailure(input.length, t);
                logQuietly("task " + task.key() + " failed in the host", t);
            }
            try {
                observer.finished(task, result);
            } catch (Throwable t) { // the run's result stands
                logQuietly("task " + task.key() + ": its outcome could not be logged or observed", t);
            }
            return result;
        } finally {
            running.computeIfPresent(task.key().value(), (key, n) -> n == 1 ? null : n - 1);
            if (previous == null) {
                MDC.remove("task");
            } else {
                MDC.put("task", previous);
            }
        }
    }

    /** Metrics only: an observer that fails must not fail the run that is starting afresh. */
    private void observeDiscarded(TaskAttempt task, DiscardedCheckpoint discarded) {
        try {
            observer.checkpointDiscarded(task, discarded);
        } catch (RuntimeException e) {
            logQuietly("task " + task.key() + ": its discarded checkpoint could not be observed", e);
        }
    }

    /** Metrics only: an observer that fails must not fail the checkpoint that was just published. */
    private void observeCheckpoint(TaskAttempt task, CheckpointCost cost) {
        try {
            observer.checkpointed(task, cost);
        } catch (RuntimeException e) {
            logQuietly("task " + task.key() + ": its checkpoint could not be observed", e);
        }
    }

    /** Logs a host failure; logging itself may fail (no heap left), which must not escape either. */
    private static void logQuietly(String message, Throwable t) {
        try {
            LOG.error(message, t);
        } catch (Throwable ignored) {
            // nothing left to report with
        }
    }

    /**
     * A guest's stderr line in the worker's log as it is written (on the guest's thread, which carries
     * the task key in the MDC); control characters escaped, so no {@code \r} or ANSI code spoofs the log.
     */
    private static void logGuestStderr(String line) {
        if (!line.isBlank()) {
            GUEST_LOG.info("[guest] {}", GuestText.escapeLine(line));
        }
    }

    private InvocationResult resolveAndInvoke(
            TaskAttempt task, byte[] input, RunControl control, Consumer<Manifest> onCheckpoint) {
        // first the payloads the input references: what they are is part of the input a checkpoint belongs to
        StdinSource stdin = null;
        if (payloads != null && input.length <= task.binding().limits().maxInputBytes()) {
            try {
                stdin = payloads.stdinFor(input).orElse(null);
            } catch (PayloadException e) {
                return notRun(input, new Outcome.Failure(FailureKind.INVALID_INPUT, e.getMessage()));
            }
        }
        GuestModule module;
        try {
            module = modules.get(digestFor(task, Invocation.inputIdentity(input, stdin)));
        } catch (ArtifactException | InvalidModuleException e) {
            return notRun(
                    input,
                    new Outcome.Failure(
                            FailureKind.ARTIFACT,
                            "artifact " + task.binding().artifact() + " cannot be run: " + e.getMessage()));
        } catch (CorruptSnapshotException | UncheckedIOException e) {
            return notRun(
                    input,
                    new Outcome.Failure(
                            FailureKind.CHECKPOINT,
                            "cannot read the checkpoint of task '" + task.key() + "': " + e.getMessage()));
        }
        Invocation invocation = Invocation.of(input)
                .withLimits(task.binding().limits())
                .withTask(task.metadata())
                .withControl(control)
                .withStderrListener(GUEST_LOG.isInfoEnabled() ? TaskRunner::logGuestStderr : null)
                .withEndpoints(task.binding().endpoints().observedBy(call -> {
                    task.hostCalled(call);
                    observer.hostCall(task, call);
                }))
                .withCheckpoints(new CheckpointContext(
                        snapshots,
                        task.key().value(),
                        task.number(),
                        task.binding().checkpoints(),
                        onCheckpoint,
                        discarded -> observeDiscarded(task, discarded),
                        task.knownLatest(),
                        cost -> observeCheckpoint(task, cost)));
        if (stdin != null) {
            invocation = invocation.withStdin(stdin);
        }
        InvocationResult result = sandbox.invoke(module, invocation);
        return payloads == null ? result : offload(task, result);
    }

    /**
     * A success's large output values written to the payload store and replaced by references. If
     * they cannot be written, the attempt fails (retryably: the orchestrator gets nothing it cannot
     * read); a checkpointing task's retry resumes from its last checkpoint.
     */
    private InvocationResult offload(TaskAttempt task, InvocationResult result) {
        try {
            return payloads.offloaded(result);
        } catch (PayloadException e) {
            Outcome failure = new Outcome.Failure(
                    FailureKind.INTERNAL,
                    "task " + task.key() + ": the guest succeeded, but its output could not be stored: "
                            + e.getMessage());
            return new InvocationResult(
                    failure, new byte[0], result.stderrTail(), result.metrics().withOutcome(failure.label()));
        }
    }

    private static InvocationResult notRun(byte[] input, Outcome failure) {
        return new InvocationResult(
                failure, new byte[0], new byte[0], InvocationMetrics.notRun(0, input.length, failure.label()));
    }

    /**
     * The module a task runs: the one its checkpoint belongs to when it has one and the binding is a
     * name (a task started before a name was rebound finishes on the version it started with), else
     * what the binding names now. A binding pinned to a digest always runs that digest; a checkpoint
     * of another module is then refused loudly by the sandbox. A checkpoint of another input that the
     * policy discards does not hold the task on its version: the fresh start runs what is bound now.
     */
    private Digest digestFor(TaskAttempt task, byte[] inputIdentity) {
        ArtifactRef ref = task.binding().artifact();
        if (ref.digest().isPresent()) {
            return ref.digest().get();
        }
        Optional<Manifest> checkpoint = task.latest();
        boolean discarded = checkpoint.isPresent()
                && checkpoint.get().input() != null
                && task.binding().checkpoints().onInputChange() == CheckpointPolicy.InputChange.RESTART
                && !checkpoint.get().input().equals(Digest.of(inputIdentity));
        if (checkpoint.isPresent() && !discarded) {
            Digest started = checkpoint.get().artifact();
            LOG.debug("task {} resumes on {}, the module its checkpoint belongs to", task.key(), started);
            return started;
        }
        return artifacts.resolve(ref);
    }

    /** The keys of the tasks running here now: a collection of the snapshot store must leave them alone. */
    public Set<String> runningTaskKeys() {
        return Set.copyOf(running.keySet());
    }

    /** Counts an attempt at the task (for orchestrators that do not count lock expiries). */
    int beginAttempt(String taskKey) {
        return snapshots.beginAttempt(taskKey);
    }

    /**
     * The orchestrator accepted the task's result: its checkpoints are no longer needed. A task whose
     * guest could checkpoint leaves a tombstone, so that a late attempt cannot checkpoint it again (see
     * {@link SnapshotStore#finished}); any other task leaves nothing (its attempt count is removed), so
     * that tasks which never checkpoint do not fill the store with tombstones. Best effort; a leftover
     * is only disk space, is logged, and is collected by {@code snapshots gc} or the daemon's collector.
     */
    void finished(String taskKey, boolean couldCheckpoint) {
        try {
            if (couldCheckpoint) {
                snapshots.finished(taskKey);
            } else {
                snapshots.delete(taskKey);
            }
        } catch (RuntimeException e) {
            LOG.warn(
                    "task {} finished but its checkpoints could not be removed from {}: {}",
                    taskKey,
                    snapshots.describe(),
                    e.toString());
        }
    }
}
