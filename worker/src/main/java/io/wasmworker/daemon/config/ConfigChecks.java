package io.wasmworker.daemon.config;

import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.payload.PayloadSettings;
import io.wasmworker.s3.S3Location;
import io.wasmworker.sandbox.GuestLimits;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What the binding cannot see: values out of range, and per-artifact settings no topic or activity
 * uses. Each error names the file, line and field, and the allowed range.
 *
 * <p>The ranges are wide enough for any real deployment and narrow enough that no value overflows
 * where it goes: sizes become {@code int} byte counts, durations become nanoseconds
 * ({@code Duration.toNanos()} overflows past 292 years) or milliseconds for the orchestrators.
 */
final class ConfigChecks {
    static final long MIN_MEMORY = GuestLimits.PAGE_SIZE;
    static final long MAX_MEMORY = GuestLimits.MAX_MEMORY_BYTES;
    /** Input and output are whole JSON documents in heap arrays. */
    static final long MAX_DOCUMENT = 1L << 30;

    static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    static final Duration MAX_CHECKPOINT_EVERY = Duration.ofDays(7);
    static final Duration MAX_SHUTDOWN_GRACE = Duration.ofHours(24);
    /** Camunda refuses a long poll over 30 minutes (its asyncResponseTimeout ceiling). */
    static final Duration MAX_LONG_POLL = Duration.ofMinutes(30);

    static final Duration MAX_LOCK = Duration.ofHours(24);
    static final Duration MAX_BACKOFF = Duration.ofDays(30);
    static final double MAX_MULTIPLIER = 1000;
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(10);
    /** Each running guest is a platform thread and, at worst, its whole memory limit of heap. */
    static final int MAX_CONCURRENT = 1024;

    static final int MAX_RETRIES = 1000;
    static final Duration MIN_GC_AGE = Duration.ofMinutes(1);
    static final Duration MAX_GC_AGE = Duration.ofDays(3650);
    static final Duration MIN_GC_EVERY = Duration.ofSeconds(1);
    static final Duration MAX_GC_EVERY = Duration.ofDays(30);
    static final int MAX_GC_PER_SWEEP = 1_000_000;
    /** AWS region names (us-east-1, eu-central-2, ...), and what S3-compatible servers accept. */
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private final Positions at;

    private ConfigChecks(Positions at) {
        this.at = at;
    }

    static void check(WorkerConfig config, Positions positions) {
        ConfigChecks c = new ConfigChecks(positions);
        c.duration("shutdownGrace", config.shutdownGrace(), Duration.ZERO, MAX_SHUTDOWN_GRACE);
        if (config.stores() != null) {
            c.location("stores.artifacts", config.stores().artifacts());
            c.location("stores.snapshots", config.stores().snapshots());
            c.s3("stores.s3", config.stores().s3());
            c.payloads("stores.payloads", config.stores().payloads());
        }
        if (config.stores() != null && config.stores().gc() != null) {
            WorkerConfig.Gc gc = config.stores().gc();
            c.duration("stores.gc.olderThan", gc.olderThan(), MIN_GC_AGE, MAX_GC_AGE);
            c.duration("stores.gc.every", gc.every(), MIN_GC_EVERY, MAX_GC_EVERY);
            c.integer("stores.gc.maxPerSweep", gc.maxPerSweep(), 1, MAX_GC_PER_SWEEP);
        }
        SnapshotEncryption.of(config, positions); // every key decoded and checked now, not at the first checkpoint
        if (config.http() != null) {
            c.integer("http.port", config.http().port(), 0, 65535);
        }
        config.artifacts().forEach((ref, settings) -> c.artifact("artifacts." + ref, settings));
        if (config.camunda() != null) {
            WorkerConfig.Camunda camunda = config.camunda();
            c.duration("camunda.longPoll", camunda.longPoll(), Duration.ofSeconds(1), MAX_LONG_POLL);
            if (camunda.auth() != null && camunda.auth().oauth2() != null) {
                c.duration(
                        "camunda.auth.oauth2.refreshBefore",
                        camunda.auth().oauth2().refreshBefore(),
                        Duration.ZERO,
                        Duration.ofHours(1));
            }
            for (int i = 0; i < camunda.topics().size(); i++) {
                c.topic("camunda.topics[" + i + "]", camunda.topics().get(i));
            }
        }
        if (config.temporal() != null) {
            WorkerConfig.Temporal temporal = config.temporal();
            c.duration(
                    "temporal.connectTimeout", temporal.connectTimeout(), Duration.ofSeconds(1), MAX_CONNECT_TIMEOUT);
            for (int i = 0; i < temporal.taskQueues().size(); i++) {
                // 0: sized from the heap and the memory limits
                c.integer(
                        "temporal.taskQueues[" + i + "].maxConcurrent",
                        temporal.taskQueues().get(i).maxConcurrent(),
                        0,
                        MAX_CONCURRENT);
            }
        }
        c.everyArtifactSettingIsUsed(config);
    }

