package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deltas carry only changed pages; chains stay bounded; restoring a long chain is exact. */
class DeltaChainTest {
    /**
     * 64 pages of memory filled with a pattern in the first step; every later step changes one
     * word in one page. 20 steps, a checkpoint after each.
     */
    private static final String GUEST = """
            (global $n (mut i32) (i32.const 0))
            (func (export "ww_step") (result i32) (local $i i32) (local $sum i32)
              (global.set $n (i32.add (global.get $n) (i32.const 1)))
              (if (i32.eq (global.get $n) (i32.const 1)) (then
                (memory.fill (i32.const 65536) (i32.const 0x5a) (i32.mul (i32.const 62) (i32.const 65536)))))
              (i32.store (i32.add (i32.const 65536) (i32.mul (global.get $n) (i32.const 65536))) (global.get $n))
              (if (result i32) (i32.eq (global.get $n) (i32.const 20))
                (then
                  ;; checksum: add every 4096th word of pages 1..62
                  (local.set $i (i32.const 65536))
                  (block $done (loop $l
                    (br_if $done (i32.ge_u (local.get $i) (i32.mul (i32.const 63) (i32.const 65536))))
                    (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $i))))
                    (local.set $i (i32.add (local.get $i) (i32.const 4096)))
                    (br $l)))
                  (call $emit (i32.and (local.get $sum) (i32.const 0x7fffffff))) (i32.const 1))
                (else (i32.const 0))))
            """;

    @TempDir
    Path dir;

    @Test
    void deltasAreSmallAndLongChainsRestoreExactly() {
        GuestModule m = Guests.watModule(Guests.EMITTING_MODULE_64_PAGES.replace("$IMPORTS", "") + GUEST + "\n)");
        try (Sandbox sandbox = new Sandbox()) {
            Invocation plain = Invocation.of("{}".getBytes(StandardCharsets.UTF_8));
            String expected =
                    new String(((Outcome.Success) sandbox.invoke(m, plain).outcome())
                            .output()
                            .toString());

            var store = new LocalSnapshotStore(dir);
            var policy = new CheckpointPolicy(1, java.time.Duration.ZERO, false);
            InvocationResult r = sandbox.invoke(m, plain.withCheckpoints(new CheckpointContext(store, "t", 1, policy)));
            assertThat(((Outcome.Success) r.outcome()).output().toString()).isEqualTo(expected);
            assertThat(r.metrics().checkpoints()).isEqualTo(19);

            Manifest manifest = store.latest("t").orElseThrow();
            assertThat(manifest.chain()).hasSizeBetween(2, Checkpointer.MAX_CHAIN);
            long full = manifest.chain().get(0).size();
            for (Manifest.BlobRef delta :
                    manifest.chain().subList(1, manifest.chain().size())) {
                assertThat(delta.size()).as("a one-page delta").isLessThan(full);
            }
            // restore the whole chain into a fresh instance and finish the last step
            InvocationResult resumed =
                    sandbox.invoke(m, plain.withCheckpoints(new CheckpointContext(store, "t", 2, policy)));
            assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(19);
            assertThat(((Outcome.Success) resumed.outcome()).output().toString())
                    .isEqualTo(expected);
        }
    }
}
