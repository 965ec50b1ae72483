package io.wasmworker.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One orchestrator of the test bed running as its own JVM from the runnable test-bed jar, on a
 * free port, with its output in a log file. Closing it kills the process and waits for it to exit
 * (a leftover engine on a reused port silently answers the next run).
 */
public final class OrchestratorProcess implements AutoCloseable {
    /** Where the build puts the runnable jar; tests get it from {@code -Dwasmworker.testbed.jar}. */
    public static final String JAR_PROPERTY = "wasmworker.testbed.jar";

    private final String name;
    private final int port;
    private final Process process;
    private final Path log;
    /** Set by {@link #close()}: an exit after it is expected, one before it is reported. */
    private volatile boolean closing;

    private OrchestratorProcess(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code java -jar <testbed jar> <args>} and waits until {@code ready} answers true.
     *
     * @param args arguments, where {@code {port}} stands for the chosen free port
     */
    public static OrchestratorProcess start(String name, List<String> args, Duration timeout, ReadyCheck ready) {
        Path jar = privateCopy(testbedJar());
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                javaExecutable(), "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
        args.forEach(a -> command.add(a.replace("{port}", Integer.toString(port))));
        try {
            Path log = Files.createTempFile("testbed-" + name + "-", ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            OrchestratorProcess started = new OrchestratorProcess(name, port, process, log);
            process.onExit().thenRun(started::reportUnexpectedExit);
            started.awaitReady(timeout, () -> ready.isReady(port));
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + name + " test bed: " + e, e);
        }
    }

    /** Whether the orchestrator on this port answers. */
    @FunctionalInterface
    public interface ReadyCheck {
        boolean isReady(int port);
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void awaitReady(Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the " + name + " test bed exited with " + process.exitValue()
                        + " before it was ready; its log: " + log + "\n" + tail());
            }
            if (ready.getAsBoolean()) {
                return;
            }
            sleep(200);
        }
        close();
        throw new IllegalStateException(
                "the " + name + " test bed was not ready within " + timeout + "; its log: " + log + "\n" + tail());
    }

    /**
     * Says on the test's stderr when the orchestrator dies before {@link #close()}, with its exit
     * value (128 + the signal's number when a signal ended it: 137 SIGKILL, 143 SIGTERM) and its log,
     * so that the tests failing after it point at the cause.
     */
    private void reportUnexpectedExit() {
        if (!closing) {
            System.err.println(java.time.LocalTime.now() + " the " + name + " test bed (pid " + process.pid()
                    + ", port " + port + ") exited unexpectedly with " + process.exitValue() + "; its log: " + log
                    + "\n" + tail());
        }
    }

    /** The last lines of the log, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        closing = true;
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Path testbedJar() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured == null) {
            throw new IllegalStateException("set -D" + JAR_PROPERTY + " to the runnable test-bed jar"
                    + " (testbed/target/wasm-worker-testbed-*-exec.jar, built by `./mvnw -pl testbed package`)");
        }
        Path jar = Path.of(configured);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the test-bed jar " + jar + " does not exist; build it with"
                    + " `./mvnw -pl testbed -am package -DskipTests`");
        }
        return jar;
    }

    /**
     * A copy of the jar for this process alone: a rebuild of the test bed while it runs would
     * otherwise change classes under its feet.
     */
    private static Path privateCopy(Path jar) {
        try {
            Path copy = Files.createTempFile("wasm-worker-testbed-", ".jar");
            Files.copy(jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            copy.toFile().deleteOnExit();
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the test-bed jar " + jar + ": " + e, e);
        }
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port: " + e, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the test bed", e);
        }
    }
}
