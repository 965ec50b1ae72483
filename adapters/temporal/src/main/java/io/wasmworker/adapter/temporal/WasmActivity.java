package io.wasmworker.adapter.temporal;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.activity.DynamicActivity;
import io.temporal.client.ActivityCompletionException;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.EncodedValues;
import io.temporal.failure.ApplicationFailure;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.RunControl;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.task.GuestSlots;
import io.wasmworker.task.TaskAttempt;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.task.TaskKey;
import io.wasmworker.task.TaskRunner;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one activity implementation of a task queue: whatever the activity type, it looks up its
 * binding, turns the arguments into the guest's input, runs the guest (resuming from the
 * checkpoint the previous attempt's heartbeat named), and maps the outcome to a result or a
 * failure.
 */
final class WasmActivity implements DynamicActivity {
    private static final Logger LOG = LoggerFactory.getLogger(WasmActivity.class);

    private final TaskQueueSettings queue;
    private final TaskRunner runner;
    /** The queue's guest slots: the adapter's shutdown suspends or cancels the guests running in them. */
    private final GuestSlots.Pool slots;

    private final ScheduledExecutorService heartbeatScheduler;
    private final ActivityObserver observer;

    WasmActivity(
            TaskQueueSettings queue,
            TaskRunner runner,
            GuestSlots.Pool slots,
            ScheduledExecutorService heartbeatScheduler,
            ActivityObserver observer) {
        this.queue = queue;
        this.runner = runner;
        this.slots = slots;
        this.heartbeatScheduler = heartbeatScheduler;
        this.observer = observer;
    }

    /**
     * The task boundary: whatever goes wrong in here (an OutOfMemoryError a neighbouring guest
     * caused, a store that throws), the attempt is reported as a retryable
     * {@code wasm-worker.internal} failure and the activity thread goes on serving.
     */
    @Override
    public Object execute(EncodedValues args) {
        ActivityExecutionContext context = Activity.getExecutionContext();
        try {
            return attempt(context, args);
        } catch (ApplicationFailure | ActivityCompletionException reported) {
            throw reported;
        } catch (Throwable t) {
            ActivityInfo info = context.getInfo();
            LOG.error(
                    "activity {} ({}) attempt {} failed inside the worker: {}",
                    info.getActivityType(),
                    TemporalTask.key(info),
                    info.getAttempt(),
                    t.toString(),
                    t);
            throw ActivityFailures.internal(info.getActivityType(), info.getAttempt(), t);
        }
    }

