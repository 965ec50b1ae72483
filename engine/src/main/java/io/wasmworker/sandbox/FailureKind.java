package io.wasmworker.sandbox;

/** Why a guest run failed. */
public enum FailureKind {
    /** The guest trapped (unreachable, out-of-bounds access, division by zero...). */
    TRAP,
    /** The guest exited with a code other than 0 or the business-error code. */
    EXIT,
    /** The guest ran past its wall-clock limit and was stopped. */
    TIMEOUT,
    /**
     * The guest needed more memory than its limit, which covers linear memory and tables together (a
     * refused memory.grow or table.grow, or too large to start), or its own allocation within the limit
     * found the worker's heap exhausted.
     */
    MEMORY_LIMIT,
    /** The caller interrupted the run (not the time limit): the worker is shutting down, for example. */
    CANCELLED,
    /**
     * The worker asked the guest to stop at a checkpoint (graceful shutdown) and it did: a retry
     * resumes from that checkpoint.
     */
    SUSPENDED,
    /** The guest wrote more than its output limit. */
    OUTPUT_LIMIT,
    /** The guest recursed past the call-depth limit. */
    STACK_OVERFLOW,
    /** The guest finished but its output breaks the ABI (not JSON, malformed business error). */
    INVALID_OUTPUT,
    /** The input was rejected before the guest ran (not JSON, over the input limit). */
    INVALID_INPUT,
    /**
     * A checkpoint could not be restored (missing, damaged or foreign snapshot) or written (store
     * failure, or fenced off by a newer attempt). Never silently replaced by a fresh start.
     */
    CHECKPOINT,
    /**
     * The task's artifact could not be used: no artifact by that name, missing or damaged bytes
     * (digest mismatch), or not a valid module for this host. Retryable: a deploy may fix it.
     */
    ARTIFACT,
    /**
     * A resumed guest made a journaled host call that differs from the one its task recorded under the
     * same sequence number: it does not repeat what it did, so its recorded effects cannot stand for
     * this run's. Retrying will not help until the guest (or its input) is fixed.
     */
    NON_DETERMINISM,
    /**
     * The host itself failed: a bug, or the worker's heap ran out outside the guest's own allocations
     * (over-committed); reported with its cause.
     */
    INTERNAL;

    /** Lowercase name for reports and metrics tags. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
