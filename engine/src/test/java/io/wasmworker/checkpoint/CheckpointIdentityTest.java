package io.wasmworker.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.Blobs;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.Guests;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which checkpoint a run may resume: only its own module's, only its own input's, only verified
 * bytes, and only a snapshot whose contents fit the module (checksummed is not trusted).
 */
class CheckpointIdentityTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final String KEY = "task-1";
    private static final byte[] INPUT = "{\"order\":1}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_INPUT = "{\"order\":2}".getBytes(StandardCharsets.UTF_8);

    /** Five steps, a checkpoint requested after each; state in a global, memory and a table. */
    private static final String STEP_GUEST = """
            (table 2 funcref)
            (elem (i32.const 0) $seven)
            (func $seven (result i32) (i32.const 7))
            (global $n (mut i32) (i32.const 0))
            (func (export "ww_step") (result i32)
              (global.set $n (i32.add (global.get $n) (i32.const 1)))
              (i32.store (i32.const 3000) (i32.add (i32.load (i32.const 3000))
                (i32.mul (global.get $n) (call_indirect (result i32) (i32.const 0)))))
              (drop (call $checkpoint (i32.const 0) (i32.const 0)))
              (if (result i32) (i32.eq (global.get $n) (i32.const 5))
                (then (call $emit (i32.load (i32.const 3000))) (i32.const 1))
                (else (i32.const 0))))
            """;

    private static final String CHECKPOINT_IMPORT =
            "(import \"wasm_worker\" \"checkpoint\" (func $checkpoint (param i32 i32) (result i32)))";
    private static final String RESULT = "{\"v\":105}";

    @TempDir
    Path dir;

    private LocalSnapshotStore store;
    private final List<DiscardedCheckpoint> discarded = new ArrayList<>();

    @BeforeEach
    void setUp() {
        store = new LocalSnapshotStore(dir, false);
    }

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static GuestModule stepGuest() {
        return Guests.emitting(CHECKPOINT_IMPORT, STEP_GUEST);
    }

    private Invocation invocation(byte[] input, int attempt, CheckpointPolicy policy) {
        return Invocation.of(input)
                .withCheckpoints(new CheckpointContext(store, KEY, attempt, policy, null, discarded::add));
    }

    private InvocationResult run(GuestModule m, byte[] input, int attempt) {
        return SANDBOX.invoke(m, invocation(input, attempt, CheckpointPolicy.DEFAULT));
    }

    /** A first attempt that leaves the task's checkpoint after step 4 (the guest finished; nobody removed it). */
    private GuestModule checkpointed() {
        GuestModule m = stepGuest();
        InvocationResult first = run(m, INPUT, 1);
        assertThat(first.outcome()).as(first.report()).isInstanceOf(Outcome.Success.class);
        assertThat(store.latest(KEY).orElseThrow().sequence()).isEqualTo(4);
        return m;
    }

    private static Outcome.Failure failure(InvocationResult r, FailureKind kind) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Failure.class);
        Outcome.Failure f = (Outcome.Failure) r.outcome();
        assertThat(f.kind()).as(f.reason()).isEqualTo(kind);
        assertThat(r.stdout()).isEmpty();
        return f;
    }

    private static String output(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void aPlainModuleDoesNotReplaceAnotherModulesCheckpointWithAFreshStart() {
        GuestModule stepGuest = checkpointed();
        GuestModule plain = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 1)))");

        Outcome.Failure f = failure(run(plain, INPUT, 2), FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains(stepGuest.digest().toString())
                .contains(plain.digest().toString())
                .contains("never replaced by a fresh start")
                .contains("snapshots rm " + KEY);
        assertThat(store.latest(KEY)).as("the checkpoint is kept").isPresent();
    }

    @Test
    void aPlainModuleUnderAKeyWithoutCheckpointRunsAsUsual() {
        GuestModule plain = Guests.emitting("", "(func (export \"_start\") (call $emit (i32.const 1)))");
        assertThat(output(run(plain, INPUT, 1))).isEqualTo("{\"v\":1}");
    }

    @Test
    void aCheckpointRecordsTheDigestOfItsInput() {
        checkpointed();
        assertThat(store.latest(KEY).orElseThrow().input()).isEqualTo(Digest.of(INPUT));
    }

    @Test
    void aRetryWithTheSameInputResumes() {
        GuestModule m = checkpointed();
        InvocationResult retry = run(m, INPUT, 2);
        assertThat(output(retry)).isEqualTo(RESULT);
        assertThat(retry.metrics().resumedFromSequence()).isEqualTo(4);
        assertThat(discarded).isEmpty();
    }

    @Test
    void aRetryWithAnotherInputStartsAfreshByDefaultAndSaysSo() {
        GuestModule m = checkpointed();
        Manifest stale = store.latest(KEY).orElseThrow();

        InvocationResult retry = run(m, OTHER_INPUT, 2);
        assertThat(output(retry)).isEqualTo(RESULT);
        assertThat(retry.metrics().resumedFromSequence()).as("not resumed").isZero();
        assertThat(retry.metrics().checkpoints()).as("every step ran again").isEqualTo(4);
        assertThat(discarded).singleElement().satisfies(d -> {
            assertThat(d.checkpoint()).isEqualTo(stale);
            assertThat(d.input()).isEqualTo(Digest.of(OTHER_INPUT));
        });
        // the new checkpoints supersede the stale one through the usual fenced publish
        Manifest now = store.latest(KEY).orElseThrow();
        assertThat(now.input()).isEqualTo(Digest.of(OTHER_INPUT));
        assertThat(now.generation()).isGreaterThan(stale.generation());
        assertThat(now.sequence()).isEqualTo(stale.sequence() + 4);

        InvocationResult again = run(m, OTHER_INPUT, 3);
        assertThat(again.metrics().resumedFromSequence())
                .as("the new input's checkpoint resumes")
                .isEqualTo(8);
        assertThat(output(again)).isEqualTo(RESULT);
    }

    @Test
    void aRetryWithAnotherInputFailsWhenThePolicySaysSo() {
        GuestModule m = checkpointed();
        CheckpointPolicy failOnChange = CheckpointPolicy.DEFAULT.withOnInputChange(CheckpointPolicy.InputChange.FAIL);
        Outcome.Failure f =
                failure(SANDBOX.invoke(m, invocation(OTHER_INPUT, 2, failOnChange)), FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains(Digest.of(INPUT).toString())
                .contains(Digest.of(OTHER_INPUT).toString());
        assertThat(store.latest(KEY).orElseThrow().input()).isEqualTo(Digest.of(INPUT));
        assertThat(discarded).isEmpty();
    }

    @Test
    void aCheckpointFromBeforeInputDigestsResumesWhateverTheInput() {
        GuestModule m = checkpointed();
        Manifest current = store.latest(KEY).orElseThrow();
        // as a worker of format 1 published it: no input
        store.publish(
                KEY,
                current.generation(),
                new Manifest(
                        KEY,
                        current.generation() + 1,
                        current.artifact(),
                        current.sequence(),
                        current.attempt(),
                        current.chain(),
                        current.createdAtMillis()));
        assertThat(store.latest(KEY).orElseThrow().input()).isNull();

        InvocationResult retry = run(m, OTHER_INPUT, 2);
        assertThat(output(retry)).isEqualTo(RESULT);
        assertThat(retry.metrics().resumedFromSequence()).isEqualTo(4);
    }

    @Test
    void restoreChecksEveryBlobAgainstItsContentAddressNotOnlyItsOwnCrc() throws Exception {
        GuestModule m = checkpointed();
        Path blob = lastBlob();
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length - 4 - 37] ^= 0x01; // a bit of the saved clock state: decodes and restores fine
        recomputeCrc(bytes);
        Files.write(blob, bytes);

        Outcome.Failure f = failure(run(m, INPUT, 2), FailureKind.CHECKPOINT);
        assertThat(f.reason())
                .contains("crc32c") // the one its name records (the whole blob's: a recomputed inner CRC differs)
                .contains("damaged")
                .contains(blob.getFileName().toString());
    }

    @Test
    void forgedButChecksummedSnapshotsFailAsCheckpointNeverInternal() {
        List<UnaryOperator<GuestSnapshot>> forgeries = List.of(
                s -> with(s, List.of(new GuestSnapshot.GlobalValue(-1, 1, 0)), s.tables(), s.host()),
                s -> with(s, List.of(new GuestSnapshot.GlobalValue(Integer.MAX_VALUE, 1, 0)), s.tables(), s.host()),
                s -> with(s, List.of(new GuestSnapshot.GlobalValue(0, 1L << 40, 0)), s.tables(), s.host()),
                s -> with(s, List.of(new GuestSnapshot.GlobalValue(0, 1, 5)), s.tables(), s.host()),
                s -> with(s, s.globals(), List.of(new GuestSnapshot.TableRefs(-1, new int[2])), s.host()),
                s -> with(s, s.globals(), List.of(new GuestSnapshot.TableRefs(7, new int[2])), s.host()),
                s -> with(s, s.globals(), List.of(new GuestSnapshot.TableRefs(0, new int[] {999_999, -1})), s.host()),
                s -> with(s, s.globals(), List.of(new GuestSnapshot.TableRefs(0, new int[] {-5, -1})), s.host()),
                s -> with(
                        s, s.globals(), s.tables(), host(s.host(), -3, s.host().asyncifyBuffer())),
                s -> with(
                        s,
                        s.globals(),
                        s.tables(),
                        host(s.host(), INPUT.length + 1, s.host().asyncifyBuffer())),
                s -> with(s, s.globals(), s.tables(), host(s.host(), s.host().stdinPosition(), -7)),
                s -> with(s, s.globals(), s.tables(), host(s.host(), s.host().stdinPosition(), 1L << 40)),
                s -> with(s, s.globals(), s.tables(), host(s.host(), s.host().stdinPosition(), 1L << 31)),
                s -> s.toBuilder().memory(0, SnapshotPages.withCapacity(0)).build());
        GuestModule m = checkpointed();
        Manifest original = store.latest(KEY).orElseThrow();
        GuestSnapshot last = lastLink(original);
        int attempt = 2;
        for (UnaryOperator<GuestSnapshot> forgery : forgeries) {
            forge(original, forgery.apply(last));
            InvocationResult r = run(m, INPUT, attempt++);
            assertThat(r.outcome())
                    .as("forgery %d: %s", forgeries.indexOf(forgery), r.report())
                    .isInstanceOfSatisfying(
                            Outcome.Failure.class,
                            f -> assertThat(f.kind()).as(f.reason()).isEqualTo(FailureKind.CHECKPOINT));
        }
    }

    @Test
    void anUnforgedRepublishedSnapshotStillResumes() {
        GuestModule m = checkpointed();
        Manifest original = store.latest(KEY).orElseThrow();
        forge(original, lastLink(original)); // the forging path itself changes nothing
        assertThat(output(run(m, INPUT, 2))).isEqualTo(RESULT);
    }

    private static GuestSnapshot with(
            GuestSnapshot s,
            List<GuestSnapshot.GlobalValue> globals,
            List<GuestSnapshot.TableRefs> tables,
            HostState host) {
        return s.toBuilder().globals(globals).tables(tables).host(host).build();
    }

    private static HostState host(HostState h, int stdinPosition, long asyncifyBuffer) {
        return new HostState(
                stdinPosition,
                h.stdout(),
                h.hostCalls(),
                h.clockState(),
                h.randomState(),
                h.entryStackPointer(),
                asyncifyBuffer,
                h.steps());
    }

    /**
     * Replaces the last link of the original chain by a forgery, re-encoded (valid CRC) and published
     * with its true size and sha256: only the content check in the restorer stands in its way.
     */
    private void forge(Manifest original, GuestSnapshot forgery) {
        byte[] forged = SnapshotCodec.encode(forgery);
        String name = "forged-" + Blobs.sha256Hex(forged).substring(0, 16) + ".snap";
        store.putBlob(KEY, name, forged);
        List<Manifest.BlobRef> chain =
                new ArrayList<>(original.chain().subList(0, original.chain().size() - 1));
        chain.add(Blobs.ref(name, forged));
        Manifest current = store.latest(KEY).orElseThrow();
        store.publish(
                KEY,
                current.generation(),
                new Manifest(
                        KEY,
                        current.generation() + 1,
                        original.artifact(),
                        original.sequence(),
                        original.attempt(),
                        chain,
                        original.createdAtMillis(),
                        original.input()));
    }

    /** Decoded once: publishing a forgery collects the original blob. */
    private GuestSnapshot lastLink(Manifest original) {
        Manifest.BlobRef lastRef = original.chain().get(original.chain().size() - 1);
        return SnapshotCodec.decode(store.getBlob(KEY, lastRef.name()), "test");
    }

    private Path lastBlob() throws Exception {
        String name = store.latest(KEY).orElseThrow().chain().stream()
                .reduce((a, b) -> b)
                .orElseThrow()
                .name();
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().equals(name))
                    .findFirst()
                    .orElseThrow();
        }
    }

    static void recomputeCrc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
    }
}
