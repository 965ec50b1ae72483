package io.wasmworker.adapter.camunda;

import java.time.Duration;

/**
 * The delay before a failed task is retried: {@code initial × multiplier^(n-1)} after the n-th
 * failed attempt, at most {@code max}.
 */
public record RetryBackoff(Duration initial, double multiplier, Duration max) {
    public static final RetryBackoff DEFAULT = new RetryBackoff(Duration.ofSeconds(5), 2.0, Duration.ofMinutes(5));

    public RetryBackoff {
        if (initial.isNegative() || max.compareTo(initial) < 0 || multiplier < 1.0) {
            throw new IllegalArgumentException("retry backoff needs 0 <= initial <= max and multiplier >= 1, got "
                    + initial + ", " + multiplier + ", " + max);
        }
    }

    /** The delay after the given failed attempt (1 = the first). */
    public Duration after(int failedAttempt) {
        double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, failedAttempt - 1));
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
}
