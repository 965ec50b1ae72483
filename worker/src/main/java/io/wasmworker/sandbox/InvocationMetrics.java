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
 */
public record InvocationMetrics(
        long wallNanos,
        long peakMemoryBytes,
        long hostCalls,
        long inputBytes,
        long outputBytes,
        long stderrBytes,
        String outcome) {}
