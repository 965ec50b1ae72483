package io.wasmworker.host;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.wasmworker.abi.AbiV1;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code wasm_worker.http_request} and {@code http_response} imports of one run: a guest calls a
 * configured endpoint through the host, and reads the response with a second call, so no response is
 * ever lost to a buffer that is too small after its side effect happened.
 *
 * <p>Every call that passes the endpoint's allow-list gets the next sequence number (part of the
 * checkpointed state). If the task's journal has that number, the recorded result is handed over
 * without calling out, provided the request is the same (else {@link NonDeterminismException}); if
 * not, the call is made and recorded before the guest sees its result. Used from the guest's thread.
 */
public final class HttpCalls {
    private static final Logger LOG = LoggerFactory.getLogger(HttpCalls.class);

    public static final String REQUEST_IMPORT = AbiV1.HTTP_REQUEST_IMPORT;
    public static final String RESPONSE_IMPORT = AbiV1.HTTP_RESPONSE_IMPORT;
    private static final FunctionType REQUEST_TYPE =
            AbiV1.hostFunctionSignatures().get(REQUEST_IMPORT);
    private static final FunctionType RESPONSE_TYPE =
            AbiV1.hostFunctionSignatures().get(RESPONSE_IMPORT);

    /** {@code http_request}: a response is pending; {@code http_response}: it was copied. */
    public static final int OK = 0;
    /** No endpoint by that name is configured for the artifact. */
    public static final int UNKNOWN_ENDPOINT = 1;
    /** The method or path is outside the endpoint's allow-list. */
    public static final int NOT_ALLOWED = 2;
    /** The request is malformed: path, method or header list (or a header the host sets itself). */
    public static final int BAD_REQUEST = 3;
    /** Headers and body together are larger than the endpoint's request limit. */
    public static final int REQUEST_TOO_LARGE = 4;
    /** The service answered with more than the endpoint's response limit (the call was made). */
    public static final int RESPONSE_TOO_LARGE = 5;
    /** The service did not answer within the endpoint's timeout (the call may have had its effect). */
    public static final int TIMEOUT = 6;
    /** The service could not be reached, or the connection broke (the call may have had its effect). */
    public static final int UNAVAILABLE = 7;
    /** The response would not fit the guest's memory limit: the call was not made. */
    public static final int MEMORY_LIMIT = 8;
    /** {@code http_response}: no response is pending. */
    public static final int NO_RESPONSE = 9;
    /** {@code http_response}: a buffer is smaller than the pending response's part; nothing was copied. */
    public static final int BUFFER_TOO_SMALL = 10;
    /** An address and length lie outside linear memory. */
    public static final int FAULT = 11;

    /** The bytes {@code http_request} writes at {@code result}: status, header bytes, body bytes (i32 each). */
    public static final int RESULT_BYTES = 12;

    private static final int MAX_NAME = 64;
    private static final int MAX_METHOD = 32;
    private static final int MAX_PATH = 8192;
    /** Set by the JDK's client or by us: a guest may not set them. */
    private static final Set<String> RESERVED_HEADERS =
            Set.of("connection", "content-length", "expect", "host", "upgrade", "idempotency-key");

