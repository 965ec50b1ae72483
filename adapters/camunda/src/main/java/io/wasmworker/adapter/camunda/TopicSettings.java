package io.wasmworker.adapter.camunda;

import io.wasmworker.task.TaskBinding;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One external-task topic and the guest that serves it.
 *
 * @param topic                the topic name
 * @param binding              the artifact, its limits and checkpoint policy
 * @param variables            the variables fetched as the guest's input (empty: all)
 * @param localVariables       fetch only the task's local variables (its input mappings), not the
 *                             variables of the scopes above it
 * @param localOutput          complete with the output as local variables of the task instead of
 *                             process variables
 * @param lockDuration         how long a fetched task is locked; extended while its guest runs
 * @param maxConcurrent        guests running at once for this topic (and tasks locked at once)
 * @param maxRetries           retries after the first attempt before an incident
 * @param backoff              delay before each retry
 * @param filter               which of the topic's tasks to fetch
 * @param usePriority          fetch tasks of higher priority first (the engine's task priority)
 * @param createTimeOrder      then fetch by creation time, oldest or newest first (null: the
 *                             engine's order)
 * @param includeExtensionProperties give the guest the task's BPMN extension properties (as
 *                             {@code WASM_WORKER_TASK_EXTENSION_PROPERTIES}); they are fetched
 *                             either way, for {@link ModelSettings}
 */
public record TopicSettings(
        String topic,
        TaskBinding binding,
        List<String> variables,
        boolean localVariables,
        boolean localOutput,
        Duration lockDuration,
        int maxConcurrent,
        int maxRetries,
        RetryBackoff backoff,
        TaskFilter filter,
        boolean usePriority,
        CreateTimeOrder createTimeOrder,
        boolean includeExtensionProperties) {
    public static final Duration DEFAULT_LOCK = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    public static final int DEFAULT_MAX_RETRIES = 3;
    /** The official client's default, kept: a task's priority counts unless the topic says otherwise. */
    public static final boolean DEFAULT_USE_PRIORITY = true;

    /** The order of tasks of equal priority (or of all, without {@link #usePriority}) by creation time. */
    public enum CreateTimeOrder {
        /** Oldest first. */
        ASC,
        /** Newest first. */
        DESC
    }

    public TopicSettings {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(binding, "binding");
        variables = List.copyOf(variables);
        Objects.requireNonNull(filter, "filter");
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
                .localVariables(localVariables)
                .localOutput(localOutput)
                .lockDuration(lockDuration)
                .maxConcurrent(maxConcurrent)
                .maxRetries(maxRetries)
                .backoff(backoff)
                .processDefinitionKeys(filter.processDefinitionKeys())
                .processDefinitionIds(filter.processDefinitionIds())
                .processDefinitionVersionTag(filter.processDefinitionVersionTag())
                .processVariables(filter.processVariables())
                .tenantIds(filter.tenantIds())
                .withoutTenantId(filter.withoutTenantId())
                .businessKey(filter.businessKey())
                .usePriority(usePriority)
                .createTimeOrder(createTimeOrder)
                .includeExtensionProperties(includeExtensionProperties);
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
        return toBuilder().processDefinitionKeys(List.of(key)).build();
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
        private boolean localVariables;
        private boolean localOutput;
        private Duration lockDuration = DEFAULT_LOCK;
        private int maxConcurrent = DEFAULT_MAX_CONCURRENT;
        private int maxRetries = DEFAULT_MAX_RETRIES;
        private RetryBackoff backoff = RetryBackoff.DEFAULT;
        private List<String> processDefinitionKeys = List.of();
        private List<String> processDefinitionIds = List.of();
        private String processDefinitionVersionTag;
        private Map<String, Object> processVariables = Map.of();
        private List<String> tenantIds = List.of();
        private boolean withoutTenantId;
        private String businessKey;
        private boolean usePriority = DEFAULT_USE_PRIORITY;
        private CreateTimeOrder createTimeOrder;
        private boolean includeExtensionProperties;

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

        /** Fetch only the task's local variables (default: all variables visible to the task). */
        public Builder localVariables(Boolean local) {
            if (local != null) {
                localVariables = local;
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

        /** Only tasks of this process definition key (null: any). */
        public Builder processDefinitionKey(String key) {
            processDefinitionKeys = key == null ? List.of() : List.of(key);
            return this;
        }

        /** Only tasks of these process definition keys (default: any). */
        public Builder processDefinitionKeys(List<String> keys) {
            if (keys != null) {
                processDefinitionKeys = keys;
            }
            return this;
        }

        /** Only tasks of these process definition ids (default: any). */
        public Builder processDefinitionIds(List<String> ids) {
            if (ids != null) {
                processDefinitionIds = ids;
            }
            return this;
        }

        /** Only tasks of process definitions with this version tag (default: any). */
        public Builder processDefinitionVersionTag(String tag) {
            processDefinitionVersionTag = tag;
            return this;
        }

        /** Only tasks whose process has at least one of these variables equal to its value (default: any). */
        public Builder processVariables(Map<String, Object> equal) {
            if (equal != null) {
                processVariables = equal;
            }
            return this;
        }

        public Builder tenantIds(List<String> ids) {
            if (ids != null) {
                tenantIds = ids;
            }
            return this;
        }

        /** Only tasks that belong to no tenant (default: false, any tenant or none). */
        public Builder withoutTenantId(Boolean without) {
            if (without != null) {
                withoutTenantId = without;
            }
            return this;
        }

        /** Fetch tasks of higher priority first (default: true). */
        public Builder usePriority(Boolean use) {
            if (use != null) {
                usePriority = use;
            }
            return this;
        }

        /** Then by creation time (default: null, the engine's order). */
        public Builder createTimeOrder(CreateTimeOrder order) {
            createTimeOrder = order;
            return this;
        }

        /** Give the guest the task's extension properties (default: false). */
        public Builder includeExtensionProperties(Boolean include) {
            if (include != null) {
                includeExtensionProperties = include;
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
                    localVariables,
                    localOutput,
                    lockDuration,
                    maxConcurrent,
                    maxRetries,
                    backoff,
                    new TaskFilter(
                            processDefinitionKeys,
                            processDefinitionIds,
                            processDefinitionVersionTag,
                            processVariables,
                            tenantIds,
                            withoutTenantId,
                            businessKey),
                    usePriority,
                    createTimeOrder,
                    includeExtensionProperties);
        }
    }
}