    private Object attempt(ActivityExecutionContext context, EncodedValues args) {
        ActivityInfo info = context.getInfo();
        String type = info.getActivityType();
        TaskBinding binding = queue.activities().get(type);
        if (binding == null) {
            throw ActivityFailures.unknownType(type, queue);
        }
        byte[] input;
        try {
            input = ActivityInput.toGuestInput(args);
        } catch (ActivityInput.InvalidArgumentsException e) {
            throw ActivityFailures.invalidArguments(type, e.getMessage());
        }
        TaskKey taskKey = TemporalTask.key(info);
        TaskAttempt opened = runner.open(taskKey, binding, info.getAttempt());
        CheckpointRef resumeFrom = resumePoint(context, info, opened);
        TaskAttempt attempt = resumeFrom != null && opened.checkpointAttempt() > info.getAttempt()
                ? afterReset(info, binding, opened)
                : opened;

        RunControl control = new RunControl();
        InvocationResult result;
        Heartbeats heartbeats;
        // picked up while the worker stops, the slot suspends the guest at once: no further than a checkpoint
        try (GuestSlots.Slot slot = takeSlot(control)) {
            heartbeats = new Heartbeats(context, control, resumeFrom, heartbeatScheduler);
            try {
                if (resumeFrom != null) {
                    heartbeats.beat(); // the details now name the checkpoint even if this attempt never makes one
                }
                Heartbeats beats = heartbeats;
                result = slot.runGuest(() -> attempt.invoke(
                        input, TemporalTask.metadata(info), control, ref -> checkpointed(info, beats, ref)));
            } finally {
                heartbeats.close();
            }
        }
        observer.finished(info, result);
        if (LOG.isDebugEnabled()) {
            LOG.debug("activity {} ({}) attempt {}: {}", type, taskKey, info.getAttempt(), result.report());
        }

        ActivityCompletionException refused = heartbeats.failure();
        if (refused != null) {
            // Temporal has given this attempt up; what it did is not reported (the SDK logs it)
            LOG.info(
                    "activity {} ({}) attempt {} was called off by Temporal ({}); its guest ended as {}",
                    type,
                    taskKey,
                    info.getAttempt(),
                    refused.getClass().getSimpleName(),
                    result.outcome().label());
            throw refused;
        }
        Outcome outcome = result.outcome();
        // a task that never checkpointed has nothing to clean up: the SDK reports its outcome
        boolean hasCheckpoints = attempt.hasCheckpoints();
        if (outcome instanceof Outcome.Success success) {
            return hasCheckpoints ? complete(context, info, attempt, success.output()) : success.output();
        }
        if (outcome instanceof Outcome.BusinessError error) {
            if (!hasCheckpoints) {
                throw ActivityFailures.business(error);
            }
            return fail(context, info, attempt, ActivityFailures.business(error));
        }
        Outcome.Failure failure = (Outcome.Failure) outcome;
        CheckpointRef checkpoint = attempt.checkpoint().orElse(heartbeats.reference());
        ActivityCompletionException operator = heartbeats.stopRequest();
        if (operator != null && failure.kind() == FailureKind.SUSPENDED) {
            String action = Heartbeats.operatorAction(operator);
            LOG.info(
                    "activity {} ({}) attempt {} {} by an operator: stopped at checkpoint {}",
                    type,
                    taskKey,
                    info.getAttempt(),
                    action,
                    checkpoint);
            throw ActivityFailures.stoppedByOperator(
                    type, info.getAttempt(), action, result, checkpoint == null ? null : checkpoint.toString());
        }
        LOG.warn("activity {} ({}) attempt {} failed: {}", type, taskKey, info.getAttempt(), result.report());
        throw ActivityFailures.failed(
                type,
                info.getAttempt(),
                failure,
                result,
                checkpoint == null ? null : checkpoint.toString(),
                attempt.lastHostCall().orElse(null));
    }

    /**
     * An operator reset the activity: Temporal numbers its attempts from 1 again, but keeps the
     * heartbeat details, which name a checkpoint a higher-numbered attempt wrote. The snapshot store
     * refuses a resume by a lower attempt number (that is how it fences zombies off), and Temporal
     * never starts an attempt older than the last one, so this attempt continues under the number of
     * the attempt that wrote the checkpoint; the guest still sees Temporal's own number.
     */
    private TaskAttempt afterReset(ActivityInfo info, TaskBinding binding, TaskAttempt attempt) {
        int writer = attempt.checkpointAttempt();
        LOG.info(
                "activity {} ({}) attempt {} resumes checkpoint {} of attempt {}: the activity was reset",
                info.getActivityType(),
                attempt.key(),
                info.getAttempt(),
                attempt.checkpoint().orElse(null),
                writer);
        return runner.open(attempt.key(), binding, writer);
    }

    /** The SDK runs at most as many activities as the pool has slots, so this never waits. */
    private GuestSlots.Slot takeSlot(RunControl control) {
        try {
            return slots.take(control);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a guest slot (the worker is stopping)", e);
        }
    }

    private void checkpointed(ActivityInfo info, Heartbeats heartbeats, CheckpointRef checkpoint) {
        heartbeats.checkpointed(checkpoint);
        observer.checkpointed(info, checkpoint);
    }