    private void artifact(String path, WorkerConfig.Artifact settings) {
        WorkerConfig.Limits limits = settings.limits();
        if (limits != null) {
            size(path + ".limits.maxMemory", limits.maxMemory(), MIN_MEMORY, MAX_MEMORY);
            duration(path + ".limits.timeout", limits.timeout(), Duration.ofMillis(1), MAX_TIMEOUT);
            size(path + ".limits.maxInput", limits.maxInput(), 1, MAX_DOCUMENT);
            size(path + ".limits.maxOutput", limits.maxOutput(), 1, MAX_DOCUMENT);
        }
        settings.endpoints().forEach((name, endpoint) -> {
            String where = path + ".endpoints." + name;
            duration(where + ".connectTimeout", endpoint.connectTimeout(), Duration.ofMillis(1), MAX_CONNECT_TIMEOUT);
            duration(where + ".timeout", endpoint.timeout(), Duration.ofMillis(1), MAX_TIMEOUT);
            size(where + ".maxRequest", endpoint.maxRequest(), 0, HttpEndpoint.MAX_MESSAGE_BYTES);
            size(where + ".maxResponse", endpoint.maxResponse(), 0, HttpEndpoint.MAX_MESSAGE_BYTES);
            try {
                Endpoints.endpoint(
                        name, endpoint, Path.of(at.source()).toAbsolutePath().getParent());
            } catch (IllegalArgumentException e) {
                // "url: ..." or "headerFiles.X: ...": placed at that field when it has a position
                String message = e.getMessage();
                int colon = message.indexOf(": ");
                String field = colon > 0 && !message.substring(0, colon).contains(" ")
                        ? where + "." + message.substring(0, colon)
                        : where;
                throw new ConfigException(
                        at.where(field) + (field.equals(where) ? message : message.substring(colon + 2)));
            }
        });
        WorkerConfig.Checkpoint checkpoint = settings.checkpoint();
        if (checkpoint != null) {
            integer(path + ".checkpoint.everySteps", checkpoint.everySteps(), 0, Integer.MAX_VALUE);
            duration(path + ".checkpoint.every", checkpoint.every(), Duration.ZERO, MAX_CHECKPOINT_EVERY);
            String onInputChange = checkpoint.onInputChange();
            if (onInputChange != null && checkpoint.inputChange() == null) {
                throw new ConfigException(at.where(path + ".checkpoint.onInputChange") + "'" + onInputChange
                        + "' is not one of: restart, fail");
            }
        }
    }

    /** A store location: a directory, or an S3 location that must parse. */
    private void location(String path, String value) {
        if (value == null) {
            return;
        }
        if (value.isBlank()) {
            throw new ConfigException(at.where(path) + "is empty: write a directory or s3://BUCKET/PREFIX");
        }
        if (S3Location.isS3(value)) {
            try {
                S3Location.parse(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at.where(path) + e.getMessage());
            }
        } else if (value.matches("(?i)[a-z][a-z0-9+.-]*://.*")) {
            throw new ConfigException(at.where(path) + "'" + value + "' is neither a directory nor an S3 location:"
                    + " write a directory or s3://BUCKET/PREFIX");
        }
    }

    private void payloads(String path, WorkerConfig.Payloads payloads) {
        if (payloads == null) {
            return;
        }
        if (!S3Location.isS3(payloads.location())) {
            throw new ConfigException(at.where(path + ".location") + "'" + payloads.location()
                    + "' is not an S3 location: payloads by reference live in S3, write s3://BUCKET/PREFIX");
        }
        location(path + ".location", payloads.location());
        size(path + ".maxStreamedInput", payloads.maxStreamedInput(), 1, PayloadSettings.MAX_STREAMED_BYTES);
        size(path + ".offloadAbove", payloads.offloadAbove(), 0, MAX_DOCUMENT);
    }

