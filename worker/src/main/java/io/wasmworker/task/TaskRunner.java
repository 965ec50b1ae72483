package io.wasmworker.task;

import io.wasmworker.artifact.ArtifactException;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestText;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationMetrics;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The orchestrator-neutral core the adapters share: resolves a task's artifact (names on every
 * task, so rebinding a name deploys a new version; a task with a checkpoint stays on the version it
 * started with), runs its guest in
 * the sandbox with checkpoints keyed by the task, and cleans up the task's snapshots once the
 * orchestrator has accepted its result. Runs on the calling thread (adapters own their threads,
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
    /** Task key to the number of its runs under way here (two copies of one task may overlap briefly). */
    private final Map<String, Integer> running = new ConcurrentHashMap<>();

    public TaskRunner(ArtifactStore artifacts, ModuleCache modules, SnapshotStore snapshots, Sandbox sandbox) {
        this(artifacts, modules, snapshots, sandbox, TaskObserver.NONE);
    }

    public TaskRunner(ArtifactStore artifacts, ModuleCache modules, SnapshotStore snapshots, Sandbox sandbox,
            TaskObserver observer) {
        this.artifacts = artifacts;
        this.modules = modules;
        this.snapshots = snapshots;
        this.sandbox = sandbox;
        this.observer = observer;
    }

    public SnapshotStore snapshots() {
        return snapshots;
    }

    /**
     * Resolves and compiles an artifact now (start-up checks, and the digest to log); throws
     * {@link ArtifactException} or {@link InvalidModuleException} naming what is wrong.
     */
    public GuestModule load(ArtifactRef ref) {
        return modules.get(ref);
    }

    /** Runs the task's guest to its outcome, resuming from the task's last checkpoint if any. */
    public InvocationResult run(TaskRequest task) {
        String previous = MDC.get("task");
        MDC.put("task", task.taskKey()); // every log line about the task carries its key
        running.merge(task.taskKey(), 1, Integer::sum);
        try {
            InvocationResult result;
            try {
                result = execute(task);
            } catch (Throwable t) { // not even an Error leaves the task boundary: see Sandbox.run
                result = InvocationResult.hostFailure(task.input().length, t);
                logQuietly("task " + task.taskKey() + " failed in the host", t);
            }
            try {
                logGuestStderr(result);
                observer.finished(task, result);
            } catch (Throwable t) { // the run's result stands
                logQuietly("task " + task.taskKey() + ": its outcome could not be logged or observed", t);
            }
            return result;
        } finally {
            running.computeIfPresent(task.taskKey(), (key, n) -> n == 1 ? null : n - 1);
            if (previous == null) {
                MDC.remove("task");
            } else {
                MDC.put("task", previous);
            }
        }
    }

    /** Metrics only: an observer that fails must not fail the run that is starting afresh. */
    private void observeDiscarded(TaskRequest task, DiscardedCheckpoint discarded) {
        try {
            observer.checkpointDiscarded(task, discarded);
        } catch (RuntimeException e) {
            logQuietly("task " + task.taskKey() + ": its discarded checkpoint could not be observed", e);
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

    /** The guest's stderr (its tail, at most the stderr limit) in the worker's log, line by line. */
    private static void logGuestStderr(InvocationResult result) {
        if (result.stderrTail().length == 0 || !GUEST_LOG.isInfoEnabled()) {
            return;
        }
        for (String line : result.stderrTailText().split("\n")) {
            if (!line.isBlank()) {
                GUEST_LOG.info("[guest] {}", GuestText.escapeLine(line)); // no \r or ANSI spoofing the log
            }
        }
    }

    private InvocationResult execute(TaskRequest task) {
        GuestModule module;
        try {
            module = modules.get(digestFor(task));
        } catch (ArtifactException | InvalidModuleException e) {
            return notRun(task, new Outcome.Failure(FailureKind.ARTIFACT,
                    "artifact " + task.binding().artifact() + " cannot be run: " + e.getMessage()));
        } catch (CorruptSnapshotException | UncheckedIOException e) {
            return notRun(task, new Outcome.Failure(FailureKind.CHECKPOINT,
                    "cannot read the checkpoint of task '" + task.taskKey() + "': " + e.getMessage()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("ID", task.taskKey());
        metadata.put("ATTEMPT", Integer.toString(task.attempt()));
        metadata.putAll(task.metadata());
        Invocation invocation = Invocation.of(task.input())
                .withLimits(task.binding().limits())
                .withTask(metadata)
                .withControl(task.control())
                .withCheckpoints(new CheckpointContext(snapshots, task.taskKey(), task.attempt(),
                        task.binding().checkpoints(), task.onCheckpoint(),
                        discarded -> observeDiscarded(task, discarded)));
        return sandbox.run(module, invocation);
    }

    private static InvocationResult notRun(TaskRequest task, Outcome failure) {
        return new InvocationResult(failure, new byte[0], new byte[0],
                InvocationMetrics.notRun(0, task.input().length, failure.label()));
    }

    /**
     * The module a task runs: the one its checkpoint belongs to when it has one and the binding is a
     * name (a task started before a name was rebound finishes on the version it started with), else
     * what the binding names now. A binding pinned to a digest always runs that digest; a checkpoint
     * of another module is then refused loudly by the sandbox. A checkpoint of another input that the
     * policy discards does not hold the task on its version: the fresh start runs what is bound now.
     */
    private Digest digestFor(TaskRequest task) {
        ArtifactRef ref = task.binding().artifact();
        if (ref.digest().isPresent()) {
            return ref.digest().get();
        }
        Optional<Manifest> checkpoint = snapshots.latest(task.taskKey());
        boolean discarded = checkpoint.isPresent() && checkpoint.get().input() != null
                && task.binding().checkpoints().onInputChange() == CheckpointPolicy.InputChange.RESTART
                && !checkpoint.get().input().equals(Digest.of(task.input()).toString());
        if (checkpoint.isPresent() && !discarded) {
            Digest started = Digest.parse(checkpoint.get().artifact());
            LOG.debug("task {} resumes on {}, the module its checkpoint belongs to", task.taskKey(), started);
            return started;
        }
        return artifacts.resolve(ref);
    }

    /** The keys of the tasks running here now: a collection of the snapshot store must leave them alone. */
    public Set<String> runningTaskKeys() {
        return Set.copyOf(running.keySet());
    }

    /** Counts an attempt at the task (for orchestrators that do not count lock expiries). */
    public int beginAttempt(String taskKey) {
        return snapshots.beginAttempt(taskKey);
    }

    /**
     * The orchestrator accepted the task's result: its checkpoints are no longer needed, and the
     * store keeps a tombstone so that a late attempt of the task cannot checkpoint it again (see
     * {@link SnapshotStore#finished}). Best effort; a leftover is only disk space, is logged, and is
     * collected by {@code snapshots gc} or the daemon's collector.
     */
    public void finished(String taskKey) {
        try {
            snapshots.finished(taskKey);
        } catch (RuntimeException e) {
            LOG.warn("task {} finished but its checkpoints could not be removed from {}: {}", taskKey,
                    snapshots.describe(), e.toString());
        }
    }
}