    /**
     * The checkpoint this attempt resumes from. The previous attempt's heartbeat details name it;
     * if the store does not have it (lost, or this worker uses another store than the one that
     * wrote it), the attempt fails loudly instead of starting the work over. Without details, the
     * task's latest checkpoint counts (the last attempt may have died between publishing it and
     * heartbeating); only a first attempt discards a checkpoint it finds, which can only be left
     * over from an earlier activity that had the same key.
     */
    private static CheckpointRef resumePoint(ActivityExecutionContext context, ActivityInfo info, TaskAttempt attempt) {
        Optional<String> details;
        try {
            details = context.getHeartbeatDetails(String.class);
        } catch (DataConverterException e) {
            throw ActivityFailures.beforeRun(
                    "checkpoint",
                    "the heartbeat details of activity " + info.getActivityType()
                            + " are not a wasm-worker checkpoint reference (" + e.getMessage()
                            + "); refusing to start over");
        }
        Optional<CheckpointRef> latest;
        try {
            latest = attempt.latestCheckpoint();
        } catch (RuntimeException e) {
            throw ActivityFailures.beforeRun(
                    "checkpoint",
                    "the checkpoint of task " + attempt.key() + " cannot be read from " + attempt.describeStore() + ": "
                            + e.getMessage());
        }
        if (details.isEmpty()) {
            if (latest.isPresent() && info.getAttempt() == 1) {
                LOG.warn(
                        "task {}: discarding checkpoint {} found before its first attempt (left over from an"
                                + " earlier activity with the same workflow, run and activity id)",
                        attempt.key(),
                        latest.get());
                attempt.discardCheckpoint();
                return null;
            }
            return latest.orElse(null);
        }
        CheckpointRef named = heartbeatCheckpoint(details.get(), attempt.key());
        if (latest.isEmpty() || !latest.get().isAtLeast(named)) {
            throw ActivityFailures.beforeRun(
                    "checkpoint",
                    "attempt " + info.getAttempt() + " of activity "
                            + info.getActivityType() + " should resume from checkpoint " + named
                            + " (its heartbeat details), but the snapshot store " + attempt.describeStore() + " has "
                            + latest.map(m -> "only " + m).orElse("no checkpoint of this task")
                            + ": the checkpoint is lost, or this worker uses another store than the worker that wrote it;"
                            + " refusing to start the task over");
        }
        return latest.get();
    }

    /** The checkpoint a previous attempt's heartbeat details name, which must be one of this task's. */
    private static CheckpointRef heartbeatCheckpoint(String details, TaskKey taskKey) {
        CheckpointRef named;
        try {
            named = CheckpointRef.parse(details);
        } catch (IllegalArgumentException e) {
            throw ActivityFailures.beforeRun(
                    "checkpoint",
                    "the heartbeat details are not a checkpoint reference: " + e.getMessage()
                            + "; refusing to start over");
        }
        if (!named.task().equals(taskKey)) {
            throw ActivityFailures.beforeRun(
                    "checkpoint",
                    "the heartbeat details '" + details + "' do not name a checkpoint of task " + taskKey
                            + "; refusing to start over");
        }
        return named;
    }

    /**
     * Reports the result ourselves, so the checkpoints are deleted only once Temporal has accepted
     * it: if this attempt has just been superseded, the result is refused and the next attempt
     * still finds the checkpoint its heartbeat details name. (Only for tasks with checkpoints: the
     * manual completion costs about a millisecond of CPU more than the SDK's own report.)
     */
    private static Object complete(
            ActivityExecutionContext context, ActivityInfo info, TaskAttempt attempt, JsonNode output) {
        var completion = context.useLocalManualCompletion();
        try {
            completion.complete(output);
        } catch (RuntimeException e) {
            notAccepted(info, attempt.key(), e);
            return null;
        }
        attempt.finished();
        return null;
    }

    private static Object fail(
            ActivityExecutionContext context, ActivityInfo info, TaskAttempt attempt, ApplicationFailure failure) {
        var completion = context.useLocalManualCompletion();
        try {
            completion.fail(failure);
        } catch (RuntimeException e) {
            notAccepted(info, attempt.key(), e);
            return null;
        }
        attempt.finished();
        return null;
    }

    private static void notAccepted(ActivityInfo info, TaskKey taskKey, RuntimeException e) {
        LOG.warn(
                "Temporal did not accept the outcome of activity {} ({}) attempt {}: {}; its checkpoints stay for"
                        + " the attempt that replaces it",
                info.getActivityType(),
                taskKey,
                info.getAttempt(),
                e.toString());
    }
}
