package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityInfo;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStores;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskRunner;
import io.wasmworker.testing.LoopbackService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A worker in a JVM of its own, for the crash tests: serves activity type {@code steps}
 * (ckpt-step-c, a checkpoint after every step) on a task queue, with stores under a home
 * directory, and prints what happens on stdout, one line each:
 * {@code READY}, {@code CHECKPOINT attempt=A seq=S ref=R},
 * {@code FINISHED attempt=A outcome=O resumedFrom=S steps=1,2,.. key=K start=MS end=MS} (start = end less the
 * run's wall time).
 *
 * <p>Arguments: TARGET TASK_QUEUE HOME MAX_CONCURRENT. The stores are {@code HOME/artifacts} and
 * {@code HOME/snapshots}, or {@code -Dwasmworker.artifacts.dir} and {@code -Dwasmworker.snapshots.dir}
 * (a directory or {@code s3://BUCKET/PREFIX}, reached with the
 * AWS SDK's environment variables). With {@code -Dwasmworker.endpoint=NAME=URL} it also serves
 * {@code reserve} (stock-reservation, which calls that endpoint; bind it in the home's artifact store).
 */
public final class TestWorkerMain {
    private TestWorkerMain() {}

    public static void main(String[] args) {
        String target = args[0];
        String queue = args[1];
        Path home = Path.of(args[2]);
        int maxConcurrent = Integer.parseInt(args[3]);
        ArtifactStore artifacts = ArtifactStore.at(
                System.getProperty(
                        "wasmworker.artifacts.dir", home.resolve("artifacts").toString()),
                S3Settings::defaults);
        SnapshotStore snapshots = SnapshotStores.open(
                System.getProperty(
                        "wasmworker.snapshots.dir", home.resolve("snapshots").toString()),
                true,
                S3Settings.defaults());
        Sandbox sandbox = new Sandbox();
        TaskRunner runner =
                new TaskRunner(artifacts, new ModuleCache(artifacts, new ModuleLoader(), 4), snapshots, sandbox);
        TaskBinding steps = new TaskBinding(
                ArtifactRef.parse("ckpt-step-c"),
                GuestLimits.DEFAULTS.withTimeout(Duration.ofMinutes(2)),
                new CheckpointPolicy(1, Duration.ZERO, true));
        Map<String, TaskBinding> types = new HashMap<>(Map.of("steps", steps));
        String endpoint = System.getProperty("wasmworker.endpoint");
        if (endpoint != null) {
            types.put(
                    "reserve",
                    new TaskBinding(
                            ArtifactRef.parse("stock-reservation"),
                            GuestLimits.DEFAULTS,
                            CheckpointPolicy.DEFAULT,
                            LoopbackService.endpointsFrom(endpoint)));
        }
        TemporalAdapter adapter = TemporalAdapter.builder(TemporalSettings.of(target, "default"), runner)
                .queue(queue, types, maxConcurrent)
                .observer(new Printer())
                .build()
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(adapter::close));
        System.out.println("READY");
    }

    private static final class Printer implements ActivityObserver {
        @Override
        public void checkpointed(ActivityInfo info, CheckpointRef checkpoint) {
            System.out.println("CHECKPOINT attempt=" + info.getAttempt() + " ref=" + checkpoint);
        }

        @Override
        public void finished(ActivityInfo info, InvocationResult result) {
            long end = System.currentTimeMillis();
            System.out.println("FINISHED attempt=" + info.getAttempt() + " outcome="
                    + result.outcome().label()
                    + " resumedFrom=" + result.metrics().resumedFromSequence() + " steps="
                    + Guests.steps(result.stderrTailText()).stream()
                            .map(String::valueOf)
                            .collect(Collectors.joining(","))
                    + " key=" + TemporalTask.key(info) + " start="
                    + (end - result.metrics().wallNanos() / 1_000_000)
                    + " end=" + end);
        }
    }
}
