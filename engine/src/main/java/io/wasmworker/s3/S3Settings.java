package io.wasmworker.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach an S3 server. Unset values come from the AWS SDK's standard settings (AWS_REGION,
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles; the endpoint from
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). With an endpoint override, path-style addressing is the
 * default, since S3-compatible servers on a plain host name rarely resolve bucket sub-domains.
 *
 * <p>Every request is bounded: {@link #attemptTimeout} per HTTP attempt, {@link #maxAttempts} attempts
 * with the SDK's backoff on transient errors, and {@link #callTimeout} in total, so a store outage ends
 * the task attempt with an error instead of hanging it.
 */
public record S3Settings(
        Optional<URI> endpoint,
        Optional<String> region,
        Optional<Boolean> pathStyle,
        Optional<Credentials> credentials,
        Duration attemptTimeout,
        Duration callTimeout,
        int maxAttempts) {

    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** The region used when neither the settings nor the SDK's provider chain name one. */
    public static final String FALLBACK_REGION = "us-east-1";

    /** Static credentials, for when the SDK's provider chain is not what the store should use. */
    public record Credentials(String accessKeyId, String secretAccessKey) {
        public Credentials {
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        }

        @Override
        public String toString() {
            return "Credentials[" + accessKeyId + ", secret hidden]";
        }
    }

    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(pathStyle, "pathStyle");
        Objects.requireNonNull(credentials, "credentials");
        if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("attemptTimeout must be positive");
        }
        if (callTimeout.compareTo(attemptTimeout) < 0) {
            throw new IllegalArgumentException("callTimeout must be at least attemptTimeout");
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("maxAttempts must be 1-20");
        }
    }

    /** Everything from the SDK's standard settings. */
    public static S3Settings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The endpoint to use: the explicit one, else the SDK's settings (read here too, because whether
     * one is set decides path-style addressing): as the SDK orders them, the system properties
     * {@code aws.endpointUrlS3} and {@code aws.endpointUrl}, then the environment variables
     * AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL, the service-specific one first.
     */
    public Optional<URI> effectiveEndpoint(Map<String, String> env) {
        if (endpoint.isPresent()) {
            return endpoint;
        }
        String[][] settings = {{"aws.endpointUrlS3", "AWS_ENDPOINT_URL_S3"}, {"aws.endpointUrl", "AWS_ENDPOINT_URL"}};
        for (String[] setting : settings) {
            for (String value : new String[] {System.getProperty(setting[0]), env.get(setting[1])}) {
                if (value != null && !value.isBlank()) {
                    return Optional.of(URI.create(value.trim()));
                }
            }
        }
        return Optional.empty();
    }

    /** Path-style addressing: as set, else on exactly when an endpoint override is in effect. */
    public boolean effectivePathStyle(Map<String, String> env) {
        return pathStyle.orElseGet(() -> effectiveEndpoint(env).isPresent());
    }

    public static final class Builder {
        private URI endpoint;
        private String region;
        private Boolean pathStyle;
        private Credentials credentials;
        private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
        private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder pathStyle(Boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        public Builder credentials(String accessKeyId, String secretAccessKey) {
            this.credentials = new Credentials(accessKeyId, secretAccessKey);
            return this;
        }

        public Builder attemptTimeout(Duration attemptTimeout) {
            this.attemptTimeout = attemptTimeout;
            return this;
        }

        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = callTimeout;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public S3Settings build() {
            return new S3Settings(
                    Optional.ofNullable(endpoint),
                    Optional.ofNullable(region),
                    Optional.ofNullable(pathStyle),
                    Optional.ofNullable(credentials),
                    attemptTimeout,
                    callTimeout,
                    maxAttempts);
        }
    }
}
