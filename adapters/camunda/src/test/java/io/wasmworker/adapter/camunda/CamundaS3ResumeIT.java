package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.Digest;
import io.wasmworker.artifact.S3ArtifactStore;
import io.wasmworker.checkpoint.store.S3SnapshotStore;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.s3.S3Location;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.RgwSettings;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's proof for Camunda: resume anywhere. Three worker JVMs with separate homes (no shared
 * disk) keep artifacts and snapshots in S3 (a real Ceph RGW, reached through the AWS SDK's
 * environment variables; the test puts the guest there once, as an operator would), while a seeded
 * controller SIGKILLs and restarts workers and stops the S3 gateway for a while mid-run. Every task
 * ends once, with exactly the uninterrupted output and no incident; attempts resumed checkpoints
 * another JVM wrote; nothing of a finished task is left as a checkpoint in S3, and no worker wrote
 * artifacts or snapshots to its own disk.
 *
 * <p>The seed is {@code -Dchaos.seed} (default 12), printed with the schedule.
 */
class CamundaS3ResumeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GUEST = "ckpt-async-c";
    private static final int TASKS = 12;
    private static final int WORKERS = 3;
    private static final long LOCK_MILLIS = 2_000;
    private static final int MAX_RETRIES = 6;
    private static final String INPUT = "{\"steps\":8,\"work\":30000000}";
    private static final Map<String, Object> VARIABLES = Map.of("steps", 8, "work", 30_000_000);
    private static final Duration DEADLINE = Duration.ofSeconds(240);
    private static final Duration OUTAGE = Duration.ofSeconds(4);
    /** A guest's step line (ckpt-async-c checkpoints after each step) and the end of a run, in a worker's log. */
    private static final Pattern STEP = Pattern.compile("\\[(camunda:[^\\]]+)\\] guest - \\[guest\\] step (\\d+)");

    private static final Pattern RUN_ENDED = Pattern.compile("^RUN (camunda:\\S+) ");

    private static CamundaEngine engine;
    private static Rgw rgw;

    @TempDir
    Path home;

    @BeforeAll
    static void servers() {
        rgw = Rgw.shared();
        engine = SharedEngine.get();
    }

    @Test
    void killedWorkersOnSeparateDisksResumeEachOthersTasksFromS3() throws Exception {
        long seed = Long.getLong("chaos.seed", 12);
        Random random = new Random(seed);
        JsonNode expected = uninterrupted();
        String businessKey = "s3-resume-" + System.nanoTime();
        String bucket = rgw.newBucket("camunda-s3-resume");
        String location = "s3://" + bucket + "/wasm-worker/snapshots";
        String artifactsAt = "s3://" + bucket + "/wasm-worker/artifacts";
        try (S3ArtifactStore artifacts =
                new S3ArtifactStore(rgw.client(), S3Location.parse(artifactsAt), ArtifactStore.DEFAULT_MAX_BYTES)) {
            // as an operator would: `wasm-worker artifacts put ckpt-async-c.wasm --name ckpt-async-c --artifacts
            // s3://...`
            artifacts.bindName(GUEST, artifacts.put(Files.readAllBytes(Worker.guestPath(GUEST))));
        }
        long start = System.nanoTime();

        List<Process> all = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        List<Path> homes = new ArrayList<>();
        List<String> schedule = new ArrayList<>();
        List<Path> killedLogs = new ArrayList<>();
        try {
            Process[] slots = new Process[WORKERS];
            for (int i = 0; i < WORKERS; i++) {
                slots[i] = startWorker(all.size(), businessKey, location, artifactsAt, logs, homes);
                all.add(slots[i]);
            }
            Map<String, String> pids = new LinkedHashMap<>(); // process instance -> task key
            for (int i = 0; i < TASKS; i++) {
                String pid = engine.startProcess("ckpt-process", businessKey, VARIABLES);
                pids.put(
                        pid,
                        "camunda:" + engine.externalTasks(pid).get(0).path("id").asText());
            }

            // the controller: kills and restarts, and once an outage of the S3 gateway, while tasks are left
            int kills = 0;
            boolean outage = false;
            while (!allEnded(pids.keySet()) && kills < 5) {
                assertThat(System.nanoTime() - start)
                        .as("the chaos ends in time")
                        .isLessThan(DEADLINE.toNanos());
                Thread.sleep(2_000 + random.nextInt(1_500));
                if (kills == 2 && !outage) {
                    schedule.add("S3 gateway down for " + OUTAGE.toSeconds() + " s");
                    rgw.stopGateway();
                    try {
                        Thread.sleep(OUTAGE.toMillis());
                    } finally {
                        rgw.startGateway();
                    }
                    outage = true;
                    continue;
                }
                int victim = victimWithACheckpoint(slots, all, logs, pids.keySet(), random);
                if (victim < 0) {
                    continue; // every task ended meanwhile
                }
                schedule.add("kill worker " + victim);
                slots[victim].destroyForcibly(); // SIGKILL: no unlock, no report, no clean-up
                slots[victim].waitFor();
                killedLogs.add(logs.get(all.indexOf(slots[victim])));
                slots[victim] = startWorker(all.size(), businessKey, location, artifactsAt, logs, homes);
                all.add(slots[victim]);
                kills++;
            }
            System.out.println("s3 resume seed " + seed + ": " + schedule);
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

            // the checkpoints were in S3 only, and a finished task shows none there
            for (Path workerHome : homes) {
                assertThat(workerHome.resolve("snapshots"))
                        .as("no snapshots on a worker's own disk")
                        .doesNotExist();
                assertThat(workerHome.resolve("artifacts"))
                        .as("no artifacts on a worker's own disk")
                        .doesNotExist();
            }
            try (S3SnapshotStore store =
                    new S3SnapshotStore(rgw.client(), S3Location.parse(location), RgwSettings.of(rgw))) {
                Set<String> leftovers = new HashSet<>(store.taskKeys());
                leftovers.retainAll(pids.values());
                assertThat(WorkerRuns.succeededIn(killedLogs))
                        .as("tasks left in S3 (a worker killed between the engine's acceptance and the tombstone"
                                + " leaves one; one finished alive does not)")
                        .containsAll(leftovers);
                for (String key : pids.values()) {
                    if (!leftovers.contains(key)) {
                        assertThat(store.latest(key)).as(key).isEmpty();
                    }
                }
                Thread.sleep(1_100); // object ages are whole seconds: the leftovers are older than now
                store.collect(Instant.now(), Set.of(), Integer.MAX_VALUE);
                assertThat(store.taskKeys())
                        .as("`snapshots ls` after the collection")
                        .doesNotContainAnyElementsOf(pids.values());
            }

            // the chaos did bite: attempts resumed checkpoints, and the outage failed some as `checkpoint`
            int resumed = 0;
            int storeFailures = 0;
            for (Path log : logs) {
                String text = Files.readString(log);
                resumed += count(text, "resumed from checkpoint");
                storeFailures += count(text, "snapshot store " + location);
            }
            assertThat(resumed).as("attempts that resumed a checkpoint from S3").isPositive();
            System.out.printf(
                    "s3 resume seed %d: %d tasks in %d s, %d worker JVMs, %d resumed, %d store errors seen%n",
                    seed, TASKS, (System.nanoTime() - start) / 1_000_000_000, all.size(), resumed, storeFailures);
        } finally {
            for (Process p : all) {
                p.destroyForcibly();
                p.waitFor();
            }
        }
    }

    /**
     * A worker in the middle of a task that has published a checkpoint (its guest logged step 2 or
     * later of a run that has not ended), chosen at random among those; waits until there is one, or
     * returns -1 when every task has ended. A kill chosen blindly could hit only workers still starting
     * or between tasks on a loaded machine, and then nothing would resume (CI run of acccbdc).
     */
    private static int victimWithACheckpoint(
            Process[] slots, List<Process> all, List<Path> logs, Set<String> instances, Random random)
            throws IOException, InterruptedException {
        while (true) {
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < slots.length; i++) {
                if (midTaskPastACheckpoint(Files.readString(logs.get(all.indexOf(slots[i]))))) {
                    candidates.add(i);
                }
            }
            if (!candidates.isEmpty()) {
                return candidates.get(random.nextInt(candidates.size()));
            }
            if (allEnded(instances)) {
                return -1;
            }
            Thread.sleep(100);
        }
    }

    /** Whether the log shows a run at step 2 or later (so past its first checkpoint) that has not ended. */
    static boolean midTaskPastACheckpoint(String log) {
        Map<String, Boolean> pastCheckpoint = new HashMap<>();
        for (String line : log.split("\n")) {
            Matcher step = STEP.matcher(line);
            if (step.find()) {
                pastCheckpoint.put(step.group(1), Integer.parseInt(step.group(2)) >= 2);
                continue;
            }
            Matcher ended = RUN_ENDED.matcher(line);
            if (ended.find()) {
                pastCheckpoint.remove(ended.group(1));
            }
        }
        return pastCheckpoint.containsValue(true);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static boolean allEnded(Iterable<String> pids) {
        for (String pid : pids) {
            if (!engine.historicInstance(pid).path("state").asText().equals("COMPLETED")
                    && engine.incidents(pid).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode uninterrupted() throws IOException {
        byte[] wasm = Files.readAllBytes(Worker.guestPath(GUEST));
        try (Sandbox sandbox = new Sandbox()) {
            return JSON.readTree(sandbox.invoke(
                            new ModuleLoader().load(Digest.of(wasm), wasm),
                            Invocation.of(INPUT.getBytes(StandardCharsets.UTF_8)))
                    .stdout());
        }
    }

    /** A worker JVM with a home of its own; S3 is reached through the SDK's standard environment variables. */
    private Process startWorker(
            int number, String businessKey, String location, String artifactsAt, List<Path> logs, List<Path> homes)
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
                "-Dwasmworker.snapshots.dir=" + location,
                "-Dwasmworker.artifacts.dir=" + artifactsAt,
                CamundaWorkerMain.class.getName(),
                engine.restUrl(),
                workerHome.toString(),
                GUEST,
                "long-work",
                Long.toString(LOCK_MILLIS),
                businessKey,
                Integer.toString(MAX_RETRIES));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("AWS_ENDPOINT_URL", rgw.endpoint().toString());
        pb.environment().put("AWS_REGION", "us-east-1");
        pb.environment().put("AWS_ACCESS_KEY_ID", Rgw.ACCESS_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", Rgw.SECRET_KEY);
        logs.add(log);
        homes.add(workerHome);
        return pb.start();
    }
}
