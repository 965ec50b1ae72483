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

    public String stderrTailText() {
        return new String(stderrTail, StandardCharsets.UTF_8);
    }

    /** A one-line summary: outcome, wall time, peak memory, output size. */
    public String report() {
        String code = outcome instanceof Outcome.BusinessError b ? " code=" + b.code() : "";
        String reason = outcome instanceof Outcome.Failure f ? " reason=\"" + f.reason().replace("\"", "'") + "\"" : "";
        return String.format(java.util.Locale.ROOT,
                "outcome=%s%s wall=%.1fms peak_memory=%dKiB output=%dB host_calls=%d%s",
                outcome.label(), code, metrics.wallNanos() / 1e6, metrics.peakMemoryBytes() >> 10,
                metrics.outputBytes(), metrics.hostCalls(), reason);
    }
}
