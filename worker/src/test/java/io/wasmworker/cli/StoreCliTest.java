package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.LoopbackService;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's checkpoints and stores: task-key cleanup, and maintenance commands on damaged stores. */
class StoreCliTest {
    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    private Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    /** A step guest that checkpoints after every step and traps in step 3. */
    private Path trapsAfterCheckpoints() throws Exception {
        return Files.write(home.resolve("traps.wasm"), Guests.wat("""
                (module
                  (import "wasm_worker" "checkpoint" (func $checkpoint (param i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (global $n (mut i32) (i32.const 0))
                  (func (export "ww_step") (result i32)
                    (global.set $n (i32.add (global.get $n) (i32.const 1)))
                    (drop (call $checkpoint (i32.const 0) (i32.const 0)))
                    (if (i32.eq (global.get $n) (i32.const 3)) (then unreachable))
                    (i32.const 0)))
                """));
    }

    @Test
    void snapshotsInspectShowsTheHostCallsTheJournalHoldsBeyondTheCheckpoint() throws Exception {
        Path guest = Files.write(
                home.resolve("reserves.wasm"), Guests.wat(HttpGuest.RESERVES_AFTER_A_CHECKPOINT_THEN_TRAPS));
        try (LoopbackService inventory = new LoopbackService()) {
            Run failed = cli(
                    "invoke", guest.toString(), "--task-key", "order-7", "--endpoint", "inventory=" + inventory.uri());
            assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        }
        Run inspect = cli("snapshots", "inspect", "order-7");
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("journal: 1 host call(s) a retry replays (calls 1 to 1 are covered by the checkpoint)")
                .containsPattern("call 2  POST /reserve on endpoint 'inventory'  status=201 headers=\\d+B body=17B"
                        + " request=sha256:[0-9a-f]{64} input=sha256:[0-9a-f]{64}")
                .doesNotContain("call 1 ");
    }

    @Test
    void snapshotsInspectShowsTheJournalOfATaskWithoutACheckpointAndSaysWhenThereIsNeither() throws Exception {
        // the same calls without the checkpoint, to a service that is down: both are recorded as unavailable
        Path guest = Files.write(
                home.resolve("down.wasm"),
                Guests.wat(HttpGuest.RESERVES_AFTER_A_CHECKPOINT_THEN_TRAPS.replace(
                        "(drop (call $checkpoint (i32.const 0) (i32.const 0)))", "")));
        Run failed = cli(
                "invoke",
                guest.toString(),
                "--task-key",
                "order-8",
                "--endpoint",
                "inventory=" + LoopbackService.nothingListening());
        assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        Run inspect = cli("snapshots", "inspect", "order-8");
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out())
                .contains("task order-8\n  no checkpoint: a retry starts afresh and replays the journal")
                .contains("journal: 2 host call(s) a retry replays\n")
                .contains("call 1  GET /stock/X-1 on endpoint 'inventory'  unavailable headers=0B body=0B")
                .contains("call 2  POST /reserve on endpoint 'inventory'  unavailable headers=0B body=0B");

