package io.wasmworker.sandbox;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Rejects input that must never reach a guest: over the input limit, or not one JSON value. */
final class InputCheck {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private InputCheck() {}

    /** The failure to report, or null when the input is fine. */
    static Outcome check(Invocation invocation) {
        byte[] input = invocation.input();
        int max = invocation.limits().maxInputBytes();
        if (input.length > max) {
            return new Outcome.Failure(
                    FailureKind.INVALID_INPUT,
                    "the input is " + input.length + " bytes, more than the input limit of " + max + " bytes");
        }
        try {
            if (JSON.readTree(input) == null || input.length == 0) {
                return new Outcome.Failure(
                        FailureKind.INVALID_INPUT, "the input is empty; ABI v1 expects one JSON value");
            }
        } catch (JacksonException e) {
            return new Outcome.Failure(
                    FailureKind.INVALID_INPUT, "the input is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return new Outcome.Failure(FailureKind.INVALID_INPUT, "the input cannot be read: " + e.getMessage());
        }
        return null;
    }
}
