package io.wasmworker.daemon;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.wasmworker.checkpoint.CheckpointCost;
import io.wasmworker.checkpoint.DiscardedCheckpoint;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.sandbox.InvocationMetrics;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.task.TaskAttempt;
import io.wasmworker.task.TaskObserver;
import java.util.concurrent.TimeUnit;

/**
 * Every task run as Micrometer meters, tagged by source (camunda, temporal), queue (topic or task
 * queue) and outcome: counts, durations, guest memory and resumes when a run ends; checkpoints
 * (count, size, duration) as each one is published.
 */
final class TaskMetrics implements TaskObserver {
    private final MeterRegistry registry;

    TaskMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void finished(TaskAttempt task, InvocationResult result) {
        String source = task.metadata().getOrDefault("SOURCE", "unknown");
        String queue = task.metadata().getOrDefault("TOPIC", task.metadata().getOrDefault("TASK_QUEUE", "unknown"));
        InvocationMetrics m = result.metrics();
        String outcome = result.outcome().label();
        Counter.builder("wasm_worker_tasks")
                .description("Tasks run, by outcome")
                .tags("source", source, "queue", queue, "outcome", outcome)
                .register(registry)
                .increment();
        Timer.builder("wasm_worker_task_duration")
                .description("Guest run time of a task")
                .tags("source", source, "queue", queue, "outcome", outcome)
                .register(registry)
                .record(m.wallNanos(), TimeUnit.NANOSECONDS);
        DistributionSummary.builder("wasm_worker_guest_memory")
                .baseUnit("bytes")
                .description("Peak linear memory of a guest run")
                .tags("source", source, "queue", queue)
                .register(registry)
                .record(m.peakMemoryBytes());
        if (m.resumedFromSequence() > 0) {
            Counter.builder("wasm_worker_resumes")
                    .description("Runs that resumed from a checkpoint")
                    .tags("source", source, "queue", queue)
                    .register(registry)
                    .increment();
        }
    }

    /** Each checkpoint as it is published: a long task's checkpoints show before it ends. */
    @Override
    public void checkpointed(TaskAttempt task, CheckpointCost cost) {
        String source = task.metadata().getOrDefault("SOURCE", "unknown");
        String queue = task.metadata().getOrDefault("TOPIC", task.metadata().getOrDefault("TASK_QUEUE", "unknown"));
        Counter.builder("wasm_worker_checkpoints")
                .description("Checkpoints written")
                .tags("source", source, "queue", queue)
                .register(registry)
                .increment();
        DistributionSummary.builder("wasm_worker_checkpoint_size")
                .baseUnit("bytes")
                .description("Encoded size of each checkpoint (a full snapshot or a delta)")
                .tags("source", source, "queue", queue)
                .register(registry)
                .record(cost.bytes());
        Timer.builder("wasm_worker_checkpoint_duration")
                .description("Time to take, store and publish each checkpoint")
                .tags("source", source, "queue", queue)
                .register(registry)
                .record(cost.nanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void hostCall(TaskAttempt task, HttpCallObserver.Call call) {
        String mode = call.replayed() ? "replayed" : "live";
        Counter.builder("wasm_worker_host_calls")
                .description("Journaled host calls to HTTP endpoints: live or replayed from the journal, by result"
                        + " and status class")
                .tags(
                        "endpoint",
                        call.endpoint(),
                        "mode",
                        mode,
                        "result",
                        call.resultLabel(),
                        "status",
                        call.statusClass())
                .register(registry)
                .increment();
        Timer.builder("wasm_worker_host_call_duration")
                .description("Time in a host call (live: the service and the journal write; replayed: the journal"
                        + " read)")
                .tags("endpoint", call.endpoint(), "mode", mode)
                .register(registry)
                .record(call.nanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void checkpointDiscarded(TaskAttempt task, DiscardedCheckpoint discarded) {
        String source = task.metadata().getOrDefault("SOURCE", "unknown");
        String queue = task.metadata().getOrDefault("TOPIC", task.metadata().getOrDefault("TASK_QUEUE", "unknown"));
        Counter.builder("wasm_worker_checkpoints_discarded")
                .description("Checkpoints not resumed because the task's input changed (a fresh start instead)")
                .tags("source", source, "queue", queue)
                .register(registry)
                .increment();
    }
}
