package io.wasmworker.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The test bed's orchestrators for {@code dev}, run from the test bed's own jar in a JVM of their own
 * ({@code java -jar <testbed-exec.jar> dev EXAMPLES_DIR ENGINE}), so that this jar holds none of the
 * test bed (Spring, the engines, the Temporal test server, the sample workflows, the S3 server). One
 * line each way: the test bed answers {@code ready camunda=URL cockpit=URL temporal=TARGET queue=NAME
 * [version=V] [stock=URL] [s3=ENDPOINT bucket=NAME s3key=KEY s3secret=SECRET]} once its orchestrators
 * run with the samples deployed (camunda is the engine's REST URL, whichever engine runs; stock the
 * inventory service the stock-reservation guest calls; s3 only with {@code --s3}); {@code demo} makes
 * it drive the demo instances, telling each result ({@code say TEXT}) and then {@code demo ok} or
 * {@code demo failed}; {@code start-long-work STEPS WORK} answers {@code started ID}, {@code
 * await-long-work ID} answers {@code long-work RESULT WORKER_ID}; closing its stdin stops it and its
 * orchestrators. Anything else it prints goes to its log.
 */
final class TestbedSession implements AutoCloseable {
    /** Where the build puts the runnable test-bed jar; ./wasm-worker passes it. */
    static final String JAR_PROPERTY = "wasmworker.testbed.jar";

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration DEMO_TIMEOUT = Duration.ofMinutes(10);
    private static final String END = "\u0000end"; // the test bed's stdout closed
    private static final Pattern PROTOCOL = Pattern.compile("(ready|say|demo|error|started|long-work) ");

    private final Process process;
    private final Path log;
    private final Writer commands;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private Map<String, String> ready = Map.of();