        Run none = cli("snapshots", "inspect", "no-such-task");
        assertThat(none.exit()).isNotZero();
        assertThat(none.err()).contains("task 'no-such-task' has no checkpoint and no journaled host call in");
    }

    @Test
    void aFinishedTaskKeysCheckpointsAreRemovedSoTheNextRunStartsAfresh() {
        String input = "{\"steps\":3,\"work\":1000}";
        Run first = cli(
                "invoke",
                Guests.path("ckpt-step-c").toString(),
                "--input",
                input,
                "--task-key",
                "k1",
                "--checkpoint-every-steps",
                "1");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.err()).contains("task 'k1' finished; its checkpoints were removed");
        assertThat(cli("snapshots", "ls").out()).doesNotContain("k1");
        // rm semantics, not the daemon's tombstone: nothing is left that could fence off the next run
        assertThat(home.resolve("snapshots/tasks")).isEmptyDirectory();

        Run again = cli(
                "invoke",
                Guests.path("ckpt-step-c").toString(),
                "--input",
                input,
                "--task-key",
                "k1",
                "--checkpoint-every-steps",
                "1",
                "--report",
                "json");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.err()).contains("\"resumedFromSequence\":0");
    }

    @Test
    void aFailedTaskKeepsItsCheckpointsForTheRetry() throws Exception {
        Run failed = cli("invoke", trapsAfterCheckpoints().toString(), "--task-key", "k2");
        assertThat(failed.exit()).as(failed.err()).isEqualTo(ExitCodes.GUEST_FAILURE);
        assertThat(failed.err()).contains("outcome=trap").doesNotContain("checkpoints were removed");
        assertThat(cli("snapshots", "ls").out()).contains("k2  generation=2 sequence=2");
        assertThat(cli("snapshots", "inspect", "k2").out())
                .contains("input "
                        + io.wasmworker.artifact.Digest.of("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void snapshotsLsReportsADamagedEntryAndListsTheRest() throws Exception {
        Path guest = trapsAfterCheckpoints();
        cli("invoke", guest.toString(), "--task-key", "healthy");
        cli("invoke", guest.toString(), "--task-key", "damaged");
        Path tasks = home.resolve("snapshots/tasks");
        Path damaged;
        try (var dirs = Files.list(tasks)) {
            damaged = dirs.filter(d -> {
                        try {
                            return Files.readString(manifestIn(d)).contains("\"damaged\"");
                        } catch (Exception e) {
                            return false;
                        }
                    })
                    .findFirst()
                    .orElseThrow();
        }
        Files.writeString(manifestIn(damaged), "hunter2 was here");

        Run ls = cli("snapshots", "ls");
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out())
                .contains("healthy  generation=2")
                .contains("DAMAGED " + damaged)
                .contains("not valid JSON")
                .doesNotContain("hunter2");
    }

    @Test
    void snapshotsRmOfASymlinkedTaskLeavesWhatItPointsAt() throws Exception {
        cli("invoke", trapsAfterCheckpoints().toString(), "--task-key", "planted");
        Path tasks = home.resolve("snapshots/tasks");
        Path taskDir;
        try (var dirs = Files.list(tasks)) {
            taskDir = dirs.findFirst().orElseThrow();
        }
        Path outside = Files.createDirectories(home.resolve("outside"));
        Files.move(taskDir, outside.resolve("moved"));
        Files.createSymbolicLink(taskDir, outside.resolve("moved"));

        Run rm = cli("snapshots", "rm", "planted");
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(taskDir).doesNotExist();
        assertThat(manifestIn(outside.resolve("moved"))).exists();
    }

    /** The file holding a task directory's manifest: the local store alternates between two names. */
    private static Path manifestIn(Path taskDir) {
        Path b = taskDir.resolve("manifest.b.json");
        return Files.exists(b) ? b : taskDir.resolve("manifest.json");
    }

    @Test
    void artifactsLsReportsDamagedAndStrayFilesAndListsTheRest() throws Exception {
        String good = cli("artifacts", "put", Guests.path("echo").toString(), "--name", "echo")
                .out()
                .split("\\s+")[0];
        String bad =
                cli("artifacts", "put", Guests.path("greet").toString()).out().split("\\s+")[0];
        Path blobs = home.resolve("artifacts/blobs/sha256");
        Files.write(blobs.resolve(bad.substring(7) + ".wasm"), new byte[] {1, 2, 3});
        Files.writeString(blobs.resolve("README"), "stray");

        Run ls = cli("artifacts", "ls");
        assertThat(ls.exit()).as(ls.err()).isZero();
        assertThat(ls.out())
                .contains(good + "  echo")
                .contains("DAMAGED " + bad)
                .contains("digest mismatch")
                .contains("DAMAGED " + blobs.resolve("README"));

        // putting the right bytes again repairs it
        assertThat(cli("artifacts", "put", Guests.path("greet").toString()).exit())
                .isZero();
        assertThat(cli("artifacts", "ls").out())
                .doesNotContain("DAMAGED " + bad)
                .contains(bad);
    }

    @Test
    void aModuleFileOverTheLimitIsRefusedWithoutReadingIt() throws Exception {
        Path huge = home.resolve("huge.wasm");
        try (RandomAccessFile raf = new RandomAccessFile(huge.toFile(), "rw")) {
            raf.setLength(5L << 30); // sparse
        }
        Run put = cli("artifacts", "put", huge.toString());
        assertThat(put.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(put.err()).contains(huge.toString()).contains("33554432 bytes"); // the module size limit
        Run invoke = cli("invoke", huge.toString());
        assertThat(invoke.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(invoke.err()).contains(huge.toString()).contains("33554432 bytes"); // the module size limit
    }

    @Test
    void snapshotsGcRemovesOldLeftoversKeepsYoungOnesAndNamesDamagedEntries() throws Exception {
        LocalSnapshotStore store = new LocalSnapshotStore(home.resolve("snapshots"), false);
        checkpoint(store, "old-leftover");
        store.finished("old-finished");
        checkpoint(store, "young");
        store.finished("young-finished");
        Path tasks = home.resolve("snapshots/tasks");
        Files.writeString(tasks.resolve("not-a-task"), "x");
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
        for (String key : List.of("old-leftover", "old-finished")) {
            try (var tree = Files.walk(tasks.resolve(storageName(key)))) {
                for (Path p : tree.toList()) {
                    Files.setLastModifiedTime(p, old);
                }
            }
        }

        Run gc = cli("snapshots", "gc", "--older-than", "2d");

        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.out())
                .contains("removed 2 task(s) and 0 unreferenced blob(s)")
                .contains("DAMAGED " + tasks.resolve("not-a-task"));
        assertThat(tasks.resolve(storageName("old-leftover"))).doesNotExist();
        assertThat(tasks.resolve(storageName("old-finished"))).doesNotExist();
        assertThat(tasks.resolve(storageName("young-finished"))).exists();
        assertThat(tasks.resolve("not-a-task")).exists();
        assertThat(cli("snapshots", "ls").out()).contains("young  generation=1").doesNotContain("old-leftover");

        Run nothingLeft = cli("snapshots", "gc", "--older-than", "2d");
        assertThat(nothingLeft.out()).contains("removed 0 task(s)");
        Run bad = cli("snapshots", "gc", "--older-than", "0s");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--older-than must be positive");
    }

    private static void checkpoint(LocalSnapshotStore store, String key) {
        byte[] data = ("snapshot of " + key).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        store.putBlob(key, "0000000001-full", data);
        store.publish(
                key,
                0,
                new Manifest(
                        key,
                        1,
                        io.wasmworker.artifact.Digest.parse("sha256:" + "ab".repeat(32)),
                        1,
                        1,
                        List.of(Blobs.ref("0000000001-full", data)),
                        System.currentTimeMillis()));
    }

    /** The store's directory name for a key: hex SHA-256 of its UTF-8 bytes. */
    private static String storageName(String key) {
        return io.wasmworker.artifact.Digest.of(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .hex();
    }
}
