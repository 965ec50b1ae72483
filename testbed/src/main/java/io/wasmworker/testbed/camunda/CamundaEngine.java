package io.wasmworker.testbed.camunda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.testbed.OrchestratorProcess;
import io.wasmworker.testbed.auth.BearerTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A real Camunda 7 engine in its own JVM (Camunda 7.24 or Operaton, see {@link EngineProduct}), and
 * the REST calls tests and {@code dev} make to it: deploy BPMN files, start instances, and read the
 * engine's view (variables, incidents, history). Needs only the JDK and Jackson on the caller's
 * classpath.
 */
public final class CamundaEngine implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final EngineProduct product;
    private final OrchestratorProcess process;
    private final String restUrl;
    /** The tokens the engine requires, or null when it requires none. */
    private final BearerTokens tokens;

    private CamundaEngine(EngineProduct product, OrchestratorProcess process, BearerTokens tokens) {
        this.product = product;
        this.process = process;
        this.restUrl = "http://127.0.0.1:" + process.port() + "/engine-rest";
        this.tokens = tokens;
    }

    /** Starts a Camunda 7.24 engine on a free port and waits until its REST API answers (10-30 s here). */
    public static CamundaEngine start() {
        return start(EngineProduct.CAMUNDA);
    }

    /** Starts that engine on a free port and waits until its REST API answers (10-30 s here). */
    public static CamundaEngine start(EngineProduct product) {
        return start(product, null);
    }

    /**
     * Starts that engine requiring, on every REST call, a bearer token of {@code tokens} (issued by a
     * {@link io.wasmworker.testbed.auth.TokenEndpoint}); this launcher's own calls carry one. Requests
     * without a valid token get 401 and a line {@code bearer refused ...} in the engine's log.
     */
    public static CamundaEngine start(EngineProduct product, BearerTokens tokens) {
        List<String> args = new ArrayList<>(List.of(product.id(), "--server.port={port}"));
        if (tokens != null) {
            args.add("--testbed.bearer-key=" + tokens.encodedKey());
        }
        return new CamundaEngine(
                product,
                OrchestratorProcess.start(product.id(), args, Duration.ofMinutes(3), port -> answers(port, tokens)),
                tokens);
    }

    private static boolean answers(int port, BearerTokens tokens) {
        try {
            HttpResponse<String> r = HTTP.send(
                    authorized(
                                    HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + port + "/engine-rest/engine")),
                                    tokens)
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The REST base URL, e.g. {@code http://127.0.0.1:PORT/engine-rest}. */
    public String restUrl() {
        return restUrl;
    }

    /** Cockpit (user {@code demo}, password {@code demo}). */
    public String cockpitUrl() {
        return "http://127.0.0.1:" + process.port() + product.cockpitPath();
    }

    public EngineProduct product() {
        return product;
    }

    public OrchestratorProcess process() {
        return process;
    }

    /** Deploys BPMN files (as a modeller saved them) in one deployment. */
    public void deploy(Path... bpmnFiles) {
        deploy(null, bpmnFiles);
    }

    /** Deploys BPMN files in one deployment that belongs to a tenant (null: to none). */
    public void deploy(String tenantId, Path... bpmnFiles) {
        String boundary = "----testbed" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            part(body, boundary, "deployment-name", null, "testbed".getBytes(StandardCharsets.UTF_8));
            part(body, boundary, "deploy-changed-only", null, "true".getBytes(StandardCharsets.UTF_8));
            if (tenantId != null) {
                part(body, boundary, "tenant-id", null, tenantId.getBytes(StandardCharsets.UTF_8));
            }
            for (Path file : bpmnFiles) {
                part(
                        body,
                        boundary,
                        file.getFileName().toString(),
                        file.getFileName().toString(),
                        Files.readAllBytes(file));
            }
            body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        send(HttpRequest.newBuilder(URI.create(restUrl + "/deployment/create"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    }

    private static void part(ByteArrayOutputStream out, String boundary, String name, String filename, byte[] data)
            throws IOException {
        String header = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                + (filename == null ? "" : "; filename=\"" + filename + "\"") + "\r\n"
                + (filename == null ? "" : "Content-Type: application/octet-stream\r\n") + "\r\n";
        out.write(header.getBytes(StandardCharsets.UTF_8));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Starts an instance; variables keep their Java types (String, Integer, Long, Double, Boolean,
     * null, an {@link java.time.Instant} as a Date; a {@link Map} or {@link List} becomes a Json
     * variable).
     *
     * @return the process instance id
     */
    public String startProcess(String key, String businessKey, Map<String, ?> variables) {
        if (!product.hasJson()) {
            variables.forEach((name, value) -> {
                if (value instanceof Map<?, ?> || value instanceof List<?>) {
                    throw new IllegalArgumentException("variable '" + name + "' would be Json, which the test bed's "
                            + product + " cannot store (its Spin JSON data format is not served here): pass"
                            + " primitives, or use an engine with hasJson()");
                }
            });
        }
        ObjectNode request = JSON.createObjectNode();
        if (businessKey != null) {
            request.put("businessKey", businessKey);
        }
        ObjectNode vars = request.putObject("variables");
        variables.forEach((name, value) -> vars.set(name, typed(value)));
        return post("/process-definition/key/" + encode(key) + "/start", request)
                .get("id")
                .asText();
    }

    /** A REST variable value with its Camunda type. */
    public static ObjectNode typed(Object value) {
        ObjectNode v = JSON.createObjectNode();
        if (value == null) {
            v.put("type", "Null");
            v.putNull("value");
        } else if (value instanceof String s) {
            v.put("type", "String").put("value", s);
        } else if (value instanceof Integer i) {
            v.put("type", "Integer").put("value", i);
        } else if (value instanceof Long l) {
            v.put("type", "Long").put("value", l);
        } else if (value instanceof Double d) {
            v.put("type", "Double").put("value", d);
        } else if (value instanceof Boolean b) {
            v.put("type", "Boolean").put("value", b);
        } else if (value instanceof byte[] bytes) {
            v.put("type", "Bytes").put("value", java.util.Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof java.time.Instant t) {
            v.put("type", "Date")
                    .put(
                            "value",
                            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ")
                                    .withZone(java.time.ZoneOffset.UTC)
                                    .format(t));
        } else if (value instanceof Map<?, ?> || value instanceof List<?>) {
            try {
                v.put("type", "Json").put("value", JSON.writeValueAsString(value));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            throw new IllegalArgumentException(
                    "no Camunda type for " + value.getClass().getName());
        }
        return v;
    }

    /** The history record of an instance ({@code state}: ACTIVE, COMPLETED, ...). */
    public JsonNode historicInstance(String processInstanceId) {
        return get("/history/process-instance/" + encode(processInstanceId));
    }

    /** Waits until the instance has ended (completed or terminated) and returns its history record. */
    public JsonNode awaitEnded(String processInstanceId, Duration timeout) {
        return await(
                timeout,
                "process instance " + processInstanceId + " to end",
                () -> historicInstance(processInstanceId),
                h -> h.hasNonNull("endTime"));
    }

    /** Historic variables of an instance by name: {@code {type, value}} (the latest value of each). */
    public Map<String, JsonNode> variables(String processInstanceId) {
        JsonNode list = get(
                "/history/variable-instance?deserializeValues=false&processInstanceId=" + encode(processInstanceId));
        Map<String, JsonNode> byName = new java.util.TreeMap<>();
        for (JsonNode v : list) {
            ObjectNode slim = JSON.createObjectNode();
            slim.put("type", v.path("type").asText());
            slim.set("value", v.get("value"));
            byName.put(v.path("name").asText(), slim);
        }
        return byName;
    }

    /** Open incidents of an instance. */
    public List<JsonNode> incidents(String processInstanceId) {
        return list(get("/incident?processInstanceId=" + encode(processInstanceId)));
    }

    /** Waits for an incident on the instance. */
    public JsonNode awaitIncident(String processInstanceId, Duration timeout) {
        List<JsonNode> found = await(
                timeout, "an incident on " + processInstanceId, () -> incidents(processInstanceId), l -> !l.isEmpty());
        return found.get(0);
    }

    /** The instance's external tasks still open (with retries, errorMessage, workerId). */
    public List<JsonNode> externalTasks(String processInstanceId) {
        return list(get("/external-task?processInstanceId=" + encode(processInstanceId)));
    }

    /** Activities the instance passed through (historic), e.g. to see which boundary event fired. */
    public List<String> activityIds(String processInstanceId) {
        List<String> ids = new ArrayList<>();
        for (JsonNode a : get("/history/activity-instance?sortBy=startTime&sortOrder=asc&processInstanceId="
                + encode(processInstanceId))) {
            ids.add(a.path("activityId").asText());
        }
        return ids;
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(restUrl + path)).GET());
    }

    public JsonNode post(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(URI.create(restUrl + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode put(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(URI.create(restUrl + path))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private static HttpRequest.Builder authorized(HttpRequest.Builder request, BearerTokens tokens) {
        return tokens == null
                ? request
                : request.header("Authorization", "Bearer " + tokens.mint(Duration.ofMinutes(1)));
    }

    private JsonNode send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = HTTP.send(
                    authorized(request, tokens).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("Camunda REST " + r.request().method() + " " + r.uri() + " answered "
                        + r.statusCode() + ": " + r.body());
            }
            return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("Camunda REST call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static <T> T await(Duration timeout, String what, java.util.function.Supplier<T> probe, Predicate<T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            last = probe.get();
        }
        return last;
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return product + " at " + restUrl;
    }
}
