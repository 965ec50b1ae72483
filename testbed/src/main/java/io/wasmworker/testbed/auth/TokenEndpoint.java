package io.wasmworker.testbed.auth;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OAuth2 token endpoint (RFC 6749 client credentials grant, client authentication in the
 * form body or with HTTP Basic) on a free port of 127.0.0.1, issuing {@link BearerTokens} of a fixed
 * lifetime to one client. Tests count what it issued and can make it fail.
 */
public final class TokenEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final BearerTokens tokens;
    private final String clientId;
    private final String clientSecret;
    private final Duration lifetime;
    private final AtomicInteger issued = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile String lastScope;

    private TokenEndpoint(BearerTokens tokens, String clientId, String clientSecret, Duration lifetime) {
        this.tokens = tokens;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.lifetime = lifetime;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the token endpoint: " + e, e);
        }
        server.createContext("/token", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "token-endpoint");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** Issues tokens of {@code lifetime} to {@code clientId} with {@code clientSecret}. */
    public static TokenEndpoint start(BearerTokens tokens, String clientId, String clientSecret, Duration lifetime) {
        return new TokenEndpoint(tokens, clientId, clientSecret, lifetime);
    }

    /** The token URL, e.g. {@code http://127.0.0.1:PORT/token}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** Tokens issued so far. */
    public int issued() {
        return issued.get();
    }

    /** Requests refused so far (wrong client, wrong grant, or a failure asked for). */
    public int refused() {
        return refused.get();
    }

    /** The scope the last token request asked for (null: none). */
    public String lastScope() {
        return lastScope;
    }

    /** The next {@code n} requests get HTTP 503. */
    public void failNext(int n) {
        failNext.set(n);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                refused.incrementAndGet();
                answer(exchange, 503, "{\"error\":\"temporarily_unavailable\"}");
                return;
            }
            Map<String, String> form =
                    form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String id = form.get("client_id");
            String secret = form.get("client_secret");
            String basic = exchange.getRequestHeaders().getFirst("Authorization");
            if (basic != null && basic.startsWith("Basic ")) {
                String[] pair = new String(
                                java.util.Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8)
                        .split(":", 2);
                id = URLDecoder.decode(pair[0], StandardCharsets.UTF_8);
                secret = pair.length > 1 ? URLDecoder.decode(pair[1], StandardCharsets.UTF_8) : null;
            }
            if (!"POST".equals(exchange.getRequestMethod()) || !"client_credentials".equals(form.get("grant_type"))) {
                refused.incrementAndGet();
                answer(exchange, 400, "{\"error\":\"unsupported_grant_type\"}");
                return;
            }
            if (!clientId.equals(id) || !clientSecret.equals(secret)) {
                refused.incrementAndGet();
                answer(
                        exchange,
                        401,
                        "{\"error\":\"invalid_client\",\"error_description\":\"unknown client or wrong secret\"}");
                return;
            }
            lastScope = form.get("scope");
            issued.incrementAndGet();
            answer(
                    exchange,
                    200,
                    "{\"access_token\":\"" + tokens.mint(lifetime) + "\",\"token_type\":\"Bearer\",\"expires_in\":"
                            + lifetime.toSeconds() + "}");
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                fields.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return fields;
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
