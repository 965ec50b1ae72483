package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.host.LimitedMemory;
import io.wasmworker.testing.ByteMutations;
import io.wasmworker.testing.Fuzzer;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the snapshot decoder and the restorer behind it: every mutated blob decodes and restores
 * or is refused as {@link CorruptSnapshotException}; nothing else may escape. Most mutated blobs
 * get their CRC recomputed, which the format would otherwise use to reject nearly all of them
 * before the decoder's own checks run.
 */
class SnapshotFuzzTest {
    private static final Path CORPUS = Path.of("src/test/resources/fuzz/snapshot");
    private static final int PAGE = SnapshotPages.PAGE;
    private static final WasmModule MODULE = Parser.parse(Guests.wat("""
            (module
              (memory (export "memory") 1 4)
              (table 3 funcref)
              (elem (i32.const 0) $f)
              (func $f)
              (global $g (mut i64) (i64.const 5))
              (global $h (mut i32) (i32.const 5))
              (global $c i32 (i32.const 7))
              (data (i32.const 100) "data"))
            """));

    /** Decode, then restore into a fresh instance of a small module whose memory may grow to 4 pages. */
    private static final Consumer<byte[]> DECODE_AND_RESTORE = bytes -> {
        GuestSnapshot s = SnapshotCodec.decode(bytes, "fuzzed snapshot");
        LimitedMemory[] memory = new LimitedMemory[1];
        Instance instance = Instance.builder(MODULE)
                .withMemoryFactory(limits -> memory[0] = LimitedMemory.create(limits, 4))
                .withStart(false)
                .build();
        StateCapture.apply(List.of(s), instance, memory[0]);
    };

    private static List<byte[]> seeds() {
        SplittableRandom random = new SplittableRandom(11);
        byte[] raw = new byte[PAGE];
        random.nextBytes(raw);
        byte[] text = new byte[PAGE];
        Arrays.fill(text, (byte) 'a');
        SnapshotPages full = SnapshotPages.withCapacity(3);
        full.add(0, text, 0, PAGE);
        full.add(1, raw, 0, PAGE);
        SnapshotPages delta = SnapshotPages.withCapacity(2);
        delta.add(0, null, 0, 0);
        delta.add(2, text, 0, PAGE);
        HostState host = new HostState(0, "{\"partial\":".getBytes(StandardCharsets.UTF_8), 3, 99, 0, -1, -1, 2);
        return List.of(
                SnapshotCodec.encode(GuestSnapshot.builder(Digest.parse("sha256:" + "ab".repeat(32)), "task")
                        .memory(2, full)
                        .globals(
                                List.of(new GuestSnapshot.GlobalValue(0, 9, 0), new GuestSnapshot.GlobalValue(1, 3, 0)))
                        .tables(List.of(new GuestSnapshot.TableRefs(0, new int[] {0, -1, -1})))
                        .host(host)
                        .build()),
                SnapshotCodec.encode(GuestSnapshot.builder(Digest.parse("sha256:" + "cd".repeat(32)), "k")
                        .attempt(2)
                        .sequence(5)
                        .baseSequence(4)
                        .memory(3, delta)
                        .globals(List.of(new GuestSnapshot.GlobalValue(1, -1, 0)))
                        .host(host)
                        .build()),
                SnapshotCodec.encode(GuestSnapshot.builder(Digest.parse("sha256:" + "ef".repeat(32)), "")
                        .memory(1, SnapshotPages.withCapacity(0))
                        .host(new HostState(0, new byte[0], 0, 0, 0, 0, 0, 0))
                        .build()));
    }

    private static Fuzzer fuzzer() {
        return new Fuzzer("snapshot", seeds(), ByteMutations.ALL)
                .refusing(CorruptSnapshotException.class)
                .repairing(0.8, bytes -> {
                    if (bytes.length >= 12) {
                        CheckpointIdentityTest.recomputeCrc(bytes);
                    }
                    return bytes;
                });
    }

    @Test
    void theSeedsThemselvesDecodeAndRestore() {
        for (byte[] seed : seeds()) {
            DECODE_AND_RESTORE.accept(seed);
        }
    }

    @Tag("fuzz")
    @Test
    void mutatedSnapshotsDecodeAndRestoreOrAreRefusedAsCorrupt() {
        fuzzer().run(DECODE_AND_RESTORE::accept).assertNoFindings("snapshot fuzz", 100);
    }

    /** Kept crashers (found by this fuzzer before the restorer checked indices) must each be refused. */
    @Test
    void keptCrashersAreRefusedAsCorrupt() {
        Consumer<byte[]> refused = bytes ->
                assertThatThrownBy(() -> DECODE_AND_RESTORE.accept(bytes)).isInstanceOf(CorruptSnapshotException.class);
        fuzzer().replay(CORPUS, refused::accept).assertNoFindings("snapshot regression inputs", 1);
    }
}
