package io.wasmworker.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: an artifact's HTTP endpoints in the worker's configuration. */
class EndpointConfigTest {
    private static final ConfigLoader LOADER = ConfigLoader.withEnvironment(Map.of("PRICING_KEY", "k-123"));
    private static final String CAMUNDA = """
            camunda:
              url: http://camunda/engine-rest
              topics: [ { topic: t, artifact: a } ]
            """;

    @TempDir
    Path dir;

    private WorkerConfig load(String yaml) throws Exception {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return LOADER.load(file);
    }

    private void fails(String yaml, String... parts) {
        assertThatThrownBy(() -> load(yaml))
                .isInstanceOf(ConfigException.class)
                .message()
                .contains(dir.resolve("worker.yaml").toString())
                .contains(parts);
    }

    @Test
    void anEndpointWithItsSecretsFromTheEnvironmentAndAFile() throws Exception {
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("secrets/token"), "Bearer t0ken\n"); // relative to the file
        WorkerConfig config = load("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://127.0.0.1:8099/api
                        methods: [GET, POST]
                        paths: [/prices/, /reservations]
                        headers: { X-Api-Key: "${PRICING_KEY}" }
                        headerFiles: { Authorization: secrets/token }
                        connectTimeout: 500ms
                        timeout: 3s
                        maxRequest: 64KiB
                        maxResponse: 2MiB
                      plain:
                        url: https://example.org
                """ + CAMUNDA);

        HttpEndpoints endpoints = Endpoints.of(config.artifacts().get("a").endpoints(), dir);

        HttpEndpoint pricing = endpoints.get("pricing").orElseThrow();
        assertThat(pricing.baseUri()).isEqualTo(URI.create("http://127.0.0.1:8099/api"));
        assertThat(pricing.methods()).containsExactlyInAnyOrder("GET", "POST");
        assertThat(pricing.pathPrefixes()).containsExactly("/prices/", "/reservations");
        assertThat(pricing.headers()).isEqualTo(Map.of("x-api-key", "k-123", "authorization", "Bearer t0ken"));
        assertThat(pricing.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(pricing.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(pricing.maxRequestBytes()).isEqualTo(64 << 10);
        assertThat(pricing.maxResponseBytes()).isEqualTo(2 << 20);
        assertThat(pricing.toString()).doesNotContain("k-123", "t0ken");

        HttpEndpoint plain = endpoints.get("plain").orElseThrow();
        assertThat(plain.methods()).isEqualTo(Set.of("GET"));
        assertThat(plain.pathPrefixes()).isEqualTo(List.of("/"));
        assertThat(plain.timeout()).isEqualTo(HttpEndpoint.DEFAULT_TIMEOUT);
        assertThat(plain.maxResponseBytes()).isEqualTo(HttpEndpoint.DEFAULT_MAX_RESPONSE_BYTES);
    }

    @Test
    void mistakesAreNamedAtTheirLineAndField() {
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing: { url: http://x, methdos: [GET] }
                """ + CAMUNDA, ":4:", "unknown field 'methdos'", "did you mean 'methods'?");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing: { methods: [GET] }
                """ + CAMUNDA, ":4:", "artifacts.a.endpoints.pricing", "missing required field 'url'");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: ftp://x/
                """ + CAMUNDA, ":5:", "artifacts.a.endpoints.pricing.url", "must be http:// or https://");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        paths: [prices]
                """ + CAMUNDA, "artifacts.a.endpoints.pricing", "path prefix 'prices' must start with '/'");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        methods: [get]
                """ + CAMUNDA, "artifacts.a.endpoints.pricing", "method 'get' is not an upper-case HTTP method");
        fails(
                """
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        timeout: 0s
                """ + CAMUNDA,
                ":6:",
                "artifacts.a.endpoints.pricing.timeout",
                "0ms is out of range: allowed 1ms to 168h");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        maxResponse: 1GiB
                """ + CAMUNDA, ":6:", "artifacts.a.endpoints.pricing.maxResponse", "1GiB is out of range");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        headers: { X-Api-Key: "${UNSET_KEY}" }
                """ + CAMUNDA, ":6:", "environment variable UNSET_KEY is not set");
        fails(
                """
                artifacts:
                  a:
                    endpoints:
                      pricing:
                        url: http://x
                        headerFiles: { Authorization: /nonexistent/token }
                """ + CAMUNDA,
                ":6:",
                "artifacts.a.endpoints.pricing.headerFiles.Authorization",
                "/nonexistent/token does not exist");
        fails("""
                artifacts:
                  a:
                    endpoints:
                      "bad name!": { url: http://x }
                """ + CAMUNDA, "artifacts.a.endpoints.bad name!", "must be 1 to 64 letters");
    }
}