    private void s3(String path, WorkerConfig.S3 s3) {
        if (s3 == null) {
            return;
        }
        if (s3.endpoint() != null) {
            endpoint(path + ".endpoint", s3.endpoint());
        }
        if (s3.region() != null && !REGION.matcher(s3.region()).matches()) {
            throw new ConfigException(at.where(path + ".region") + "'" + s3.region() + "' is not a region name:"
                    + " lower-case letters, digits and '-', e.g. us-east-1");
        }
        if ((s3.accessKeyId() == null) != (s3.secretAccessKey() == null)) {
            String missing = s3.accessKeyId() == null ? "accessKeyId" : "secretAccessKey";
            String given = s3.accessKeyId() == null ? "secretAccessKey" : "accessKeyId";
            throw new ConfigException(at.where(path + "." + given) + "needs " + path + "." + missing + " as well"
                    + " (or leave both out for the AWS SDK's credentials: AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY, profiles, instance roles)");
        }
        if (s3.accessKeyId() != null
                && (s3.accessKeyId().isBlank() || s3.secretAccessKey().isBlank())) {
            String blank = s3.accessKeyId().isBlank() ? "accessKeyId" : "secretAccessKey";
            throw new ConfigException(at.where(path + "." + blank) + "is empty (is its environment variable set"
                    + " to an empty value?)");
        }
    }

