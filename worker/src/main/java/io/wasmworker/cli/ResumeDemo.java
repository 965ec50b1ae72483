package io.wasmworker.cli;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStores;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Sandbox;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code dev --s3}: resume across two worker processes that share nothing but S3. Worker A (this jar,
 * {@code run}, a home of its own) takes a long checkpointing task (topic {@code long-work}, guest {@code
 * ckpt-step-rust}); once a checkpoint of it is in S3, A is killed with SIGKILL; worker B (another home)
 * takes the task when A's lock expires, resumes from that checkpoint and completes it. The result is
 * compared with an uninterrupted run of the same input in this process.
 */
final class ResumeDemo implements AutoCloseable {
    static final int STEPS = 12;
    static final int WORK = 20_000_000;
    /** Short, so that B gets the task soon after A is killed (A extends its lock while it lives). */
    private static final String LOCK = "8s";

    private static final Duration CHECKPOINT_TIMEOUT = Duration.ofMinutes(2);
    private static final Pattern RESUMES = Pattern.compile("(?m)^wasm_worker_resumes_total\\{[^}]*} ([0-9.]+)");

    private final Path home;
    private final DevS3 s3;
    private final String camundaUrl;
    private final Path guest;
    private final Consumer<String> say;
    private final List<Process> started = new CopyOnWriteArrayList<>();

    ResumeDemo(Path home, DevS3 s3, String camundaUrl, Path guest, Consumer<String> say) {
        this.home = home;
        this.s3 = s3;
        this.camundaUrl = camundaUrl;
        this.guest = guest;
        this.say = say;
    }

    /** Runs it through {@code testbed}; true if B completed the task with the uninterrupted result. */
    boolean run(TestbedSession testbed) throws Exception {
        say.accept("demo: resume across two worker processes that share nothing but S3 (" + s3.snapshots() + ")");
        try (SnapshotStore snapshots = SnapshotStores.open(s3.snapshots(), true, s3.settings())) {
            Worker a = start("worker-a");
            String result;
            String completedBy;
            Manifest resumedFrom;
            try {
                say.accept("  worker A (pid " + a.pid() + ", home " + a.home() + ") serves topic long-work");
                String instance = testbed.startLongWork(STEPS, WORK);
                Optional<Manifest> checkpoint = awaitCheckpoint(snapshots, a);
                a.kill();
                if (checkpoint.isEmpty()) {
                    say.accept(
                            "  no checkpoint reached S3 within " + CHECKPOINT_TIMEOUT + "; worker A's log: " + a.log());
                    return false;
                }
                // what B resumes from: the last checkpoint A published before it died
                resumedFrom = snapshots.latest(checkpoint.get().taskKey()).orElse(checkpoint.get());
                say.accept("  worker A published checkpoint " + resumedFrom.sequence() + " of " + STEPS
                        + " steps (task " + resumedFrom.taskKey() + ") to S3, and was killed with SIGKILL");
                Worker b = start("worker-b");
                try {
                    say.accept("  worker B (pid " + b.pid() + ", home " + b.home() + ") started; it gets the task"
                            + " once A's lock (" + LOCK + ") expires");
                    String[] ended = testbed.awaitLongWork(instance);
                    result = ended[0];
                    completedBy = ended[1];
                    double resumes = b.awaitResume(Duration.ofSeconds(10)); // counted as B reports the task
                    say.accept("  the task was completed by " + completedBy + ", which resumed "
                            + (resumes > 0 ? "from checkpoint " + resumedFrom.sequence() : "(no resume counted!)")
                            + ": result " + result);
                    if (resumes == 0) {
                        return false;
                    }
                } finally {
                    b.stop();
                }
            } finally {
                a.kill();
            }
            String uninterrupted = uninterrupted();
            boolean same = result.equals(uninterrupted) && completedBy.equals("worker-b");
            say.accept("  an uninterrupted run of the same input gives " + uninterrupted
                    + (same ? ": the same result" : ": a different result!"));
            return same;
        }
    }