    private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e&&[^#\\\\]]*");

    private final HttpEndpoints endpoints;
    private final CallJournal journal;
    private final MemoryBudget budget;

    private long sequence;
    private RecordedCall pending;
    private long live;
    private long replayed;

    public HttpCalls(HttpEndpoints endpoints, CallJournal journal, MemoryBudget budget) {
        this.endpoints = endpoints;
        this.journal = journal;
        this.budget = budget;
    }

    public List<HostFunction> functions() {
        String module = AbiV1.HOST_MODULE;
        return List.of(
                new HostFunction(module, REQUEST_IMPORT, REQUEST_TYPE, (inst, a) -> new long[] {
                    request(
                            inst.memory(),
                            (int) a[0],
                            (int) a[1],
                            (int) a[2],
                            (int) a[3],
                            (int) a[4],
                            (int) a[5],
                            (int) a[6],
                            (int) a[7],
                            (int) a[8],
                            (int) a[9],
                            (int) a[10])
                }),
                new HostFunction(module, RESPONSE_IMPORT, RESPONSE_TYPE, (inst, a) ->
                        new long[] {response(inst.memory(), (int) a[0], (int) a[1], (int) a[2], (int) a[3])}));
    }

    /** Journaled calls so far: the last one's sequence number. */
    public long sequence() {
        return sequence;
    }

    /** Whether a response is waiting for {@code http_response} (saved with a checkpoint). */
    public boolean responsePending() {
        return pending != null;
    }

    public long liveCalls() {
        return live;
    }

    public long replayedCalls() {
        return replayed;
    }

    /**
     * After a restore: the calls made so far, and the response that was pending at the checkpoint,
     * taken back from the journal.
     */
    public void restore(long calls, boolean responsePending) {
        sequence = calls;
        if (responsePending) {
            RecordedCall call = journal.recorded(calls)
                    .orElseThrow(() -> new IllegalStateException("the checkpoint of task " + journal.task()
                            + " has the response of host call " + calls + " pending, but the journal lost it"));
            hold(call);
        }
    }

    private int request(
            Memory memory,
            int namePtr,
            int nameLen,
            int methodPtr,
            int methodLen,
            int pathPtr,
            int pathLen,
            int headersPtr,
            int headersLen,
            int bodyPtr,
            int bodyLen,
            int resultPtr) {
        release(); // any new call ends the pending response
        if (!inBounds(memory, namePtr, nameLen)
                || !inBounds(memory, methodPtr, methodLen)
                || !inBounds(memory, pathPtr, pathLen)
                || !inBounds(memory, headersPtr, headersLen)
                || !inBounds(memory, bodyPtr, bodyLen)
                || !inBounds(memory, resultPtr, RESULT_BYTES)) {
            return FAULT;
        }
        if (Integer.toUnsignedLong(nameLen) > MAX_NAME) {
            return UNKNOWN_ENDPOINT;
        }
        String name = text(memory, namePtr, nameLen);
        Optional<HttpEndpoint> found = name == null ? Optional.empty() : endpoints.get(name);
        if (found.isEmpty()) {
            LOG.debug("task {}: http_request to unknown endpoint '{}'", journal.task(), name);
            return UNKNOWN_ENDPOINT;
        }
        HttpEndpoint endpoint = found.get();
        if (Integer.toUnsignedLong(methodLen) > MAX_METHOD || Integer.toUnsignedLong(pathLen) > MAX_PATH) {
            return BAD_REQUEST;
        }
        String method = text(memory, methodPtr, methodLen);
        String path = text(memory, pathPtr, pathLen);
        if (method == null || path == null || !PATH.matcher(path).matches() || path.contains("..") || hidesDots(path)) {
            return BAD_REQUEST;
        }
        if (!endpoint.methods().contains(method) || !endpoint.allowsPath(path)) {
            LOG.debug("task {}: {} {} is not allowed on endpoint '{}'", journal.task(), method, path, name);
            return NOT_ALLOWED;
        }
        long requestBytes = Integer.toUnsignedLong(headersLen) + Integer.toUnsignedLong(bodyLen);
        if (requestBytes > endpoint.maxRequestBytes()) {
            return REQUEST_TOO_LARGE;
        }
        long reserved = requestBytes + endpoint.maxResponseBytes();
        if (!budget.chargeHost(reserved)) {
            return MEMORY_LIMIT;
        }
        try {
            byte[] headerBytes = memory.readBytes(headersPtr, headersLen);
            byte[] body = memory.readBytes(bodyPtr, bodyLen);
            List<String[]> headers = parseHeaders(headerBytes, endpoint);
            if (headers == null) {
                return BAD_REQUEST;
            }
            byte[] digest = digest(name, method, path, headerBytes, body);
            long seq = sequence + 1;
            RecordedCall call;
            long start = System.nanoTime();
            Optional<RecordedCall> recorded = journal.recorded(seq);
            if (recorded.isPresent()) {
                call = recorded.get();
                checkSame(call, digest, method, path, endpoint);
                replayed++;
                observe(name, method, path, call, true, start);
                LOG.debug(
                        "task {}: host call {} ({} {} on '{}') replayed from the journal: result {}, status {}",
                        journal.task(),
                        seq,
                        method,
                        path,
                        name,
                        call.result(),
                        call.status());
            } else {
                call = journal.record(callOut(endpoint, seq, method, path, headers, body, digest));
                checkSame(call, digest, method, path, endpoint); // another attempt recorded it first
                live++;
                observe(name, method, path, call, false, start);
                LOG.debug(
                        "task {}: host call {} ({} {} on '{}'): result {}, status {}, {} ms",
                        journal.task(),
                        seq,
                        method,
                        path,
                        name,
                        call.result(),
                        call.status(),
                        (System.nanoTime() - start) / 1_000_000);
            }
            sequence = seq;
            memory.writeI32(resultPtr, call.status());
            memory.writeI32(resultPtr + 4, call.headers().length);
            memory.writeI32(resultPtr + 8, call.body().length);
            if (call.result() == OK) {
                hold(call);
            }
            return call.result();
        } finally {
            budget.refundHost(reserved);
        }
    }

    private void observe(
            String endpoint, String method, String path, RecordedCall call, boolean fromJournal, long start) {
        try {
            endpoints
                    .observer()
                    .called(new HttpCallObserver.Call(
                            endpoint,
                            call.sequence(),
                            fromJournal,
                            call.result(),
                            call.status(),
                            System.nanoTime() - start,
                            method,
                            path));
        } catch (RuntimeException e) {
            LOG.warn("task {}: the observer of host call {} failed: {}", journal.task(), call.sequence(), e.toString());
        }
    }

    /** A result code as a label for metrics and messages: {@code ok}, {@code timeout}, ... */
    public static String label(int result) {
        return switch (result) {
            case OK -> "ok";
            case UNKNOWN_ENDPOINT -> "unknown_endpoint";
            case NOT_ALLOWED -> "not_allowed";
            case BAD_REQUEST -> "bad_request";
            case REQUEST_TOO_LARGE -> "request_too_large";
            case RESPONSE_TOO_LARGE -> "response_too_large";
            case TIMEOUT -> "timeout";
            case UNAVAILABLE -> "unavailable";
            case MEMORY_LIMIT -> "memory_limit";
            case NO_RESPONSE -> "no_response";
            case BUFFER_TOO_SMALL -> "buffer_too_small";
            case FAULT -> "fault";
            default -> "code_" + result;
        };
    }

    private void checkSame(RecordedCall call, byte[] digest, String method, String path, HttpEndpoint endpoint) {
        if (!Arrays.equals(call.requestDigest(), digest)) {
            throw new NonDeterminismException("host call " + call.sequence() + " of task " + journal.task() + " ("
                    + method + " " + path + " on endpoint '" + endpoint.name()
                    + "') differs from the request recorded under that number by an earlier attempt (which got "
                    + (call.result() == OK ? "status " + call.status() : label(call.result()))
                    + "): the guest"
                    + " does not repeat what it did (does it read the clock or random numbers outside"
                    + " deterministic mode?); its recorded effects cannot stand for this run's, so the attempt"
                    + " fails rather than call again. Remove the task's checkpoints and journal with"
                    + " `wasm-worker snapshots rm` to start it over");
        }
    }

    /** Makes the call: never throws for what the service does, only when the run is stopped. */
    private RecordedCall callOut(
            HttpEndpoint endpoint,
            long seq,
            String method,
            String path,
            List<String[]> headers,
            byte[] body,
            byte[] digest) {
        RecordedCall.Target target = new RecordedCall.Target(endpoint.name(), method, path);
        URI uri;
        try {
            String base = endpoint.baseUri().toString();
            uri = new URI((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
        } catch (URISyntaxException e) {
            return new RecordedCall(seq, digest, target, BAD_REQUEST, 0, null, null);
        }
        HttpRequest.Builder builder;
        try {
            builder = HttpRequest.newBuilder(uri)
                    .timeout(endpoint.timeout())
                    .method(
                            method,
                            body.length == 0
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String[] h : headers) {
                builder.header(h[0], h[1]);
            }
            endpoint.headers().forEach(builder::header);
            builder.header("Idempotency-Key", journal.idempotencyKey(seq));
        } catch (IllegalArgumentException e) {
            // what the JDK's client refuses beyond our checks: never sent, so never an effect
            return new RecordedCall(seq, digest, target, BAD_REQUEST, 0, null, null);
        }
        // send, not sendAsync: the JDK's sendAsync starts every exchange on the client's executor and
        // completes its future through the common pool (JDK 17 on 2 cores: a new thread per call), two
        // more thread hand-offs per call than send, which runs the exchange on this thread until it must
        // wait. send returns at the response's headers (the JDK's request timeout covers up to there);
        // this thread then waits for the body itself, up to the same deadline. The body comes through
        // the JDK's own ofPublisher: the client (JDK 17 and 25, ResponseSubscribers.getBodyAsync) calls
        // getBody of one of its own subscribers where it is, but any other's on its executor: one more
        // hand-off (about two context switches) per call.
        long deadline = System.nanoTime() + endpoint.timeout().toNanos();
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
        try {
            response = endpoints
                    .client(endpoint)
                    .send(builder.build(), info -> HttpResponse.BodySubscribers.ofPublisher());
        } catch (InterruptedException e) {
            // send cancelled the exchange; the watchdog or the caller stopped the run: never recorded
            Thread.currentThread().interrupt();
            throw new ChicoryInterruptedException("interrupted during host call " + seq);
        } catch (HttpConnectTimeoutException e) {
            return unavailable(endpoint, seq, digest, target, e);
        } catch (HttpTimeoutException e) {
            return new RecordedCall(seq, digest, target, TIMEOUT, 0, null, null);
        } catch (IOException e) {
            return unavailable(endpoint, seq, digest, target, e);
        } catch (IllegalArgumentException e) {
            // refused by the JDK's client before sending: never sent, so never an effect
            return new RecordedCall(seq, digest, target, BAD_REQUEST, 0, null, null);
        }
        LimitedBody received = new LimitedBody(endpoint.maxResponseBytes());
        response.body().subscribe(received);
        byte[] responseBody;
        try {
            responseBody = received.await(deadline);
        } catch (InterruptedException e) {
            received.cancel();
            Thread.currentThread().interrupt();
            throw new ChicoryInterruptedException("interrupted during host call " + seq);
        } catch (TimeoutException e) {
            received.cancel();
            return new RecordedCall(seq, digest, target, TIMEOUT, 0, null, null);
        } catch (IOException e) {
            return unavailable(endpoint, seq, digest, target, e);
        }
        byte[] responseHeaders = formatHeaders(response.headers().map());
        if (responseBody == null || (long) responseHeaders.length + responseBody.length > endpoint.maxResponseBytes()) {
            return new RecordedCall(seq, digest, target, RESPONSE_TOO_LARGE, response.statusCode(), null, null);
        }
        return new RecordedCall(seq, digest, target, OK, response.statusCode(), responseHeaders, responseBody);
    }

    private RecordedCall unavailable(
            HttpEndpoint endpoint, long seq, byte[] digest, RecordedCall.Target target, IOException e) {
        LOG.debug(
                "task {}: host call {} to endpoint '{}' failed: {}",
                journal.task(),
                seq,
                endpoint.name(),
                e.toString());
        return new RecordedCall(seq, digest, target, UNAVAILABLE, 0, null, null);
    }

    private int response(Memory memory, int headersPtr, int headersCap, int bodyPtr, int bodyCap) {
        if (pending == null) {
            return NO_RESPONSE;
        }
        if (!inBounds(memory, headersPtr, headersCap) || !inBounds(memory, bodyPtr, bodyCap)) {
            return FAULT;
        }
        if (Integer.toUnsignedLong(headersCap) < pending.headers().length
                || Integer.toUnsignedLong(bodyCap) < pending.body().length) {
            return BUFFER_TOO_SMALL;
        }
        memory.write(headersPtr, pending.headers());
        memory.write(bodyPtr, pending.body());
        release();
        return OK;
    }

    /** Holds a call's response for {@code http_response}, charged to the guest's memory. */
    private void hold(RecordedCall call) {
        release();
        if (!budget.chargeHost(call.heldBytes())) {
            // within its limit when made; a restored run with less room left cannot take it back
            throw new LimitedMemory.MemoryLimitException("the response of host call " + call.sequence() + " ("
                    + call.heldBytes() + " bytes) does not fit the guest's memory limit of " + budget.limitBytes()
                    + " bytes");
        }
        pending = call;
    }

    private void release() {
        if (pending != null) {
            budget.refundHost(pending.heldBytes());
            pending = null;
        }
    }

    /** {@code name: value} lines (LF or CRLF); null when malformed or naming a header the guest may not set. */
    private static List<String[]> parseHeaders(byte[] bytes, HttpEndpoint endpoint) {
        String text = utf8(bytes, 0, bytes.length);
        if (text == null) {
            return null;
        }
        List<String[]> headers = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                return null;
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HttpEndpoint.TOKEN.matcher(name).matches()
                    || !isHeaderValue(value)
                    || RESERVED_HEADERS.contains(lower)
                    || endpoint.headers().containsKey(lower)) {
                return null;
            }
            headers.add(new String[] {name, value});
        }
        return headers;
    }

    /** Visible characters, spaces and tabs: what the JDK's client sends (it refuses the rest). */
    private static boolean isHeaderValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    /**
     * An encoded dot, slash or backslash: a service that decodes before routing would see a path the
     * allow-list did not ({@code /price/%2e%2e/admin}).
     */
    private static boolean hidesDots(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        return lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c");
    }

    /** Names in lower case, sorted; each value on a line of its own, in the order received. */
    private static byte[] formatHeaders(Map<String, List<String>> headers) {
        java.util.TreeMap<String, List<String>> sorted = new java.util.TreeMap<>();
        headers.forEach((k, v) -> {
            if (!k.startsWith(":")) { // HTTP/2 pseudo-headers
                sorted.computeIfAbsent(k.toLowerCase(Locale.ROOT), x -> new ArrayList<>())
                        .addAll(v);
            }
        });
        StringBuilder b = new StringBuilder();
        sorted.forEach((k, values) ->
                values.forEach(v -> b.append(k).append(": ").append(v).append('\n')));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] digest(String name, String method, String path, byte[] headers, byte[] body) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : new byte[][] {utf8(name), utf8(method), utf8(path), headers, body}) {
                sha.update(ByteBuffer.allocate(8).putLong(part.length).array());
                sha.update(part);
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean inBounds(Memory memory, int ptr, int len) {
        return Integer.toUnsignedLong(ptr) + Integer.toUnsignedLong(len) <= (long) memory.pages() * Memory.PAGE_SIZE;
    }

    private static String text(Memory memory, int ptr, int len) {
        byte[] bytes = memory.readBytes(ptr, len);
        return utf8(bytes, 0, bytes.length);
    }

    /** Strict UTF-8; null for malformed bytes. */
    private static String utf8(byte[] bytes, int off, int len) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Collects a response body up to a limit: past it, the subscription is cancelled (the rest is never
     * read) and the body is null. It subscribes to the body the JDK's client hands over with the
     * headers; the caller then waits for the body with {@link #await}, so no other thread has to time
     * the wait.
     */
    private static final class LimitedBody implements Flow.Subscriber<List<ByteBuffer>> {
        private final long limit;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final List<ByteBuffer> parts = new ArrayList<>();
        private long size;
        private Flow.Subscription subscription;
        private boolean cancelled;

        LimitedBody(long limit) {
            this.limit = limit;
        }

        /** The body, or null past the limit; waits at most until {@code deadline} ({@link System#nanoTime}). */
        byte[] await(long deadline) throws InterruptedException, TimeoutException, IOException {
            try {
                return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }

        /** Stops reading: the client closes the connection. */
        synchronized void cancel() {
            cancelled = true;
            if (subscription != null) {
                subscription.cancel();
            }
        }

        @Override
        public synchronized void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public synchronized void onNext(List<ByteBuffer> items) {
            if (result.isDone() || cancelled) {
                return;
            }
            for (ByteBuffer item : items) {
                size += item.remaining();
                if (size > limit) {
                    parts.clear();
                    result.complete(null);
                    subscription.cancel();
                    return;
                }
                parts.add(item);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t instanceof IOException ? t : new IOException(t));
        }

        @Override
        public synchronized void onComplete() {
            if (result.isDone()) {
                return;
            }
            byte[] bytes = new byte[(int) size];
            int at = 0;
            for (ByteBuffer part : parts) {
                int n = part.remaining();
                part.get(bytes, at, n);
                at += n;
            }
            result.complete(bytes);
        }
    }
}
