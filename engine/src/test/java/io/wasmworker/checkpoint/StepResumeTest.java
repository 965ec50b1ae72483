package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.module.GuestStyle;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint and resume of a tiny step guest (WAT), in-process, against the real local store. */
class StepResumeTest {
    private static final Sandbox SANDBOX = new Sandbox();

    /**
     * Five steps; the step counter is a global and the running sum lives in memory, so a resume
     * must restore both. It asks for a checkpoint after every step.
     */
    private static final String STEP_GUEST = """
            (global $n (mut i32) (i32.const 0))
            (func (export "ww_step") (result i32)
              (global.set $n (i32.add (global.get $n) (i32.const 1)))
              (i32.store (i32.const 3000) (i32.add (i32.load (i32.const 3000)) (i32.mul (global.get $n) (i32.const 7))))
              (drop (call $checkpoint (i32.const 0) (i32.const 0)))
              (if (result i32) (i32.eq (global.get $n) (i32.const 5))
                (then (call $emit (i32.load (i32.const 3000))) (i32.const 1))
                (else (i32.const 0))))
            """;

    private static final String CHECKPOINT_IMPORT =
            "(import \"wasm_worker\" \"checkpoint\" (func $checkpoint (param i32 i32) (result i32)))";

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static GuestModule guest() {
        return Guests.emitting(CHECKPOINT_IMPORT, STEP_GUEST);
    }

    private Invocation invocation(LocalSnapshotStore store, int attempt) {
        return Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                .withCheckpoints(new CheckpointContext(store, "task-1", attempt, CheckpointPolicy.DEFAULT));
    }

    private static String output(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void aStepGuestCheckpointsBetweenStepsAndResumesWhereItStopped() {
        GuestModule m = guest();
        assertThat(m.style()).isEqualTo(GuestStyle.STEP);
        String uninterrupted = output(SANDBOX.invoke(m, Invocation.of("{}".getBytes(StandardCharsets.UTF_8))));
        assertThat(uninterrupted).isEqualTo("{\"v\":105}"); // 7 * (1+2+3+4+5)

        var store = new LocalSnapshotStore(dir);
        InvocationResult first = SANDBOX.invoke(m, invocation(store, 1));
        assertThat(output(first)).isEqualTo(uninterrupted);
        assertThat(first.metrics().checkpoints()).isEqualTo(4); // after steps 1-4; step 5 finishes
        Manifest manifest = store.latest("task-1").orElseThrow();
        assertThat(manifest.sequence()).isEqualTo(4);
        // a full snapshot, then deltas; with one page per delta the chain is compacted early
        assertThat(manifest.chain().size()).isBetween(1, 4);
        assertThat(manifest.artifact()).isEqualTo(m.digest());

        // a retry resumes after step 4: only step 5 runs, and the result is the same
        InvocationResult retry = SANDBOX.invoke(m, invocation(store, 2));
        assertThat(output(retry)).isEqualTo(uninterrupted);
        assertThat(retry.metrics().resumedFromSequence()).isEqualTo(4);
        assertThat(retry.metrics().checkpoints()).isZero();
    }

    @Test
    void aDamagedSnapshotFailsTheAttemptInsteadOfStartingFresh() throws Exception {
        GuestModule m = guest();
        var store = new LocalSnapshotStore(dir);
        output(SANDBOX.invoke(m, invocation(store, 1)));
        Path blob;
        try (Stream<Path> files = Files.walk(dir)) {
            blob = files.filter(p -> p.toString().endsWith(".snap"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(blob, bytes);

        InvocationResult r = SANDBOX.invoke(m, invocation(store, 2));
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
            assertThat(f.reason()).contains("cannot resume").contains("damaged");
        });
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aSnapshotIsNeverRestoredIntoAnotherModule() {
        var store = new LocalSnapshotStore(dir);
        output(SANDBOX.invoke(guest(), invocation(store, 1)));
        GuestModule other = Guests.emitting(CHECKPOINT_IMPORT, STEP_GUEST.replace("i32.const 7", "i32.const 8"));
        InvocationResult r = SANDBOX.invoke(other, invocation(store, 2));
        assertThat(r.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
            assertThat(f.reason()).contains("refusing to restore it into " + other.digest());
        });
    }

    @Test
    void withoutATaskKeyCheckpointCallsAreNoOps() {
        InvocationResult r = SANDBOX.invoke(
                guest(),
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                        .withLimits(io.wasmworker.sandbox.GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(5))));
        assertThat(output(r)).isEqualTo("{\"v\":105}");
        assertThat(r.metrics().checkpoints()).isZero();
    }
}
