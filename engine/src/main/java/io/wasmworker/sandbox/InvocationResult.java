package io.wasmworker.sandbox;

import java.nio.charset.StandardCharsets;

/**
 * A finished run.
 *
 * @param outcome     success, business error or failure
 * @param stdout      the guest's output bytes exactly as written (for a success: its JSON)
 * @param stderrTail  the end of what the guest wrote to stderr
 * @param metrics     what it cost
 */
public record InvocationResult(Outcome outcome, byte[] stdout, byte[] stderrTail, InvocationMetrics metrics) {

    /**
     * The host failed (an Error, a bug): an {@code internal} failure naming what was thrown. Never throws;
     * when even building the result fails (no heap left), a prepared one is returned.
     */
    public static InvocationResult hostFailure(long inputBytes, Throwable t) {
        try {
            String reason = t instanceof OutOfMemoryError
                    ? "the worker's heap ran out outside the guest's own allocations (" + t + "); raise -Xmx or"
                            + " lower concurrency or memory limits"
                    : "the host failed while running the guest: " + t;
            Outcome failure = new Outcome.Failure(FailureKind.INTERNAL, reason);
            return new InvocationResult(
                    failure, new byte[0], new byte[0], InvocationMetrics.notRun(0, inputBytes, failure.label()));
        } catch (Throwable again) {
            return HOST_FAILED;
        }
    }

    private static final InvocationResult HOST_FAILED = new InvocationResult(
            new Outcome.Failure(
                    FailureKind.INTERNAL,
                    "the host failed while running the guest and could not say" + " why (out of heap?)"),
            new byte[0],
            new byte[0],
            InvocationMetrics.notRun(0, 0, FailureKind.INTERNAL.label()));

    public String stderrTailText() {
        return new String(stderrTail, StandardCharsets.UTF_8);
    }

    /**
     * A one-line summary: outcome, wall time, peak memory, output size. Safe for logs and terminals:
     * the guest's words in it (a business error code, a reason quoting it) have controls escaped.
     */
    public String report() {
        String code = outcome instanceof Outcome.BusinessError b ? " code=" + GuestText.escapeLine(b.code()) : "";
        String reason = outcome instanceof Outcome.Failure f
                ? " reason=\"" + GuestText.escapeLine(f.reason().replace("\"", "'")) + "\""
                : "";
        return String.format(
                java.util.Locale.ROOT,
                "outcome=%s%s wall=%.1fms peak_memory=%dKiB output=%dB host_calls=%d%s",
                outcome.label(),
                code,
                metrics.wallNanos() / 1e6,
                metrics.peakMemoryBytes() >> 10,
                metrics.outputBytes(),
                metrics.hostCalls(),
                reason);
    }
}
