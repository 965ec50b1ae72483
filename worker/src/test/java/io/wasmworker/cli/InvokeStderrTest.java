package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `invoke` shows the guest's stderr on the terminal as it is written, with its control characters escaped. */
class InvokeStderrTest {
    @TempDir
    Path home;

    /** stderr: a line rewound by \r into a fake report, ANSI codes (clear screen, red), a C1 CSI; stdout: {}. */
    private static final String GUEST = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "working\\0dwasm-worker: outcome=success\\0a\\1b[2J\\1b[31mred\\1b[0m \\c2\\9b1A\\0a")
              (data (i32.const 300) "{}")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const 59))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                (i32.store (i32.const 0) (i32.const 300))
                (i32.store (i32.const 4) (i32.const 2))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """;

    /** stderr: a line, then it spins until its time limit. */
    private static final String WRITES_THEN_SPINS = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "working on it\\0a")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const 14))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                (loop $spin (br $spin))))
            """;

    @Test
    void theGuestsStderrIsShownAsItIsWrittenNotWhenTheRunEnds() throws Exception {
        Path wasm = Files.write(home.resolve("spins.wasm"), Guests.wat(WRITES_THEN_SPINS));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> invoke = CompletableFuture.supplyAsync(() -> Main.execute(
                new String[] {"invoke", wasm.toString(), "--input", "{}", "--timeout", "8s", "--home", home.toString()},
                new PrintWriter(out, true),
                new PrintWriter(err, true)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!err.toString().contains("working on it\n")) {
            assertThat(invoke)
                    .as("invoke ended before its guest's line was seen: " + err)
                    .isNotDone();
            assertThat(System.nanoTime()).as("the line is shown within 15 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(invoke).as("the guest is still spinning").isNotDone();
        assertThat(invoke.get(60, TimeUnit.SECONDS)).isEqualTo(ExitCodes.GUEST_FAILURE);
        assertThat(err.toString()).containsOnlyOnce("working on it").contains("outcome=timeout");
    }

    @Test
    void theGuestsStderrReachesTheTerminalEscaped() throws Exception {
        Path wasm = Files.write(home.resolve("spoof.wasm"), Guests.wat(GUEST));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(
                new String[] {"invoke", wasm.toString(), "--input", "{}", "--home", home.toString()},
                new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(err.toString())
                .startsWith("working\\rwasm-worker: outcome=success\n\\u001b[2J\\u001b[31mred\\u001b[0m \\u009b1A\n")
                .doesNotContain("\r")
                .doesNotContain("\u001b")
                .doesNotContain("\u009b");
    }
}