    private Worker start(String name) throws IOException {
        Worker worker = Worker.start(home, name, this::config);
        started.add(worker.process());
        return worker;
    }

    /** Kills the worker processes still running (dev stopped during the demo): they would outlive it. */
    @Override
    public void close() {
        started.forEach(Process::destroyForcibly);
    }

    private Optional<Manifest> awaitCheckpoint(SnapshotStore snapshots, Worker a) throws InterruptedException {
        long deadline = System.nanoTime() + CHECKPOINT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && a.alive()) {
            for (String key : snapshots.taskKeys()) {
                Optional<Manifest> latest = snapshots.latest(key);
                if (latest.isPresent() && latest.get().sequence() >= 2) { // well inside the task: a real resume
                    return latest;
                }
            }
            Thread.sleep(100);
        }
        return Optional.empty();
    }

    /** The same guest and input run here, start to end, without checkpoints. */
    private String uninterrupted() throws IOException {
        byte[] module = Files.readAllBytes(guest);
        String input = "{\"steps\":" + STEPS + ",\"work\":" + WORK + "}";
        try (Sandbox sandbox = new Sandbox()) {
            InvocationResult result = sandbox.invoke(
                    new ModuleLoader().load(Digest.of(module), module),
                    Invocation.of(input.getBytes(StandardCharsets.UTF_8)));
            Matcher m = Pattern.compile("\"result\":\"([0-9a-f]+)\"")
                    .matcher(new String(result.stdout(), StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : "? (" + result.report() + ")";
        }
    }

    private String config(String workerId, int httpPort) {
        return """
                # generated by `wasm-worker dev --s3`: %s, which shares nothing with the other worker but S3
                home: %s
                %sshutdownGrace: 5s
                http: { port: %d }
                artifacts:
                  ckpt-step-rust:
                    limits: { timeout: 5m, maxMemory: 16MiB }
                    checkpoint: { everySteps: 1 }
                camunda:
                  url: %s
                  workerId: %s
                  longPoll: 2s
                  topics:
                    - { topic: long-work, artifact: ckpt-step-rust, lockDuration: %s }
                """.formatted(workerId, home.resolve(workerId), s3.storesYaml(), httpPort, camundaUrl, workerId, LOCK);
    }

    /** A worker process: this jar's {@code run} on a configuration of its own, its output in a log. */
    private record Worker(Process process, Path home, Path log, int httpPort) {
        /** Starts worker {@code name} on the configuration {@code config} writes for it and a free port. */
        static Worker start(Path devHome, String name, BiFunction<String, Integer, String> config) throws IOException {
            Path home = devHome.resolve(name);
            Files.createDirectories(home);
            Path file = home.resolve("worker.yaml");
            int httpPort = DevConfig.freePort();
            Files.writeString(file, config.apply(name, httpPort));
            Path log = home.resolve("worker.log");
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(List.of(
                            java,
                            "-Xmx256m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            Main.class.getName(),
                            "run",
                            "--config",
                            file.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return new Worker(process, home, log, httpPort);
        }

        long pid() {
            return process.pid();
        }

        boolean alive() {
            return process.isAlive();
        }

        /** SIGKILL: no checkpoint on the way out, no lock given back. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        /** SIGTERM, the graceful stop. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }

        /** Its {@code wasm_worker_resumes} counter once it is above 0, or 0 after {@code timeout}. */
        double awaitResume(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            double resumes = resumes();
            while (resumes == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                resumes = resumes();
            }
            return resumes;
        }

        /** Its {@code wasm_worker_resumes} counter (0 if it cannot be read). */
        double resumes() {
            try {
                HttpResponse<String> metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                Matcher m = RESUMES.matcher(metrics.body());
                double sum = 0;
                while (m.find()) {
                    sum += Double.parseDouble(m.group(1));
                }
                return sum;
            } catch (IOException e) {
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }
}
