package io.wasmworker.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The daemon's HTTP side: {@code /metrics} (Prometheus text), {@code /health/live} (the process
 * answers) and {@code /health/ready} (the adapters are serving; 503 while starting or stopping).
 */
final class HttpEndpoint implements AutoCloseable {
    private final HttpServer server;

    HttpEndpoint(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics and health on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        server.createContext("/metrics", x -> send(x, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/health/live", x -> send(x, 200, "application/json", "{\"status\":\"UP\"}"));
        server.createContext("/health/ready", x -> {
            boolean up = ready.getAsBoolean();
            send(x, up ? 200 : 503, "application/json", up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
