package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.host.GuestIo;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A guest's stderr reaches a listener line by line as it is written, bounded like the kept tail. */
class StderrStreamTest {
    private static final Sandbox SANDBOX = new Sandbox();

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    /** Writes the bytes at 100 (length {@code len}) to stderr {@code times} times, then spins if asked. */
    private static GuestModule writer(String text, int times, boolean spin) {
        String data = text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\0a");
        int len = text.getBytes(StandardCharsets.UTF_8).length;
        return Guests.watModule("""
                (module
                  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 100) "%s")
                  (data (i32.const 60000) "{}")
                  (func (export "_start")
                    (local $i i32)
                    (i32.store (i32.const 0) (i32.const 100))
                    (i32.store (i32.const 4) (i32.const %d))
                    (block $done (loop $each
                      (br_if $done (i32.ge_u (local.get $i) (i32.const %d)))
                      (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $each)))
                    (if (i32.const %d) (then (loop $spin (br $spin))))
                    (i32.store (i32.const 0) (i32.const 60000))
                    (i32.store (i32.const 4) (i32.const 2))
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                """.formatted(data, len, times, spin ? 1 : 0));
    }

    @Test
    void aLineIsSeenWhileTheGuestIsStillRunning() throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        RunControl control = new RunControl();
        GuestModule guest = writer("working on it\n", 1, true);
        CompletableFuture<InvocationResult> run = CompletableFuture.supplyAsync(() -> SANDBOX.invoke(
                guest,
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                        .withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(60)))
                        .withControl(control)
                        .withStderrListener(lines::add)));
        try {
            assertThat(lines.poll(30, TimeUnit.SECONDS))
                    .as("the line, before the run ends")
                    .isEqualTo("working on it");
            assertThat(run).as("the guest still spins").isNotDone();
        } finally {
            control.cancel("the test saw what it waited for");
        }
        InvocationResult result = run.get(30, TimeUnit.SECONDS);
        assertThat(result.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(lines).as("nothing repeated at the end").isEmpty();
        assertThat(result.stderrTailText()).isEqualTo("working on it\n");
    }

    @Test
    void theLastLineWithoutANewlineComesWhenTheRunEndsAndEmptyLinesAreKept() {
        List<String> lines = new CopyOnWriteArrayList<>();
        InvocationResult result = SANDBOX.invoke(
                writer("one\n\ntwo", 1, false),
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8)).withStderrListener(lines::add));
        assertThat(result.outcome()).as(result.report()).isInstanceOf(Outcome.Success.class);
        assertThat(lines).containsExactly("one", "", "two");
    }

    @Test
    void aLineTooLongIsCutAndMarkedAndTheNextOneIsWhole() {
        List<String> lines = new CopyOnWriteArrayList<>();
        String longLine = "x".repeat(GuestIo.MAX_STDERR_LINE_BYTES + 100);
        SANDBOX.invoke(
                writer(longLine + "\nnext\n", 1, false),
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8)).withStderrListener(lines::add));
        assertThat(lines)
                .containsExactly(
                        "x".repeat(GuestIo.MAX_STDERR_LINE_BYTES) + " [line cut at " + GuestIo.MAX_STDERR_LINE_BYTES
                                + " bytes]",
                        "next");
    }

    @Test
    void aFloodIsStreamedUpToTheStderrLimitThenItsEndFromTheTail() {
        List<String> lines = new CopyOnWriteArrayList<>();
        int limit = 1000;
        // 300 lines of 10 bytes: 100 are streamed, the last 100 come from the tail at the end
        InvocationResult result = SANDBOX.invoke(
                writer("line 0123\n", 300, false),
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                        .withLimits(GuestLimits.DEFAULTS.withMaxStderrBytes(limit))
                        .withStderrListener(lines::add));
        assertThat(result.outcome()).as(result.report()).isInstanceOf(Outcome.Success.class);
        assertThat(lines).hasSize(100 + 1 + 1 + 100);
        assertThat(lines.subList(0, 100)).containsOnly("line 0123");
        assertThat(lines.get(100)).contains("more than its stderr limit of 1000 bytes");
        assertThat(lines.get(101)).isEqualTo("[wasm-worker: 2000 bytes of stderr were not shown; the last 1000:]");
        assertThat(lines.subList(102, 202)).containsOnly("line 0123");
    }
}
