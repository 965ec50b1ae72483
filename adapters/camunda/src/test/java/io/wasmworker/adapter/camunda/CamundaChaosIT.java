package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 17's proof for Camunda: checkpointing tasks on three worker JVMs that share one snapshot
 * store, with short locks, while a seeded controller pauses workers (SIGSTOP for longer than the
 * lock, then SIGCONT) and SIGKILLs and restarts others. At the end:
 *
 * <ul>
 *   <li>every task ended once, with exactly the uninterrupted output, and without an incident;</li>
 *   <li>no report of a worker met an extension of the same task's lock by the same worker (the proxy
 *       in front of the engine watches), and none was refused for an optimistic-locking conflict;</li>
 *   <li>no task ran in two attempts of one worker at once: runs of one task in one worker overlap only
 *       when the older one was stopped because the task was handed out again (it then reports
 *       nothing), and only for the moment the stop takes;</li>
 *   <li>the snapshot store holds nothing for finished tasks: each task's directory holds its
 *       tombstone and nothing else (no manifest, no blob, no attempt count; so `snapshots ls` shows
 *       none of them), except a task whose completing worker was SIGKILLed between the engine's
 *       acceptance and the tombstone, which a collection then removes.</li>
 * </ul>
 *
 * The seed is {@code -Dchaos.seed} (default 17), printed with the schedule.
 */
class CamundaChaosIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TASKS = 24;
    private static final int WORKERS = 3;
    private static final long LOCK_MILLIS = 2_000;
    private static final String INPUT = "{\"steps\":8,\"work\":30000000}";
    private static final Map<String, Object> VARIABLES = Map.of("steps", 8, "work", 30_000_000);
    private static final Duration DEADLINE = Duration.ofSeconds(150);
    /** The engine of the test under way (one process per product, shared by all tests). */
    private CamundaEngine engine;

    @TempDir
    Path home;

    /** One worker JVM: its process and log; {@code killed} once the controller SIGKILLed it mid-run. */
    private static final class WorkerJvm {
        final int slot;
        final Process process;
        final Path log;
        boolean killed;

        WorkerJvm(int slot, Process process, Path log) {
            this.slot = slot;
            this.process = process;
            this.log = log;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void pausedAndKilledWorkersRunEachTaskOnceAndLeaveNothingBehind(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        long seed = Long.getLong("chaos.seed", 17);
        Random random = new Random(seed);
        JsonNode expected = uninterrupted();
        String businessKey = "chaos-" + System.nanoTime();
        Path snapshotsDir = home.resolve("shared-snapshots");
        LocalSnapshotStore store = new LocalSnapshotStore(snapshotsDir, false);
        long start = System.nanoTime();

        List<WorkerJvm> all = new ArrayList<>();
        try (EngineProxy proxy = new EngineProxy(engine.restUrl())) {
            // a woken worker learns that its lock is gone a little later, so its guest may checkpoint first:
            // after the task finished elsewhere, that is the zombie write the tombstone must refuse
            proxy.delayExtensions(Duration.ofMillis(400));
            WorkerJvm[] slots = new WorkerJvm[WORKERS];
            for (int i = 0; i < WORKERS; i++) {
                slots[i] = startWorker(i, all.size(), proxy, businessKey, snapshotsDir);
                all.add(slots[i]);
            }
            Map<String, String> pids = new LinkedHashMap<>(); // process instance -> task key
            for (int i = 0; i < TASKS; i++) {
                String pid = engine.startProcess("ckpt-process", businessKey, VARIABLES);
                pids.put(
                        pid,
                        "camunda:" + engine.externalTasks(pid).get(0).path("id").asText());
            }

            // the controller: a pause longer than the lock, then a kill and restart, alternately, while
            // tasks are left; at most 4 of each, so that the run ends well within the deadline
            List<String> schedule = new ArrayList<>();
            int pauses = 0;
            int kills = 0;
            while (!allEnded(pids.keySet()) && (pauses < 4 || kills < 4)) {
                assertThat(System.nanoTime() - start)
                        .as("the chaos ends in time")
                        .isLessThan(DEADLINE.toNanos());
                Thread.sleep(1_000 + random.nextInt(1_500));
                int victim = random.nextInt(WORKERS);
                if (pauses <= kills) {
                    long pause = LOCK_MILLIS + 2_500 + random.nextInt(2_000);
                    schedule.add("pause worker " + victim + " for " + pause + " ms");
                    signal("STOP", slots[victim].process);
                    Thread.sleep(pause);
                    signal("CONT", slots[victim].process);
                    pauses++;
                } else {
                    schedule.add("kill worker " + victim);
                    slots[victim].process.destroyForcibly(); // SIGKILL: no unlock, no report, no clean-up
                    slots[victim].process.waitFor();
                    slots[victim].killed = true;
                    slots[victim] = startWorker(victim, all.size(), proxy, businessKey, snapshotsDir);
                    all.add(slots[victim]);
                    kills++;
                }
            }
            System.out.println("chaos seed " + seed + ": " + schedule);
            for (String pid : pids.keySet()) {
                long left = DEADLINE.toNanos() - (System.nanoTime() - start);
                assertThat(left)
                        .as("every task ends in time (schedule %s)", schedule)
                        .isPositive();
                engine.awaitEnded(pid, Duration.ofNanos(left));
            }
            Thread.sleep(500); // the last tombstones are written right after the engine accepted

            // every task ended once, with the uninterrupted output
            for (Map.Entry<String, String> e : pids.entrySet()) {
                String pid = e.getKey();
                assertThat(engine.historicInstance(pid).path("state").asText())
                        .as(e.getValue())
                        .isEqualTo("COMPLETED");
                assertThat(engine.incidents(pid)).as(e.getValue()).isEmpty();
                Map<String, JsonNode> vars = engine.variables(pid);
                assertThat(vars.get("result").path("value").asText())
                        .as(e.getValue())
                        .isEqualTo(expected.path("result").asText());
                assertThat(vars.get("trail").path("value").asText())
                        .as(e.getValue())
                        .isEqualTo(expected.path("trail").asText());
                assertThat(engine.get("/history/external-task-log?successLog=true&processInstanceId=" + pid)
                                .size())
                        .as("one completion of " + e.getValue())
                        .isEqualTo(1);
            }

            // no report raced the same worker's extension of the same lock, and none met a conflict
            assertThat(proxy.overlappingOwnReports())
                    .as("reports overlapping their own lock extension")
                    .isEmpty();
            assertThat(proxy.conflictedReports())
                    .as("reports refused with ENGINE-03005")
                    .isEmpty();

            // no task ran in two attempts of one worker at once (beyond stopping a superseded copy)
            for (WorkerJvm w : all) {
                assertNoOverlappingRuns(w);
            }

            // the snapshot store holds nothing for finished tasks
            Set<String> completedByKilled = completedByKilledWorkers(all);
            Set<String> leftovers = new HashSet<>();
            for (String key : pids.values()) {
                List<String> files = filesOf(snapshotsDir, key);
                if (!files.equals(List.of("finished"))) {
                    leftovers.add(key);
                    // a worker killed after the engine accepted its report and before it wrote the
                    // tombstone leaves the task's last checkpoint behind: a leftover, collected below
                    assertThat(completedByKilled)
                            .as("task %s holds %s, but its worker finished it alive", key, files)
                            .contains(key);
                }
            }
            Set<String> finishedAlive = new HashSet<>(pids.values());
            finishedAlive.removeAll(leftovers);
            assertThat(store.taskKeys()).as("`snapshots ls`").doesNotContainAnyElementsOf(finishedAlive);
            // what a kill left between the engine's acceptance and the tombstone: collected as leftovers
            SnapshotStore.Collected collected = store.collect(Instant.now(), Set.of(), Integer.MAX_VALUE);
            assertThat(collected.damaged()).isEmpty();
            for (String key : pids.values()) {
                assertThat(filesOf(snapshotsDir, key))
                        .as("after the collection")
                        .isEmpty();
            }
            // the chaos did bite: some attempt resumed another's checkpoint
            Map<String, Integer> outcomes = new java.util.TreeMap<>();
            int resumed = 0;
            int refusedByTombstone = 0;
            for (WorkerJvm w : all) {
                WorkerRuns.of(w.log).forEach(r -> outcomes.merge(r.outcome(), 1, Integer::sum));
                String log = Files.readString(w.log);
                resumed += count(log, "resumed from checkpoint");
                refusedByTombstone += count(log, "the task has finished, so this attempt");
            }
            assertThat(resumed).as("attempts that resumed a checkpoint").isPositive();
            System.out.printf(
                    "chaos seed %d: %d tasks in %d s, %d worker JVMs, runs by outcome %s, %d resumed,"
                            + " %d zombie writes refused by a tombstone, %d leftovers of killed workers collected%n",
                    seed,
                    TASKS,
                    (System.nanoTime() - start) / 1_000_000_000,
                    all.size(),
                    outcomes,
                    resumed,
                    refusedByTombstone,
                    leftovers.size());
        } finally {
            for (WorkerJvm w : all) {
                if (w.process.isAlive()) {
                    signal("CONT", w.process);
                    w.process.destroyForcibly();
                    w.process.waitFor();
                }
            }
        }
    }

    /**
     * Issue 17 item 3, deterministically: a worker paused mid-task wakes after its task finished
     * elsewhere, and its guest checkpoints before it learns that its lock is gone (its extension is held
     * up by the proxy). The tombstone refuses the write: the store keeps only the tombstone, and the
     * zombie's report is not accepted. (With a plain delete, its blob re-created the task's directory.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void aPausedWorkerWakingAfterItsTaskFinishedLeavesNothingInTheStore(EngineProduct product) throws Exception {
        engine = SharedEngine.get(product);
        String businessKey = "zombie-finished-" + System.nanoTime();
        Path snapshotsDir = home.resolve("shared-snapshots");
        LocalSnapshotStore store = new LocalSnapshotStore(snapshotsDir, false);
        String pid = engine.startProcess("ckpt-process", businessKey, Map.of("steps", 8, "work", 60_000_000));
        String taskId = engine.externalTasks(pid).get(0).path("id").asText();
        String key = "camunda:" + taskId;
        WorkerJvm zombie = null;
        try (EngineProxy proxy = new EngineProxy(engine.restUrl())) {
            // one slot, taken by the task: the paused worker has no long poll pending that would lock the task again
            zombie = startWorker(0, 0, proxy, businessKey, snapshotsDir, 4_000, 1);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (store.latest(key).map(m -> m.sequence() < 2).orElse(true)) {
                assertThat(System.nanoTime())
                        .as("two checkpoints of " + key + ":\n" + Files.readString(zombie.log))
                        .isLessThan(deadline);
                Thread.sleep(5);
            }
            signal("STOP", zombie.process);
            proxy.delayExtensions(Duration.ofMillis(1_500));

            // meanwhile the task is taken over and finished by another worker (played here over REST)
            postRetryingConflicts("/external-task/" + taskId + "/unlock", JSON.createObjectNode());
            var fetch = JSON.createObjectNode().put("workerId", "other-worker").put("maxTasks", 1);
            fetch.putArray("topics")
                    .addObject()
                    .put("topicName", "long-work")
                    .put("lockDuration", 60_000)
                    .put("businessKey", businessKey);
            assertThat(engine.post("/external-task/fetchAndLock", fetch).size()).isEqualTo(1);
            var variables = JSON.createObjectNode();
            variables.putObject("variables").putObject("result").put("value", "done elsewhere");
            engine.post("/external-task/" + taskId + "/complete", variables.put("workerId", "other-worker"));
            store.finished(key); // what the other worker's TaskRunner does once the engine accepted
            assertThat(filesOf(snapshotsDir, key)).containsExactly("finished");

            signal("CONT", zombie.process);
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (WorkerRuns.of(zombie.log).isEmpty()) {
                assertThat(System.nanoTime())
                        .as("the zombie's run ends:\n" + Files.readString(zombie.log))
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
            Thread.sleep(500); // its report, if any, has gone out
            WorkerRuns.Run run = WorkerRuns.of(zombie.log).get(0);
            assertThat(WorkerRuns.of(zombie.log)).hasSize(1);
            assertThat(run.outcome()).isEqualTo("checkpoint");
            assertThat(run.reason())
                    .as("the zombie's checkpoint was refused by the tombstone")
                    .contains("the task has finished, so this attempt");
            assertThat(filesOf(snapshotsDir, key))
                    .as("the store after the zombie woke")
                    .containsExactly("finished");
            assertThat(store.latest(key)).isEmpty();
            assertThat(engine.variables(pid).get("result").path("value").asText())
                    .isEqualTo("done elsewhere");
            assertThat(engine.get("/history/external-task-log?failureLog=true&processInstanceId=" + pid)
                            .size())
                    .as("no failure of the zombie was accepted")
                    .isZero();
        } finally {
            if (zombie != null) {
                signal("CONT", zombie.process);
                zombie.process.destroyForcibly();
                zombie.process.waitFor();
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

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private boolean allEnded(Set<String> pids) {
        for (String pid : pids) {
            if (!engine.historicInstance(pid).path("state").asText().equals("COMPLETED")
                    && engine.incidents(pid).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode uninterrupted() throws IOException {
        byte[] wasm = Files.readAllBytes(Worker.guestPath("ckpt-async-c"));
        try (Sandbox sandbox = new Sandbox()) {
            return JSON.readTree(sandbox.invoke(
                            new ModuleLoader().load(Digest.of(wasm), wasm),
                            Invocation.of(INPUT.getBytes(StandardCharsets.UTF_8)))
                    .stdout());
        }
    }

    private WorkerJvm startWorker(int slot, int number, EngineProxy proxy, String businessKey, Path snapshots)
            throws IOException {
        return startWorker(slot, number, proxy, businessKey, snapshots, LOCK_MILLIS, 2);
    }

    private WorkerJvm startWorker(
            int slot,
            int number,
            EngineProxy proxy,
            String businessKey,
            Path snapshots,
            long lockMillis,
            int maxConcurrent)
            throws IOException {
        Path workerHome = Files.createDirectories(home.resolve("worker-" + number));
        Path log = home.resolve("worker-" + number + ".log");
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dwasmworker.guests.dir=" + Worker.guestPath("x").getParent(),
                "-Dwasmworker.snapshots.dir=" + snapshots,
                "-Dwasmworker.maxConcurrent=" + maxConcurrent,
                CamundaWorkerMain.class.getName(),
                proxy.restUrl(),
                workerHome.toString(),
                "ckpt-async-c",
                "long-work",
                Long.toString(lockMillis),
                businessKey);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new WorkerJvm(slot, process, log);
    }

    private static void signal(String signal, Process process) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).as("kill -" + signal + " " + process.pid()).isZero();
    }

    /**
     * Two runs of one task in one worker JVM overlap only when the older was stopped (cancelled, or
     * fenced off by the store) because a newer copy replaced it, and only for the moment that takes.
     */
    private static void assertNoOverlappingRuns(WorkerJvm w) throws IOException {
        Map<String, List<WorkerRuns.Run>> byTask = new HashMap<>();
        for (WorkerRuns.Run r : WorkerRuns.of(w.log)) {
            byTask.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
        }
        for (List<WorkerRuns.Run> runs : byTask.values()) {
            runs.sort((a, b) -> Long.compare(a.start(), b.start()));
            for (int i = 1; i < runs.size(); i++) {
                WorkerRuns.Run older = runs.get(i - 1);
                WorkerRuns.Run newer = runs.get(i);
                long overlap = older.end() - newer.start();
                if (overlap > 0) {
                    assertThat(older.outcome())
                            .as("%s ran twice at once in %s: %s and %s", older.key(), w.log, older, newer)
                            .isIn("cancelled", "checkpoint");
                    assertThat(overlap)
                            .as("the superseded copy %s stopped at once (%s)", older, w.log)
                            .isLessThan(2_000);
                }
            }
        }
    }

    /** Tasks whose successful run was in a worker JVM the controller later SIGKILLed. */
    private static Set<String> completedByKilledWorkers(List<WorkerJvm> all) throws IOException {
        return WorkerRuns.succeededIn(
                all.stream().filter(w -> w.killed).map(w -> w.log).toList());
    }

    /** The files (not directories) the store holds for a task, relative to its directory; empty when none. */
    private static List<String> filesOf(Path snapshots, String key) throws IOException {
        Path dir = snapshots
                .resolve("tasks")
                .resolve(Digest.of(key.getBytes(StandardCharsets.UTF_8)).hex());
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            return tree.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }
}
