package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.auth.BearerTokens;
import io.wasmworker.testbed.auth.TokenEndpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Token handling against the test bed's token endpoint and against endpoints that answer nonsense. */
class OAuth2TokenSourceTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final BearerTokens tokens = BearerTokens.random();

    private OAuth2TokenSource source(URI url, String secret, Duration refreshBefore) {
        return new OAuth2TokenSource(
                new OAuth2ClientCredentials(url, "worker", secret, null, null, refreshBefore), nanos::get);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void aTokenIsReusedUntilItIsDueAndFetchedAgainBeforeItExpires() {
        try (TokenEndpoint endpoint = TokenEndpoint.start(tokens, "worker", "pw", Duration.ofSeconds(600))) {
            OAuth2TokenSource source = source(endpoint.url(), "pw", Duration.ofSeconds(30));
            String first = source.token();
            assertThat(tokens.problem(first)).isNull();
            advance(Duration.ofSeconds(569));
            assertThat(source.token()).isSameAs(first);
            assertThat(endpoint.issued()).isEqualTo(1);
            advance(Duration.ofSeconds(2)); // 29 s left: within refreshBefore
            assertThat(source.token()).isNotNull().isNotEqualTo(first);
            assertThat(endpoint.issued()).isEqualTo(2);
        }
    }

    @Test
    void aShortLivedTokenIsFetchedAgainAtHalfItsLifetime() {
        try (TokenEndpoint endpoint = TokenEndpoint.start(tokens, "worker", "pw", Duration.ofSeconds(10))) {
            OAuth2TokenSource source = source(endpoint.url(), "pw", Duration.ofSeconds(30));
            source.token();
            advance(Duration.ofMillis(4_900));
            source.token();
            assertThat(endpoint.issued()).isEqualTo(1);
            advance(Duration.ofMillis(200));
            source.token();
            assertThat(endpoint.issued()).isEqualTo(2);
        }
    }

    @Test
    void aRefusedClientGetsNoTokenAndAClearReasonAndTheEndpointIsNotHammered() {
        try (TokenEndpoint endpoint = TokenEndpoint.start(tokens, "worker", "pw", Duration.ofSeconds(60))) {
            OAuth2TokenSource source = source(endpoint.url(), "wrong", null);
            assertThat(source.token()).isNull();
            assertThat(source.lastFailure())
                    .isEqualTo("token endpoint " + endpoint.url() + " answered HTTP 401: invalid_client (unknown"
                            + " client or wrong secret); check the client id and secret");
            source.token();
            advance(Duration.ofMillis(1_900));
            source.token();
            assertThat(endpoint.refused()).as("asked again only after a pause").isEqualTo(1);
            advance(Duration.ofMillis(200));
            source.token();
            assertThat(endpoint.refused()).isEqualTo(2);
        }
    }

    @Test
    void aTokenStillValidIsKeptWhileItsRefreshFails() {
        try (TokenEndpoint endpoint = TokenEndpoint.start(tokens, "worker", "pw", Duration.ofSeconds(60))) {
            OAuth2TokenSource source = source(endpoint.url(), "pw", Duration.ofSeconds(30));
            String first = source.token();
            endpoint.failNext(100);
            advance(Duration.ofSeconds(40));
            assertThat(source.token())
                    .as("due, but the endpoint is down: the old one still works")
                    .isEqualTo(first);
            assertThat(source.lastFailure()).contains("answered HTTP 503: temporarily_unavailable");
            advance(Duration.ofSeconds(21));
            assertThat(source.token()).as("expired and nothing new").isNull();
        }
    }

    @Test
    void anEndpointThatCannotBeReachedIsNamed() throws IOException {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/token");
        OAuth2TokenSource source = source(url, "pw", null);
        assertThat(source.token()).isNull();
        assertThat(source.lastFailure()).startsWith("token endpoint " + url + " cannot be reached: ");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "200|not json|answered no JSON object: 'not json'",
                "200|[1]|answered no JSON object: '[1]'",
                "200|{\"token_type\":\"Bearer\"}|answered no access_token (members: token_type)",
                "200|{\"access_token\":42}|answered an access_token that is no token: '42'",
                "200|{\"access_token\":\"t\",\"token_type\":\"mac\"}|issued a token of type 'mac', not Bearer",
                "200|{\"access_token\":\"t\",\"expires_in\":\"soon\"}|answered expires_in \"soon\", not a number of seconds",
                "200|{\"access_token\":\"t\",\"expires_in\":-5}|answered expires_in -5, not a lifetime in seconds",
                "500|<html>oops</html>|answered HTTP 500: '<html>oops</html>'",
                "400|{\"error\":\"invalid_scope\"}|answered HTTP 400: invalid_scope; check the client id and secret",
            })
    void nonsenseFromTheEndpointGivesNoTokenAndSaysWhatWasWrong(int status, String body, String expected)
            throws IOException {
        HttpServer server = cannedEndpoint(status, body.getBytes(StandardCharsets.UTF_8));
        try {
            OAuth2TokenSource source = source(url(server), "pw", null);
            assertThat(source.token()).isNull();
            assertThat(source.lastFailure()).isEqualTo("token endpoint " + url(server) + " " + expected);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anAnswerTooLargeIsNotReadWhole() throws IOException {
        HttpServer server = cannedEndpoint(200, new byte[OAuth2TokenSource.MAX_ANSWER_BYTES + 10]);
        try {
            OAuth2TokenSource source = source(url(server), "pw", null);
            assertThat(source.token()).isNull();
            assertThat(source.lastFailure()).endsWith("answered more than 65536 bytes");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aTokenWithoutExpiryLivesFiveMinutes() throws IOException {
        HttpServer server = cannedEndpoint(200, "{\"access_token\":\"t-1\"}".getBytes(StandardCharsets.UTF_8));
        try {
            OAuth2TokenSource source = source(url(server), "pw", Duration.ofSeconds(30));
            assertThat(source.token()).isEqualTo("t-1");
            advance(Duration.ofSeconds(269));
            assertThat(source.token()).isEqualTo("t-1");
            assertThat(source.lastFailure()).isNull();
        } finally {
            server.stop(0);
        }
    }

    @Test
    void settingsAreCheckedAndTheSecretStaysOutOfToString() {
        assertThatThrownBy(() -> new OAuth2ClientCredentials(URI.create("ftp://x/token"), "c", "s"))
                .hasMessageContaining("is not an http(s) URL");
        assertThatThrownBy(() -> new OAuth2ClientCredentials(URI.create("https://x/token"), " ", "s"))
                .hasMessageContaining("need a client id");
        assertThatThrownBy(() -> new OAuth2ClientCredentials(URI.create("https://x/token"), "c", ""))
                .hasMessageContaining("OAuth2 client 'c' needs a client secret");
        assertThat(new OAuth2ClientCredentials(URI.create("https://x/token"), "c", "hush").toString())
                .doesNotContain("hush");
        assertThatThrownBy(() -> new CamundaSettings(
                        "http://e/engine-rest",
                        "w",
                        "user",
                        "pw",
                        new OAuth2ClientCredentials(URI.create("https://x/token"), "c", "s"),
                        null,
                        List.of(TopicSettings.of(
                                "t",
                                new TaskBinding(
                                        ArtifactRef.parse("greet"),
                                        GuestLimits.DEFAULTS,
                                        new CheckpointPolicy(1, Duration.ZERO, true))))))
                .hasMessage("Camunda auth: choose basic auth (user 'user') or OAuth2 client credentials, not both");
    }

    private static HttpServer cannedEndpoint(int status, byte[] body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        return server;
    }

    private static URI url(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }
}
