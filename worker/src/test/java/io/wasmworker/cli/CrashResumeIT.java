package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkpoint promise, end to end: a worker JVM killed with SIGKILL right after checkpoint k
 * (or between writing checkpoint k's data and publishing it) is re-run with the same task key;
 * the result is byte-identical to an uninterrupted run, and the steps before the checkpoint are
 * not done again (the guest logs "step i" to stderr as each step starts, in the process doing it).
 */
class CrashResumeIT {
    private static final String INPUT = "{\"steps\":8,\"work\":300000}";
    private static final Pattern STEP = Pattern.compile("^step (\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    record Proc(int exit, String out, String err) {}

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ckpt-async-c", "ckpt-async-rust", "ckpt-step-c", "ckpt-step-rust",
                "ckpt-async-as", "ckpt-step-as", "ckpt-async-zig", "ckpt-step-zig"
            })
    void aKilledWorkerResumesFromItsLastCheckpointWithIdenticalOutput(String guest) throws Exception {
        Proc uninterrupted = run(List.of(), guest, List.of());
        assertThat(uninterrupted.exit()).as(uninterrupted.err()).isZero();
        assertThat(steps(uninterrupted.err())).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);

        for (int k : new int[] {1, 4, 7}) {
            String key = guest + "-after-" + k;
            killAt("after-checkpoint:" + k, guest, key);
            Proc resumed = run(List.of(), guest, checkpointing(key, 2));
            assertThat(resumed.exit()).as(resumed.err()).isZero();
            assertThat(resumed.out())
                    .as("output after a kill after checkpoint " + k)
                    .isEqualTo(uninterrupted.out());
            assertThat(steps(resumed.err()))
                    .as("steps redone after checkpoint " + k)
                    .allMatch(s -> s > k)
                    .startsWith(k + 1);
        }

        // killed after checkpoint 5's data was stored but before it was published: resumes from 4
        String key = guest + "-torn-5";
        killAt("before-publish:5", guest, key);
        Proc resumed = run(List.of(), guest, checkpointing(key, 2));
        assertThat(resumed.out()).isEqualTo(uninterrupted.out());
        assertThat(steps(resumed.err())).startsWith(5).allMatch(s -> s >= 5);
    }

    private List<String> checkpointing(String key, int attempt) {
        return List.of(
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
    private void killAt(String hook, String guest, String key) throws Exception {
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

    private Proc run(List<String> jvm, String guest, List<String> args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = start(jvm, guest, args, out, err);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Proc(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private Process start(List<String> jvm, String guest, List<String> args, Path out, Path err) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of(
                "-jar",
                Path.of("target", "wasm-worker-all.jar").toString(),
                "invoke",
                Guests.path(guest).toString(),
                "--input",
                INPUT,
                "--home",
                dir.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
    }

    private static List<Integer> steps(String stderr) {
        List<Integer> steps = new ArrayList<>();
        Matcher m = STEP.matcher(stderr);
        while (m.find()) {
            steps.add(Integer.parseInt(m.group(1)));
        }
        return steps;
    }
}
