package io.wasmworker.adapter.camunda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.task.CheckpointRef;
import io.wasmworker.task.TaskAttempt;

/**
 * What a failed attempt tells the engine: an error message that fits Camunda's 666 characters with
 * the cause first, and error details (shown in Cockpit's incident view) with everything else,
 * including the guest's latest host call (endpoint, request, result and status).
 */
record FailureReport(String message, String details) {
    /** Camunda truncates longer error messages. */
    static final int MAX_MESSAGE = 666;

    private static final ObjectMapper JSON = new ObjectMapper();

    static FailureReport of(
            Outcome.Failure failure, InvocationResult result, TaskAttempt attempt, int maxAttempts, String workerId) {
        ObjectNode details = details(failure.label(), failure.reason(), attempt.number(), maxAttempts, workerId);
        if (attempt.hasCheckpoints()) {
            // null while the task has none yet: its guest could checkpoint but had not
            details.put(
                    "checkpoint",
                    attempt.checkpoint().map(CheckpointRef::toString).orElse(null));
            details.put("resumedFromSequence", result.metrics().resumedFromSequence());
        }
        String message = failure.label() + ": " + failure.reason();
        var call = attempt.lastHostCall();
        if (call.isPresent()) {
            details.set("lastHostCall", hostCall(call.get()));
            if (call.get().failed()) {
                message += " (last " + call.get().describe() + ")";
            }
        }
        details.put("stderrTail", result.stderrTailText());
        return new FailureReport(message(message), details.toPrettyString());
    }

    /** The guest's latest host call: which service it talked to and what that answered. */
    private static ObjectNode hostCall(HttpCallObserver.Call call) {
        ObjectNode node = JSON.createObjectNode();
        node.put("sequence", call.sequence());
        node.put("endpoint", call.endpoint());
        node.put("method", call.method());
        node.put("path", call.path());
        node.put("result", call.resultLabel());
        node.put("status", call.status());
        node.put("replayed", call.replayed());
        node.put("summary", call.describe());
        return node;
    }

    /** A failure decided by the worker before any guest ran (attempt budget, unreadable input). */
    static FailureReport of(String kind, String reason, int attempt, int maxAttempts, String workerId) {
        return new FailureReport(
                message(kind + ": " + reason),
                details(kind, reason, attempt, maxAttempts, workerId).toPrettyString());
    }

    private static ObjectNode details(String kind, String reason, int attempt, int maxAttempts, String workerId) {
        ObjectNode details = JSON.createObjectNode();
        details.put("kind", kind);
        details.put("reason", reason);
        details.put("attempt", attempt);
        details.put("maxAttempts", maxAttempts);
        details.put("worker", workerId);
        return details;
    }

    /**
     * The attempt number a failure report of ours recorded in the error details, or 0 when the
     * details are missing or not ours (another client reported the failure).
     */
    static int reportedAttempt(String details) {
        if (details == null || details.isBlank()) {
            return 0;
        }
        try {
            JsonNode attempt = JSON.readTree(details).path("attempt");
            return attempt.canConvertToInt() && attempt.isIntegralNumber() ? Math.max(0, attempt.intValue()) : 0;
        } catch (JsonProcessingException | RuntimeException e) {
            return 0;
        }
    }

    static String message(String text) {
        return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE - 1) + "…";
    }
}
