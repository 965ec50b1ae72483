package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotKeys;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoint and resume through the real engine with snapshots sealed at rest. */
class EncryptedCheckpointTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final byte[] INPUT = "{\"steps\":6,\"work\":50000}".getBytes(StandardCharsets.UTF_8);
    private static final CheckpointPolicy ON_REQUEST = new CheckpointPolicy(0, Duration.ZERO, true);
    private static final byte[] K1 = key(1);
    private static final byte[] K2 = key(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static byte[] key(int seed) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) (seed * 37));
        return key;
    }

    private SnapshotStore sealed(String current, Object... idsAndKeys) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < idsAndKeys.length; i += 2) {
            keys.put((String) idsAndKeys[i], (byte[]) idsAndKeys[i + 1]);
        }
        return new EncryptingSnapshotStore(new LocalSnapshotStore(dir, false), SnapshotKeys.of(current, keys), false);
    }

    private static Invocation attempt(SnapshotStore store, int attempt, RunControl control) {
        return Invocation.of(INPUT)
                .deterministic(7)
                .withControl(control)
                .withCheckpoints(new CheckpointContext(store, "order-42", attempt, ON_REQUEST, m -> {
                    if (m.sequence() == 3) {
                        control.suspend();
                    }
                }));
    }

    /** Runs attempt 1 until it is suspended after its third checkpoint (sealed with k1). */
    private void interruptedWithK1(GuestModule module) {
        InvocationResult first = SANDBOX.invoke(module, attempt(sealed("k1", "k1", K1), 1, new RunControl()));
        assertThat(first.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.SUSPENDED));
    }

    private static Outcome.Failure failure(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Failure.class);
        return (Outcome.Failure) r.outcome();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ckpt-step-c", "ckpt-async-rust"})
    void aSealedCheckpointResumesAfterRotationWithExactlyTheUninterruptedOutput(String guest) throws Exception {
        GuestModule module = Guests.module(guest);
        InvocationResult uninterrupted =
                SANDBOX.invoke(module, Invocation.of(INPUT).deterministic(7));
        assertThat(uninterrupted.outcome()).as(uninterrupted.report()).isInstanceOf(Outcome.Success.class);

        interruptedWithK1(module);
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> blobs = files.filter(p -> p.toString().endsWith(".snap")).toList();
            assertThat(blobs).isNotEmpty();
            for (Path blob : blobs) {
                assertThat(new String(Files.readAllBytes(blob), 0, 6, StandardCharsets.US_ASCII))
                        .as("sealed at rest")
                        .isEqualTo("WWSEAL");
            }
        }

        // rotated: k2 seals from now on, k1 still opens the checkpoint taken before
        SnapshotStore rotated = sealed("k2", "k2", K2, "k1", K1);
        InvocationResult resumed = SANDBOX.invoke(module, attempt(rotated, 2, new RunControl()));
        assertThat(resumed.outcome()).as(resumed.report()).isInstanceOf(Outcome.Success.class);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(3);
        assertThat(resumed.stdout()).isEqualTo(uninterrupted.stdout());
        Manifest after = rotated.latest("order-42").orElseThrow();
        assertThat(after.sequence()).isGreaterThan(3);
    }

    @Test
    void aCheckpointWhoseKeyWasRemovedFailsAsCheckpointNamingTheKey() {
        GuestModule module = Guests.module("ckpt-step-c");
        interruptedWithK1(module);

        InvocationResult r = SANDBOX.invoke(module, attempt(sealed("k2", "k2", K2), 2, new RunControl()));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains("task 'order-42'")
                .contains("snapshot key 'k1', which the key ring does not hold (it holds: k2)");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aWorkerWithoutKeysFailsAsCheckpointInsteadOfStartingAfresh() {
        GuestModule module = Guests.module("ckpt-step-c");
        interruptedWithK1(module);

        InvocationResult r = SANDBOX.invoke(module, attempt(new LocalSnapshotStore(dir, false), 2, new RunControl()));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains("task 'order-42'")
                .contains("is encrypted (sealed with snapshot key 'k1'), but this worker has no snapshot keys");
        assertThat(r.metrics().hostCalls()).as("the guest never ran").isZero();
    }

    @Test
    void aTamperedSealedSnapshotFailsAsCheckpoint() throws Exception {
        GuestModule module = Guests.module("ckpt-step-c");
        interruptedWithK1(module);
        Path manifest;
        try (Stream<Path> files = Files.walk(dir)) {
            manifest = files.filter(p -> p.getFileName().toString().matches("manifest(\\.b)?\\.json"))
                    .findFirst()
                    .orElseThrow();
        }
        // as a writer without the keys would: another sequence, with the checksum recomputed to match
        ObjectNode root = (ObjectNode) JSON.readTree(manifest.toFile());
        root.put("sequence", 2);
        root.remove("checksum");
        root.put("checksum", "sha256:" + Digest.of(JSON.writeValueAsBytes(root)).hex());
        Files.write(manifest, JSON.writeValueAsBytes(root));

        InvocationResult r = SANDBOX.invoke(module, attempt(sealed("k1", "k1", K1), 2, new RunControl()));
        Outcome.Failure f = failure(r);
        assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains("manifest of task 'order-42'")
                .contains("fails authentication with snapshot key 'k1'");
    }
}
