package io.wasmworker.adapter.camunda;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The connection to one Camunda 7 engine and the topics to serve there.
 *
 * @param baseUrl              the REST API, e.g. {@code http://localhost:8080/engine-rest}
 * @param workerId             this worker's id in the engine (locks are held in its name)
 * @param username             basic auth user, or null for none
 * @param password             basic auth password (with {@code username})
 * @param oauth2               OAuth2 client credentials for a bearer token, or null for none (not
 *                             together with basic auth)
 * @param longPoll             how long a fetch waits on the engine for new work; idle workers
 *                             pick up new tasks at once, and shutdown waits at most this long
 * @param topics               the topics
 */
public record CamundaSettings(
        String baseUrl,
        String workerId,
        String username,
        String password,
        OAuth2ClientCredentials oauth2,
        Duration longPoll,
        List<TopicSettings> topics) {
    public static final Duration DEFAULT_LONG_POLL = Duration.ofSeconds(10);

    public CamundaSettings {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(workerId, "workerId");
        longPoll = longPoll == null ? DEFAULT_LONG_POLL : longPoll;
        topics = List.copyOf(topics);
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("a Camunda connection needs at least one topic");
        }
        if (username != null && password == null) {
            throw new IllegalArgumentException("Camunda basic auth for '" + username + "' needs a password");
        }
        if (username != null && oauth2 != null) {
            throw new IllegalArgumentException(
                    "Camunda auth: choose basic auth (user '" + username + "') or OAuth2 client credentials, not both");
        }
    }

    /** A connection with basic auth or none. */
    public CamundaSettings(
            String baseUrl,
            String workerId,
            String username,
            String password,
            Duration longPoll,
            List<TopicSettings> topics) {
        this(baseUrl, workerId, username, password, null, longPoll, topics);
    }
}
