package io.wasmworker.cli;

import io.wasmworker.checkpoint.GuestSnapshot;
import io.wasmworker.checkpoint.SnapshotCodec;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.checkpoint.store.CorruptSnapshotException;
import io.wasmworker.checkpoint.store.EncryptingSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.RecordedCall;
import io.wasmworker.sandbox.GuestText;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code wasm-worker snapshots ls|inspect|rm|gc}: the snapshot store (a directory or S3). */
@Command(
        name = "snapshots",
        mixinStandardHelpOptions = true,
        description =
                "Lists, inspects, removes and collects task checkpoints in the snapshot store (a directory or S3).",
        subcommands = {
            SnapshotsCommand.Ls.class,
            SnapshotsCommand.Inspect.class,
            SnapshotsCommand.Rm.class,
            SnapshotsCommand.Gc.class
        })
final class SnapshotsCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every subcommand shares. */
    static class StoreArgs {
        @Mixin
        StoreOptions store;

        @Option(names = "--snapshots", paramLabel = "LOCATION", description = StoreOptions.SNAPSHOTS_HELP)
        String snapshots;

        @Mixin
        SnapshotKeyOptions keys;

        /** The store, opening sealed snapshots when keys are given. */
        SnapshotStore open() {
            return keys.wrap(store.snapshots(snapshots));
        }

        /** The store as kept, sealed snapshots and all. */
        SnapshotStore openSealed() {
            return store.snapshots(snapshots);
        }
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            description = {
                "One line per task: key, generation, sequence, artifact.",
                "Damaged or stray entries are listed as DAMAGED with the reason."
            })
    static final class Ls extends StoreArgs implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (SnapshotStore s = open()) {
                return callOn(s);
            }
        }

        private Integer callOn(SnapshotStore s) {
            PrintWriter out = spec.commandLine().getOut();
            int unverified = 0;
            for (SnapshotStore.TaskEntry e : s.entries()) {
                if (e.manifest().isPresent()) {
                    Manifest m = e.manifest().get();
                    out.printf(
                            "%s  generation=%d sequence=%d attempt=%d chain=%d artifact=%s%s%n",
                            m.taskKey(),
                            m.generation(),
                            m.sequence(),
                            m.attempt(),
                            m.chain().size(),
                            m.artifact(),
                            m.seal() == null ? "" : " ENCRYPTED(key=" + m.seal().keyId() + ", not verified)");
                    unverified += m.seal() == null ? 0 : 1;
                } else {
                    out.printf("DAMAGED %s  %s%n", e.location(), e.problem()); // reported; the listing goes on
                }
            }
            if (unverified > 0) { // only without keys: an encrypting store opens every manifest it lists
                spec.commandLine()
                        .getErr()
                        .printf(
                                "note: %d checkpoint(s) are encrypted and were listed without their keys, unverified;"
                                        + " %s to verify and inspect them%n",
                                unverified, SnapshotKeyOptions.howToGiveKeys());
            }
            return ExitCodes.SUCCESS;
        }
    }

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = {
                "Shows a task's manifest and every snapshot of its chain, verifying each one, and the host calls"
                        + " its journal holds beyond the checkpoint (a retry replays them instead of calling again):"
                        + " sequence, endpoint, method and path, result or status, sizes, request digest."
            })
    static final class Inspect extends StoreArgs implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TASK_KEY")
        String taskKey;

        @Override
        public Integer call() {
            try (SnapshotStore s = open()) {
                return callOn(s);
            }
        }

        private Integer callOn(SnapshotStore s) {
            PrintWriter out = spec.commandLine().getOut();
            Optional<Manifest> latest = s.latest(taskKey);
            long firstUncovered = 1;
            if (latest.isPresent()) {
                firstUncovered = printCheckpoint(s, latest.get(), out);
            }
            List<StoreCallJournal.Entry> journal;
            try {
                journal = StoreCallJournal.read(s, taskKey, firstUncovered);
            } catch (CorruptSnapshotException e) {
                if (s instanceof EncryptingSnapshotStore) {
                    throw e;
                }
                throw new IllegalArgumentException("the host-call journal of task '" + taskKey + "' in "
                        + s.describe() + " cannot be read (" + e.getMessage() + "); if the store is encrypted, "
                        + SnapshotKeyOptions.howToGiveKeys() + " to inspect it");
            }
            if (latest.isEmpty()) {
                if (journal.isEmpty()) {
                    throw new IllegalArgumentException(
                            "task '" + taskKey + "' has no checkpoint and no journaled host call in " + s.describe());
                }
                out.printf("task %s%n  no checkpoint: a retry starts afresh and replays the journal%n", taskKey);
            }
            printJournal(journal, firstUncovered, out);
            return ExitCodes.SUCCESS;
        }

        /** The manifest and its chain; returns the first host call the checkpoint does not cover. */
        private long printCheckpoint(SnapshotStore s, Manifest m, PrintWriter out) {
            if (m.seal() != null) { // read without keys
                throw new IllegalArgumentException("the checkpoint of task '" + taskKey + "' in " + s.describe()
                        + " is encrypted (sealed with snapshot key '" + m.seal().keyId() + "'); "
                        + SnapshotKeyOptions.howToGiveKeys() + " to inspect it");
            }
            out.printf(
                    "task %s%n  generation %d, sequence %d, attempt %d, artifact %s%n  input %s%n  published %s%n",
                    m.taskKey(),
                    m.generation(),
                    m.sequence(),
                    m.attempt(),
                    m.artifact(),
                    m.input() == null ? "(not recorded: an older manifest)" : m.input(),
                    Instant.ofEpochMilli(m.createdAtMillis()));
            if (s instanceof EncryptingSnapshotStore) {
                out.printf(
                        "  %s%n",
                        openSealed()
                                .latest(taskKey)
                                .map(Manifest::seal)
                                .map(seal -> "encrypted: manifest sealed with key " + seal.keyId())
                                .orElse("NOT encrypted (written before encryption was turned on)"));
            }
            GuestSnapshot last = null;
            for (Manifest.BlobRef ref : m.chain()) {
                byte[] bytes = s.readSnapshot(taskKey, ref);
                GuestSnapshot snap = SnapshotCodec.decode(bytes, "snapshot " + ref.name());
                long dataPages = snap.pages().dataPages();
                out.printf(
                        "  %s  %s seq=%d%s pages=%d (stored: %d data, %d zero) globals=%d bytes=%d stdout=%dB%n",
                        ref.name(),
                        snap.isFull() ? "full " : "delta",
                        snap.sequence(),
                        snap.isFull() ? "" : " base=" + snap.baseSequence(),
                        snap.totalPages(),
                        dataPages,
                        snap.pages().size() - dataPages,
                        snap.globals().size(),
                        bytes.length,
                        snap.host().stdout().length);
                last = snap;
            }
            if (last == null) {
                return 1;
            }
            long calls = last.host().durableCalls();
            // a response still pending at the checkpoint is taken back from the journal on restore
            return last.host().responsePending() ? calls : calls + 1;
        }

        private static void printJournal(List<StoreCallJournal.Entry> journal, long from, PrintWriter out) {
            String covered = from > 1 ? " (calls 1 to " + (from - 1) + " are covered by the checkpoint)" : "";
            if (journal.isEmpty()) {
                out.printf("  journal: no host call after the checkpoint%s%n", covered);
                return;
            }
            out.printf("  journal: %d host call(s) a retry replays%s%n", journal.size(), covered);
            for (StoreCallJournal.Entry e : journal) {
                RecordedCall c = e.call();
                out.printf(
                        "  call %d  %s  %s headers=%dB body=%dB request=sha256:%s input=%s%n",
                        c.sequence(),
                        c.target() == null
                                ? "(request not recorded: an older entry)"
                                : GuestText.escapeLine(c.target().toString()),
                        c.result() == HttpCalls.OK
                                ? "status=" + c.status()
                                : HttpCalls.label(c.result()) + (c.status() == 0 ? "" : " status=" + c.status()),
                        c.headers().length,
                        c.body().length,
                        HexFormat.of().formatHex(c.requestDigest()),
                        e.inputDigest());
            }
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            description = {
                "Removes a task's checkpoints.",
                "Also removes a finished task's tombstone: the key starts afresh, and a late attempt of the old task"
                        + " is no longer fenced off by it."
            })
    static final class Rm extends StoreArgs implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "TASK_KEY", arity = "1..*")
        java.util.List<String> taskKeys;

        @Override
        public Integer call() {
            try (SnapshotStore s = open()) {
                return callOn(s);
            }
        }

        private Integer callOn(SnapshotStore s) {
            for (String key : taskKeys) {
                s.delete(key);
                spec.commandLine().getOut().println("removed " + key);
            }
            return ExitCodes.SUCCESS;
        }
    }

    @Command(
            name = "gc",
            mixinStandardHelpOptions = true,
            description = {
                "Removes leftovers older than --older-than: tasks (checkpoint, attempt count or finished task's"
                        + " tombstone) whose newest file is older, and unreferenced blobs older than it.",
                "A task still running elsewhere keeps touching its files: choose an age far beyond any lock, heartbeat"
                        + " timeout and task timeout. Damaged entries are listed, never removed (see `snapshots ls`)."
            })
    static final class Gc extends StoreArgs implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--older-than",
                paramLabel = "DURATION",
                required = true,
                converter = UnitConverters.DurationConverter.class,
                description = "Minimum age of what is removed (e.g. 7d, 24h).")
        java.time.Duration olderThan;

        @Option(
                names = "--max",
                paramLabel = "N",
                defaultValue = "" + Integer.MAX_VALUE,
                description = "Examine at most N tasks (default: all).")
        int max;

        @Override
        public Integer call() {
            if (olderThan.isNegative() || olderThan.isZero()) {
                throw new IllegalArgumentException("--older-than must be positive, got " + olderThan);
            }
            if (max < 1) {
                throw new IllegalArgumentException("--max must be 1 or more, got " + max);
            }
            try (SnapshotStore s = open()) {
                return callOn(s);
            }
        }

        private Integer callOn(SnapshotStore s) {
            Instant cutoff = Instant.now().minus(olderThan);
            SnapshotStore.Collected c = s.collect(cutoff, java.util.Set.of(), max);
            PrintWriter out = spec.commandLine().getOut();
            for (String damaged : c.damaged()) {
                out.printf("DAMAGED %s (left alone)%n", damaged);
            }
            out.printf(
                    "removed %d task(s) and %d unreferenced blob(s) not touched since %s%n",
                    c.tasks(), c.blobs(), cutoff);
            return ExitCodes.SUCCESS;
        }
    }
}
