package io.wasmworker.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP service on loopback that counts what it receives, for host-call tests:
 * <ul>
 *   <li>{@code POST /reserve}: a reservation; answers {@code {"reservation":N}}, N counting the distinct
 *       idempotency keys seen (a repeated key gets its first answer again: a deduplicating service);</li>
 *   <li>{@code GET /price/<sku>}: {@code {"sku":"<sku>","price":12}};</li>
 *   <li>{@code GET /stock/<sku>}: {@code {"sku":"<sku>","available":5}};</li>
 *   <li>{@code GET /echo}: the headers it got that tests look at, and the body length, as JSON;</li>
 *   <li>{@code GET /big}: 100,000 bytes; {@code GET /slow}: answers after 5 s;</li>
 *   <li>{@code GET /stall}: its headers at once, then half of its body, then nothing for 5 s;
 *       {@code GET /late}: its headers at once, its body in two parts 100 ms apart.</li>
 * </ul>
 */
public final class LoopbackService implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
    private final List<String> idempotencyKeys = new CopyOnWriteArrayList<>();
    private final Map<String, String> reservations = new ConcurrentHashMap<>();
    /** Released by {@link #close}: ends the pauses of {@code /stall} and {@code /late} early. */
    private final CountDownLatch closing = new CountDownLatch(1);

    public LoopbackService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "loopback-service");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Endpoint {@code name} at this service: every method, every path. */
    public HttpEndpoints endpoints(String name) {
        return endpoints(name, uri());
    }

    /** Endpoint {@code name} at {@code uri} (a service that may be down): every method, every path. */
    public static HttpEndpoints endpoints(String name, URI uri) {
        return HttpEndpoints.of(List.of(
                HttpEndpoint.of(name, uri, Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), List.of("/"))));
    }

    /** An endpoint from {@code NAME=URL} (a worker JVM's {@code -Dwasmworker.endpoint}); none for null. */
    public static HttpEndpoints endpointsFrom(String spec) {
        if (spec == null) {
            return HttpEndpoints.NONE;
        }
        int eq = spec.indexOf('=');
        return endpoints(spec.substring(0, eq), URI.create(spec.substring(eq + 1)));
    }

    /** A loopback address where nothing listens (a service that is down). */
    public static URI nothingListening() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    /** Every request received. */
    public int requests() {
        return requests.get();
    }

    /** Requests received for exactly this path. */
    public int requests(String path) {
        AtomicInteger n = byPath.get(path);
        return n == null ? 0 : n.get();
    }

    /** The Idempotency-Key header of every request, in order. */
    public List<String> idempotencyKeys() {
        return List.copyOf(idempotencyKeys);
    }

    /** Reservations made: distinct idempotency keys of {@code POST /reserve}. */
    public int reservations() {
        return reservations.size();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            byPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (key != null) {
                idempotencyKeys.add(key);
            }
            if (path.equals("/reserve") && exchange.getRequestMethod().equals("POST")) {
                String answer;
                synchronized (reservations) {
                    answer = reservations.computeIfAbsent(
                            key == null ? "none-" + requests.get() : key,
                            k -> "{\"reservation\":" + (reservations.size() + 1) + "}");
                }
                send(exchange, 201, answer);
            } else if (path.startsWith("/stock/")) {
                send(exchange, 200, "{\"sku\":\"" + path.substring(7) + "\",\"available\":5}");
            } else if (path.startsWith("/price/")) {
                send(exchange, 200, "{\"sku\":\"" + path.substring(7) + "\",\"price\":12}");
            } else if (path.equals("/echo")) {
                var h = exchange.getRequestHeaders();
                send(
                        exchange,
                        200,
                        "{\"apiKey\":\"" + h.getFirst("X-Api-Key") + "\",\"trace\":\"" + h.getFirst("X-Trace")
                                + "\",\"idempotencyKey\":\"" + key + "\",\"bodyBytes\":" + body.length + "}");
            } else if (path.equals("/big")) {
                send(exchange, 200, "x".repeat(100_000));
            } else if (path.equals("/slow")) {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                send(exchange, 200, "{\"slow\":true}");
            } else if (path.equals("/stall")) {
                sendInParts(exchange, "{\"stalled\":false}", 5_000);
            } else if (path.equals("/none")) {
                exchange.sendResponseHeaders(204, -1); // no body at all
            } else if (path.equals("/late")) {
                sendInParts(exchange, "{\"late\":true}", 100);
            } else {
                send(exchange, 404, "{\"error\":\"not found\"}");
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        } catch (IOException e) {
            // the client gave up (a response over its limit, a timeout): nothing to answer any more
        }
    }

    /** The headers and the first half of the body, flushed; the rest after {@code pauseMillis}. */
    private void sendInParts(HttpExchange exchange, String text, long pauseMillis) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes, 0, bytes.length / 2);
            out.flush();
            closing.await(pauseMillis, TimeUnit.MILLISECONDS);
            out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client gave up (a timeout): nothing to answer any more
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
