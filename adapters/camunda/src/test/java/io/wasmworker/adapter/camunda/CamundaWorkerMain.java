package io.wasmworker.adapter.camunda;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A worker in a JVM of its own, for the crash test: {@code REST_URL HOME GUEST TOPIC LOCK_MILLIS}.
 * Runs until killed.
 */
public final class CamundaWorkerMain {
    private CamundaWorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        Worker worker = new Worker(Path.of(args[1]));
        TaskBinding binding = new TaskBinding(worker.guest(args[2]), GuestLimits.DEFAULTS,
                new CheckpointPolicy(1, Duration.ZERO, true));
        TopicSettings topic = TopicSettings.of(args[3], binding)
                .withLockDuration(Duration.ofMillis(Long.parseLong(args[4])));
        worker.start(args[0], Duration.ofSeconds(5), topic);
        System.out.println("worker started");
        Thread.currentThread().join();
    }
}