    private void endpoint(String path, String value) {
        String problem = null;
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                problem = "";
            }
        } catch (URISyntaxException e) {
            problem = ": " + e.getReason();
        }
        if (problem != null) {
            throw new ConfigException(at.where(path) + "'" + value + "' is not an http:// or https:// URL with a host"
                    + problem + " (e.g. http://127.0.0.1:7480 or https://s3.eu-central-1.amazonaws.com)");
        }
    }

    private void topic(String path, WorkerConfig.Topic topic) {
        duration(path + ".lockDuration", topic.lockDuration(), Duration.ofSeconds(1), MAX_LOCK);
        integer(path + ".maxConcurrent", topic.maxConcurrent(), 1, MAX_CONCURRENT);
        integer(path + ".maxRetries", topic.maxRetries(), 0, MAX_RETRIES);
        WorkerConfig.Backoff backoff = topic.backoff();
        if (backoff != null) {
            duration(path + ".backoff.initial", backoff.initial(), Duration.ZERO, MAX_BACKOFF);
            duration(path + ".backoff.max", backoff.max(), Duration.ZERO, MAX_BACKOFF);
            if (backoff.multiplier() != null
                    && !(backoff.multiplier() >= 1 && backoff.multiplier() <= MAX_MULTIPLIER)) {
                throw new ConfigException(at.where(path + ".backoff.multiplier") + backoff.multiplier()
                        + " is out of range: allowed 1 to " + (int) MAX_MULTIPLIER);
            }
        }
        subscription(path, topic);
    }

    /** The fetch conditions and order: each must be able to match something, and no two contradict. */
    private void subscription(String path, WorkerConfig.Topic topic) {
        oneOf(
                path,
                "processDefinitionKey",
                topic.processDefinitionKey(),
                "processDefinitionKeys",
                topic.processDefinitionKeys());
        oneOf(
                path,
                "processDefinitionId",
                topic.processDefinitionId(),
                "processDefinitionIds",
                topic.processDefinitionIds());
        notBlank(path + ".processDefinitionKey", topic.processDefinitionKey());
        notBlank(path + ".processDefinitionId", topic.processDefinitionId());
        notBlank(path + ".processDefinitionVersionTag", topic.processDefinitionVersionTag());
        notBlank(path + ".businessKey", topic.businessKey());
        names(path + ".processDefinitionKeys", topic.processDefinitionKeys(), "of any process definition");
        names(path + ".processDefinitionIds", topic.processDefinitionIds(), "of any process definition");
        names(path + ".tenantIds", topic.tenantIds(), null); // (empty: any tenant, as it always was)
        if (Boolean.TRUE.equals(topic.withoutTenantId()) && !topic.tenantIds().isEmpty()) {
            throw new ConfigException(at.where(path + ".withoutTenantId") + "tasks without a tenant and tasks of "
                    + "tenants " + topic.tenantIds() + " exclude each other, so nothing would be fetched:"
                    + " keep withoutTenantId or tenantIds");
        }
        Map<String, Object> variables = topic.processVariables();
        if (variables != null && variables.isEmpty()) {
            throw new ConfigException(at.where(path + ".processVariables")
                    + "is empty: name at least one variable and its value, or leave it out to fetch tasks"
                    + " whatever their variables");
        }
        if (variables != null) {
            variables.forEach((name, value) -> {
                if (!(value instanceof String
                        || value instanceof Integer
                        || value instanceof Long
                        || value instanceof Double
                        || value instanceof Boolean)) {
                    String what = value == null
                            ? "null"
                            : value instanceof Map<?, ?>
                                    ? "an object"
                                    : value instanceof List<?> ? "a list" : "'" + value + "'";
                    throw new ConfigException(at.where(path + ".processVariables." + name) + what
                            + " cannot be compared with a variable: write a string, an integer, a number or"
                            + " true/false (the task is fetched when the process variable equals it)");
                }
            });
        }
        String order = topic.orderByCreateTime();
        if (order != null && !(order.equals("asc") || order.equals("desc"))) {
            throw new ConfigException(at.where(path + ".orderByCreateTime") + "'" + order
                    + "' is not one of: asc (oldest first), desc (newest first)");
        }
    }

    private void oneOf(String path, String one, String value, String many, List<String> values) {
        if (value != null && values != null) {
            throw new ConfigException(at.where(path + "." + many) + "give " + one + " or " + many + ", not both"
                    + " (move '" + value + "' into " + many + ")");
        }
    }

    private void notBlank(String path, String value) {
        if (value != null && value.isBlank()) {
            throw new ConfigException(at.where(path) + "is empty (is its environment variable set to an empty"
                    + " value?); leave it out to fetch any");
        }
    }

    /**
     * A list of names: left out means any, so an empty name in it is a mistake, and so is an empty
     * list unless {@code any} is null (then it means any as well).
     */
    private void names(String path, List<String> names, String any) {
        if (names == null) {
            return;
        }
        if (names.isEmpty() && any != null) {
            throw new ConfigException(
                    at.where(path) + "is empty, so nothing would match: leave it out to fetch" + " tasks " + any);
        }
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null || names.get(i).isBlank()) {
                throw new ConfigException(
                        at.where(path + "[" + i + "]") + "is empty: write a name, or remove the" + " entry");
            }
        }
    }

    /**
     * Settings under {@code artifacts} apply to the topics and activities that name the artifact
     * exactly so; settings nothing names are an error, since they are most likely meant for an
     * artifact whose name is misspelt on one side.
     */
    private void everyArtifactSettingIsUsed(WorkerConfig config) {
        Set<String> used = new LinkedHashSet<>();
        if (config.camunda() != null) {
            config.camunda().topics().forEach(t -> used.add(t.artifact().value()));
        }
        if (config.temporal() != null) {
            config.temporal().taskQueues().forEach(q -> q.activities().values().forEach(r -> used.add(r.value())));
        }
        for (String ref : new TreeSet<>(config.artifacts().keySet())) {
            if (!used.contains(ref)) {
                throw new ConfigException(at.where("artifacts." + ref) + "no topic or activity runs '" + ref
                        + "', so these settings would apply to nothing" + Suggestions.didYouMean(ref, used)
                        + "; artifacts run here: " + String.join(", ", new TreeSet<>(used))
                        + " (settings apply to the name or digest exactly as the topic or activity writes it)");
            }
        }
    }

    private void integer(String path, Integer value, long min, long max) {
        if (value != null && (value < min || value > max)) {
            throw new ConfigException(at.where(path) + value + " is out of range: allowed " + min + " to " + max);
        }
    }

    private void size(String path, ByteSize value, long min, long max) {
        if (value != null && (value.bytes() < min || value.bytes() > max)) {
            throw new ConfigException(at.where(path) + ByteSize.describe(value.bytes()) + " is out of range: allowed "
                    + ByteSize.describe(min) + " to " + ByteSize.describe(max));
        }
    }

    private void duration(String path, Duration value, Duration min, Duration max) {
        if (value != null && (value.compareTo(min) < 0 || value.compareTo(max) > 0)) {
            throw new ConfigException(at.where(path) + describe(value) + " is out of range: allowed " + describe(min)
                    + " to " + describe(max));
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 168h}: the largest unit that is exact. */
    static String describe(Duration d) {
        if (d.isNegative()) {
            return "-" + describe(d.negated());
        }
        if (d.getNano() % 1_000_000 != 0 || d.compareTo(Duration.ofDays(365L * 1000)) > 0) {
            return d.toString();
        }
        long ms = d.toMillis();
        if (ms == 0 || ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }
}
