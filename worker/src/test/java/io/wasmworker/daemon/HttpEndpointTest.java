package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The metrics and health endpoint: exact paths, and slow or stuck clients cannot starve the probes. */
class HttpEndpointTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicBoolean ready = new AtomicBoolean();
    private final List<Socket> sockets = new ArrayList<>();
    private HttpEndpoint endpoint;

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return request(
                HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build());
    }

    private HttpResponse<String> request(HttpRequest request) throws Exception {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + endpoint.port() + path);
    }

    /** A connection that sent the start of a request and then nothing. */
    private Socket halfRequest() throws IOException {
        Socket socket = new Socket("127.0.0.1", endpoint.port());
        sockets.add(socket);
        OutputStream out = socket.getOutputStream();
        out.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    @Test
    void pathsMatchExactly() throws Exception {
        endpoint = new HttpEndpoint("127.0.0.1", 0, registry, ready::get);
        Counter.builder("wasm_worker_tasks")
                .tag("queue", "q")
                .register(registry)
                .increment();

        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/live").body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
        ready.set(true);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("wasm_worker_tasks_total{queue=\"q\"} 1.0");
        assertThat(metrics.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(get("/metrics?fresh=1").statusCode()).isEqualTo(200);

        for (String wrong : List.of(
                "/metricsX",
                "/metrics/",
                "/health/live/extra",
                "/health/liveX",
                "/health",
                "/health/",
                "/",
                "/Metrics",
                "/health/ready/x")) {
            assertThat(get(wrong).statusCode()).as(wrong).isEqualTo(404);
        }
        assertThat(request(HttpRequest.newBuilder(uri("/health/live"))
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .timeout(Duration.ofSeconds(5))
                                .build())
                        .statusCode())
                .isEqualTo(405);
    }

    @Test
    void clientsThatSendHalfARequestDoNotBlockTheProbes() throws Exception {
        endpoint = new HttpEndpoint("127.0.0.1", 0, registry, ready::get);
        for (int i = 0; i < 64; i++) {
            halfRequest();
        }
        long start = System.nanoTime();
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/metrics").statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        for (Socket s : sockets) {
            assertThat(s.isClosed()).isFalse(); // they are still there, still waiting
        }
    }

    @Test
    void aConnectionThatStaysIdleIsClosed() throws Exception {
        endpoint = new HttpEndpoint("127.0.0.1", 0, registry, ready::get, Duration.ofMillis(300));
        Socket slow = halfRequest();
        slow.setSoTimeout(10_000);
        InputStream in = slow.getInputStream();
        long start = System.nanoTime();
        // the server answers the stuck request with an error or just closes: either way the stream ends
        while (in.read() >= 0) {
            // drain
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
