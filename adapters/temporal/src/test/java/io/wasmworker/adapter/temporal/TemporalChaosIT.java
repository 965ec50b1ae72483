package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowStub;
import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.testbed.temporal.ActivityCall;
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
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's proof for Temporal: checkpointing activities on three worker JVMs that share one
 * snapshot store, with a 2 s heartbeat timeout, while a seeded controller pauses workers (SIGSTOP for
 * longer than the heartbeat timeout, then SIGCONT) and SIGKILLs and restarts others. At the end every
 * workflow has exactly the uninterrupted output; no activity ran in two attempts of one worker at
 * once beyond the moment a called-off attempt takes to stop (Temporal has no lock extension that a
 * report could race); and the snapshot store holds only tombstones of the finished activities (a
 * task whose completing worker was SIGKILLed between Temporal's acceptance and the tombstone keeps
 * its checkpoint until a collection, which is then checked). Seed: {@code -Dchaos.seed} (default 17).
 */
class TemporalChaosIT {
    private static final String WORKFLOWS = "chaos-workflows";
    private static final String QUEUE = "chaos";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TASKS = 20;
    private static final int WORKERS = 3;
    private static final long HEARTBEAT_MILLIS = 2_000;
    /** ~100-150 ms a step. */
    private static final Map<String, Object> INPUT = Map.of("steps", 12, "work", 12_000_000);

    private static final Duration DEADLINE = Duration.ofSeconds(150);

    @TempDir
    static Path home;

    static WorkflowBed bed;
    static String uninterrupted;

