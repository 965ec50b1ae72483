package io.wasmworker.sandbox;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.wasmworker.abi.AbiV1;
import java.nio.charset.StandardCharsets;

/** Reads a finished guest's exit code and stdout as ABI v1 prescribes. */
public final class OutcomeDecoder {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private OutcomeDecoder() {}

    public static Outcome decode(int exitCode, byte[] stdout) {
        if (exitCode == 0) {
            try {
                return new Outcome.Success(parse(stdout));
            } catch (IllegalArgumentException e) {
                return new Outcome.Failure(FailureKind.INVALID_OUTPUT, e.getMessage());
            }
        }
        if (exitCode == AbiV1.EXIT_BUSINESS_ERROR) {
            return decodeBusinessError(stdout);
        }
        return new Outcome.Failure(FailureKind.EXIT, "the guest exited with code " + exitCode);
    }

    private static Outcome decodeBusinessError(byte[] stdout) {
        String expected =
                " (ABI v1: exit code 3 means a business error, with {\"code\": \"...\", \"message\": \"...\"} on stdout)";
        JsonNode error;
        try {
            error = parse(stdout);
        } catch (IllegalArgumentException e) {
            return new Outcome.Failure(FailureKind.INVALID_OUTPUT, e.getMessage() + expected);
        }
        JsonNode code = error.get("code");
        if (!error.isObject()
                || code == null
                || !code.isTextual()
                || code.asText().isBlank()) {
            return new Outcome.Failure(
                    FailureKind.INVALID_OUTPUT, "the guest's business error has no non-empty string 'code'" + expected);
        }
        JsonNode message = error.get("message");
        if (message != null && !message.isTextual() && !message.isNull()) {
            return new Outcome.Failure(
                    FailureKind.INVALID_OUTPUT, "the guest's business error 'message' is not a string" + expected);
        }
        JsonNode details = error.has("details") ? error.get("details") : NullNode.getInstance();
        return new Outcome.BusinessError(
                code.asText(), message == null || message.isNull() ? "" : message.asText(), details);
    }

    /** Parses exactly one JSON value; the error quotes the start of what the guest wrote. */
    public static JsonNode parse(byte[] bytes) {
        if (bytes.length == 0 || new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            throw new IllegalArgumentException("the guest wrote no output; ABI v1 expects one JSON value on stdout");
        }
        try {
            return JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("the guest's output is not valid JSON: " + e.getOriginalMessage()
                    + " (output starts with: " + preview(bytes) + ")");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the guest's output cannot be read: " + e.getMessage());
        }
    }

    static String preview(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, 80), StandardCharsets.UTF_8);
        return JSON.getNodeFactory().textNode(text) + (bytes.length > 80 ? "..." : "");
    }
}
