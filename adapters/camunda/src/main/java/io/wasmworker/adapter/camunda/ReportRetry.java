package io.wasmworker.adapter.camunda;

import java.time.Duration;
import org.camunda.bpm.client.exception.BadRequestException;
import org.camunda.bpm.client.exception.ConnectionLostException;
import org.camunda.bpm.client.exception.NotFoundException;
import org.camunda.bpm.client.exception.RestException;

/**
 * When a report to the engine (complete, failure, BPMN error, unlock) that failed is worth sending
 * again: transient errors are retried a few times with backoff, bounded in count and time, instead
 * of leaving the task to wait for its lock to expire and run again. A refusal because the task is
 * no longer ours (400, 404) is never retried.
 *
 * @param maxTries  sends in all, the first included
 * @param initial   the delay before the first retry, doubled for each later one
 * @param maxTotal  no retry starts later than this after the first send
 */
record ReportRetry(int maxTries, Duration initial, Duration maxTotal) {
    static final ReportRetry DEFAULT = new ReportRetry(5, Duration.ofMillis(200), Duration.ofSeconds(15));

    /** Camunda's code for an optimistic-locking conflict (BuiltinExceptionCode.OPTIMISTIC_LOCKING). */
    private static final int OPTIMISTIC_LOCKING_CODE = 1;

    /**
     * Transient: the connection failed, the engine saw a concurrent modification (optimistic
     * locking, {@code ENGINE-03005}, HTTP 500), or a proxy in front of it is unavailable (502,
     * 503, 504). Other 500s (a variable too long for the database, say) will not pass on a retry.
     */
    static boolean isTransient(RuntimeException e) {
        if (e instanceof NotFoundException || e instanceof BadRequestException) {
            return false;
        }
        if (e instanceof ConnectionLostException) {
            return true;
        }
        if (e instanceof RestException rest) {
            Integer status = rest.getHttpStatusCode();
            if (status != null && (status == 502 || status == 503 || status == 504)) {
                return true;
            }
        }
        // the client wraps the engine's answer (type, code, message) as the cause of its own exception
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RestException rest
                    && ("OptimisticLockingException".equals(rest.getType())
                            || Integer.valueOf(OPTIMISTIC_LOCKING_CODE).equals(rest.getCode()))) {
                return true;
            }
            String message = String.valueOf(t.getMessage());
            if (message.contains("ENGINE-03005") || message.contains("OptimisticLockingException")) {
                return true;
            }
        }
        return false;
    }

    /** The delay before the given retry (1 = the first retry). */
    Duration delayBefore(int retry) {
        return initial.multipliedBy(1L << Math.min(20, Math.max(0, retry - 1)));
    }
}
