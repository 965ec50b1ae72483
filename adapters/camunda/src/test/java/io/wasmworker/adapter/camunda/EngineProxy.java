package io.wasmworker.adapter.camunda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTTP proxy on loopback in front of the real engine's REST API, for faults the engine will
 * not make on demand: it can fail a task's first completions with the engine's optimistic-locking
 * answer, slow lock extensions down, and it sees whether a report of a task arrives while an
 * extension of the same task is still under way.
 */
final class EngineProxy implements AutoCloseable {
    private static final Pattern TASK_CALL =
            Pattern.compile("/external-task/([^/]+)/(complete|failure|bpmnError|extendLock|unlock)$");
    static final String OPTIMISTIC_LOCKING_BODY = "{\"type\":\"OptimisticLockingException\",\"message\":\"ENGINE-03005 "
            + "Execution of 'UPDATE ExternalTaskEntity[%s]' failed. Entity was updated by another transaction "
            + "concurrently.\",\"code\":1}";

    private final String target;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "engine-proxy");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Completions still to refuse, per task (or for any task under "*"). */
    private final Map<String, AtomicInteger> completionsToFail = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> extensionsUnderWay = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Set<String> overlapping = ConcurrentHashMap.newKeySet();
    /** Extensions under way per task and worker id, to tell a worker's own extension from another's. */
    private final Map<String, AtomicInteger> ownExtensionsUnderWay = new ConcurrentHashMap<>();

    private final Set<String> overlappingOwn = ConcurrentHashMap.newKeySet();
    private final Set<String> conflicts = ConcurrentHashMap.newKeySet();
    private static final Pattern WORKER_ID = Pattern.compile("\"workerId\"\\s*:\\s*\"([^\"]*)\"");
    private volatile long extensionDelayMillis;

    /** @param target the engine's REST URL, e.g. {@code http://localhost:8080/engine-rest} */
    EngineProxy(String target) throws IOException {
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::forward);
        server.start();
    }

    /** The REST URL to give the worker. */
    String restUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort()
                + URI.create(target).getPath();
    }

    /** The first {@code n} completions (of any task) are answered with the engine's optimistic-locking 500. */
    void failCompletions(int n) {
        completionsToFail.put("*", new AtomicInteger(n));
    }

    /** Every lock extension is held this long before it goes to the engine. */
    void delayExtensions(Duration delay) {
        extensionDelayMillis = delay.toMillis();
    }

    /** How often {@code call} (complete, extendLock...) was asked for the task. */
    int calls(String taskId, String call) {
        AtomicInteger n = calls.get(taskId + "/" + call);
        return n == null ? 0 : n.get();
    }

    /** How often {@code call} was asked for any task. */
    int calls(String call) {
        return calls.entrySet().stream()
                .filter(e -> e.getKey().endsWith("/" + call))
                .mapToInt(e -> e.getValue().get())
                .sum();
    }

    /** Reports (complete, failure, BPMN error, unlock) that arrived while an extension of the same task was under way. */
    Set<String> overlappingReports() {
        return Set.copyOf(overlapping);
    }

    /**
     * Reports (complete, failure, BPMN error) that arrived while an extension of the same task by the
     * same worker id was under way: what made the engine refuse completions in issue 17.
     */
    Set<String> overlappingOwnReports() {
        return Set.copyOf(overlappingOwn);
    }

    /** Reports the engine itself (not this proxy) answered with an optimistic-locking conflict (ENGINE-03005). */
    Set<String> conflictedReports() {
        return Set.copyOf(conflicts);
    }

    private static String workerId(byte[] body) {
        Matcher m = WORKER_ID.matcher(new String(body, StandardCharsets.UTF_8));
        return m.find() ? m.group(1) : null;
    }

    private void forward(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getRawPath();
            Matcher m = TASK_CALL.matcher(path);
            String taskId = m.find() ? m.group(1) : null;
            String call = taskId == null ? null : m.group(2);
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (taskId != null) {
                calls.computeIfAbsent(taskId + "/" + call, k -> new AtomicInteger())
                        .incrementAndGet();
            }
            String workerId = taskId == null ? null : workerId(body);
            if ("extendLock".equals(call)) {
                AtomicInteger underWay = extensionsUnderWay.computeIfAbsent(taskId, k -> new AtomicInteger());
                AtomicInteger ownUnderWay =
                        ownExtensionsUnderWay.computeIfAbsent(taskId + "|" + workerId, k -> new AtomicInteger());
                underWay.incrementAndGet();
                ownUnderWay.incrementAndGet();
                HttpResponse<byte[]> answer;
                try {
                    Thread.sleep(extensionDelayMillis);
                    answer = send(exchange, path, body);
                } finally {
                    underWay.decrementAndGet(); // before the client can see the answer and go on
                    ownUnderWay.decrementAndGet();
                }
                respond(exchange, answer);
                return;
            }
            if (call != null && !"extendLock".equals(call)) {
                AtomicInteger underWay = extensionsUnderWay.get(taskId);
                if (underWay != null && underWay.get() > 0) {
                    overlapping.add(taskId + "/" + call);
                }
                AtomicInteger ownUnderWay =
                        workerId == null ? null : ownExtensionsUnderWay.get(taskId + "|" + workerId);
                if (ownUnderWay != null && ownUnderWay.get() > 0) {
                    overlappingOwn.add(taskId + "/" + call + " by " + workerId);
                }
            }
            if ("complete".equals(call)) {
                AtomicInteger toFail = completionsToFail.get("*");
                if (toFail != null && toFail.getAndDecrement() > 0) {
                    byte[] answer = OPTIMISTIC_LOCKING_BODY.formatted(taskId).getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(500, answer.length);
                    exchange.getResponseBody().write(answer);
                    return;
                }
            }
            HttpResponse<byte[]> answer = send(exchange, path, body);
            if (call != null
                    && answer.statusCode() == 500
                    && new String(answer.body(), StandardCharsets.UTF_8).contains("OptimisticLocking")) {
                conflicts.add(taskId + "/" + call + " by " + workerId);
            }
            respond(exchange, answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exchange.close();
        }
    }

    private HttpResponse<byte[]> send(HttpExchange exchange, String path, byte[] body)
            throws IOException, InterruptedException {
        String query = exchange.getRequestURI().getRawQuery();
        String base = target.substring(
                0, target.length() - URI.create(target).getPath().length());
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(base + path + (query == null ? "" : "?" + query)))
                .timeout(Duration.ofMinutes(2))
                .method(
                        exchange.getRequestMethod(),
                        body.length == 0
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String header : new String[] {"Content-Type", "Accept", "Authorization"}) {
            String value = exchange.getRequestHeaders().getFirst(header);
            if (value != null) {
                request.header(header, value);
            }
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void respond(HttpExchange exchange, HttpResponse<byte[]> response) throws IOException {
        response.headers()
                .firstValue("Content-Type")
                .ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
        byte[] answer = response.body();
        exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
