package io.wasmworker.daemon.config;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.s3.S3Settings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's configuration file, as written (see {@code config/README.md}). Optional values are
 * null when absent; {@link DaemonPlan} applies the defaults and resolves artifacts.
 */
public record WorkerConfig(
        String home,
        Stores stores,
        Duration shutdownGrace,
        Http http,
        Map<String, Artifact> artifacts,
        Camunda camunda,
        Temporal temporal,
        Boolean allowHeapOvercommit) {

    public WorkerConfig {
        artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
        if (camunda == null && temporal == null) {
            throw new IllegalArgumentException(
                    "nothing to serve: configure 'camunda' topics, 'temporal' task queues, or both");
        }
    }

    /** This configuration with its artifact store at {@code location} (e.g. from {@code run --artifacts}). */
    public WorkerConfig withArtifactStore(String location) {
        Stores s = stores == null ? new Stores(null, null, null, null, null, null, null) : stores;
        return new WorkerConfig(
                home,
                new Stores(location, s.snapshots(), s.fsync(), s.gc(), s.encryption(), s.s3(), s.payloads()),
                shutdownGrace,
                http,
                artifacts,
                camunda,
                temporal,
                allowHeapOvercommit);
    }

    /** This configuration with another {@code temporal} section (e.g. with the {@code TEMPORAL_*} variables applied). */
    public WorkerConfig withTemporal(Temporal newTemporal) {
        return new WorkerConfig(
                home, stores, shutdownGrace, http, artifacts, camunda, newTemporal, allowHeapOvercommit);
    }

    /**
     * How the stores on S3 reach it: unset values come from the AWS SDK's standard settings (see
     * {@link S3Settings}). Checked by {@code ConfigChecks} before {@link #s3()} builds the settings.
     */
    public S3Settings s3() {
        S3 s3 = stores == null || stores.s3() == null ? new S3(null, null, null, null, null) : stores.s3();
        S3Settings.Builder settings = S3Settings.builder().region(s3.region()).pathStyle(s3.pathStyle());
        if (s3.endpoint() != null) {
            settings.endpoint(URI.create(s3.endpoint()));
        }
        if (s3.accessKeyId() != null && s3.secretAccessKey() != null) {
            settings.credentials(s3.accessKeyId(), s3.secretAccessKey());
        }
        return settings.build();
    }

    /**
     * Where artifacts and snapshots live (default: under {@code home}): each a directory or
     * {@code s3://BUCKET/PREFIX}.
     */
    public record Stores(
            String artifacts,
            String snapshots,
            Boolean fsync,
            Gc gc,
            Encryption encryption,
            S3 s3,
            Payloads payloads) {}

    /**
     * Snapshots sealed at rest (see {@code config/README.md}): the keys, by id, as base64 in
     * {@code keys} (from {@code ${ENV}}) or in {@code keysFile}; {@code current} seals, the others only open.
     */
    public record Encryption(String current, Map<String, String> keys, String keysFile, Boolean allowPlaintext) {}

    /**
     * Large payloads by reference (see {@code config/README.md}): where references may point and
     * large outputs go ({@code s3://BUCKET/PREFIX}), the most a task's references may stream, and the
     * size above which an output value is offloaded ({@code 0}: never).
     */
    public record Payloads(String location, ByteSize maxStreamedInput, ByteSize offloadAbove) {
        public Payloads {
            if (location == null || location.isBlank()) {
                throw new IllegalArgumentException("missing required field 'location'");
            }
        }
    }

    /** The S3 server of the stores on S3; each value unset falls back to the AWS SDK's standard settings. */
    public record S3(String endpoint, String region, Boolean pathStyle, String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "S3[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle + ", accessKeyId="
                    + accessKeyId + ", secretAccessKey=" + (secretAccessKey == null ? null : "(hidden)") + "]";
        }
    }

    /** The daemon's collection of snapshot-store leftovers (see {@code config/README.md}). */
    public record Gc(Boolean enabled, Duration olderThan, Duration every, Integer maxPerSweep) {}

    /** The metrics and health endpoint. */
    public record Http(String host, Integer port) {}

    /**
     * Limits, checkpoint policy and HTTP endpoints of one artifact (by name or digest), for every task
     * that runs it.
     */
    public record Artifact(Limits limits, Checkpoint checkpoint, Map<String, Endpoint> endpoints) {
        public Artifact {
            endpoints = endpoints == null ? Map.of() : Map.copyOf(endpoints);
        }

        public Artifact(Limits limits, Checkpoint checkpoint) {
            this(limits, checkpoint, null);
        }
    }

    /**
     * An HTTP service the artifact's guests may call ({@code wasm_worker.http_request}); see
     * config/README.md. {@code headers} values usually come from {@code ${ENV}}; {@code headerFiles}
     * name files whose contents are the values (secrets mounted as files).
     */
    public record Endpoint(
            String url,
            List<String> methods,
            List<String> paths,
            Map<String, String> headers,
            Map<String, String> headerFiles,
            Duration connectTimeout,
            Duration timeout,
            ByteSize maxRequest,
            ByteSize maxResponse) {
        public Endpoint {
            require(url, "url");
            methods = methods == null ? List.of("GET") : List.copyOf(methods);
            paths = paths == null ? List.of("/") : List.copyOf(paths);
            headers = headers == null ? Map.of() : Map.copyOf(headers);
            headerFiles = headerFiles == null ? Map.of() : Map.copyOf(headerFiles);
        }
    }

    public record Limits(ByteSize maxMemory, Duration timeout, ByteSize maxInput, ByteSize maxOutput) {}

    /** {@code onInputChange}: {@code restart} or {@code fail} (see config/README.md). */
    public record Checkpoint(Integer everySteps, Duration every, Boolean onRequest, String onInputChange) {
        /** The engine's value of {@code onInputChange}; null when absent or not a known value. */
        public CheckpointPolicy.InputChange inputChange() {
            return onInputChange == null
                    ? null
                    : switch (onInputChange) {
                        case "restart" -> CheckpointPolicy.InputChange.RESTART;
                        case "fail" -> CheckpointPolicy.InputChange.FAIL;
                        default -> null;
                    };
        }
    }

    public record Camunda(String url, String workerId, Auth auth, Duration longPoll, List<Topic> topics) {
        public Camunda {
            require(url, "url");
            if (topics == null || topics.isEmpty()) {
                throw new IllegalArgumentException("'topics' must list at least one topic");
            }
            topics = List.copyOf(topics);
        }
    }

    /** Basic auth ({@code username}, {@code password}) or OAuth2 client credentials ({@code oauth2}). */
    public record Auth(String username, String password, OAuth2 oauth2) {
        public Auth {
            if (oauth2 == null) {
                require(username, "username");
                require(password, "password");
            } else if (username != null || password != null) {
                throw new IllegalArgumentException(
                        "choose basic auth (username, password) or oauth2 (client credentials), not both");
            }
        }
    }

    /** OAuth2 client credentials: a bearer token from {@code tokenUrl}, refreshed before it expires. */
    public record OAuth2(
            String tokenUrl,
            String clientId,
            String clientSecret,
            String scope,
            String audience,
            Duration refreshBefore) {
        public OAuth2 {
            require(tokenUrl, "tokenUrl");
            require(clientId, "clientId");
            require(clientSecret, "clientSecret");
            java.net.URI uri;
            try {
                uri = new java.net.URI(tokenUrl);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("tokenUrl '" + tokenUrl + "' is not a URL: " + e.getReason());
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "tokenUrl '" + tokenUrl + "' is not an http(s) URL, e.g. https://login.example.com/token");
            }
        }
    }

    /**
     * One Camunda topic. The fetch conditions ({@code processDefinitionKey} ... {@code businessKey})
     * and the fetch order are those of Camunda's fetch-and-lock request; lists and maps left out are
     * null here (any), so that {@code ConfigChecks} can tell an empty one written down from none.
     */
    public record Topic(
            String topic,
            Located artifact,
            List<String> variables,
            Boolean localVariables,
            Boolean localOutput,
            Duration lockDuration,
            Integer maxConcurrent,
            Integer maxRetries,
            Backoff backoff,
            String processDefinitionKey,
            List<String> processDefinitionKeys,
            String processDefinitionId,
            List<String> processDefinitionIds,
            String processDefinitionVersionTag,
            Map<String, Object> processVariables,
            List<String> tenantIds,
            Boolean withoutTenantId,
            String businessKey,
            Boolean usePriority,
            String orderByCreateTime,
            Boolean includeExtensionProperties) {
        public Topic {
            require(topic, "topic");
            require(artifact, "artifact");
            variables = variables == null ? List.of() : List.copyOf(variables);
            tenantIds = tenantIds == null ? List.of() : copyOrNull(tenantIds);
            processDefinitionKeys = copyOrNull(processDefinitionKeys);
            processDefinitionIds = copyOrNull(processDefinitionIds);
            // (values may be null, which ConfigChecks names: not Map.copyOf)
            processVariables = processVariables == null
                    ? null
                    : Collections.unmodifiableMap(new LinkedHashMap<>(processVariables));
        }

        /** {@code processDefinitionKey} and {@code processDefinitionKeys} together (checked: not both). */
        public List<String> allProcessDefinitionKeys() {
            return processDefinitionKey != null
                    ? List.of(processDefinitionKey)
                    : processDefinitionKeys == null ? List.of() : processDefinitionKeys;
        }

        /** {@code processDefinitionId} and {@code processDefinitionIds} together (checked: not both). */
        public List<String> allProcessDefinitionIds() {
            return processDefinitionId != null
                    ? List.of(processDefinitionId)
                    : processDefinitionIds == null ? List.of() : processDefinitionIds;
        }

        private static List<String> copyOrNull(List<String> list) {
            // (entries may be null, which ConfigChecks names: not List.copyOf)
            return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
        }
    }

    public record Backoff(Duration initial, Double multiplier, Duration max) {}

    /**
     * The Temporal service. {@code target} may be left out when {@code TEMPORAL_ADDRESS} is set: the
     * {@code TEMPORAL_*} variables override these values ({@link TemporalEnvironment}).
     */
    public record Temporal(
            String target,
            String namespace,
            String identity,
            Tls tls,
            Duration connectTimeout,
            String apiKey,
            List<TaskQueue> taskQueues) {
        public Temporal {
            if (taskQueues == null || taskQueues.isEmpty()) {
                throw new IllegalArgumentException("'taskQueues' must list at least one task queue");
            }
            taskQueues = List.copyOf(taskQueues);
        }

        @Override
        public String toString() {
            return "Temporal[target=" + target + ", namespace=" + namespace + ", identity=" + identity + ", tls="
                    + tls + ", connectTimeout=" + connectTimeout + ", apiKey="
                    + (apiKey == null ? null : "(hidden)") + ", taskQueues=" + taskQueues + "]";
        }
    }

    public record Tls(String clientCert, String clientKey) {}

    public record TaskQueue(String name, Integer maxConcurrent, Map<String, Located> activities) {
        public TaskQueue {
            require(name, "name");
            if (activities == null || activities.isEmpty()) {
                throw new IllegalArgumentException("'activities' must map at least one activity type to an artifact");
            }
            activities = Map.copyOf(activities);
        }
    }

    private static void require(Object value, String field) {
        if (value == null || (value instanceof String s && s.isBlank())) {
            throw new IllegalArgumentException("missing required field '" + field + "'");
        }
    }
}
