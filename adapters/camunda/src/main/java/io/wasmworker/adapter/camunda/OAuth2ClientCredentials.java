package io.wasmworker.adapter.camunda;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * OAuth2 client credentials (RFC 6749 section 4.4) for an engine whose REST API wants a bearer token
 * (a Camunda 7, Operaton or CIB seven engine behind Keycloak, Entra ID, an API gateway...). The worker
 * asks the token endpoint for a token, sends it on every request, and asks for a new one before the
 * old one expires.
 *
 * @param tokenUrl      the token endpoint ({@code http} or {@code https})
 * @param clientId      the client id
 * @param clientSecret  the client secret (in the configuration file, from the environment:
 *                      {@code clientSecret: "${CAMUNDA_CLIENT_SECRET}"})
 * @param scope         the scope to ask for, or null for the client's default
 * @param audience      the audience to ask for (Auth0, some gateways), or null for none
 * @param refreshBefore how long before a token expires a new one is fetched (for tokens that live
 *                      less than twice this long: half their lifetime before)
 */
public record OAuth2ClientCredentials(
        URI tokenUrl, String clientId, String clientSecret, String scope, String audience, Duration refreshBefore) {
    public static final Duration DEFAULT_REFRESH_BEFORE = Duration.ofSeconds(30);

    public OAuth2ClientCredentials {
        Objects.requireNonNull(tokenUrl, "tokenUrl");
        if (!"http".equals(tokenUrl.getScheme()) && !"https".equals(tokenUrl.getScheme())
                || tokenUrl.getHost() == null) {
            throw new IllegalArgumentException(
                    "OAuth2 token URL '" + tokenUrl + "' is not an http(s) URL, e.g. https://login.example.com/token");
        }
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("OAuth2 client credentials need a client id");
        }
        if (clientSecret == null || clientSecret.isEmpty()) {
            throw new IllegalArgumentException("OAuth2 client '" + clientId + "' needs a client secret");
        }
        refreshBefore = refreshBefore == null ? DEFAULT_REFRESH_BEFORE : refreshBefore;
        if (refreshBefore.isNegative()) {
            throw new IllegalArgumentException("OAuth2 refreshBefore must not be negative, got " + refreshBefore);
        }
    }

    public OAuth2ClientCredentials(URI tokenUrl, String clientId, String clientSecret) {
        this(tokenUrl, clientId, clientSecret, null, null, null);
    }

    /** The secret stays out of logs. */
    @Override
    public String toString() {
        return "OAuth2ClientCredentials[tokenUrl=" + tokenUrl + ", clientId=" + clientId + ", scope=" + scope
                + ", audience=" + audience + ", refreshBefore=" + refreshBefore + "]";
    }
}
