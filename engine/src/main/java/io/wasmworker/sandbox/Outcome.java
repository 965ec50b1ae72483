package io.wasmworker.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

/** How a guest run ended: the three outcomes of ABI v1. */
public sealed interface Outcome {

    /** A short label for reports and metrics: success, business_error, or the failure kind. */
    String label();

    /** Exit 0 with one JSON value on stdout. */
    record Success(JsonNode output) implements Outcome {
        @Override
        public String label() {
            return "success";
        }
    }

    /**
     * The guest declared an error the process model should handle (a BPMN error, a non-retryable
     * activity failure).
     */
    record BusinessError(String code, String message, JsonNode details) implements Outcome {
        @Override
        public String label() {
            return "business_error";
        }
    }

    /** Anything else; {@code reason} says what happened in words a user can act on. */
    record Failure(FailureKind kind, String reason) implements Outcome {
        @Override
        public String label() {
            return kind.label();
        }
    }
}
