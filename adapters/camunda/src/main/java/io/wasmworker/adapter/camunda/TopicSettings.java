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
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    public static final int DEFAULT_MAX_RETRIES = 3;

    public TopicSettings {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(binding, "binding");
        variables = List.copyOf(variables);
        tenantIds = List.copyOf(tenantIds);
        Objects.requireNonNull(lockDuration, "lockDuration");
        Objects.requireNonNull(backoff, "backoff");
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

    /** The topic and its guest; everything else starts at its default (see {@link Builder}). */
    public static Builder builder(String topic, TaskBinding binding) {
        return new Builder(topic, binding);
    }

    /** A topic with defaults: all variables, process variables out, 2 concurrent tasks, 3 retries. */
    public static TopicSettings of(String topic, TaskBinding binding) {
        return builder(topic, binding).build();
    }

    /** A builder holding these settings, to change some. */
    public Builder toBuilder() {
        return builder(topic, binding)
                .variables(variables)
                .localOutput(localOutput)
                .lockDuration(lockDuration)
                .maxConcurrent(maxConcurrent)
                .maxRetries(maxRetries)
                .backoff(backoff)
                .processDefinitionKey(processDefinitionKey)
                .tenantIds(tenantIds)
                .businessKey(businessKey);
    }

    public TopicSettings withRetries(int retries, RetryBackoff retryBackoff) {
        return toBuilder().maxRetries(retries).backoff(retryBackoff).build();
    }

    public TopicSettings withLockDuration(Duration lock) {
        return toBuilder().lockDuration(lock).build();
    }

    public TopicSettings withMaxConcurrent(int n) {
        return toBuilder().maxConcurrent(n).build();
    }

    public TopicSettings withProcessDefinitionKey(String key) {
        return toBuilder().processDefinitionKey(key).build();
    }

    /** Attempts in all: the first plus the retries. */
    public int maxAttempts() {
        return maxRetries + 1;
    }

    /**
     * A topic's settings by name, with every default in one place: here. A null argument keeps the
     * default (a configuration that leaves the field out); {@link #build()} validates.
     */
    public static final class Builder {
        private final String topic;
        private final TaskBinding binding;
        private List<String> variables = List.of();
        private boolean localOutput;
        private Duration lockDuration = DEFAULT_LOCK;
        private int maxConcurrent = DEFAULT_MAX_CONCURRENT;
        private int maxRetries = DEFAULT_MAX_RETRIES;
        private RetryBackoff backoff = RetryBackoff.DEFAULT;
        private String processDefinitionKey;
        private List<String> tenantIds = List.of();
        private String businessKey;

        private Builder(String topic, TaskBinding binding) {
            this.topic = topic;
            this.binding = binding;
        }

        /** The variables fetched as the guest's input (default: all). */
        public Builder variables(List<String> names) {
            if (names != null) {
                variables = names;
            }
            return this;
        }

        /** Complete with the output as local variables (default: process variables). */
        public Builder localOutput(Boolean local) {
            if (local != null) {
                localOutput = local;
            }
            return this;
        }

        public Builder lockDuration(Duration lock) {
            if (lock != null) {
                lockDuration = lock;
            }
            return this;
        }

        public Builder maxConcurrent(Integer n) {
            if (n != null) {
                maxConcurrent = n;
            }
            return this;
        }

        public Builder maxRetries(Integer n) {
            if (n != null) {
                maxRetries = n;
            }
            return this;
        }

        public Builder backoff(RetryBackoff retryBackoff) {
            if (retryBackoff != null) {
                backoff = retryBackoff;
            }
            return this;
        }

        public Builder processDefinitionKey(String key) {
            processDefinitionKey = key;
            return this;
        }

        public Builder tenantIds(List<String> ids) {
            if (ids != null) {
                tenantIds = ids;
            }
            return this;
        }

        public Builder businessKey(String key) {
            businessKey = key;
            return this;
        }

        public TopicSettings build() {
            return new TopicSettings(
                    topic,
                    binding,
                    variables,
                    localOutput,
                    lockDuration,
                    maxConcurrent,
                    maxRetries,
                    backoff,
                    processDefinitionKey,
                    tenantIds,
                    businessKey);
        }
    }
}
