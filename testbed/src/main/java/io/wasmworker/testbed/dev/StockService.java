package io.wasmworker.testbed.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The inventory service of {@code wasm-worker dev}: a small HTTP service on loopback that the
 * {@code stock-reservation} guest calls through its {@code inventory} endpoint. Every SKU starts
 * with {@value #INITIAL_STOCK} items.
 *
 * <ul>
 *   <li>{@code GET /stock/<sku>}: {@code {"sku":"<sku>","available":N}};
 *   <li>{@code POST /reserve} {@code {"sku":"<sku>","quantity":Q}}: takes Q items, answers 201 and
 *       {@code {"reservation":N,"sku":"<sku>","quantity":Q,"left":L}}; a request with an
 *       {@code Idempotency-Key} it has seen gets that request's answer again and takes nothing (how
 *       a service deduplicates the worker's retries); more than is left answers 409;
 *   <li>{@code GET /reservations}: what it has received, for a person to look at.
 * </ul>
 */
final class StockService implements AutoCloseable {
    static final int INITIAL_STOCK = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Integer> stock = new LinkedHashMap<>(); // guarded by this
    private final Map<String, String> answersByKey = new LinkedHashMap<>(); // guarded by this
    private final AtomicInteger requests = new AtomicInteger();

    private StockService(HttpServer server) {
        this.server = server;
    }

    static StockService start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "dev-stock-service");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        StockService service = new StockService(server);
        server.createContext("/", service::handle);
        server.start();
        return service;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Requests received in all. */
    int requests() {
        return requests.get();
    }

    /** Reservations made (a repeated idempotency key made none). */
    synchronized int reservations() {
        return answersByKey.size();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            byte[] body = exchange.getRequestBody().readNBytes(4096);
            if (method.equals("GET") && path.startsWith("/stock/") && isSku(path.substring(7))) {
                String sku = path.substring("/stock/".length());
                send(exchange, 200, "{\"sku\":\"" + sku + "\",\"available\":" + available(sku) + "}");
            } else if (method.equals("POST") && path.equals("/reserve")) {
                reserve(exchange, body);
            } else if (method.equals("GET") && path.equals("/reservations")) {
                send(exchange, 200, summary());
            } else {
                send(
                        exchange,
                        404,
                        "{\"error\":\"no such resource: " + method + " " + path.replaceAll("[^A-Za-z0-9/_-]", "?")
                                + "\"}");
            }
        }
    }

    private void reserve(HttpExchange exchange, byte[] body) throws IOException {
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            request = null;
        }
        String sku = request == null ? "" : request.path("sku").asText("");
        int quantity = request == null ? 0 : request.path("quantity").asInt(0);
        if (key == null || !isSku(sku) || quantity < 1) {
            send(
                    exchange,
                    400,
                    "{\"error\":\"expected an Idempotency-Key header and {\\\"sku\\\":S,\\\"quantity\\\":N}\"}");
            return;
        }
        String answer;
        synchronized (this) {
            answer = answersByKey.get(key); // a retry of a reservation already made: the same answer
            if (answer == null) {
                int left = available(sku) - quantity;
                if (left < 0) {
                    answer = null;
                } else {
                    stock.put(sku, left);
                    answer = "{\"reservation\":" + (answersByKey.size() + 1) + ",\"sku\":\"" + sku + "\",\"quantity\":"
                            + quantity + ",\"left\":" + left + "}";
                    answersByKey.put(key, answer);
                }
            }
        }
        if (answer == null) {
            send(exchange, 409, "{\"error\":\"only " + available(sku) + " left of " + sku + "\"}");
        } else {
            send(exchange, 201, answer);
        }
    }

    private synchronized int available(String sku) {
        return stock.getOrDefault(sku, INITIAL_STOCK);
    }

    private synchronized String summary() {
        return "{\"requests\":" + requests.get() + ",\"stock\":" + JSON.valueToTree(stock) + ",\"reservations\":"
                + answersByKey.values() + "}";
    }

    private static boolean isSku(String text) {
        return text.matches("[A-Za-z0-9_-]{1,64}");
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }
}