    @BeforeAll
    static void start() throws Exception {
        Guests.artifacts(home, "ckpt-step-c"); // the workers' shared home
        uninterrupted = Guests.uninterrupted(home.resolve("scratch"), "ckpt-step-c", INPUT);
        bed = WorkflowBed.start(WORKFLOWS);
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    /** One worker JVM; {@code killed} once the controller SIGKILLed it. */
    private static final class Slot {
        final WorkerProcess process;
        boolean killed;

        Slot(WorkerProcess process) {
            this.process = process;
        }
    }

    @Test
    void pausedAndKilledWorkersFinishEveryActivityOnceAndLeaveNothingBehind() throws Exception {
        long seed = Long.getLong("chaos.seed", 17);
        Random random = new Random(seed);
        long start = System.nanoTime();
        List<Slot> all = new ArrayList<>();
        try {
            Slot[] slots = new Slot[WORKERS];
            for (int i = 0; i < WORKERS; i++) {
                slots[i] = new Slot(worker(all.size()));
                all.add(slots[i]);
            }
            Map<String, WorkflowStub> runs = new LinkedHashMap<>();
            for (int i = 0; i < TASKS; i++) {
                String id = "chaos-" + i + "-" + UUID.randomUUID();
                runs.put(id, startWorkflow(id));
            }
            List<String> schedule = new ArrayList<>();
            int pauses = 0;
            int kills = 0;
            while (!allDone(runs) && (pauses < 4 || kills < 4)) {
                assertThat(System.nanoTime() - start)
                        .as("the chaos ends in time")
                        .isLessThan(DEADLINE.toNanos());
                Thread.sleep(1_000 + random.nextInt(1_500));
                int victim = victim(slots, random);
                if (pauses <= kills) {
                    long pause = HEARTBEAT_MILLIS + 1_500 + random.nextInt(2_000);
                    schedule.add("pause worker " + victim + " for " + pause + " ms");
                    slots[victim].process.signal("STOP");
                    Thread.sleep(pause);
                    slots[victim].process.signal("CONT");
                    pauses++;
                } else {
                    schedule.add("kill worker " + victim);
                    slots[victim].process.kill();
                    slots[victim].killed = true;
                    slots[victim] = new Slot(worker(all.size()));
                    all.add(slots[victim]);
                    kills++;
                }
            }
            System.out.println("temporal chaos seed " + seed + ": " + schedule);
            for (Map.Entry<String, WorkflowStub> e : runs.entrySet()) {
                long left = DEADLINE.toNanos() - (System.nanoTime() - start);
                assertThat(left)
                        .as("every workflow ends in time (schedule %s)", schedule)
                        .isPositive();
                Object result = e.getValue().getResult(left, TimeUnit.NANOSECONDS, Object.class);
                assertThat(JSON.writeValueAsString(result)).as(e.getKey()).isEqualTo(uninterrupted);
            }
            Thread.sleep(500); // the last tombstones are written right after Temporal accepted

            // no activity ran in two attempts of one worker at once (beyond stopping a called-off one)
            Set<String> keys = new HashSet<>();
            Set<String> completedByKilled = new HashSet<>();
            Map<String, Integer> outcomes = new TreeMap<>();
            int resumed = 0;
            for (Slot slot : all) {
                List<Map<String, String>> finished = finished(slot.process);
                for (Map<String, String> f : finished) {
                    keys.add(f.get("key"));
                    outcomes.merge(f.get("outcome"), 1, Integer::sum);
                    resumed += Long.parseLong(f.get("resumedFrom")) > 0 ? 1 : 0;
                    if (slot.killed && f.get("outcome").equals("success")) {
                        completedByKilled.add(f.get("key"));
                    }
                }
                assertNoOverlappingRuns(finished);
            }
            assertThat(keys).as("activities seen").hasSize(TASKS);
            assertThat(resumed).as("attempts that resumed a checkpoint").isPositive();

            // the snapshot store holds nothing for finished tasks
            Path snapshotsDir = home.resolve("snapshots");
            LocalSnapshotStore store = new LocalSnapshotStore(snapshotsDir, false);
            int leftovers = 0;
            for (String key : keys) {
                List<String> files = filesOf(snapshotsDir, key);
                if (!files.equals(List.of("finished"))) {
                    leftovers++;
                    assertThat(completedByKilled)
                            .as("%s holds %s, but its worker finished it alive", key, files)
                            .contains(key);
                }
                assertThat(store.latest(key)).as(key).isEmpty();
            }
            SnapshotStore.Collected collected = store.collect(Instant.now(), Set.of(), Integer.MAX_VALUE);
            assertThat(collected.damaged()).isEmpty();
            for (String key : keys) {
                assertThat(filesOf(snapshotsDir, key))
                        .as("after the collection")
                        .isEmpty();
            }
            System.out.printf(
                    "temporal chaos seed %d: %d activities in %d s, %d worker JVMs, attempts by outcome %s,"
                            + " %d resumed, %d leftovers of killed workers collected%n",
                    seed, TASKS, (System.nanoTime() - start) / 1_000_000_000, all.size(), outcomes, resumed, leftovers);
        } finally {
            for (Slot slot : all) {
                if (slot.process.isAlive()) {
                    slot.process.signal("CONT");
                }
                slot.process.close();
            }
        }
    }

    private static WorkflowStub startWorkflow(String workflowId) {
        return bed.startWorkflow(
                workflowId,
                ActivityCall.once("steps", QUEUE, INPUT)
                        .withRetries(20, 100)
                        .withHeartbeatTimeout(HEARTBEAT_MILLIS)
                        .withStartToClose(60_000),
                Duration.ofMinutes(3));
    }

    private static boolean allDone(Map<String, WorkflowStub> runs) {
        for (WorkflowStub run : runs.values()) {
            try {
                run.getResult(1, TimeUnit.MILLISECONDS, Object.class);
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } catch (RuntimeException e) {
                return true; // failed: the assertions below say so
            }
        }
        return true;
    }

    private static WorkerProcess worker(int number) throws Exception {
        return WorkerProcess.start(home, "chaos-" + number, bed.target(), QUEUE, home.toString(), "2");
    }

    /**
     * A worker running an activity that has checkpointed, if any (then its retry must resume, which the
     * test asserts happened); else any worker. Chosen at random among them, from the seeded random.
     */
    private static int victim(Slot[] slots, Random random) throws InterruptedException {
        List<Integer> busy = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L; // a loaded machine may not have checkpointed yet
        while (busy.isEmpty() && System.nanoTime() < deadline) {
            for (int i = 0; i < slots.length; i++) {
                if (hasCheckpointedWork(slots[i].process)) {
                    busy.add(i);
                }
            }
            if (busy.isEmpty()) {
                Thread.sleep(50);
            }
        }
        return busy.isEmpty() ? random.nextInt(slots.length) : busy.get(random.nextInt(busy.size()));
    }

    /** Whether the worker printed a checkpoint of an activity it has not printed the end of. */
    private static boolean hasCheckpointedWork(WorkerProcess worker) {
        Set<String> checkpointed = new HashSet<>();
        Set<String> ended = new HashSet<>();
        for (String line : worker.lines()) {
            Map<String, String> fields = WorkerProcess.fields(line);
            if (line.startsWith("CHECKPOINT ") && fields.containsKey("ref")) {
                String ref = fields.get("ref");
                checkpointed.add(ref.substring(0, Math.max(0, ref.lastIndexOf('@'))));
            } else if (line.startsWith("FINISHED ") && fields.containsKey("key")) {
                ended.add(fields.get("key"));
            }
        }
        checkpointed.removeAll(ended);
        return !checkpointed.isEmpty();
    }

    private static List<Map<String, String>> finished(WorkerProcess worker) {
        List<Map<String, String>> runs = new ArrayList<>();
        for (String line : worker.lines()) {
            if (line.startsWith("FINISHED ")) {
                runs.add(WorkerProcess.fields(line));
            }
        }
        return runs;
    }

    /** Two runs of one activity in one worker overlap only when the older was called off, and only briefly. */
    private static void assertNoOverlappingRuns(List<Map<String, String>> finished) {
        Map<String, List<Map<String, String>>> byKey = new HashMap<>();
        finished.forEach(
                f -> byKey.computeIfAbsent(f.get("key"), k -> new ArrayList<>()).add(f));
        for (List<Map<String, String>> runs : byKey.values()) {
            runs.sort((a, b) -> Long.compare(Long.parseLong(a.get("start")), Long.parseLong(b.get("start"))));
            for (int i = 1; i < runs.size(); i++) {
                Map<String, String> older = runs.get(i - 1);
                Map<String, String> newer = runs.get(i);
                long overlap = Long.parseLong(older.get("end")) - Long.parseLong(newer.get("start"));
                if (overlap > 0) {
                    assertThat(older.get("outcome"))
                            .as("ran twice at once: %s and %s", older, newer)
                            .isIn("cancelled", "checkpoint");
                    assertThat(overlap)
                            .as("the called-off %s stopped at once", older)
                            .isLessThan(2_000);
                }
            }
        }
    }

    private static List<String> filesOf(Path snapshots, String key) throws java.io.IOException {
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
