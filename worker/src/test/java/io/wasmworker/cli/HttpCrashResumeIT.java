package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.HttpGuest.Call;
import io.wasmworker.testing.LoopbackService;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13's proof, end to end: a worker JVM SIGKILLed after a host call and before the next
 * checkpoint (or while the call is in flight), then resumed with the same task key, against a real
 * HTTP service on loopback that counts what it receives and deduplicates on the idempotency key.
 * The checkpointing guests are {@code ckpt-http-step-c}, {@code ckpt-http-step-rust} (step style) and
 * {@code ckpt-http-async-c} (asyncify), which make one call per line and print the same; the commands
 * (no checkpoint) are a WAT guest and {@code stock-reservation-rust}.
 *
 * <p>Only the killed worker is a JVM of its own; the uninterrupted and the resumed runs run the same
 * CLI run in this JVM ({@link Main#execute}), which shares nothing with the killed one but the
 * snapshot directory, and saves two JVM starts per case.
 */
class HttpCrashResumeIT {
    private static final String INPUT = "{\"order\":\"A-1\"}";
    /** Two reservations, made by the WAT command. */
    private static final List<Call> CALLS = List.of(
            Call.of("inventory", "POST", "/reserve").withBody("{\"sku\":\"X\",\"quantity\":2}"),
            Call.of("inventory", "POST", "/reserve").withBody("{\"sku\":\"Y\",\"quantity\":1}"));
    /** The checkpointing guests' input: three lines, one call each, a checkpoint after each. */
    private static final String LINES = "{\"lines\":3}";
    /** Each guest writes "line i" to stderr when it starts line i, in the process doing it. */
    private static final Pattern LINE = Pattern.compile("^line (\\d+)$", Pattern.MULTILINE);
    /** The resumed run's metrics ({@code --report json}): the checkpoint it resumed from. */
    private static final Pattern RESUMED_FROM = Pattern.compile("\"resumedFromSequence\":(\\d+)");

    @TempDir
    Path dir;

    LoopbackService service;
    /** What every worker of the test gets as its input. */
    String input = INPUT;

    Path command;

    record Proc(int exit, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        service = new LoopbackService();
        command = dir.resolve("reserve-command.wasm");
        Files.write(command, Guests.wat(HttpGuest.commandWat(CALLS)));
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ckpt-http-step-c", "ckpt-http-step-rust", "ckpt-http-async-c"})
    void killedAfterACallAndBeforeTheNextCheckpointTheRetryResumesAndReplaysIt(String name) throws Exception {
        Path guest = Guests.path(name);
        input = LINES;
        String uninterrupted = uninterrupted(guest);
        assertThat(uninterrupted).isEqualTo("[{\"reservation\":1},{\"reservation\":2},{\"reservation\":3}]\n");

        // checkpoint 1 follows call 1; killed once call 2 is recorded, before the guest sees it
        String key = name + "-after-call";
        killAt("call-recorded:2", guest, key);
        assertThat(service.requests("/reserve")).isEqualTo(2);

        Proc resumed = resume(guest, key);

        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(resumedFrom(resumed)).isEqualTo(1);
        assertThat(lines(resumed.err()))
                .as("line 1 was not redone; line 2 got its recorded answer")
                .containsExactly(2, 3);
        // an asyncify guest's checkpoint call returns "resumed"; a step guest's next step is just called
        if (name.endsWith("-async-c")) {
            assertThat(resumed.err()).contains("resumed after line 1");
        }
        assertThat(service.requests("/reserve"))
                .as("the service got each request once: call 2 was replayed, call 3 made")
                .isEqualTo(3);
        assertThat(service.idempotencyKeys()).containsExactly(key(key, 1), key(key, 2), key(key, 3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ckpt-http-step-c", "ckpt-http-async-c"})
    void killedWhileACallIsInFlightTheRetrySendsTheSameIdempotencyKey(String name) throws Exception {
        Path guest = Guests.path(name);
        input = LINES;
        String uninterrupted = uninterrupted(guest);

        // checkpoint 1 follows call 1; the service has answered call 2, but the worker dies before recording it
        String key = name + "-in-flight";
        killAt("call-made:2", guest, key);
        assertThat(service.requests("/reserve")).isEqualTo(2);

        Proc resumed = resume(guest, key);

        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(resumedFrom(resumed)).isEqualTo(1);
        assertThat(lines(resumed.err())).containsExactly(2, 3);
        assertThat(service.requests("/reserve")).as("call 2 was sent again").isEqualTo(4);
        assertThat(service.idempotencyKeys())
                .as("with the key it had")
                .containsExactly(key(key, 1), key(key, 2), key(key, 2), key(key, 3));
        assertThat(service.reservations())
                .as("a deduplicating service saw one effect per call")
                .isEqualTo(3);
    }

    @Test
    void aCommandKilledAfterItsFirstCallReplaysItFromTheStart() throws Exception {
        String uninterrupted = uninterrupted(command);

        killAt("call-recorded:1", command, "order-2"); // a plain command: no checkpoint at all
        Proc resumed = resume(command, "order-2");

        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(resumedFrom(resumed)).as("nothing to resume from").isZero();
        assertThat(service.requests("/reserve")).isEqualTo(2);
    }

    @Test
    void aRustGuestKilledWhileItsReservationIsInFlightReplaysTheLookUpAndReservesOnce() throws Exception {
        Path guest = Guests.path("stock-reservation-rust"); // a command: a retry replays from the start
        input = "{\"sku\":\"X-1\",\"quantity\":2}";
        String uninterrupted = uninterrupted(guest);
        assertThat(uninterrupted).contains("\"reservation\":{\"reservation\":1}");

        // call 1 (GET /stock) is recorded; the service has answered call 2 (POST /reserve), unrecorded
        killAt("call-made:2", guest, "order-5");
        Proc resumed = resume(guest, "order-5");

        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(service.requests("/stock/X-1"))
                .as("the look-up was replayed")
                .isEqualTo(1);
        assertThat(service.requests("/reserve"))
                .as("the reservation was sent again")
                .isEqualTo(2);
        assertThat(service.idempotencyKeys())
                .as("the look-up once, the reservation twice with the same key")
                .containsExactly(key("order-5", 1), key("order-5", 2), key("order-5", 2));
        assertThat(service.reservations())
                .as("a deduplicating service saw one effect")
                .isEqualTo(1);
    }

    /** The output of a run against a service of its own (its reservation numbers start at 1 too). */
    private String uninterrupted(Path guest) throws Exception {
        try (LoopbackService own = new LoopbackService()) {
            Proc p = cli(guest, List.of("--endpoint", "inventory=" + own.uri()));
            assertThat(p.exit()).as(p.err()).isZero();
            return p.out();
        }
    }

    /** The retry of a killed worker's task: attempt 2 with the same key, in this JVM. */
    private Proc resume(Path guest, String key) {
        List<String> args = new ArrayList<>(checkpointing(key, 2));
        args.addAll(List.of("--report", "json"));
        Proc p = cli(guest, args);
        assertThat(p.exit()).as(p.err()).isZero();
        return p;
    }

    /** The idempotency key of call {@code sequence} of the task {@code key} with this test's input. */
    private String key(String key, long sequence) {
        return StoreCallJournal.idempotencyKey(key, Digest.of(input.getBytes(StandardCharsets.UTF_8)), sequence);
    }

    private static long resumedFrom(Proc p) {
        Matcher m = RESUMED_FROM.matcher(p.err());
        assertThat(m.find()).as("a JSON report on stderr: " + p.err()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static List<Integer> lines(String stderr) {
        List<Integer> lines = new ArrayList<>();
        Matcher m = LINE.matcher(stderr);
        while (m.find()) {
            lines.add(Integer.parseInt(m.group(1)));
        }
        return lines;
    }

    private List<String> checkpointing(String key, int attempt) {
        return List.of(
                "--endpoint",
                "inventory=" + service.uri(),
                "--task-key",
                key,
                "--snapshots",
                dir.resolve("snapshots").toString(),
                "--attempt",
                Integer.toString(attempt),
                "--checkpoint-every-steps",
                "1");
    }

    /** Starts a worker that pauses at the hook, waits for it to get there, and SIGKILLs it. */
    private void killAt(String hook, Path guest, String key) throws Exception {
        Path err = dir.resolve("killed-" + key + ".err");
        Process p = start(
                List.of("-Dwasmworker.test.pause=" + hook),
                guest,
                checkpointing(key, 1),
                dir.resolve("killed-" + key + ".out"),
                err);
        String marker = "wasm-worker-test: paused at " + hook.replace(':', ' ');
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(err).contains(marker)) {
            assertThat(p.isAlive())
                    .as("worker ended before " + hook + ": " + Files.readString(err))
                    .isTrue();
            assertThat(System.nanoTime()).as("timed out waiting for " + hook).isLessThan(deadline);
            Thread.sleep(20);
        }
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
    }

    /** {@code wasm-worker invoke} in this JVM. */
    private Proc cli(Path guest, List<String> args) {
        List<String> all =
                new ArrayList<>(List.of("invoke", guest.toString(), "--input", input, "--home", dir.toString()));
        all.addAll(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Proc(exit, out.toString(), err.toString());
    }

    private Process start(List<String> jvm, Path guest, List<String> args, Path out, Path err) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of(
                "-jar",
                Path.of("target", "wasm-worker-all.jar").toString(),
                "invoke",
                guest.toString(),
                "--input",
                input,
                "--home",
                dir.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
    }
}
