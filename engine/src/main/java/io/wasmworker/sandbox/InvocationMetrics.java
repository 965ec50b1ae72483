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
        return builder(outcome).wallNanos(wallNanos).inputBytes(inputBytes).build();
    }

    /** Metrics ending in {@code outcome}; every count starts at 0 and the reference at none. */
    public static Builder builder(String outcome) {
        return new Builder(outcome);
    }

    /** The metrics by name: a run sets what it measured. */
    public static final class Builder {
        private final String outcome;
        private long wallNanos;
        private long peakMemoryBytes;
        private long hostCalls;
        private long inputBytes;
        private long outputBytes;
        private long stderrBytes;
        private int checkpoints;
        private long checkpointBytes;
        private long checkpointNanos;
        private long resumedFromSequence;
        private String checkpointReference;

        private Builder(String outcome) {
            this.outcome = outcome;
        }

        public Builder wallNanos(long nanos) {
            wallNanos = nanos;
            return this;
        }

        public Builder peakMemoryBytes(long bytes) {
            peakMemoryBytes = bytes;
            return this;
        }

        public Builder hostCalls(long calls) {
            hostCalls = calls;
            return this;
        }

        public Builder inputBytes(long bytes) {
            inputBytes = bytes;
            return this;
        }

        public Builder outputBytes(long bytes) {
            outputBytes = bytes;
            return this;
        }

        public Builder stderrBytes(long bytes) {
            stderrBytes = bytes;
            return this;
        }

        /** What the run's checkpoints cost: how many, their encoded size, the time taking and storing them. */
        public Builder checkpoints(int count, long bytes, long nanos) {
            checkpoints = count;
            checkpointBytes = bytes;
            checkpointNanos = nanos;
            return this;
        }

        public Builder resumedFromSequence(long sequence) {
            resumedFromSequence = sequence;
            return this;
        }

        /** The task's latest checkpoint ({@code <taskKey>@<generation>}); null: none. */
        public Builder checkpointReference(String reference) {
            checkpointReference = reference;
            return this;
        }

        public InvocationMetrics build() {
            return new InvocationMetrics(
                    wallNanos,
                    peakMemoryBytes,
                    hostCalls,
                    inputBytes,
                    outputBytes,
                    stderrBytes,
                    outcome,
                    checkpoints,
                    checkpointBytes,
                    checkpointNanos,
                    resumedFromSequence,
                    checkpointReference);
        }
    }
}
