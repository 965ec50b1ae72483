package io.wasmworker.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.host.StdinSource;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskObserver;
import io.wasmworker.task.TaskRunner;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.Guests;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Large payloads by reference, against a real S3 server (Ceph RGW), through the task runner. */
class PayloadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The guest reads stdin in chunks of this size. */
    private static final int CHUNK = 65536;

    /**
     * A step guest reading one chunk of stdin per step: it hashes each chunk's length and first four
     * bytes, and writes {"v":hash} at the end. Its state is one global, so a checkpoint is exact.
     */
    static final String STREAM_HASHER = Guests.EMITTING_MODULE_64_PAGES.replace("$IMPORTS", """
                    (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
                    """) + """
            (global $h (mut i32) (i32.const 7))
            (func (export "ww_step") (result i32)
              (local $n i32)
              (i32.store (i32.const 16) (i32.const 65536))
              (i32.store (i32.const 20) (i32.const 65536))
              (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 32)))
              (local.set $n (i32.load (i32.const 32)))
              (if (i32.eqz (local.get $n)) (then (call $emit (global.get $h)) (return (i32.const 1))))
              (global.set $h (i32.add (i32.mul (global.get $h) (i32.const 31)) (local.get $n)))
              (global.set $h (i32.add (i32.mul (global.get $h) (i32.const 31)) (i32.load (i32.const 65536))))
              (i32.const 0))
            )
            """;

    private static S3Client s3;
    private static String bucket;
    private static final AtomicInteger KEYS = new AtomicInteger();

    @TempDir
    Path dir;

    private final Sandbox sandbox = new Sandbox();
    private LocalArtifactStore artifacts;
    private LocalSnapshotStore snapshots;
    private Payloads payloads;
    private TaskRunner runner;

    @BeforeAll
    static void server() {
        s3 = Rgw.shared().client();
        bucket = Rgw.shared().newBucket("payloads");
    }

    @BeforeEach
    void setUp() {
        artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        snapshots = new LocalSnapshotStore(dir.resolve("snapshots"), false);
        payloads = new Payloads(s3, PayloadSettings.at(location()).withOffloadAbove(1024));
        runner = runner(payloads);
    }

    private TaskRunner runner(Payloads with) {
        return new TaskRunner(
                artifacts,
                new ModuleCache(artifacts, new ModuleLoader(), 8),
                snapshots,
                sandbox,
                TaskObserver.NONE,
                with);
    }

    @AfterEach
    void tearDown() {
        sandbox.close();
    }

    private static S3Location location() {
        return S3Location.parse("s3://" + bucket + "/payloads");
    }

    private static String ref(String key) {
        return "{\"$ref\":\"s3://" + bucket + "/" + key + "\"}";
    }

    private static void upload(String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    }

    private TaskBinding binding(byte[] module, CheckpointPolicy policy) {
        Digest digest = artifacts.put(module);
        return new TaskBinding(ArtifactRef.parse(digest.toString()), GuestLimits.DEFAULTS, policy);
    }

    private static InvocationResult run(
            TaskRunner runner,
            TaskBinding binding,
            String key,
            int attempt,
            String input,
            RunControl control,
            Runnable onCheckpoint) {
        return runner.open(TaskKey.of(key), binding, attempt)
                .invoke(
                        input.getBytes(StandardCharsets.UTF_8),
                        Map.of("SOURCE", "test"),
                        control,
                        onCheckpoint == null ? null : ref -> onCheckpoint.run());
    }

    private static JsonNode output(InvocationResult result) {
        assertThat(result.outcome()).as(result.outcome().toString()).isInstanceOf(Outcome.Success.class);
        return ((Outcome.Success) result.outcome()).output();
    }

    private static Outcome.Failure failure(InvocationResult result) {
        assertThat(result.outcome()).isInstanceOf(Outcome.Failure.class);
        return (Outcome.Failure) result.outcome();
    }

    /** Deterministic bytes for position {@code i} of payload {@code seed}, different at every chunk's start. */
    static byte at(long seed, long i) {
        long x = (i + seed * 0x632BE59BD9B4E019L) * 0x9E3779B97F4A7C15L;
        return (byte) ((x ^ (x >>> 29)) >>> 32);
    }

    static byte[] payload(long seed, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = at(seed, i);
        }
        return bytes;
    }

    /** What {@link #STREAM_HASHER} outputs for a payload of whole chunks. */
    static long expectedHash(long seed, long length) {
        int h = 7;
        for (long chunk = 0; chunk < length; chunk += CHUNK) {
            h = h * 31 + (int) Math.min(CHUNK, length - chunk);
            int first = (at(seed, chunk) & 0xff)
                    | (at(seed, chunk + 1) & 0xff) << 8
                    | (at(seed, chunk + 2) & 0xff) << 16
                    | (at(seed, chunk + 3) & 0xff) << 24;
            h = h * 31 + first;
        }
        return Integer.toUnsignedLong(h);
    }

    @Test
    void eachReferenceIsStreamedInPlaceOfItselfAndTheRestOfTheInputStaysAsItIs() throws Exception {
        upload("payloads/doc.json", "{\"lines\": [1, 2, 3]}".getBytes(StandardCharsets.UTF_8));
        String input = "{\"a\": 1.50, \"doc\": " + ref("payloads/doc.json")
                + ", \"schema\": {\"$ref\": \"#/definitions/x\"}, \"with\": {\"$ref\": \"s3://x/y\", \"z\": 1},"
                + " \"list\": [" + ref("payloads/doc.json") + "]}";
        InvocationResult result =
                run(runner, binding(Guests.bytes("echo"), CheckpointPolicy.DEFAULT), "k1", 1, input, null, null);
        assertThat(output(result))
                .isEqualTo(JSON.readTree("{\"a\": 1.50, \"doc\": {\"lines\": [1, 2, 3]},"
                        + " \"schema\": {\"$ref\": \"#/definitions/x\"}, \"with\": {\"$ref\": \"s3://x/y\", \"z\": 1},"
                        + " \"list\": [{\"lines\": [1, 2, 3]}]}"));
        // the input's own bytes are passed on as they are (1.50 stays 1.50), references replaced exactly
        assertThat(new String(result.stdout(), StandardCharsets.UTF_8)).contains("\"a\": 1.50, \"doc\": {\"lines\"");
        assertThat(result.metrics().inputBytes())
                .isEqualTo(input.length()
                        + 2L
                                * ("{\"lines\": [1, 2, 3]}".length()
                                        - ref("payloads/doc.json").length()));

        // without payloads configured, a reference is ordinary input
        InvocationResult plain =
                run(runner(null), binding(Guests.bytes("echo"), CheckpointPolicy.DEFAULT), "k2", 1, input, null, null);
        assertThat(output(plain)).isEqualTo(JSON.readTree(input));
    }

    @Test
    void aReferenceOutsideThePayloadLocationMissingMalformedOrTooLargeIsInvalidInput() {
        TaskBinding echo = binding(Guests.bytes("echo"), CheckpointPolicy.DEFAULT);
        upload("elsewhere/secret", "{}".getBytes(StandardCharsets.UTF_8));
        upload("payloads/big", new byte[100]);
        assertThat(failure(run(runner, echo, "o1", 1, "{\"x\":" + ref("elsewhere/secret") + "}", null, null)))
                .satisfies(f -> assertThat(f.kind()).isEqualTo(FailureKind.INVALID_INPUT))
                .satisfies(f -> assertThat(f.reason())
                        .contains("s3://" + bucket + "/elsewhere/secret")
                        .contains("outside the payload location s3://" + bucket + "/payloads"));
        assertThat(failure(run(
                                runner,
                                echo,
                                "o2",
                                1,
                                "{\"x\":{\"$ref\":\"s3://other-bucket/payloads/a\"}}",
                                null,
                                null))
                        .reason())
                .contains("outside the payload location");
        assertThat(failure(run(runner, echo, "o3", 1, "{\"x\":" + ref("payloads/absent") + "}", null, null))
                        .reason())
                .contains("s3://" + bucket + "/payloads/absent, which does not exist");
        assertThat(failure(run(
                                runner,
                                echo,
                                "o4",
                                1,
                                "{\"x\":" + ref("payloads/../elsewhere/secret") + "}",
                                null,
                                null))
                        .reason())
                .contains("malformed")
                .contains("'..'");
        TaskRunner small =
                runner(new Payloads(s3, PayloadSettings.at(location()).withMaxStreamedBytes(64)));
        assertThat(failure(run(small, echo, "o5", 1, "{\"x\":" + ref("payloads/big") + "}", null, null)))
                .satisfies(f -> assertThat(f.kind()).isEqualTo(FailureKind.INVALID_INPUT))
                .satisfies(f -> assertThat(f.reason()).contains("more than the streaming limit of 64 bytes"));
    }

    @Test
    void largeOutputValuesAreWrittenToS3AndTheOrchestratorGetsReferencesThatTheNextTaskCanRead() throws Exception {
        TaskBinding echo = binding(Guests.bytes("echo"), CheckpointPolicy.DEFAULT);
        String big = "\"" + "x".repeat(2000) + "\"";
        JsonNode out = output(run(runner, echo, "out1", 1, "{\"small\": 1, \"big\": " + big + "}", null, null));
        assertThat(out.get("small").asInt()).isEqualTo(1);
        String uri = out.get("big").get("$ref").asText();
        String hex = Digest.of(big.getBytes(StandardCharsets.UTF_8)).hex();
        assertThat(uri).isEqualTo("s3://" + bucket + "/payloads/outputs/sha256/" + hex);
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("payloads/outputs/sha256/" + hex))
                        .asUtf8String())
                .isEqualTo(big);

        // the reference is the next task's input: streamed in, echoed, offloaded again to the same object
        JsonNode again = output(run(runner, echo, "out2", 1, JSON.writeValueAsString(out), null, null));
        assertThat(again).isEqualTo(out);

        // an output that is no object is replaced whole; a small one stays as it is
        JsonNode whole = output(run(runner, echo, "out3", 1, "[" + big + "]", null, null));
        assertThat(whole.get("$ref").asText()).startsWith("s3://" + bucket + "/payloads/outputs/sha256/");
        assertThat(output(run(runner, echo, "out4", 1, "{\"small\": 1}", null, null)))
                .isEqualTo(JSON.readTree("{\"small\": 1}"));
    }

    @Test
    void aStreamedInputResumesExactlyWhereItsCheckpointLeftIt() {
        int length = 64 * CHUNK; // 4 MiB
        upload("payloads/resume", payload(1, length));
        TaskBinding hasher = binding(Guests.wat(STREAM_HASHER), new CheckpointPolicy(1, Duration.ZERO, true));
        String input = ref("payloads/resume");

        JsonNode uninterrupted = output(run(runner, hasher, "whole", 1, input, null, null));
        assertThat(uninterrupted.get("v").asLong()).isEqualTo(expectedHash(1, length));

        RunControl control = new RunControl();
        AtomicInteger checkpoints = new AtomicInteger();
        InvocationResult first = run(runner, hasher, "resumed", 1, input, control, () -> {
            if (checkpoints.incrementAndGet() == 10) {
                control.suspend();
            }
        });
        assertThat(failure(first).kind()).isEqualTo(FailureKind.SUSPENDED);
        InvocationResult second = run(runner, hasher, "resumed", 2, input, null, null);
        assertThat(second.metrics().resumedFromSequence()).isGreaterThanOrEqualTo(10);
        assertThat(output(second)).isEqualTo(uninterrupted);
    }

    @Test
    void aTaskWithAStreamedInputFinishesOnTheModuleItsCheckpointBelongsToAfterItsNameIsRebound() {
        int length = 16 * CHUNK;
        upload("payloads/rebound", payload(7, length));
        byte[] first = Guests.wat(STREAM_HASHER);
        byte[] second = Guests.wat(STREAM_HASHER.replace("(i32.const 7))", "(i32.const 8))"));
        artifacts.bindName("hasher", artifacts.put(first));
        TaskBinding named = new TaskBinding(
                ArtifactRef.parse("hasher"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
        String input = ref("payloads/rebound");
        RunControl control = new RunControl();
        AtomicInteger checkpoints = new AtomicInteger();
        InvocationResult suspended = run(runner, named, "rebound", 1, input, control, () -> {
            if (checkpoints.incrementAndGet() == 4) {
                control.suspend();
            }
        });
        assertThat(failure(suspended).kind()).isEqualTo(FailureKind.SUSPENDED);

        artifacts.bindName("hasher", artifacts.put(second)); // a new version deployed mid-task
        InvocationResult resumed = run(runner, named, "rebound", 2, input, null, null);
        assertThat(resumed.metrics().resumedFromSequence()).isGreaterThanOrEqualTo(4);
        assertThat(output(resumed).get("v").asLong()).isEqualTo(expectedHash(7, length));
    }

    @Test
    void aPayloadReplacedBetweenAttemptsIsAnotherInputAndIsNeverResumedMidway() {
        int length = 32 * CHUNK;
        upload("payloads/changing", payload(2, length));
        TaskBinding hasher = binding(Guests.wat(STREAM_HASHER), new CheckpointPolicy(1, Duration.ZERO, true));
        String input = ref("payloads/changing");
        RunControl control = new RunControl();
        AtomicInteger checkpoints = new AtomicInteger();
        InvocationResult first = run(runner, hasher, "changing", 1, input, control, () -> {
            if (checkpoints.incrementAndGet() == 5) {
                control.suspend();
            }
        });
        assertThat(failure(first).kind()).isEqualTo(FailureKind.SUSPENDED);

        upload("payloads/changing", payload(3, length)); // same key and length, other bytes
        InvocationResult second = run(runner, hasher, "changing", 2, input, null, null);
        assertThat(second.metrics().resumedFromSequence()).isZero(); // another input: started afresh
        assertThat(output(second).get("v").asLong()).isEqualTo(expectedHash(3, length));
    }

    @Test
    void aPayloadReplacedWhileARunReadsItFailsTheReadRatherThanMixingTwoPayloads() {
        upload("payloads/swapped", payload(4, 4 * CHUNK));
        StdinSource stdin = payloads.stdinFor(ref("payloads/swapped").getBytes(StandardCharsets.UTF_8))
                .orElseThrow();
        byte[] buffer = new byte[100];
        assertThat(stdin.read(buffer, 0, 100)).isEqualTo(100);
        assertThat(buffer[99]).isEqualTo(at(4, 99));
        upload("payloads/swapped", payload(5, 4 * CHUNK));
        stdin.seek(100); // as a resume, or a broken connection, reopens the object
        assertThatThrownBy(() -> stdin.read(buffer, 0, 100))
                .isInstanceOf(StdinSource.Unavailable.class)
                .hasMessageContaining("s3://" + bucket + "/payloads/swapped changed or disappeared while the task ran");
        stdin.close();
    }

    /**
     * 512 MiB streamed through a guest in a JVM with a 96 MiB heap (the guest's share of it: 4 MiB of
     * memory and 64 KiB of input and output): nothing holds the payload, only a chunk at a time.
     */
    @Test
    void aPayloadFarLargerThanTheHeapIsStreamedInConstantMemory() throws Exception {
        long length = 512L << 20;
        s3.putObject(
                b -> b.bucket(bucket).key("payloads/huge"),
                RequestBody.fromContentProvider(() -> generated(6, length), length, "application/octet-stream"));
        Path module = Files.write(dir.resolve("hasher.wasm"), Guests.wat(STREAM_HASHER));
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx96m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        StreamInSmallHeap.class.getName(),
                        Rgw.shared().endpoint().toString(),
                        bucket,
                        module.toString(),
                        dir.resolve("child").toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(out).isZero();
        assertThat(out).contains("outcome: success {\"v\":" + expectedHash(6, length) + "}");
        assertThat(out).contains("stdin bytes: " + length);
    }

    private static InputStream generated(long seed, long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                return position < length ? at(seed, position++) & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = at(seed, position++);
                }
                return n;
            }
        };
    }

    /** Runs in the child JVM: one task streaming payloads/huge through {@link #STREAM_HASHER}. */
    public static final class StreamInSmallHeap {
        public static void main(String[] args) throws Exception {
            S3Settings settings = S3Settings.builder()
                    .endpoint(URI.create(args[0]))
                    .region("us-east-1")
                    .credentials(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)
                    .build();
            Path home = Path.of(args[3]);
            LocalArtifactStore artifacts = new LocalArtifactStore(home.resolve("artifacts"));
            Digest digest = artifacts.put(Files.readAllBytes(Path.of(args[2])));
            GuestLimits limits = GuestLimits.DEFAULTS
                    .withMaxMemoryBytes(4L << 20)
                    .withMaxInputBytes(64 << 10)
                    .withMaxOutputBytes(64 << 10)
                    .withTimeout(Duration.ofMinutes(4));
            try (Sandbox sandbox = new Sandbox();
                    Payloads payloads = Payloads.open(
                            PayloadSettings.at(S3Location.parse("s3://" + args[1] + "/payloads")), settings)) {
                TaskRunner runner = new TaskRunner(
                        artifacts,
                        new ModuleCache(artifacts, new ModuleLoader(), 2),
                        new LocalSnapshotStore(home.resolve("snapshots"), false),
                        sandbox,
                        TaskObserver.NONE,
                        payloads);
                InvocationResult result = runner.open(
                                TaskKey.of("huge"),
                                new TaskBinding(ArtifactRef.parse(digest.toString()), limits, CheckpointPolicy.DEFAULT),
                                1)
                        .invoke(
                                ("{\"$ref\":\"s3://" + args[1] + "/payloads/huge\"}").getBytes(StandardCharsets.UTF_8),
                                Map.of(),
                                null,
                                null);
                System.out.println("outcome: " + result.outcome().label() + " "
                        + (result.outcome() instanceof Outcome.Failure f
                                ? f.reason()
                                : new String(result.stdout(), StandardCharsets.UTF_8)));
                System.out.println("stdin bytes: " + result.metrics().inputBytes());
            }
        }
    }
}
