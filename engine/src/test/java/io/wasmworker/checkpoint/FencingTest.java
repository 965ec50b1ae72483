package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two attempts of one task running at once (a lock expired and another worker took the task while
 * the first is still alive): the store's generation fencing lets exactly one keep checkpointing;
 * the other stops with a "fenced off" failure instead of overwriting newer checkpoints.
 */
class FencingTest {
    private static final byte[] INPUT = "{\"steps\":12,\"work\":400000}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void aZombieAttemptIsFencedOffAndTheOtherFinishesExactly() throws Exception {
        var guest = Guests.module("ckpt-step-c");
        try (Sandbox sandbox = new Sandbox()) {
            String expected =
                    new String(sandbox.invoke(guest, Invocation.of(INPUT)).stdout(), StandardCharsets.UTF_8);
            var store = new LocalSnapshotStore(dir);
            var policy = new CheckpointPolicy(1, Duration.ZERO, true);
            var first = CompletableFuture.supplyAsync(() -> sandbox.invoke(
                    guest, Invocation.of(INPUT).withCheckpoints(new CheckpointContext(store, "task", 1, policy))));
            while (store.latest("task").isEmpty()) {
                Thread.sleep(1);
            }
            // the second attempt resumes from the first one's latest checkpoint, both keep going
            InvocationResult second = sandbox.invoke(
                    guest, Invocation.of(INPUT).withCheckpoints(new CheckpointContext(store, "task", 2, policy)));
            List<InvocationResult> results = List.of(first.get(), second);

            long fenced = results.stream()
                    .filter(r -> r.outcome() instanceof Outcome.Failure f
                            && f.kind() == FailureKind.CHECKPOINT
                            && f.reason().startsWith("fenced off"))
                    .count();
            List<InvocationResult> finished = results.stream()
                    .filter(r -> r.outcome() instanceof Outcome.Success)
                    .toList();
            assertThat(fenced)
                    .as(results.get(0).report() + " / " + results.get(1).report())
                    .isEqualTo(1);
            assertThat(finished).hasSize(1);
            assertThat(new String(finished.get(0).stdout(), StandardCharsets.UTF_8))
                    .isEqualTo(expected);
        }
    }
}
