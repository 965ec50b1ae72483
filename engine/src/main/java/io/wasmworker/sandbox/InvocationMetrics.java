package io.wasmworker.sandbox;

/**
 * What one guest run cost; the daemon exports these.
 *
 * @param wallNanos        from instantiation to the end of the run
 * @param peakMemoryBytes  linear memory at its largest (Wasm memory never shrinks)
 * @param hostCalls        calls from the guest into the host (WASI and wasm_worker)
 * @param inputBytes       stdin size
 * @param outputBytes      stdout size
 * @param stderrBytes      everything written to stderr (only the tail is kept)
 * @param outcome          the outcome's label
 * @param checkpoints      checkpoints written by this run
 * @param checkpointBytes  their encoded size
 * @param checkpointNanos  time spent taking and storing them
 * @param resumedFromSequence the checkpoint this run resumed from (0: it started fresh)
 * @param checkpointReference the task's latest checkpoint ({@code <taskKey>@<generation>}), or null
 */
public record InvocationMetrics(
        long wallNanos,
        long peakMemoryBytes,
        long hostCalls,
        long inputBytes,
        long outputBytes,
        long stderrBytes,
        String outcome,
        int checkpoints,
        long checkpointBytes,
        long checkpointNanos,
        long resumedFromSequence,
        String checkpointReference) {

    /** Metrics of a run that never started (its input was rejected, or it could not be stopped). */
    public static InvocationMetrics notRun(long wallNanos, long inputBytes, String outcome) {
        return new InvocationMetrics(wallNanos, 0, 0, inputBytes, 0, 0, outcome, 0, 0, 0, 0, null);
    }
}
