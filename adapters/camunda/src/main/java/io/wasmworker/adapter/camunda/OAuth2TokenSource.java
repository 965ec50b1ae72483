package io.wasmworker.adapter.camunda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.camunda.bpm.client.interceptor.ClientRequestContext;
import org.camunda.bpm.client.interceptor.ClientRequestInterceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds {@code Authorization: Bearer <token>} to every request to the engine, with a token from the
 * OAuth2 token endpoint (client credentials grant), fetched again before it expires. Shared by all
 * topics of one engine.
 *
 * <p>Nothing the token endpoint answers throws out of here: when no token can be had (the endpoint is
 * down, refuses the client, or answers something that is not a token), the error is logged naming the
 * endpoint and what it said, the request goes without a token (the engine refuses it, and the client
 * backs off as for any engine error), and the endpoint is asked again at most every few seconds.
 */
final class OAuth2TokenSource implements ClientRequestInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(OAuth2TokenSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A token answer is a small JSON object; more is not read. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    /** Without {@code expires_in}, a token is taken to live this long (RFC 6749 leaves it open). */
    static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);
    /** After a failed token request, the next waits at least this long. */
    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(2);

    private final OAuth2ClientCredentials credentials;
    private final HttpClient http;
    private final LongSupplier nanoClock;

    private String token;
    private long refreshAtNanos;
    private long expiresAtNanos;
    private long nextTryNanos;
    private boolean failing;
    private String lastFailure;

    OAuth2TokenSource(OAuth2ClientCredentials credentials) {
        this(credentials, System::nanoTime);
    }

    OAuth2TokenSource(OAuth2ClientCredentials credentials, LongSupplier nanoClock) {
        this.credentials = credentials;
        this.nanoClock = nanoClock;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public void intercept(ClientRequestContext request) {
        String current = token();
        if (current != null) {
            request.addHeader("Authorization", "Bearer " + current);
        }
    }

    /**
     * The current token, fetched anew if none is held or it is due for refresh; null if none can be
     * had now (the failure is logged).
     */
    synchronized String token() {
        long now = nanoClock.getAsLong();
        if (token != null && now - refreshAtNanos < 0) {
            return token;
        }
        if (now - nextTryNanos < 0) {
            return stillValid(now);
        }
        try {
            Token fresh;
            try {
                fresh = fetch();
            } catch (RuntimeException e) { // whatever the HTTP client throws: never out of a request
                throw new TokenException("token endpoint " + credentials.tokenUrl() + ": " + e);
            }
            token = fresh.value();
            Duration lifetime = fresh.lifetime();
            Duration before = credentials.refreshBefore().compareTo(lifetime.dividedBy(2)) < 0
                    ? credentials.refreshBefore()
                    : lifetime.dividedBy(2);
            refreshAtNanos = now + lifetime.minus(before).toNanos();
            expiresAtNanos = now + lifetime.toNanos();
            if (failing) {
                LOG.info("OAuth2 token endpoint {} answers again", credentials.tokenUrl());
                failing = false;
            }
            return token;
        } catch (TokenException e) {
            nextTryNanos = now + RETRY_AFTER_FAILURE.toNanos();
            lastFailure = e.getMessage();
            if (!failing) {
                LOG.error(
                        "no OAuth2 token for client '{}': {} (asking again every {} s; requests to the engine go"
                                + " without a token meanwhile)",
                        credentials.clientId(),
                        e.getMessage(),
                        RETRY_AFTER_FAILURE.toSeconds());
                failing = true;
            } else {
                LOG.debug("still no OAuth2 token: {}", e.getMessage());
            }
            return stillValid(now);
        }
    }

    /** Why the last token request failed (null: none failed yet). */
    synchronized String lastFailure() {
        return lastFailure;
    }

    /** The held token while it has not expired (a refresh failed, but it still works), else null. */
    private String stillValid(long now) {
        return token != null && now - expiresAtNanos < 0 ? token : null;
    }

    private record Token(String value, Duration lifetime) {}

    private static final class TokenException extends Exception {
        TokenException(String message) {
            super(message);
        }
    }

    private Token fetch() throws TokenException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", credentials.clientId());
        form.put("client_secret", credentials.clientSecret());
        if (credentials.scope() != null) {
            form.put("scope", credentials.scope());
        }
        if (credentials.audience() != null) {
            form.put("audience", credentials.audience());
        }
        String body = form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(credentials.tokenUrl())
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        String where = "token endpoint " + credentials.tokenUrl();
        HttpResponse<InputStream> response;
        byte[] answer;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                answer = in.readNBytes(MAX_ANSWER_BYTES + 1);
            }
        } catch (IOException e) {
            throw new TokenException(where + " cannot be reached: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenException(where + ": interrupted");
        }
        if (answer.length > MAX_ANSWER_BYTES) {
            throw new TokenException(where + " answered more than " + MAX_ANSWER_BYTES + " bytes");
        }
        String text = new String(answer, StandardCharsets.UTF_8);
        JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (IOException e) {
            json = null;
        }
        if (response.statusCode() != 200) {
            String error = json == null
                    ? shorten(text)
                    : json.path("error").asText("?")
                            + (json.hasNonNull("error_description")
                                    ? " (" + json.path("error_description").asText() + ")"
                                    : "");
            throw new TokenException(where + " answered HTTP " + response.statusCode() + ": " + error
                    + (response.statusCode() == 401 || response.statusCode() == 400
                            ? "; check the client id and secret"
                            : ""));
        }
        if (json == null || !json.isObject()) {
            throw new TokenException(where + " answered no JSON object: " + shorten(text));
        }
        JsonNode accessToken = json.get("access_token");
        if (accessToken == null) {
            throw new TokenException(where + " answered no access_token (members: " + fieldNames(json) + ")");
        }
        if (!accessToken.isTextual() || accessToken.asText().isBlank()) {
            throw new TokenException(
                    where + " answered an access_token that is no token: " + shorten(accessToken.toString()));
        }
        String type = json.path("token_type").asText("Bearer");
        if (!type.equalsIgnoreCase("Bearer")) {
            throw new TokenException(where + " issued a token of type '" + type + "', not Bearer");
        }
        Duration lifetime = DEFAULT_LIFETIME;
        JsonNode expiresIn = json.get("expires_in");
        if (expiresIn != null && !expiresIn.isNull()) {
            // some servers send the number as a string
            long seconds;
            try {
                seconds = expiresIn.isNumber() ? expiresIn.asLong() : Long.parseLong(expiresIn.asText());
            } catch (NumberFormatException e) {
                throw new TokenException(where + " answered expires_in " + expiresIn + ", not a number of seconds");
            }
            if (seconds <= 0 || seconds > Duration.ofDays(366).toSeconds()) {
                throw new TokenException(where + " answered expires_in " + seconds + ", not a lifetime in seconds");
            }
            lifetime = Duration.ofSeconds(seconds);
        }
        return new Token(accessToken.asText(), lifetime);
    }

    private static String fieldNames(JsonNode json) {
        StringBuilder names = new StringBuilder();
        json.fieldNames()
                .forEachRemaining(
                        n -> names.append(names.length() == 0 ? "" : ", ").append(n));
        return names.toString();
    }

    private static String shorten(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 200 ? "'" + oneLine + "'" : "'" + oneLine.substring(0, 200) + "...'";
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
