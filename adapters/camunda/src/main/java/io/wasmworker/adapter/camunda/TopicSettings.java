package io.wasmworker.adapter.camunda;

import io.wasmworker.task.TaskBinding;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One external-task topic and the guest that serves it.
 *
 * @param topic                the topic name
 * @param binding              the artifact, its limits and checkpoint policy
 * @param variables            the variables fetched as the guest's input (empty: all)
 * @param localOutput          complete with the output as local variables of the task instead of
 *                             process variables
 * @param lockDuration         how long a fetched task is locked; extended while its guest runs
 * @param maxConcurrent        guests running at once for this topic (and tasks locked at once)
 * @param maxRetries           retries after the first attempt before an incident
 * @param backoff              delay before each retry
 * @param processDefinitionKey only tasks of this process (null: any)
 * @param tenantIds            only tasks of these tenants (empty: any)
 * @param businessKey          only tasks of this business key (null: any)
 */
public record TopicSettings(
        String topic,
        TaskBinding binding,
        List<String> variables,
        boolean localOutput,
        Duration lockDuration,
        int maxConcurrent,
        int maxRetries,
        RetryBackoff backoff,
        String processDefinitionKey,
        List<String> tenantIds,
        String businessKey) {
    public static final Duration DEFAULT_LOCK = Duration.ofSeconds(60);

    public TopicSettings {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(binding, "binding");
        variables = List.copyOf(variables);
        tenantIds = List.copyOf(tenantIds);
        lockDuration = lockDuration == null ? DEFAULT_LOCK : lockDuration;
        backoff = backoff == null ? RetryBackoff.DEFAULT : backoff;
        if (lockDuration.toMillis() < 1000) {
            throw new IllegalArgumentException(
                    "topic '" + topic + "': lock duration must be at least 1s, got " + lockDuration);
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("topic '" + topic + "': max concurrent tasks must be 1 or more");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("topic '" + topic + "': max retries must not be negative");
        }
    }

    /** A topic with defaults: all variables, process variables out, 2 concurrent tasks, 3 retries. */
    public static TopicSettings of(String topic, TaskBinding binding) {
        return new TopicSettings(
                topic, binding, List.of(), false, DEFAULT_LOCK, 2, 3, RetryBackoff.DEFAULT, null, List.of(), null);
    }

    public TopicSettings withRetries(int retries, RetryBackoff retryBackoff) {
        return new TopicSettings(
                topic,
                binding,
                variables,
                localOutput,
                lockDuration,
                maxConcurrent,
                retries,
                retryBackoff,
                processDefinitionKey,
                tenantIds,
                businessKey);
    }

    public TopicSettings withLockDuration(Duration lock) {
        return new TopicSettings(
                topic,
                binding,
                variables,
                localOutput,
                lock,
                maxConcurrent,
                maxRetries,
                backoff,
                processDefinitionKey,
                tenantIds,
                businessKey);
    }

    public TopicSettings withMaxConcurrent(int n) {
        return new TopicSettings(
                topic,
                binding,
                variables,
                localOutput,
                lockDuration,
                n,
                maxRetries,
                backoff,
                processDefinitionKey,
                tenantIds,
                businessKey);
    }

    public TopicSettings withProcessDefinitionKey(String key) {
        return new TopicSettings(
                topic,
                binding,
                variables,
                localOutput,
                lockDuration,
                maxConcurrent,
                maxRetries,
                backoff,
                key,
                tenantIds,
                businessKey);
    }

    /** Attempts in all: the first plus the retries. */
    public int maxAttempts() {
        return maxRetries + 1;
    }
}
