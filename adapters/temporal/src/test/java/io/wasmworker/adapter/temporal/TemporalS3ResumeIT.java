package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowStub;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.artifact.S3ArtifactStore;
import io.wasmworker.checkpoint.store.S3SnapshotStore;
import io.wasmworker.s3.S3Location;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testbed.temporal.ActivityCall;
import io.wasmworker.testing.RgwSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's proof for Temporal: resume anywhere. A worker JVM is SIGKILLed mid-activity; the retry
 * goes to a worker with a home of its own (no shared disk), which resumes from the checkpoint the
 * first one left in S3 (a real Ceph RGW, reached through the AWS SDK's environment variables), and
 * the workflow gets exactly the output of an uninterrupted run. Both read the guest from S3 too (the
 * test puts it there once, as an operator would).
 */
class TemporalS3ResumeIT {
    private static final String WORKFLOWS = "s3-resume-workflows";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** ~200-300 ms a step. */
    private static final Map<String, Object> INPUT = Map.of("steps", 12, "work", 25_000_000);

    @TempDir
    static Path home;

    static Rgw rgw;
    static WorkflowBed bed;
    static String uninterrupted;

    @BeforeAll
    static void start() throws Exception {
        rgw = Rgw.shared();
        uninterrupted = Guests.uninterrupted(home.resolve("scratch"), "ckpt-step-c", INPUT);
        bed = WorkflowBed.start(WORKFLOWS);
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    /** A worker JVM with a home of its own, its artifacts and snapshots in S3. */
    private static WorkerProcess worker(String name, String queue, String location, String artifactsAt)
            throws Exception {
        Path workerHome = Files.createDirectories(home.resolve(name));
        return WorkerProcess.start(
                home,
                name,
                List.of("-Dwasmworker.snapshots.dir=" + location, "-Dwasmworker.artifacts.dir=" + artifactsAt),
                Map.of(
                        "AWS_ENDPOINT_URL",
                        rgw.endpoint().toString(),
                        "AWS_REGION",
                        "us-east-1",
                        "AWS_ACCESS_KEY_ID",
                        Rgw.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY",
                        Rgw.SECRET_KEY),
                bed.target(),
                queue,
                workerHome.toString(),
                "2");
    }

    @Test
    void aWorkerKilledMidActivityIsReplacedByOneOnAnotherDiskThatResumesFromS3() throws Exception {
        String queue = "s3-resume";
        String wf = "s3-kill-" + UUID.randomUUID();
        String bucket = rgw.newBucket("temporal-s3-resume");
        String location = "s3://" + bucket + "/snapshots";
        String artifactsAt = "s3://" + bucket + "/artifacts";
        try (S3ArtifactStore artifacts =
                new S3ArtifactStore(rgw.client(), S3Location.parse(artifactsAt), ArtifactStore.DEFAULT_MAX_BYTES)) {
            // as an operator would: `wasm-worker artifacts put ckpt-step-c.wasm --name ckpt-step-c --artifacts
            // s3://...`
            artifacts.bindName("ckpt-step-c", artifacts.put(Guests.bytes("ckpt-step-c")));
        }
        long killedAfter;
        try (WorkerProcess first = worker("first", queue, location, artifactsAt)) {
            WorkflowStub run = bed.startWorkflow(
                    wf,
                    ActivityCall.once("steps", queue, INPUT)
                            .withRetries(5, 100)
                            // long enough that a loaded machine's slow first step is not taken for a dead worker
                            .withHeartbeatTimeout(5_000)
                            .withStartToClose(60_000),
                    Duration.ofMinutes(2));
            String checkpoint = first.await(
                    l -> l.startsWith("CHECKPOINT")
                            && CheckpointRef.parse(WorkerProcess.fields(l).get("ref"))
                                            .generation()
                                    >= 3,
                    Duration.ofSeconds(60));
            killedAfter = CheckpointRef.parse(WorkerProcess.fields(checkpoint).get("ref"))
                    .generation();
            first.kill();
            assertThat(first.lines()).noneMatch(l -> l.startsWith("FINISHED"));

            try (WorkerProcess second = worker("second", queue, location, artifactsAt)) {
                Object result = run.getResult(90, TimeUnit.SECONDS, Object.class);
                assertThat(JSON.writeValueAsString(result)).isEqualTo(uninterrupted);
                String finished = second.await(
                        l -> l.startsWith("FINISHED") && l.contains("outcome=success"), Duration.ofSeconds(5));
                assertThat(Integer.parseInt(WorkerProcess.fields(finished).get("attempt")))
                        .isGreaterThan(Integer.parseInt(
                                WorkerProcess.fields(checkpoint).get("attempt")));
                assertThat(Long.parseLong(WorkerProcess.fields(finished).get("resumedFrom")))
                        .as("resumed from the first worker's checkpoint in S3: " + finished)
                        .isGreaterThanOrEqualTo(killedAfter);
                // before the second worker is killed: it removes the checkpoints once the server has
                // accepted the result, which may come after the workflow's result reached this test
                try (S3SnapshotStore store =
                        new S3SnapshotStore(rgw.client(), S3Location.parse(location), RgwSettings.of(rgw))) {
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (store.taskKeys().stream().anyMatch(k -> k.contains(wf)) && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    assertThat(store.taskKeys())
                            .as("checkpoints removed from S3 once the result was accepted")
                            .noneMatch(k -> k.contains(wf));
                }
            }
        }
        for (String worker : List.of("first", "second")) {
            assertThat(home.resolve(worker).resolve("snapshots")).doesNotExist();
            assertThat(home.resolve(worker).resolve("artifacts")).doesNotExist();
        }
    }
}
