package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Workers that die or shut down mid-task lose nothing: the task finishes from its checkpoint. */
class CamundaCrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INPUT = "{\"steps\":8,\"work\":30000000}";
    private static final Map<String, Object> VARIABLES = Map.of("steps", 8, "work", 30_000_000);
    /** The engine of the test under way (one process per product, shared by all tests). */
    private CamundaEngine engine;

    @TempDir
    Path home;

    private static JsonNode uninterrupted(String guest) throws IOException {
        byte[] wasm = Files.readAllBytes(Worker.guestPath(guest));
        try (Sandbox sandbox = new Sandbox()) {
            return JSON.readTree(sandbox.invoke(
                            new ModuleLoader().load(Digest.of(wasm), wasm),
                            Invocation.of(INPUT.getBytes(StandardCharsets.UTF_8)))
                    .stdout());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aWorkerKilledMidTaskIsReplacedAndTheTaskFinishesFromItsCheckpoint(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        JsonNode expected = uninterrupted("ckpt-async-c");
        String pid = engine.startProcess("ckpt-process", "crash-1", VARIABLES);
        String taskKey =
                "camunda:" + engine.externalTasks(pid).get(0).path("id").asText();
        LocalSnapshotStore snapshots = new LocalSnapshotStore(home.resolve("snapshots"), false);

        Path firstLog = home.resolve("worker-1.log");
        Process first = startWorker(firstLog);
        long killedAfter;
        try {
            killedAfter = awaitCheckpoint(snapshots, taskKey, 3, first, firstLog);
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no unlock, no report
            first.waitFor();
        }
        long atKill = snapshots.latest(taskKey).orElseThrow().sequence();
        assertThat(atKill).isGreaterThanOrEqualTo(killedAfter);

        Path secondLog = home.resolve("worker-2.log");
        Process second = startWorker(secondLog);
        try {
            engine.awaitEnded(pid, Duration.ofMinutes(2));
        } finally {
            second.destroyForcibly();
            second.waitFor();
        }
        Map<String, JsonNode> vars = engine.variables(pid);
        assertThat(vars.get("result").path("value").asText())
                .isEqualTo(expected.path("result").asText());
        assertThat(vars.get("trail").path("value").asText())
                .isEqualTo(expected.path("trail").asText());

        String log = Files.readString(secondLog);
        Matcher resumed = Pattern.compile("resumed from checkpoint (\\d+)").matcher(log);
        assertThat(resumed.find()).as("the second worker resumed:\n" + log).isTrue();
        long from = Long.parseLong(resumed.group(1));
        assertThat(from).isEqualTo(atKill);
        assertThat(steps(log))
                .as("no step before the checkpoint ran again")
                .isNotEmpty()
                .allMatch(s -> s > from);
        assertThat(engine.incidents(pid)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void anAttemptThatLostItsLockAfterAdvancingTheCheckpointDoesNotCountAgainstTheBudget(EngineProduct product)
            throws Exception {
        engine = SharedEngine.get(product);
        JsonNode expected = uninterrupted("ckpt-async-c");
        String pid = engine.startProcess("ckpt-process", "progress-1", VARIABLES);
        String taskKey =
                "camunda:" + engine.externalTasks(pid).get(0).path("id").asText();
        LocalSnapshotStore snapshots = new LocalSnapshotStore(home.resolve("snapshots"), false);

        // no retries at all: only an attempt that made no progress would exhaust the budget
        Path firstLog = home.resolve("worker-1.log");
        Process first = startWorker(firstLog, "progress-1", 0);
        try {
            awaitCheckpoint(snapshots, taskKey, 2, first, firstLog);
        } finally {
            first.destroyForcibly(); // its lock is lost with it; the engine's retries are untouched
            first.waitFor();
        }
        Path secondLog = home.resolve("worker-2.log");
        Process second = startWorker(secondLog, "progress-1", 0);
        try {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!engine.historicInstance(pid).path("state").asText().equals("COMPLETED")) {
                assertThat(engine.incidents(pid))
                        .as("incidents (worker log:\n%s)", Files.readString(secondLog))
                        .isEmpty();
                assertThat(System.nanoTime()).as("the task ends in time").isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            second.destroyForcibly();
            second.waitFor();
        }
        assertThat(engine.variables(pid).get("result").path("value").asText())
                .isEqualTo(expected.path("result").asText());
        assertThat(Files.readString(secondLog)).contains("attempt 2, resumed from checkpoint");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void shutdownWithTasksInFlightLosesNone(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        JsonNode expected = uninterrupted("ckpt-step-rust");
        List<String> pids = new ArrayList<>();
        try (Worker worker = new Worker(home)) {
            TaskBinding binding = new TaskBinding(
                    worker.guest("ckpt-step-rust"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(20),
                    TopicSettings.of("long-work", binding)
                            .withMaxConcurrent(2)
                            .withLockDuration(Duration.ofSeconds(30)));
            for (int i = 0; i < 3; i++) {
                pids.add(engine.startProcess("ckpt-process", "shutdown-" + i, VARIABLES));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (worker.snapshots.taskKeys().size() < 2) { // two running, each past a checkpoint
                assertThat(System.nanoTime()).as("two tasks checkpoint").isLessThan(deadline);
                Thread.sleep(20);
            }
            long start = System.nanoTime();
            worker.adapter().close();
            long closeMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(closeMillis)
                    .as("guests stopped at their next checkpoint, well within the grace")
                    .isLessThan(10_000);
        }
        for (String pid : pids) {
            JsonNode task = engine.externalTasks(pid).get(0);
            assertThat(task.path("lockExpirationTime").isNull())
                    .as("given back at once: " + task)
                    .isTrue();
            assertThat(task.path("retries").isNull())
                    .as("no retry spent on a shutdown: " + task)
                    .isTrue();
        }
        try (Worker next = new Worker(home)) {
            TaskBinding binding = new TaskBinding(
                    next.guest("ckpt-step-rust"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
            next.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    TopicSettings.of("long-work", binding).withMaxConcurrent(3));
            for (String pid : pids) {
                engine.awaitEnded(pid, Duration.ofMinutes(2));
                assertThat(engine.variables(pid).get("result").path("value").asText())
                        .isEqualTo(expected.path("result").asText());
                assertThat(engine.incidents(pid)).isEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aWorkerWhoseLockWasTakenStopsItsGuestAndReportsNothing(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        String pid = engine.startProcess("ckpt-process", "zombie-1", Map.of("steps", 8, "work", 60_000_000));
        String taskId = engine.externalTasks(pid).get(0).path("id").asText();
        String key = "camunda:" + taskId;
        boolean passed = false;
        try (Worker worker = new Worker(home)) {
            TaskBinding binding = new TaskBinding(
                    worker.guest("ckpt-step-rust"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true));
            worker.start(
                    engine.restUrl(),
                    Duration.ofSeconds(5),
                    // one slot, taken by the task: the worker cannot fetch it back itself once it is unlocked
                    TopicSettings.of("long-work", binding)
                            .withLockDuration(Duration.ofSeconds(2))
                            .withMaxConcurrent(1));
            awaitCheckpointInProcess(worker.snapshots, key);

            // another worker takes the task over, as after a lock expiry (the unlock may meet one of the
            // worker's lock extensions: the engine then refuses it with an optimistic-locking conflict)
            postRetryingConflicts("/external-task/" + taskId + "/unlock", JSON.createObjectNode());
            var fetch = JSON.createObjectNode().put("workerId", "intruder").put("maxTasks", 1);
            fetch.putArray("topics")
                    .addObject()
                    .put("topicName", "long-work")
                    .put("lockDuration", 60_000)
                    .put("businessKey", "zombie-1");
            JsonNode taken = engine.post("/external-task/fetchAndLock", fetch);
            assertThat(taken.size()).isEqualTo(1);

            // within one lock extension (1 s) the zombie learns it, and its guest stops checkpointing
            Thread.sleep(2_500);
            long seen = worker.snapshots.latest(key).map(Manifest::sequence).orElse(0L);
            Thread.sleep(1_500);
            assertThat(worker.snapshots.latest(key).map(Manifest::sequence).orElse(0L))
                    .as("the zombie stopped")
                    .isEqualTo(seen);
            JsonNode task = engine.externalTasks(pid).get(0);
            assertThat(task.path("workerId").asText()).isEqualTo("intruder");
            assertThat(engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + pid)
                            .size())
                    .as("the zombie reported nothing")
                    .isZero();
            passed = true;
        } finally {
            try {
                // the intruder still holds its lock (the zombie's shutdown did not give it back)
                engine.post(
                        "/external-task/" + taskId + "/complete",
                        JSON.createObjectNode().put("workerId", "intruder"));
            } catch (RuntimeException e) {
                if (passed) {
                    throw e;
                }
                // the test failed already: do not hide why
                System.err.println("cannot complete " + taskId + " as the intruder: " + e);
            }
        }
    }

    private JsonNode postRetryingConflicts(String path, JsonNode body) throws InterruptedException {
        for (int i = 0; ; i++) {
            try {
                return engine.post(path, body);
            } catch (IllegalStateException e) {
                if (i == 5 || !e.getMessage().contains("OptimisticLocking")) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static void awaitCheckpointInProcess(SnapshotStore store, String key) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (store.latest(key).isEmpty()) {
            assertThat(System.nanoTime()).as("a first checkpoint of " + key).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private Process startWorker(Path log) throws IOException {
        return startWorker(log, "crash-1", null);
    }

    /** @param maxRetries the topic's retries, or null for the default */
    private Process startWorker(Path log, String businessKey, Integer maxRetries) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dwasmworker.guests.dir=" + Worker.guestPath("x").getParent(),
                CamundaWorkerMain.class.getName(),
                engine.restUrl(),
                home.toString(),
                "ckpt-async-c",
                "long-work",
                "3000",
                businessKey));
        if (maxRetries != null) {
            command.add(maxRetries.toString());
        }
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static long awaitCheckpoint(LocalSnapshotStore store, String key, long sequence, Process worker, Path log)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(worker.isAlive())
                    .as("worker died early:\n" + Files.readString(log))
                    .isTrue();
            Optional<Manifest> m = store.latest(key);
            if (m.isPresent() && m.get().sequence() >= sequence) {
                return m.get().sequence();
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no checkpoint " + sequence + " of " + key + " in time:\n" + Files.readString(log));
    }

    private static List<Integer> steps(String log) {
        List<Integer> steps = new ArrayList<>();
        Matcher m = Pattern.compile("\\[guest\\] step (\\d+)").matcher(log);
        while (m.find()) {
            steps.add(Integer.parseInt(m.group(1)));
        }
        return steps;
    }
}
