package io.wasmworker.adapter.camunda;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.task.TaskBinding;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Task settings the BPMN model carries as extension properties of the external task
 * ({@code camunda:properties}), overriding the topic's: {@value #ARTIFACT} pins the guest
 * ({@code sha256:<hex>} or a name; the topic's limits and checkpoint policy still apply), and
 * {@value #RETRY_TIME_CYCLE} sets the retries and their delays in the notation of Camunda's
 * {@code failedJobRetryTimeCycle}: {@code R3/PT5M} (3 retries, 5 minutes apart) or a list
 * {@code PT1M,PT5M,PT10M} (one retry per entry, after that delay).
 *
 * @param artifact the pinned artifact, or null for the topic's
 * @param delays   the delay before each retry (its size is the retries), or null for the topic's
 *                 {@code maxRetries} and {@code backoff}
 */
record ModelSettings(ArtifactRef artifact, List<Duration> delays) {
    static final String ARTIFACT = "wasm-worker.artifact";
    static final String RETRY_TIME_CYCLE = "wasm-worker.retryTimeCycle";
    static final ModelSettings NONE = new ModelSettings(null, null);
    /** As many retries as a topic's {@code maxRetries} may have. */
    static final int MAX_RETRIES = 1000;

    private static final Pattern REPEAT = Pattern.compile("R(\\d{1,4})/(P\\S+)");

    /** A model setting that cannot be used: the model is wrong, and a retry would not fix it. */
    static final class InvalidModelSettingException extends Exception {
        InvalidModelSettingException(String message) {
            super(message);
        }
    }

    /** The settings in a task's extension properties (null or empty: none). */
    static ModelSettings of(Map<String, String> properties) throws InvalidModelSettingException {
        if (properties == null || properties.isEmpty()) {
            return NONE;
        }
        ArtifactRef artifact = null;
        String pinned = properties.get(ARTIFACT);
        if (pinned != null) {
            try {
                artifact = ArtifactRef.parse(pinned.strip());
            } catch (IllegalArgumentException e) {
                throw new InvalidModelSettingException("extension property " + ARTIFACT + ": " + e.getMessage());
            }
        }
        String cycle = properties.get(RETRY_TIME_CYCLE);
        return new ModelSettings(artifact, cycle == null ? null : retryTimeCycle(cycle.strip()));
    }

    private static List<Duration> retryTimeCycle(String cycle) throws InvalidModelSettingException {
        String expected = "extension property " + RETRY_TIME_CYCLE + " '" + cycle + "' is not a retry time cycle"
                + " (R<retries>/<ISO-8601 duration>, e.g. R3/PT5M, or a list of durations, e.g. PT1M,PT5M,PT10M)";
        List<Duration> delays = new ArrayList<>();
        Matcher repeat = REPEAT.matcher(cycle);
        if (repeat.matches()) {
            int retries = Integer.parseInt(repeat.group(1));
            if (retries > MAX_RETRIES) {
                throw new InvalidModelSettingException("extension property " + RETRY_TIME_CYCLE + " '" + cycle
                        + "' asks for " + retries + " retries; at most " + MAX_RETRIES + " are allowed");
            }
            Duration delay = duration(repeat.group(2), expected);
            for (int i = 0; i < retries; i++) {
                delays.add(delay);
            }
        } else {
            if (cycle.isEmpty()) {
                throw new InvalidModelSettingException(expected);
            }
            for (String entry : cycle.split(",", -1)) {
                delays.add(duration(entry.strip(), expected));
            }
            if (delays.size() > MAX_RETRIES) {
                throw new InvalidModelSettingException("extension property " + RETRY_TIME_CYCLE + " lists "
                        + delays.size() + " retries; at most " + MAX_RETRIES + " are allowed");
            }
        }
        return List.copyOf(delays);
    }

    private static Duration duration(String text, String expected) throws InvalidModelSettingException {
        Duration d;
        try {
            d = Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidModelSettingException(expected);
        }
        if (d.isNegative() || d.compareTo(Duration.ofDays(30)) > 0) {
            throw new InvalidModelSettingException("extension property " + RETRY_TIME_CYCLE + ": delay " + text
                    + " is out of range: allowed PT0S to P30D");
        }
        return d;
    }

    /** The topic's binding with the pinned artifact, if the model pins one. */
    TaskBinding binding(TaskBinding topic) {
        return artifact == null ? topic : new TaskBinding(artifact, topic.limits(), topic.checkpoints());
    }

    /** Attempts in all for a task no failure was reported for yet: the model's retries, else the topic's. */
    int maxAttempts(TopicSettings topic) {
        return delays == null ? topic.maxAttempts() : delays.size() + 1;
    }

    /** The delay after the given failure (1 = the first): the model's, else the topic's backoff. */
    Duration delayAfter(int failure, TopicSettings topic) {
        if (delays == null) {
            return topic.backoff().after(failure);
        }
        if (delays.isEmpty()) {
            return Duration.ZERO;
        }
        return delays.get(Math.min(Math.max(failure, 1), delays.size()) - 1);
    }
}
