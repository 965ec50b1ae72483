package io.wasmworker.adapter.camunda;

/**
 * How many attempts a fetched task has left, decided before its guest runs.
 *
 * <p>The engine's {@code retries} is the budget: null until the first reported failure (then the
 * topic's {@code maxRetries + 1} attempts), afterwards what the last failure report set, or what an
 * operator set after an incident (a new budget). Reported failures are counted by the engine; the
 * worker only adds the attempts the engine cannot see: those that lost their lock (their worker
 * died or stalled) without reporting. They are the attempts counted in the snapshot store since the
 * later of
 *
 * <ul>
 *   <li>the last reported failure (its attempt number is in the error details), and</li>
 *   <li>the attempt that wrote the task's latest checkpoint: an attempt that advanced the checkpoint
 *       made progress, so it and the attempts before it are forgiven.</li>
 * </ul>
 *
 * The store keeps only the latest checkpoint's attempt, so a lost attempt that advanced the
 * checkpoint but was followed by one that did not is forgiven too; it made progress all the same.
 *
 * @param attempt   this attempt's number in the store (1 for the first, never reset)
 * @param remaining attempts left including this one; 0 or less: give up before running
 * @param lostLocks attempts charged for losing their lock since the last report or progress
 * @param budget    the attempts the engine's retries allowed at fetch
 */
record AttemptBudget(int attempt, int remaining, int lostLocks, int budget) {

    /**
     * @param attempt           this attempt's number in the snapshot store
     * @param retries           the fetched task's retries (null before any failure was reported)
     * @param reportedAttempt   the attempt number of the last reported failure (0 if none or unknown)
     * @param progressAttempt   the attempt that wrote the latest checkpoint (0 if none)
     * @param maxAttempts       the topic's attempts for a task no failure was reported for yet
     */
    static AttemptBudget of(int attempt, Integer retries, int reportedAttempt, int progressAttempt, int maxAttempts) {
        int budget = retries == null ? maxAttempts : retries;
        int since = Math.max(reportedAttempt, progressAttempt);
        // attempt numbers from another store (workers not sharing one) can be ahead of ours: never negative
        int lost = Math.max(0, attempt - 1 - since);
        return new AttemptBudget(attempt, budget - lost, lost, budget);
    }

    boolean exhausted() {
        return remaining <= 0;
    }

    /** The retries to report when this attempt fails: at 0 the engine raises an incident. */
    int retriesAfterFailure() {
        return Math.max(0, remaining - 1);
    }

    /** Which failure of the budget this one is (1 = the first), for the retry backoff. */
    int failureNumber(int maxAttempts) {
        return Math.max(1, maxAttempts - remaining + 1);
    }

    /** Why the task is given up without running, for the incident. */
    String exhaustedReason() {
        return "gave up before attempt " + attempt + ": only " + budget + " attempts are allowed, and " + lostLocks
                + " earlier attempts lost their lock (their worker died or stalled) without advancing the checkpoint";
    }
}
