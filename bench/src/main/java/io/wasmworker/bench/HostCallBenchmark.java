package io.wasmworker.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.host.RecordedCall;
import io.wasmworker.module.GuestModule;
import io.wasmworker.sandbox.Invocation;
import io.wasmworker.sandbox.InvocationResult;
import io.wasmworker.sandbox.Outcome;
import io.wasmworker.sandbox.Sandbox;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.HttpGuest.Call;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Issue 13: a recorded HTTP host call against the same call made directly from Java, to the same JDK
 * {@code HttpServer} on loopback, in one run. Every operation makes {@value #CALLS} calls of {@code
 * POST /reserve} with a 27-byte JSON body (the service answers 201 with 17 bytes of JSON):
 *
 * <ul>
 *   <li>{@code javaCalls}: {@link HttpClient#send} from the benchmark thread, the client configured
 *       as the host configures its own (HTTP/1.1, no redirects), with an {@code Idempotency-Key};</li>
 *   <li>{@code guestCalls}: a WAT guest ({@link HttpGuest}) making the calls through the host
 *       ({@code http_request}, then {@code http_response}) in one {@link Sandbox#invoke}, each call
 *       journaled in the task's store when {@code journal} is not {@code none}. A fresh task key per
 *       operation, so every call is live (made and recorded), never replayed;</li>
 *   <li>{@code guestNoCalls}: the same kind of guest making no call, with the same journal setting:
 *       what an invocation costs without calls (instantiation, the checkpoint lookup of a task key);</li>
 *   <li>{@code journalOnly}: what the host does with the journal around each live call, without
 *       calling: look the call up ({@code recorded}), then record an entry of the same size.</li>
 * </ul>
 * Per call: recorded = (guestCalls - guestNoCalls) / {@value #CALLS}; direct = javaCalls / {@value
 * #CALLS}; the journal's part = journalOnly / {@value #CALLS}. Journals: {@code none} (no task key),
 * {@code local} (no fsync), {@code local-fsync}, {@code s3} (Ceph RGW on loopback; run through {@link
 * WithRgw}). Thread hand-offs per call: {@code -prof io.wasmworker.bench.HandOffProfiler}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HostCallBenchmark {
    static final int CALLS = 10;
    private static final String BODY = "{\"sku\":\"X-1\",\"quantity\":2}";
    private static final byte[] ANSWER = "{\"reservation\":1}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] INPUT = "{\"order\":\"A-1\"}".getBytes(StandardCharsets.UTF_8);
    private static final RecordedCall.Target TARGET = new RecordedCall.Target("svc", "POST", "/reserve");

    static {
        // JDK 17's HttpServer writes a response's headers and body separately without TCP_NODELAY: each
        // body waits ~40 ms for the client's delayed ACK, for both kinds of call alike (JDK 25's does not)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    @Param({"none", "local", "local-fsync", "s3"})
    String journal;

    private HttpServer server;
    private HttpClient client;
    private HttpRequest request;
    private Sandbox sandbox;
    private GuestModule calling;
    private GuestModule idle;
    private HttpEndpoints endpoints;
    private String expected;
    private BenchS3 s3;
    private Path dir;
    private SnapshotStore store;
    private long task;
    private String taskKey;
    private byte[] responseHeaders;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", HostCallBenchmark::reserve); // answered on the server's dispatcher thread
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        endpoints = HttpEndpoints.of(List.of(HttpEndpoint.of("svc", uri, Set.of("POST"), List.of("/reserve"))));
        client = HttpClient.newBuilder()
                .connectTimeout(HttpEndpoint.DEFAULT_CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        request = HttpRequest.newBuilder(uri.resolve("/reserve"))
                .timeout(HttpEndpoint.DEFAULT_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(BODY.getBytes(StandardCharsets.UTF_8)))
                .header("Idempotency-Key", "0123456789abcdef0123456789abcdef")
                .build();
        sandbox = new Sandbox();
        calling = HttpGuest.command(
                Collections.nCopies(CALLS, Call.of("svc", "POST", "/reserve").withBody(BODY)));
        idle = HttpGuest.command(List.of());
        expected = "[" + String.join(",", Collections.nCopies(CALLS, new String(ANSWER, StandardCharsets.UTF_8))) + "]";
        dir = Files.createTempDirectory("host-call-bench");
        store = switch (journal) {
            case "none" -> null;
            case "local" -> new LocalSnapshotStore(dir, false);
            case "local-fsync" -> new LocalSnapshotStore(dir, true);
            case "s3" -> (s3 = new BenchS3()).newStore("host-call-bench");
            default -> throw new IllegalArgumentException("journal " + journal);
        };
        // what the host records of a response: its headers as it formats them
        responseHeaders = "content-length: 17\ncontent-type: application/json\ndate: Sat, 28 Nov 2026 14:00:00 GMT\n"
                .getBytes(StandardCharsets.UTF_8);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (s3 != null) {
            System.out.println("\n# journal " + journal + ", S3 requests per operation: " + s3.perOperation());
            store.close();
            s3.close();
        }
        sandbox.close();
        server.stop(0);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Setup(Level.Invocation)
    public void newTask() {
        taskKey = "bench-task-" + ++task;
    }

    /** Each operation's task goes (untimed), so that the store does not grow with the run. */
    @TearDown(Level.Invocation)
    public void dropTask() {
        if (store != null) {
            store.delete(taskKey);
        }
    }

    private static void reserve(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
        }
    }

    @Benchmark
    public int javaCalls() throws IOException, InterruptedException {
        int bytes = 0;
        for (int i = 0; i < CALLS; i++) {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 201 || !Arrays.equals(response.body(), ANSWER)) {
                throw new IllegalStateException("unexpected answer " + response);
            }
            bytes += response.body().length;
        }
        return bytes;
    }

    @Benchmark
    public InvocationResult guestCalls() {
        return run(calling, expected);
    }

    @Benchmark
    public InvocationResult guestNoCalls() {
        return run(idle, "[]");
    }

    @Benchmark
    public int journalOnly() {
        if (store == null) {
            return 0;
        }
        count();
        try {
            StoreCallJournal calls = new StoreCallJournal(context(), INPUT);
            int kept = 0;
            for (int seq = 1; seq <= CALLS; seq++) {
                if (calls.recorded(seq).isPresent()) {
                    throw new IllegalStateException("call " + seq + " of a fresh task is in its journal");
                }
                kept += calls.record(new RecordedCall(seq, new byte[32], TARGET, 0, 201, responseHeaders, ANSWER))
                        .body()
                        .length;
            }
            return kept;
        } finally {
            uncount();
        }
    }

    private InvocationResult run(GuestModule guest, String output) {
        Invocation invocation = Invocation.of(INPUT).withEndpoints(endpoints);
        if (store != null) {
            invocation = invocation.withCheckpoints(context());
        }
        count();
        InvocationResult result;
        try {
            result = sandbox.invoke(guest, invocation);
        } finally {
            uncount();
        }
        if (!(result.outcome() instanceof Outcome.Success)
                || !new String(result.stdout(), StandardCharsets.UTF_8).equals(output)) {
            throw new IllegalStateException("unexpected result " + result.report() + ": "
                    + new String(result.stdout(), StandardCharsets.UTF_8));
        }
        return result;
    }

    private CheckpointContext context() {
        return new CheckpointContext(store, taskKey, 1, CheckpointPolicy.DEFAULT);
    }

    private void count() {
        if (s3 != null) {
            s3.counting();
        }
    }

    private void uncount() {
        if (s3 != null) {
            s3.stop();
        }
    }
}
