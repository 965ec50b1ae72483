package io.wasmworker.adapter.camunda;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testing.LoopbackService;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A worker in a JVM of its own, for the crash test: {@code REST_URL HOME GUEST TOPIC LOCK_MILLIS
 * BUSINESS_KEY [MAX_RETRIES]}, {@code -Dwasmworker.maxConcurrent=N} for other than the default slots,
 * {@code -Dwasmworker.endpoint=NAME=URL} for an HTTP endpoint its guest may call. Runs until killed. It fetches only tasks of that business key: a killed worker's
 * long poll stays pending in the engine and may still lock a task that arrives meanwhile.
 *
 * <p>Prints a line {@code RUN <task key> <attempt> <start ms> <end ms> <outcome> [<failure reason>]} for every run of a
 * guest (start = end less the run's wall time), so a test can see runs of one task that overlapped.
 */
public final class CamundaWorkerMain {
    private CamundaWorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        Worker worker = new Worker(Path.of(args[1]), (task, result) -> {
            long end = System.currentTimeMillis();
            System.out.println("RUN " + task.key().value() + " " + task.number() + " "
                    + (end - result.metrics().wallNanos() / 1_000_000) + " " + end + " "
                    + result.outcome().label()
                    + (result.outcome() instanceof io.wasmworker.sandbox.Outcome.Failure f
                            ? " " + f.reason().replace('\n', ' ')
                            : ""));
        });
        TaskBinding binding = new TaskBinding(
                worker.guest(args[2]),
                GuestLimits.DEFAULTS,
                new CheckpointPolicy(1, Duration.ZERO, true),
                LoopbackService.endpointsFrom(System.getProperty("wasmworker.endpoint")));
        TopicSettings topic = TopicSettings.builder(args[3], binding)
                .lockDuration(Duration.ofMillis(Long.parseLong(args[4])))
                .maxConcurrent(Integer.getInteger("wasmworker.maxConcurrent"))
                .maxRetries(args.length > 6 ? Integer.parseInt(args[6]) : null)
                .businessKey(args[5])
                .build();
        worker.start(args[0], Duration.ofSeconds(5), topic);
        System.out.println("worker started");
        Thread.currentThread().join();
    }
}
