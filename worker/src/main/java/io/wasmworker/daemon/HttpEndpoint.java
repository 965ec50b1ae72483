package io.wasmworker.daemon;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The daemon's HTTP side: {@code /metrics} (Prometheus text), {@code /health/live} (the process
 * answers) and {@code /health/ready} (the adapters are serving; 503 while starting or stopping).
 * Paths match exactly; anything else is 404.
 *
 * <p>Served by Jetty's core server: requests are parsed without blocking a thread, so clients that
 * send half a request and wait hold no thread and cannot keep a liveness probe from its answer
 * (the JDK's HttpServer read each request on its one dispatcher thread). A connection idle for
 * {@link #IDLE_TIMEOUT} is closed.
 */
final class HttpEndpoint implements AutoCloseable {
    /** How long a connection may send or wait for nothing before it is closed. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Handlers only format a scrape or a constant; a few threads serve any number of probes. */
    private static final int MAX_THREADS = 8;

    private final Server server;
    private final ServerConnector connector;

    HttpEndpoint(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
        this(host, port, registry, ready, IDLE_TIMEOUT);
    }

    HttpEndpoint(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready, Duration idleTimeout) {
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("http");
        threads.setDaemon(true);
        server = new Server(threads);
        connector = new ServerConnector(server, 1, 1);
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(idleTimeout.toMillis());
        server.addConnector(connector);
        server.setHandler(new Routes(registry, ready));
        server.setStopTimeout(1000);
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException(
                    "cannot serve metrics and health on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping: nothing is left to serve, and the daemon's own shutdown goes on
        }
    }

    /** The three paths, matched exactly; GET and HEAD only. */
    private static final class Routes extends Handler.Abstract {
        private static final String JSON = "application/json";
        private final PrometheusMeterRegistry registry;
        private final BooleanSupplier ready;

        Routes(PrometheusMeterRegistry registry, BooleanSupplier ready) {
            this.registry = registry;
            this.ready = ready;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            boolean known = "/metrics".equals(path) || "/health/live".equals(path) || "/health/ready".equals(path);
            if (!known) {
                return send(response, callback, 404, "text/plain; charset=utf-8", "not found\n", method);
            }
            if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                return send(response, callback, 405, "text/plain; charset=utf-8", "use GET\n", method);
            }
            return switch (path) {
                case "/metrics" ->
                    send(
                            response,
                            callback,
                            200,
                            "text/plain; version=0.0.4; charset=utf-8",
                            registry.scrape(),
                            method);
                case "/health/live" -> send(response, callback, 200, JSON, "{\"status\":\"UP\"}", method);
                default -> {
                    boolean up = ready.getAsBoolean();
                    yield send(
                            response,
                            callback,
                            up ? 200 : 503,
                            JSON,
                            up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}",
                            method);
                }
            };
        }

        private static boolean send(
                Response response, Callback callback, int status, String type, String body, String method) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(
                    true, HttpMethod.HEAD.is(method) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(bytes), callback);
            return true;
        }
    }
}