    private TestbedSession(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readLines, "testbed-session-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the test bed from {@code jar} with a Camunda 7.24 engine, its log in {@code log}. */
    static TestbedSession start(Path jar, Path examples, Path log) throws IOException {
        return start(jar, examples, log, "camunda", false);
    }

    /**
     * Starts the test bed from {@code jar} with {@code engine} ({@code camunda} or {@code operaton}),
     * with {@code s3} also an S3 server, its log in {@code log}, and waits until it is ready.
     */
    static TestbedSession start(Path jar, Path examples, Path log, String engine, boolean s3) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("the test-bed jar " + jar + " does not exist: run `dev` through"
                    + " ./wasm-worker (it builds the test bed), or build it with"
                    + " `./mvnw -pl testbed -am package -DskipTests` and pass --testbed or -D" + JAR_PROPERTY);
        }
        // a private copy: a rebuild of the test bed while dev runs would change classes under its feet
        Files.deleteIfExists(log);
        Path copy = Files.createTempFile("wasm-worker-testbed-dev-", ".jar");
        Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
        copy.toFile().deleteOnExit();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-D" + JAR_PROPERTY + "=" + copy,
                "-jar",
                copy.toString(),
                "dev",
                examples.toAbsolutePath().toString(),
                engine));
        if (s3) {
            command.add("--s3");
        }
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        TestbedSession session = new TestbedSession(process, log);
        try {
            String engineName = Character.toUpperCase(engine.charAt(0)) + engine.substring(1); // Camunda, Operaton
            String line = session.next(START_TIMEOUT, "start " + engineName + " and Temporal" + (s3 ? " and S3" : ""));
            if (!line.startsWith("ready ")) {
                throw session.failure("answered '" + line + "' instead of ready");
            }
            Map<String, String> fields = new HashMap<>();
            for (String field : line.substring("ready ".length()).split(" ")) {
                int eq = field.indexOf('=');
                if (eq > 0) {
                    fields.put(field.substring(0, eq), field.substring(eq + 1));
                }
            }
            List<String> required = new ArrayList<>(List.of("camunda", "cockpit", "temporal", "queue"));
            if (s3) {
                required.addAll(List.of("s3", "bucket", "s3key", "s3secret"));
            }
            for (String name : required) {
                if (!fields.containsKey(name)) {
                    throw session.failure("said ready without " + name + ": '" + line + "'");
                }
            }
            session.ready = Map.copyOf(fields);
            return session;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** The Camunda REST base URL, e.g. {@code http://127.0.0.1:PORT/engine-rest}. */
    String camundaRestUrl() {
        return ready.get("camunda");
    }

    String cockpitUrl() {
        return ready.get("cockpit");
    }

    /** The version the engine reports (e.g. {@code 7.24.0}, {@code 1.0.3}), or {@code ?}. */
    String engineVersion() {
        return ready.getOrDefault("version", "?");
    }

    /** {@code 127.0.0.1:<port>} of the Temporal service. */
    String temporalTarget() {
        return ready.get("temporal");
    }

    /** The task queue the sample workflow runs on. */
    String taskQueue() {
        return ready.get("queue");
    }

    /** The inventory service the stock-reservation guest calls, or null if this test bed runs none. */
    String stockUrl() {
        return ready.get("stock");
    }

    /** The S3 server and its bucket for the stores, if the test bed was started with one. */
    Optional<DevS3> s3() {
        return ready.containsKey("s3")
                ? Optional.of(new DevS3(
                        URI.create(ready.get("s3")), ready.get("bucket"), ready.get("s3key"), ready.get("s3secret")))
                : Optional.empty();
    }

    /** Drives the demo instances, passing on each line the test bed tells; true if all ended as expected. */
    boolean demo(Consumer<String> say) {
        return demo(say, true);
    }

    /**
     * Drives the demo instances, passing on each line the test bed tells; true if all ended as expected.
     *
     * @param withLongWork also the Camunda long-work instance (false: a caller runs that one itself)
     */
    boolean demo(Consumer<String> say, boolean withLongWork) {
        send(withLongWork ? "demo" : "demo without-long-work");
        while (true) {
            String line = next(DEMO_TIMEOUT, "finish the demo");
            if (line.startsWith("say ")) {
                say.accept(line.substring("say ".length()));
            } else if (line.equals("demo ok") || line.equals("demo failed")) {
                return line.equals("demo ok");
            } else {
                throw failure("answered '" + line + "' during the demo");
            }
        }
    }

    /** Starts a Camunda long-work instance ({@code steps} steps of {@code work}); its process instance id. */
    String startLongWork(int steps, int work) {
        send("start-long-work " + steps + " " + work);
        String line = next(DEMO_TIMEOUT, "start a long-work instance");
        if (!line.startsWith("started ")) {
            throw failure("answered '" + line + "' instead of started");
        }
        return line.substring("started ".length());
    }

    /** Waits for a long-work instance to end: {result, id of the worker that completed its task}. */
    String[] awaitLongWork(String processInstanceId) {
        send("await-long-work " + processInstanceId);
        String line = next(DEMO_TIMEOUT, "see long-work instance " + processInstanceId + " end");
        String[] fields = line.split(" ");
        if (!fields[0].equals("long-work") || fields.length != 3) {
            throw failure("answered '" + line + "' instead of long-work RESULT WORKER");
        }
        return new String[] {fields[1], fields[2]};
    }

    /** Stops the test bed (the end of its stdin) and waits for it; kills it if it does not stop in time. */
    @Override
    public void close() {
        try {
            commands.close();
        } catch (IOException e) {
            // already gone: nothing to tell it
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "the test bed (log " + log + ")";
    }

    private void send(String command) {
        try {
            commands.write(command + "\n");
            commands.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    failure("does not take commands: " + e).getMessage(), e);
        }
    }

    /** The next protocol line; fails, naming the log, if the test bed ends, errs or takes too long. */
    private String next(Duration timeout, String doing) {
        String line;
        try {
            line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the test bed was to " + doing, e);
        }
        if (line == null) {
            throw failure("did not " + doing + " within " + timeout);
        }
        if (line.equals(END)) {
            throw failure("exited before it could " + doing);
        }
        if (line.startsWith("error ")) {
            throw failure("could not " + doing + ": " + line.substring("error ".length()));
        }
        return line;
    }

    private IllegalStateException failure(String what) {
        return new TestbedException("the test bed " + what + "; its log: " + log);
    }

    /** The test bed failed; the message says how, and names its log (the CLI shows it as it is). */
    static final class TestbedException extends IllegalStateException {
        TestbedException(String message) {
            super(message);
        }
    }

    private void readLines() {
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (PROTOCOL.matcher(line).lookingAt()) {
                    lines.add(line);
                } else { // not for us (a library that prints to stdout): kept with the rest of its output
                    Files.writeString(
                            log,
                            "stdout: " + line + "\n",
                            StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
            }
        } catch (IOException e) {
            // the process went away: END says so
        }
        lines.add(END);
    }
}
