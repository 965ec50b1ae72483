package io.wasmworker.adapter.temporal;

import io.temporal.activity.ActivityInfo;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.task.CheckpointRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Records every attempt by workflow id; tests can also act when an attempt checkpoints or ends. */
final class RecordingObserver implements ActivityObserver {
    /** One finished attempt and the checkpoints it published. */
    record Attempt(String activityType, int attempt, InvocationResult result, List<CheckpointRef> checkpoints) {
        String stderr() {
            return result.stderrTailText();
        }
    }

    private final Map<String, List<Attempt>> finished = new ConcurrentHashMap<>();
    private final Map<String, List<CheckpointRef>> pending = new ConcurrentHashMap<>();
    private final Map<String, Consumer<CheckpointRef>> onCheckpoint = new ConcurrentHashMap<>();
    private final Map<String, Consumer<Attempt>> onFinished = new ConcurrentHashMap<>();

    @Override
    public void checkpointed(ActivityInfo info, CheckpointRef checkpoint) {
        pending.computeIfAbsent(key(info), k -> new CopyOnWriteArrayList<>()).add(checkpoint);
        onCheckpoint.getOrDefault(info.getWorkflowId(), m -> {}).accept(checkpoint);
    }

    @Override
    public void finished(ActivityInfo info, InvocationResult result) {
        List<CheckpointRef> checkpoints = pending.remove(key(info));
        Attempt attempt = new Attempt(
                info.getActivityType(),
                info.getAttempt(),
                result,
                checkpoints == null ? List.of() : List.copyOf(checkpoints));
        finished.computeIfAbsent(info.getWorkflowId(), k -> new CopyOnWriteArrayList<>())
                .add(attempt);
        onFinished.getOrDefault(info.getWorkflowId(), a -> {}).accept(attempt);
    }

    private static String key(ActivityInfo info) {
        return info.getWorkflowId() + "#" + info.getActivityId() + "#" + info.getAttempt();
    }

    List<Attempt> attempts(String workflowId) {
        return new ArrayList<>(finished.getOrDefault(workflowId, List.of()));
    }

    void onCheckpoint(String workflowId, Consumer<CheckpointRef> action) {
        onCheckpoint.put(workflowId, action);
    }

    void onFinished(String workflowId, Consumer<Attempt> action) {
        onFinished.put(workflowId, action);
    }
}
