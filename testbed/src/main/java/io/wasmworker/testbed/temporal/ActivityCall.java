package io.wasmworker.testbed.temporal;

/**
 * What {@link CallActivityWorkflow} calls: an activity by type name on a task queue, with its
 * input, timeouts and retry policy (the caller's, as in any workflow).
 *
 * @param activityType      the activity type (any name: the worker maps it to a guest)
 * @param taskQueue         where the activity worker polls
 * @param input             the single argument (a Map becomes the guest's input object)
 * @param maxAttempts       retry policy: attempts in all (1: no retry)
 * @param startToCloseMillis timeout of one attempt
 * @param heartbeatTimeoutMillis 0 for none
 * @param retryIntervalMillis initial (and, with backoff 1, every) retry interval
 */
public record ActivityCall(
        String activityType,
        String taskQueue,
        Object input,
        int maxAttempts,
        long startToCloseMillis,
        long heartbeatTimeoutMillis,
        long retryIntervalMillis) {

    /** One attempt, 30 s, no heartbeat timeout. */
    public static ActivityCall once(String activityType, String taskQueue, Object input) {
        return new ActivityCall(activityType, taskQueue, input, 1, 30_000, 0, 100);
    }

    public ActivityCall withRetries(int attempts, long intervalMillis) {
        return new ActivityCall(
                activityType, taskQueue, input, attempts, startToCloseMillis, heartbeatTimeoutMillis, intervalMillis);
    }

    public ActivityCall withHeartbeatTimeout(long millis) {
        return new ActivityCall(
                activityType, taskQueue, input, maxAttempts, startToCloseMillis, millis, retryIntervalMillis);
    }

    public ActivityCall withStartToClose(long millis) {
        return new ActivityCall(
                activityType, taskQueue, input, maxAttempts, millis, heartbeatTimeoutMillis, retryIntervalMillis);
    }
}
