package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.testing.Guests;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.HttpGuest.Call;
import io.wasmworker.testing.LoopbackService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's proof, end to end: a worker JVM SIGKILLed after a host call and before the next
 * checkpoint (or while the call is in flight), then resumed with the same task key, against a real
 * HTTP service on loopback that counts what it receives.
 */
class HttpCrashResumeIT {
    private static final String INPUT = "{\"order\":\"A-1\"}";
    private static final Digest INPUT_DIGEST = Digest.of(INPUT.getBytes(StandardCharsets.UTF_8));
    /** Two reservations: step 0 makes call 1, step 1 reads it, step 2 makes call 2, step 3 reads it. */
    private static final List<Call> CALLS = List.of(
            Call.of("inventory", "POST", "/reserve").withBody("{\"sku\":\"X\",\"quantity\":2}"),
            Call.of("inventory", "POST", "/reserve").withBody("{\"sku\":\"Y\",\"quantity\":1}"));

    @TempDir
    Path dir;

    LoopbackService service;
    /** What every worker of the test gets as its input. */
    String input = INPUT;

    Path step;
    Path command;

    record Proc(int exit, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        service = new LoopbackService();
        step = dir.resolve("reserve-step.wasm");
        Files.write(step, Guests.wat(HttpGuest.stepGuestWat(CALLS)));
        command = dir.resolve("reserve-command.wasm");
        Files.write(command, Guests.wat(HttpGuest.commandWat(CALLS)));
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void killedAfterACallAndBeforeTheNextCheckpointTheRetryReplaysIt() throws Exception {
        String uninterrupted = uninterrupted(step);
        assertThat(uninterrupted).isEqualTo("[{\"reservation\":1},{\"reservation\":2}]\n");

        // checkpoints after steps 0 and 1; killed once call 2 is recorded, before the guest sees it
        killAt("call-recorded:2", step, "order-1");
        assertThat(service.requests("/reserve")).isEqualTo(2);

        Proc resumed = run(step, checkpointing("order-1", 2));

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(service.requests("/reserve"))
                .as("the service got each request once")
                .isEqualTo(2);
        assertThat(service.idempotencyKeys())
                .containsExactly(
                        StoreCallJournal.idempotencyKey("order-1", INPUT_DIGEST, 1),
                        StoreCallJournal.idempotencyKey("order-1", INPUT_DIGEST, 2));
    }

    @Test
    void aCommandKilledAfterItsFirstCallReplaysItFromTheStart() throws Exception {
        String uninterrupted = uninterrupted(command);

        killAt("call-recorded:1", command, "order-2"); // a plain command: no checkpoint at all
        Proc resumed = run(command, checkpointing("order-2", 2));

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(service.requests("/reserve")).isEqualTo(2);
    }

    @Test
    void killedWhileACallIsInFlightTheRetrySendsTheSameIdempotencyKey() throws Exception {
        String uninterrupted = uninterrupted(step);

        // the service has answered call 2, but the worker dies before recording it
        killAt("call-made:2", step, "order-3");
        Proc resumed = run(step, checkpointing("order-3", 2));

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(service.requests("/reserve")).as("call 2 was sent again").isEqualTo(3);
        String key2 = StoreCallJournal.idempotencyKey("order-3", INPUT_DIGEST, 2);
        assertThat(service.idempotencyKeys()).filteredOn(key2::equals).hasSize(2);
        assertThat(service.reservations())
                .as("a deduplicating service saw one effect per call")
                .isEqualTo(2);
    }

    @Test
    void anAsyncifyGuestKilledAfterACallResumesFromItsCheckpointAndReplaysTheCall() throws Exception {
        Path guest = Guests.path("ckpt-http-async-c");
        String uninterrupted = uninterrupted(guest);
        assertThat(uninterrupted).isEqualTo("[{\"reservation\":1},{\"reservation\":2},{\"reservation\":3}]\n");

        // checkpoint 1 follows call 1; killed once call 2 is recorded
        killAt("call-recorded:2", guest, "order-4");
        Proc resumed = run(guest, checkpointing("order-4", 2));

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(resumed.err()).contains("resumed after line 1");
        assertThat(service.requests("/reserve")).isEqualTo(3);
    }

    @Test
    void aRustGuestKilledWhileItsReservationIsInFlightReplaysTheLookUpAndReservesOnce() throws Exception {
        Path guest = Guests.path("stock-reservation-rust"); // a command: a retry replays from the start
        input = "{\"sku\":\"X-1\",\"quantity\":2}";
        String uninterrupted = uninterrupted(guest);
        assertThat(uninterrupted).contains("\"reservation\":{\"reservation\":1}");

        // call 1 (GET /stock) is recorded; the service has answered call 2 (POST /reserve), unrecorded
        killAt("call-made:2", guest, "order-5");
        Proc resumed = run(guest, checkpointing("order-5", 2));

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).isEqualTo(uninterrupted);
        assertThat(service.requests("/stock/X-1"))
                .as("the look-up was replayed")
                .isEqualTo(1);
        assertThat(service.requests("/reserve"))
                .as("the reservation was sent again")
                .isEqualTo(2);
        String key2 = StoreCallJournal.idempotencyKey("order-5", Digest.of(input.getBytes(StandardCharsets.UTF_8)), 2);
        assertThat(service.idempotencyKeys()).filteredOn(key2::equals).hasSize(2);
        assertThat(service.reservations())
                .as("a deduplicating service saw one effect")
                .isEqualTo(1);
    }

    /** The output of a run against a service of its own (its reservation numbers start at 1 too). */
    private String uninterrupted(Path guest) throws Exception {
        LoopbackService own = new LoopbackService();
        try {
            Proc p = run(guest, List.of("--endpoint", "inventory=" + own.uri()));
            assertThat(p.exit()).as(p.err()).isZero();
            return p.out();
        } finally {
            own.close();
        }
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

    private Proc run(Path guest, List<String> args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = start(List.of(), guest, args, out, err);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Proc(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
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
