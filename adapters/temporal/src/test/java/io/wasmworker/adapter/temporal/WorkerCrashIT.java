package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowStub;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.testbed.temporal.ActivityCall;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers as JVMs of their own that die (SIGKILL) or freeze (SIGSTOP) in the middle of an
 * activity: Temporal times the attempt out on its heartbeat, a second worker sharing the snapshot
 * store takes the retry, resumes from the checkpoint the heartbeat named, and the workflow gets
 * exactly the output of an uninterrupted run; a frozen worker that wakes up stops its zombie guest
 * and publishes nothing more.
 */
class WorkerCrashIT {
    private static final String WORKFLOWS = "crash-workflows";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** ~200-300 ms a step. */
    private static final Map<String, Object> INPUT = Map.of("steps", 12, "work", 25_000_000);

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

    private static WorkflowStub startWorkflow(String workflowId, String queue) {
        return bed.startWorkflow(
                workflowId,
                ActivityCall.once("steps", queue, INPUT)
                        .withRetries(5, 100)
                        .withHeartbeatTimeout(2_000)
                        .withStartToClose(60_000),
                Duration.ofMinutes(2));
    }

    private static WorkerProcess worker(String name, String queue, int maxConcurrent) throws Exception {
        return WorkerProcess.start(home, name, bed.target(), queue, home.toString(), Integer.toString(maxConcurrent));
    }

    /**
     * The checkpoint a CHECKPOINT line names: its generation, which for a task checkpointing from
     * scratch is also its sequence (each checkpoint publishes the next generation).
     */
    private static long seq(String checkpointLine) {
        return CheckpointRef.parse(WorkerProcess.fields(checkpointLine).get("ref"))
                .generation();
    }

    private static List<Integer> steps(String finishedLine) {
        String steps = WorkerProcess.fields(finishedLine).get("steps");
        return steps.isEmpty()
                ? List.of()
                : Arrays.stream(steps.split(",")).map(Integer::valueOf).toList();
    }

    /** The second worker's attempt: a retry that resumed at or after {@code atLeast} and did only later steps. */
    private static void assertResumed(WorkerProcess second, long atLeast) {
        String finished =
                second.await(l -> l.startsWith("FINISHED") && l.contains("outcome=success"), Duration.ofSeconds(5));
        Map<String, String> f = WorkerProcess.fields(finished);
        assertThat(Integer.parseInt(f.get("attempt"))).isGreaterThanOrEqualTo(2);
        long resumedFrom = Long.parseLong(f.get("resumedFrom"));
        assertThat(resumedFrom).as(finished).isGreaterThanOrEqualTo(atLeast);
        assertThat(steps(finished))
                .as("steps the second worker ran")
                .startsWith((int) resumedFrom + 1)
                .allMatch(s -> s > resumedFrom);
    }

    @Test
    void aWorkerKilledMidActivityIsReplacedByOneThatFinishesFromTheCheckpoint() throws Exception {
        String queue = "crash-kill";
        String wf = "kill-" + UUID.randomUUID();
        long killedAfter;
        try (WorkerProcess first = worker("kill-first", queue, 2)) {
            WorkflowStub run = startWorkflow(wf, queue);
            String checkpoint =
                    first.await(l -> l.startsWith("CHECKPOINT attempt=1") && seq(l) >= 3, Duration.ofSeconds(60));
            killedAfter = seq(checkpoint);
            first.kill();
            assertThat(first.lines()).noneMatch(l -> l.startsWith("FINISHED"));

            try (WorkerProcess second = worker("kill-second", queue, 2)) {
                Object result = run.getResult(90, TimeUnit.SECONDS, Object.class);
                assertThat(JSON.writeValueAsString(result)).isEqualTo(uninterrupted);
                assertResumed(second, killedAfter);
            }
        }
        assertThat(new LocalSnapshotStore(home.resolve("snapshots"), false).taskKeys())
                .as("checkpoints deleted once the result was accepted")
                .noneMatch(k -> k.contains(wf));
    }

    @Test
    void aFrozenWorkerTimesOutOnHeartbeatAndItsZombieStopsWithoutPublishing() throws Exception {
        String queue = "crash-stop";
        String wf = "stop-" + UUID.randomUUID();
        try (WorkerProcess first = worker("stop-first", queue, 1)) {
            WorkflowStub run = startWorkflow(wf, queue);
            long frozenAfter =
                    seq(first.await(l -> l.startsWith("CHECKPOINT attempt=1") && seq(l) >= 2, Duration.ofSeconds(60)));
            first.signal("STOP");
            Thread.sleep(200); // whatever it printed before it froze is in the file now
            long checkpointsBeforeFreeze = first.lines().stream()
                    .filter(l -> l.startsWith("CHECKPOINT"))
                    .count();

            try (WorkerProcess second = worker("stop-second", queue, 1)) {
                Object result = run.getResult(90, TimeUnit.SECONDS, Object.class);
                assertThat(JSON.writeValueAsString(result)).isEqualTo(uninterrupted);
                assertResumed(second, frozenAfter);
            }

            first.signal("CONT");
            String zombie = first.await(l -> l.startsWith("FINISHED attempt=1"), Duration.ofSeconds(20));
            System.out.println("thawed worker: " + zombie);
            assertThat(WorkerProcess.fields(zombie).get("outcome"))
                    .as("the zombie was stopped, not run to the end: " + zombie)
                    .isIn("cancelled", "checkpoint");
            assertThat(first.lines().stream()
                            .filter(l -> l.startsWith("CHECKPOINT"))
                            .count())
                    .as("the zombie published no checkpoint after it woke up")
                    .isEqualTo(checkpointsBeforeFreeze);
        }
        assertThat(new LocalSnapshotStore(home.resolve("snapshots"), false).taskKeys())
                .as("nothing of the task is left: the zombie re-created no checkpoint")
                .noneMatch(k -> k.contains(wf));
    }
}
