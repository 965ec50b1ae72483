package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskAttemptTest {
    private static final byte[] INPUT = "{\"steps\":4,\"work\":1000}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final Sandbox sandbox = new Sandbox();
    private final AtomicInteger manifestReads = new AtomicInteger();
    private LocalArtifactStore artifacts;
    private LocalSnapshotStore snapshots;
    private TaskRunner runner;
    private TaskBinding binding;

    @BeforeEach
    void setUp() {
        artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        snapshots = new LocalSnapshotStore(dir.resolve("snapshots"), false);
        runner = new TaskRunner(
                artifacts, new ModuleCache(artifacts, new ModuleLoader(), 8), countingReads(snapshots), sandbox);
        artifacts.bindName("logic", artifacts.put(Guests.bytes("ckpt-step-c")));
        binding = new TaskBinding(
                ArtifactRef.parse("logic"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
    }

    @AfterEach
    void tearDown() {
        sandbox.close();
    }

    /** The store, counting the manifest reads ({@code latest}). */
    private SnapshotStore countingReads(SnapshotStore store) {
        return (SnapshotStore) Proxy.newProxyInstance(
                SnapshotStore.class.getClassLoader(), new Class<?>[] {SnapshotStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("latest")) {
                        manifestReads.incrementAndGet();
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Attempt 1 of task "t", suspended at its first checkpoint. */
    private CheckpointRef suspendedAtFirstCheckpoint() {
        RunControl control = new RunControl();
        List<CheckpointRef> published = new ArrayList<>();
        TaskAttempt first = runner.openCounted(TaskKey.of("t"), binding);
        InvocationResult r = first.invoke(INPUT, Map.of(), control, ref -> {
            published.add(ref);
            control.suspend();
        });
        assertThat(((Outcome.Failure) r.outcome()).kind()).isEqualTo(FailureKind.SUSPENDED);
        assertThat(published).containsExactly(new CheckpointRef(TaskKey.of("t"), 1));
        assertThat(first.checkpoint()).contains(published.get(0));
        return published.get(0);
    }

    @Test
    void aResumingAttemptReadsTheTasksManifestOnceForItsDecisionsAndItsRun() {
        CheckpointRef suspended = suspendedAtFirstCheckpoint();
        manifestReads.set(0);

        TaskAttempt retry = runner.openCounted(TaskKey.of("t"), binding);
        assertThat(retry.number()).as("counted in the store").isEqualTo(2);
        assertThat(retry.latestCheckpoint()).contains(suspended); // the Temporal adapter's check
        assertThat(retry.checkpointAttempt()).isEqualTo(1); // the Camunda adapter's attempt budget
        InvocationResult r = retry.invoke(INPUT, Map.of(), null, null); // the module it resumes on, and the resume
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(r.metrics().resumedFromSequence()).isEqualTo(1);
        assertThat(manifestReads).as("reads of the manifest").hasValue(1);

        assertThat(retry.checkpoint())
                .get()
                .satisfies(c -> assertThat(c.isAtLeast(suspended)).isTrue());
        assertThat(retry.hasCheckpoints()).isTrue();
        retry.finished();
        assertThat(snapshots.latest("t")).isEmpty();
    }

    @Test
    void aDiscardedCheckpointIsNotResumedAndTheRunStartsAfresh() {
        suspendedAtFirstCheckpoint();
        TaskAttempt retry = runner.open(TaskKey.of("t"), binding, 1);
        retry.discardCheckpoint();
        assertThat(retry.latestCheckpoint()).isEmpty();
        assertThat(snapshots.latest("t")).isEmpty();
        InvocationResult r = retry.invoke(INPUT, Map.of(), null, null);
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(r.metrics().resumedFromSequence()).isZero();
    }

    @Test
    void theGuestSeesOneMetadataMapWithTheKeyAndAttemptAddedUnlessGiven() {
        TaskAttempt attempt = runner.open(TaskKey.of("camunda:42"), binding, 3);
        attempt.invoke(INPUT, Map.of("SOURCE", "test", "ID", "42"), null, null);
        assertThat(attempt.metadata())
                .containsExactlyInAnyOrderEntriesOf(Map.of("SOURCE", "test", "ID", "42", "ATTEMPT", "3"));
        assertThatThrownBy(() -> attempt.metadata().put("X", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aFinishedPlainTaskLeavesNothingInTheStoreAndACheckpointingOneATombstone() throws Exception {
        artifacts.bindName("plain", artifacts.put(Guests.bytes("greet")));
        TaskAttempt plain = runner.openCounted(TaskKey.of("plain-task"), TaskBinding.of(ArtifactRef.parse("plain")));
        plain.invoke("{\"name\":\"Ada\"}".getBytes(StandardCharsets.UTF_8), Map.of(), null, null);
        assertThat(plain.hasCheckpoints()).isFalse();
        plain.finished();
        try (var left = java.nio.file.Files.list(dir.resolve("snapshots").resolve("tasks"))) {
            assertThat(left)
                    .as("a task that could never checkpoint leaves no tombstone")
                    .isEmpty();
        }

        TaskAttempt checkpointing = runner.openCounted(TaskKey.of("ckpt-task"), binding);
        checkpointing.invoke(INPUT, Map.of(), null, null);
        checkpointing.finished();
        assertThatThrownBy(() -> snapshots.beginAttempt("ckpt-task"))
                .as("a late attempt of a finished checkpointing task is fenced")
                .isInstanceOf(io.wasmworker.checkpoint.store.StaleGenerationException.class);
    }

    @Test
    void anAttemptRunsOnce() {
        TaskAttempt attempt = runner.open(TaskKey.of("once"), TaskBinding.of(ArtifactRef.parse("logic")), 1);
        attempt.invoke(INPUT, Map.of(), null, null);
        assertThatThrownBy(() -> attempt.invoke(INPUT, Map.of(), null, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("attempt 1 of task 'once' has already run");
    }

    @Test
    void anUnreadableManifestIsReadAgainWhenNextNeededAndFailsTheRunNamingTheTask() {
        suspendedAtFirstCheckpoint();
        // damage the manifest: the adapters' decisions see the error, and so does the run
        try (var files = java.nio.file.Files.walk(dir.resolve("snapshots"))) {
            files.filter(p -> p.getFileName().toString().startsWith("manifest")).forEach(p -> {
                try {
                    java.nio.file.Files.writeString(p, "not a manifest");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TaskAttempt retry = runner.open(TaskKey.of("t"), binding, 2);
        assertThatThrownBy(retry::checkpointAttempt).isInstanceOf(RuntimeException.class);
        InvocationResult r = retry.invoke(INPUT, Map.of(), null, null);
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
            assertThat(f.reason()).contains("task 't'");
        });
        assertThat(retry.checkpoint()).isEmpty();
    }
}
