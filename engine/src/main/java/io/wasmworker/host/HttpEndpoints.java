package io.wasmworker.host;

import java.net.http.HttpClient;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The endpoints an artifact's guests may call, each with the one HTTP client its calls share (built
 * when first used). Thread-safe: one instance serves every run of the artifact.
 */
public final class HttpEndpoints {
    public static final HttpEndpoints NONE =
            new HttpEndpoints(Map.of(), new ConcurrentHashMap<>(), HttpCallObserver.NONE);

    private final Map<String, HttpEndpoint> endpoints;
    private final Map<String, HttpClient> clients;
    private final HttpCallObserver observer;

    private HttpEndpoints(
            Map<String, HttpEndpoint> endpoints, Map<String, HttpClient> clients, HttpCallObserver observer) {
        this.endpoints = endpoints;
        this.clients = clients;
        this.observer = observer;
    }

    /** The same endpoints (and clients), with every call reported to {@code observer}. */
    public HttpEndpoints observedBy(HttpCallObserver observer) {
        return new HttpEndpoints(endpoints, clients, observer);
    }

    HttpCallObserver observer() {
        return observer;
    }

    public static HttpEndpoints of(Collection<HttpEndpoint> endpoints) {
        Map<String, HttpEndpoint> byName = new LinkedHashMap<>();
        for (HttpEndpoint e : endpoints) {
            if (byName.put(e.name(), e) != null) {
                throw new IllegalArgumentException("endpoint '" + e.name() + "' is named twice");
            }
        }
        return new HttpEndpoints(Map.copyOf(byName), new ConcurrentHashMap<>(), HttpCallObserver.NONE);
    }

    public Optional<HttpEndpoint> get(String name) {
        return Optional.ofNullable(endpoints.get(name));
    }

    public Collection<HttpEndpoint> all() {
        return endpoints.values();
    }

    public boolean isEmpty() {
        return endpoints.isEmpty();
    }

    /** The endpoint's client: no redirects (a redirect could lead outside the allow-list), HTTP/1.1. */
    HttpClient client(HttpEndpoint endpoint) {
        return clients.computeIfAbsent(
                endpoint.name(),
                n -> HttpClient.newBuilder()
                        .connectTimeout(endpoint.connectTimeout())
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .version(HttpClient.Version.HTTP_1_1)
                        .build());
    }

    @Override
    public String toString() {
        return "HttpEndpoints" + endpoints.keySet();
    }
}
