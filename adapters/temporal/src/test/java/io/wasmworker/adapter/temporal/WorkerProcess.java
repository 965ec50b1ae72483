package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link TestWorkerMain} in its own JVM, its stdout in a file the test reads line by line. */
final class WorkerProcess implements AutoCloseable {
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S*)");

    private final Process process;
    private final Path out;

    private WorkerProcess(Process process, Path out) {
        this.process = process;
        this.out = out;
    }

    static WorkerProcess start(Path dir, String name, String... args) throws IOException {
        return start(dir, name, List.of(), Map.of(), args);
    }

    /** With JVM options ({@code -Dx=y}) and environment variables of its own. */
    static WorkerProcess start(Path dir, String name, List<String> jvmOptions, Map<String, String> env, String... args)
            throws IOException {
        // failsafe hands the test classpath to the forked JVM in a manifest-only jar; that jar works for -cp too
        String classpath = System.getProperty("java.class.path");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                classpath));
        command.addAll(jvmOptions);
        command.add(TestWorkerMain.class.getName());
        command.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        WorkerProcess worker = new WorkerProcess(process, out);
        worker.await(l -> l.equals("READY"), Duration.ofSeconds(60));
        return worker;
    }

    /** The {@code name=value} fields of a line the worker printed ({@code CHECKPOINT ...}, {@code FINISHED ...}). */
    static Map<String, String> fields(String line) {
        Map<String, String> fields = new HashMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
            fields.put(m.group(1), m.group(2));
        }
        return fields;
    }

    List<String> lines() {
        try {
            return Files.readAllLines(out);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + out, e);
        }
    }

    /** Waits for a line of the worker's output to match, and returns it. */
    String await(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : lines()) {
                if (match.test(line)) {
                    return line;
                }
            }
            assertThat(System.nanoTime())
                    .as("timed out waiting in the worker's output:\n%s", String.join("\n", lines()))
                    .isLessThan(deadline);
            assertThat(process.isAlive() || lines().stream().anyMatch(match))
                    .as("the worker died:\n%s", String.join("\n", lines()))
                    .isTrue();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, nothing flushed, sockets closed by the kernel. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(137);
    }

    /** Sends a signal by name (STOP freezes the whole JVM, CONT thaws it). */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).isZero();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
