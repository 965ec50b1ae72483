package io.wasmworker.host;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A named HTTP service a guest may call through the host ({@code wasm_worker.http_request}): where it
 * is, what the guest may ask of it, what the host adds, and the bounds of one call.
 *
 * @param name            what the guest calls it by
 * @param baseUri         {@code http(s)://host[:port][/path]}: request paths are appended to it
 * @param methods         the methods the guest may use (upper case)
 * @param pathPrefixes    the guest's path must start with one of these (each starts with {@code /})
 * @param headers         headers the host adds to every request (credentials): never shown to the
 *                        guest, never part of the request digest, so never in a snapshot or journal;
 *                        a guest header of the same name is refused
 * @param connectTimeout  to open a connection
 * @param timeout         for the whole call, response body included
 * @param maxRequestBytes the most a request (headers and body, as the guest passes them) may take
 * @param maxResponseBytes the most a response (headers and body, as the guest receives them) may take
 */
public record HttpEndpoint(
        String name,
        URI baseUri,
        Set<String> methods,
        List<String> pathPrefixes,
        Map<String, String> headers,
        Duration connectTimeout,
        Duration timeout,
        long maxRequestBytes,
        long maxResponseBytes) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1L << 20;
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 1L << 20;
    /** A response is held in one array, and the journal entry holding it in another. */
    public static final long MAX_MESSAGE_BYTES = 64L << 20;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public HttpEndpoint {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "endpoint name '" + name + "' must be 1 to 64 letters, digits, '_', '.' or '-'");
        }
        String where = "endpoint '" + name + "': ";
        if (baseUri == null
                || !("http".equals(baseUri.getScheme()) || "https".equals(baseUri.getScheme()))
                || baseUri.getHost() == null
                || baseUri.getRawQuery() != null
                || baseUri.getRawFragment() != null
                || baseUri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(where + "url '" + baseUri
                    + "' must be http:// or https:// with a host, and no user info, query or fragment");
        }
        methods = Set.copyOf(methods);
        if (methods.isEmpty()) {
            throw new IllegalArgumentException(where + "allow at least one method");
        }
        for (String m : methods) {
            if (!TOKEN.matcher(m).matches() || !m.equals(m.toUpperCase(Locale.ROOT))) {
                throw new IllegalArgumentException(where + "method '" + m + "' is not an upper-case HTTP method");
            }
        }
        pathPrefixes = List.copyOf(pathPrefixes);
        if (pathPrefixes.isEmpty()) {
            throw new IllegalArgumentException(where + "allow at least one path prefix ('/' allows every path)");
        }
        for (String p : pathPrefixes) {
            if (!p.startsWith("/") || p.contains("..") || p.contains("?") || p.contains("#")) {
                throw new IllegalArgumentException(
                        where + "path prefix '" + p + "' must start with '/' and hold no '..', '?' or '#'");
            }
        }
        Map<String, String> lower = new TreeMap<>();
        headers.forEach((k, v) -> {
            if (!TOKEN.matcher(k).matches() || v == null || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                throw new IllegalArgumentException(where + "header '" + k + "' is not a valid header name and value");
            }
            lower.put(k.toLowerCase(Locale.ROOT), v);
        });
        headers = java.util.Collections.unmodifiableMap(lower);
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException(where + "connectTimeout must be positive");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(where + "timeout must be positive");
        }
        if (maxRequestBytes < 0 || maxRequestBytes > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException(
                    where + "maxRequest must be between 0 and " + MAX_MESSAGE_BYTES + " bytes, got " + maxRequestBytes);
        }
        if (maxResponseBytes < 0 || maxResponseBytes > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException(where + "maxResponse must be between 0 and " + MAX_MESSAGE_BYTES
                    + " bytes, got " + maxResponseBytes);
        }
    }

    /** An endpoint with the default timeouts and sizes. */
    public static HttpEndpoint of(String name, URI baseUri, Set<String> methods, List<String> pathPrefixes) {
        return new HttpEndpoint(
                name,
                baseUri,
                methods,
                pathPrefixes,
                Map.of(),
                DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_TIMEOUT,
                DEFAULT_MAX_REQUEST_BYTES,
                DEFAULT_MAX_RESPONSE_BYTES);
    }

    public boolean allowsPath(String path) {
        for (String prefix : pathPrefixes) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Credentials stay out of logs and reports. */
    @Override
    public String toString() {
        return "HttpEndpoint[" + name + " " + baseUri + " " + methods + " " + pathPrefixes + ", headers "
                + headers.keySet() + "]";
    }
}
