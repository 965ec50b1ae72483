package io.wasmworker.adapter.temporal;

import com.fasterxml.jackson.databind.node.NullNode;
import io.temporal.failure.ApplicationErrorCategory;
import io.temporal.failure.ApplicationFailure;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.sandbox.FailureKind;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The failures a workflow sees. Business errors are the guest's own, non-retryable, with its code
 * as the type; everything else is {@code wasm-worker.<kind>} and retryable unless retrying the same
 * input cannot help (an unmapped activity type, unreadable arguments).
 */
final class ActivityFailures {
    /** Failure types start with this; the rest is the failure kind ({@code trap}, {@code timeout}...). */
    static final String PREFIX = "wasm-worker.";

    static final String UNKNOWN_ACTIVITY_TYPE = PREFIX + "unknown_activity_type";
    static final String INVALID_ARGUMENTS = PREFIX + "invalid_arguments";
    /** The end of stderr put in the failure message; the details carry the whole kept tail. */
    static final int MESSAGE_STDERR_CHARS = 2000;

    private ActivityFailures() {}

    /**
     * The guest's business error: type = its code, details = [its details, or null]. An outcome the
     * guest chose, not a fault: {@link ApplicationErrorCategory#BENIGN}, which the SDK logs at DEBUG
     * without a stack trace (a plain failure is a WARN with one) and leaves out of its failure
     * metrics; the workflow still sees an ordinary non-retryable {@code ApplicationFailure}.
     */
    static ApplicationFailure business(Outcome.BusinessError error) {
        String message = error.message() == null || error.message().isEmpty() ? error.code() : error.message();
        Object details = error.details() == null ? NullNode.getInstance() : error.details();
        return ApplicationFailure.newBuilder()
                .setMessage(message)
                .setType(error.code())
                .setDetails(details)
                .setNonRetryable(true)
                .setCategory(ApplicationErrorCategory.BENIGN)
                .build();
    }

    /**
     * A failed run (trap, limits, checkpoint...): retryable, so the caller's retry policy decides.
     * Details: one map with kind, reason, stderrTail, checkpoint (the reference the retry resumes
     * from, or null), attempt, activityType, and lastHostCall when the guest made one.
     *
     * @param lastCall the guest's latest host call (null: it made none), in the details as
     *                 {@code lastHostCall}, and in the message when it failed
     */
    static ApplicationFailure failed(
            String activityType,
            int attempt,
            Outcome.Failure failure,
            InvocationResult result,
            String checkpoint,
            HttpCallObserver.Call lastCall) {
        String stderr = result.stderrTailText();
        StringBuilder message = new StringBuilder()
                .append("guest of activity ")
                .append(activityType)
                .append(" failed (")
                .append(failure.label())
                .append("): ")
                .append(failure.reason());
        if (lastCall != null && lastCall.failed()) {
            message.append(" (last ").append(lastCall.describe()).append(')');
        }
        if (checkpoint != null) {
            message.append(" [a retry resumes from checkpoint ")
                    .append(checkpoint)
                    .append(']');
        }
        if (!stderr.isBlank()) {
            String tail = stderr.length() > MESSAGE_STDERR_CHARS
                    ? "..." + stderr.substring(stderr.length() - MESSAGE_STDERR_CHARS)
                    : stderr;
            message.append("\nguest stderr (end):\n").append(tail.stripTrailing());
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("kind", failure.label());
        details.put("reason", failure.reason());
        details.put("stderrTail", stderr);
        details.put("checkpoint", checkpoint);
        details.put("attempt", attempt);
        details.put("activityType", activityType);
        if (lastCall != null) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("sequence", lastCall.sequence());
            call.put("endpoint", lastCall.endpoint());
            call.put("method", lastCall.method());
            call.put("path", lastCall.path());
            call.put("result", lastCall.resultLabel());
            call.put("status", lastCall.status());
            call.put("replayed", lastCall.replayed());
            call.put("summary", lastCall.describe());
            details.put("lastHostCall", call);
        }
        return ApplicationFailure.newFailure(message.toString(), PREFIX + failure.label(), details);
    }

    /**
     * The guest stopped at a checkpoint because an operator paused or reset the activity: a
     * {@code wasm-worker.suspended} failure (retryable, details as for {@link #failed}) that
     * Temporal holds while the activity is paused; the next attempt resumes from the checkpoint.
     * {@link ApplicationErrorCategory#BENIGN}: what an operator asked for is no fault, so the SDK
     * logs it without a WARN or stack trace.
     */
    static ApplicationFailure stoppedByOperator(
            String activityType, int attempt, String action, InvocationResult result, String checkpoint) {
        ApplicationFailure failed = failed(
                activityType,
                attempt,
                new Outcome.Failure(
                        FailureKind.SUSPENDED,
                        "stopped at checkpoint " + checkpoint + " because an operator " + action
                                + " the activity; the next attempt resumes from it"),
                result,
                checkpoint,
                null); // no host call is at fault when an operator stops the activity
        return ApplicationFailure.newBuilder()
                .setMessage(failed.getOriginalMessage())
                .setType(failed.getType())
                .setDetails(failed.getDetails())
                .setCategory(ApplicationErrorCategory.BENIGN)
                .build();
    }

    /** Something this adapter checked before the guest ran (e.g. a lost checkpoint); retryable. */
    static ApplicationFailure beforeRun(String kind, String reason) {
        return ApplicationFailure.newFailure(reason, PREFIX + kind);
    }

    /**
     * The worker itself failed while running the attempt (out of heap, an I/O error in a store):
     * retryable, since another attempt, perhaps on another worker, may well succeed.
     */
    static ApplicationFailure internal(String activityType, int attempt, Throwable cause) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("kind", "internal");
        details.put("reason", cause.toString());
        details.put("attempt", attempt);
        details.put("activityType", activityType);
        return ApplicationFailure.newFailure(
                "wasm-worker failed while running activity " + activityType + " (attempt " + attempt + "): " + cause,
                PREFIX + "internal",
                details);
    }

    static ApplicationFailure unknownType(String activityType, TaskQueueSettings queue) {
        return ApplicationFailure.newNonRetryableFailure(
                "activity type '" + activityType
                        + "' is not configured on task queue '" + queue.taskQueue()
                        + "' of this wasm-worker (configured: "
                        + queue.typeList() + ")",
                UNKNOWN_ACTIVITY_TYPE,
                activityType);
    }

    static ApplicationFailure invalidArguments(String activityType, String reason) {
        return ApplicationFailure.newNonRetryableFailure(
                "arguments of activity " + activityType + " cannot be the guest's input: " + reason, INVALID_ARGUMENTS);
    }
}
