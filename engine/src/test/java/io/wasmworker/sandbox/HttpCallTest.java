package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.artifact.Digest;
import io.wasmworker.checkpoint.CheckpointContext;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.checkpoint.StoreCallJournal;
import io.wasmworker.checkpoint.store.LocalSnapshotStore;
import io.wasmworker.checkpoint.store.Manifest;
import io.wasmworker.checkpoint.store.SnapshotStore;
import io.wasmworker.host.HttpCallObserver;
import io.wasmworker.host.HttpCalls;
import io.wasmworker.host.HttpEndpoint;
import io.wasmworker.host.HttpEndpoints;
import io.wasmworker.module.GuestModule;
import io.wasmworker.testing.HttpGuest;
import io.wasmworker.testing.HttpGuest.Call;
import io.wasmworker.testing.LoopbackService;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 13: guests call HTTP endpoints through the host; a resumed task never repeats a recorded call. */
class HttpCallTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final String TASK = "camunda:ext-task-13";
    private static final byte[] INPUT = "{\"order\":\"A-1\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    LoopbackService service;
    HttpEndpoints endpoints;

    @BeforeEach
    void start() throws IOException {
        service = new LoopbackService();
        endpoints = endpoints(service.uri(), 4096);
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @AfterAll
    static void closeSandbox() {
        SANDBOX.close();
    }

    private static HttpEndpoints endpoints(URI uri, long maxResponse) throws IOException {
        HttpEndpoint svc = new HttpEndpoint(
                "svc",
                uri,
                Set.of("GET", "POST"),
                List.of("/reserve", "/price/", "/echo", "/big", "/slow", "/stall", "/late", "/none"),
                Map.of("X-Api-Key", "s3cret"),
                Duration.ofSeconds(1),
                // well below /slow's and /stall's 5 s, and enough for a cold JVM's first call on a loaded
                // machine (the JDK client's class loading runs on the guest's thread, inside the timeout)
                Duration.ofSeconds(2),
                1024,
                maxResponse);
        HttpEndpoint down =
                HttpEndpoint.of("down", URI.create("http://127.0.0.1:" + closedPort()), Set.of("GET"), List.of("/"));
        return HttpEndpoints.of(List.of(svc, down));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Invocation invocation() {
        return Invocation.of(INPUT).withEndpoints(endpoints);
    }

    private Invocation attempt(SnapshotStore store, int attempt) {
        return invocation()
                .withCheckpoints(
                        new CheckpointContext(store, TASK, attempt, new CheckpointPolicy(1, Duration.ZERO, true)));
    }

    private static String output(InvocationResult r) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void aCallReachesTheServiceWithTheHostsHeadersAndAStableIdempotencyKey() {
        GuestModule guest = HttpGuest.command(List.of(
                Call.of("svc", "GET", "/echo").withHeaders("X-Trace: t-1\n"), Call.of("svc", "GET", "/price/X")));
        LocalSnapshotStore store = new LocalSnapshotStore(dir, false);

        String out = output(SANDBOX.invoke(guest, attempt(store, 1)));

        String key = key(1);
        assertThat(out)
                .isEqualTo("[{\"apiKey\":\"s3cret\",\"trace\":\"t-1\",\"idempotencyKey\":\"" + key
                        + "\",\"bodyBytes\":0},{\"sku\":\"X\",\"price\":12}]");
        assertThat(service.idempotencyKeys()).containsExactly(key, key(2));
        assertThat(key).doesNotContain(TASK).hasSize(32);
    }

    @Test
    void callsOutsideTheAllowListAreErrorCodesAndNeverLeaveTheHost() {
        GuestModule guest = HttpGuest.command(List.of(
                Call.of("nowhere", "GET", "/price/X"),
                Call.of("svc", "DELETE", "/reserve"),
                Call.of("svc", "GET", "/admin"),
                Call.of("svc", "GET", "/price/../admin"),
                Call.of("svc", "GET", "http://elsewhere/price/X"),
                Call.of("svc", "GET", "/echo").withHeaders("X-Api-Key: mine\n"),
                Call.of("svc", "GET", "/echo").withHeaders("Idempotency-Key: mine\n"),
                Call.of("svc", "GET", "/echo").withHeaders("not a header\n"),
                Call.of("svc", "GET", "/echo").withHeaders("X-Trace: a\u0001b\n"),
                Call.of("svc", "GET", "/price/%2e%2e/admin"),
                Call.of("svc", "POST", "/reserve").withBody("x".repeat(1025))));

        String out = output(SANDBOX.invoke(guest, invocation()));

        assertThat(out)
                .isEqualTo("[" + error(HttpCalls.UNKNOWN_ENDPOINT) + "," + error(HttpCalls.NOT_ALLOWED) + ","
                        + error(HttpCalls.NOT_ALLOWED) + "," + error(HttpCalls.BAD_REQUEST) + ","
                        + error(HttpCalls.BAD_REQUEST) + "," + error(HttpCalls.BAD_REQUEST) + ","
                        + error(HttpCalls.BAD_REQUEST) + "," + error(HttpCalls.BAD_REQUEST) + ","
                        + error(HttpCalls.BAD_REQUEST) + "," + error(HttpCalls.BAD_REQUEST) + ","
                        + error(HttpCalls.REQUEST_TOO_LARGE) + "]");
        assertThat(service.requests()).isZero();
    }

    @Test
    void aGuestWithoutEndpointsGetsUnknownEndpoint() {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "GET", "/price/X")));

        assertThat(output(SANDBOX.invoke(guest, Invocation.of(INPUT))))
                .isEqualTo("[" + error(HttpCalls.UNKNOWN_ENDPOINT) + "]");
    }

    @Test
    void anOversizedResponseIsAnErrorCodeAndASmallBufferCanAskAgain() {
        GuestModule guest = HttpGuest.command(List.of(
                Call.of("svc", "GET", "/big"), Call.of("svc", "GET", "/price/X").withBodyCapacity(4)));

        String out = output(SANDBOX.invoke(guest, invocation()));

        assertThat(out)
                .isEqualTo("[" + error(HttpCalls.RESPONSE_TOO_LARGE) + "," + error(HttpCalls.BUFFER_TOO_SMALL) + "]");
        assertThat(service.requests("/big")).isEqualTo(1);
    }

    /**
     * {@code /slow} answers its headers late; {@code /stall} stops its body after its headers, where
     * the JDK's request timeout has ended and the host's own deadline covers the body.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/slow", "/stall"})
    void aSlowServiceTimesOutAsAnErrorCode(String path) {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "GET", path)));

        long start = System.nanoTime();
        String out = output(SANDBOX.invoke(guest, invocation()));

        assertThat(out).isEqualTo("[" + error(HttpCalls.TIMEOUT) + "]");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aBodyThatArrivesAfterItsHeadersIsWaitedFor() {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "GET", "/late")));

        assertThat(output(SANDBOX.invoke(guest, invocation()))).isEqualTo("[{\"late\":true}]");
    }

    /** The client completes a response without a body before the host subscribes to it. */
    @Test
    void aResponseWithoutABodyReachesTheGuestAndTheConnectionServesTheNextCall() {
        GuestModule guest =
                HttpGuest.command(List.of(Call.of("svc", "GET", "/none"), Call.of("svc", "GET", "/price/X")));

        InvocationResult result = SANDBOX.invoke(guest, invocation());

        // the guest prints the empty body as is (which makes its output invalid JSON, hence no output())
        assertThat(new String(result.stdout(), StandardCharsets.UTF_8)).isEqualTo("[,{\"sku\":\"X\",\"price\":12}]");
        assertThat(service.requests("/none")).isEqualTo(1);
    }

    @Test
    void aServiceThatIsDownIsUnavailable() {
        GuestModule guest = HttpGuest.command(List.of(Call.of("down", "GET", "/x")));

        assertThat(output(SANDBOX.invoke(guest, invocation()))).isEqualTo("[" + error(HttpCalls.UNAVAILABLE) + "]");
    }

    /** {@code /slow} answers its headers late, {@code /stall} stops sending its body after its headers. */
    @ParameterizedTest
    @ValueSource(strings = {"/slow", "/stall"})
    void theWatchdogStopsACallInFlight(String path) {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "GET", path)));
        HttpEndpoints patient = HttpEndpoints.of(List.of(new HttpEndpoint(
                "svc",
                service.uri(),
                Set.of("GET"),
                List.of(path),
                Map.of(),
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                1024,
                4096)));

        long start = System.nanoTime();
        InvocationResult r = SANDBOX.invoke(
                guest,
                Invocation.of(INPUT)
                        .withEndpoints(patient)
                        .withLimits(GuestLimits.DEFAULTS.withTimeout(Duration.ofMillis(300))));

        assertThat(r.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class, f -> assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aHeldResponseCountsAgainstTheMemoryLimit() throws IOException {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "GET", "/price/X")));
        // 3 pages of linear memory (192 KiB) and a response limit that does not fit beside them
        HttpEndpoints huge = HttpEndpoints.of(List.of(new HttpEndpoint(
                "svc",
                service.uri(),
                Set.of("GET"),
                List.of("/"),
                Map.of(),
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                1024,
                1L << 20)));

        String out = output(SANDBOX.invoke(
                guest,
                Invocation.of(INPUT)
                        .withEndpoints(huge)
                        .withLimits(GuestLimits.DEFAULTS.withMaxMemoryBytes(256 * 1024))));

        assertThat(out).isEqualTo("[" + error(HttpCalls.MEMORY_LIMIT) + "]");
        assertThat(service.requests()).isZero();
    }

    @Test
    void aRetryReplaysARecordedCallAndEndsWithTheUninterruptedOutput() throws IOException {
        GuestModule guest = HttpGuest.command(List.of(
                Call.of("svc", "POST", "/reserve").withBody("{\"sku\":\"X\"}"), Call.of("svc", "GET", "/price/X")));
        String uninterrupted;
        try (LoopbackService other = new LoopbackService()) {
            uninterrupted =
                    output(SANDBOX.invoke(guest, Invocation.of(INPUT).withEndpoints(endpoints(other.uri(), 4096))));
        }
        // the worker dies right after recording call 1, before the guest sees its response
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 1, true);

        InvocationResult first = SANDBOX.invoke(guest, attempt(dying, 1));
        assertThat(first.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(service.requests("/reserve")).isEqualTo(1);

        InvocationResult second = SANDBOX.invoke(guest, attempt(new LocalSnapshotStore(dir, false), 2));

        assertThat(output(second)).isEqualTo(uninterrupted).contains("{\"reservation\":1}");
        assertThat(service.requests("/reserve")).isEqualTo(1); // replayed, not sent again
        assertThat(service.requests("/price/X")).isEqualTo(1);
    }

    @Test
    void aCallInFlightWhenTheWorkerDiedIsSentAgainWithTheSameIdempotencyKey() {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "POST", "/reserve")));
        // the call is made, but the worker dies before it is recorded
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 1, false);

        assertThat(SANDBOX.invoke(guest, attempt(dying, 1)).outcome()).isInstanceOf(Outcome.Failure.class);
        String out = output(SANDBOX.invoke(guest, attempt(new LocalSnapshotStore(dir, false), 2)));

        assertThat(service.requests("/reserve")).isEqualTo(2);
        assertThat(service.idempotencyKeys()).hasSize(2).containsOnly(key(1));
        assertThat(service.reservations()).isEqualTo(1); // the service deduplicated on the key
        assertThat(out).isEqualTo("[{\"reservation\":1}]");
    }

    @Test
    void aGuestThatDoesNotRepeatItsRequestIsCaughtOnReplay() {
        GuestModule guest =
                HttpGuest.command(List.of(Call.of("svc", "POST", "/reserve").withRandomBody()));
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 1, true);
        assertThat(SANDBOX.invoke(guest, attempt(dying, 1)).outcome()).isInstanceOf(Outcome.Failure.class);

        InvocationResult second = SANDBOX.invoke(guest, attempt(new LocalSnapshotStore(dir, false), 2));

        assertThat(second.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.NON_DETERMINISM);
            assertThat(f.reason())
                    .contains("host call 1", "POST /reserve", "endpoint 'svc'", TASK, "(which got status 201)");
        });
        assertThat(service.requests("/reserve")).isEqualTo(1);
    }

    @Test
    void inDeterministicModeTheSameGuestRepeatsItselfAndReplays() {
        GuestModule guest =
                HttpGuest.command(List.of(Call.of("svc", "POST", "/reserve").withRandomBody()));
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 1, true);
        assertThat(SANDBOX.invoke(guest, attempt(dying, 1).deterministic(7)).outcome())
                .isInstanceOf(Outcome.Failure.class);

        String out = output(SANDBOX.invoke(
                guest, attempt(new LocalSnapshotStore(dir, false), 2).deterministic(7)));

        assertThat(out).isEqualTo("[{\"reservation\":1}]");
        assertThat(service.requests("/reserve")).isEqualTo(1);
    }

    @Test
    void aResponsePendingAtACheckpointIsTakenBackFromTheJournalAndCoveredEntriesAreDropped() throws IOException {
        GuestModule guest =
                HttpGuest.stepGuest(List.of(Call.of("svc", "POST", "/reserve"), Call.of("svc", "GET", "/price/X")));
        String uninterrupted;
        try (LoopbackService other = new LoopbackService()) {
            uninterrupted =
                    output(SANDBOX.invoke(guest, Invocation.of(INPUT).withEndpoints(endpoints(other.uri(), 4096))));
        }
        assertThat(uninterrupted).isEqualTo("[{\"reservation\":1},{\"sku\":\"X\",\"price\":12}]");
        // checkpoints after every step; the worker dies publishing the second (after step 2: call 1 read)
        LocalSnapshotStore local = new LocalSnapshotStore(dir, false);
        SnapshotStore dying = new FailingPublishStore(local, 2);

        assertThat(SANDBOX.invoke(guest, attempt(dying, 1)).outcome()).isInstanceOf(Outcome.Failure.class);
        Manifest checkpoint = local.latest(TASK).orElseThrow();
        assertThat(checkpoint.sequence()).isEqualTo(1); // taken with call 1's response pending
        assertThat(local.recordedCall(TASK, 1, 1 << 20)).isPresent(); // kept: the checkpoint needs it

        InvocationResult resumed = SANDBOX.invoke(guest, attempt(local, 2));

        assertThat(output(resumed)).isEqualTo(uninterrupted);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(1);
        assertThat(service.requests("/reserve")).isEqualTo(1);
        // the checkpoints after call 1's response was read cover it; call 2's entry stays (no checkpoint
        // follows the last step) until the task finishes
        assertThat(local.recordedCall(TASK, 1, 1 << 20)).isEmpty();
        assertThat(local.recordedCall(TASK, 2, 1 << 20)).isPresent();
        local.finished(TASK);
        assertThat(local.recordedCall(TASK, 2, 1 << 20)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"stock-reservation", "stock-reservation-rust"})
    void theStockReservationGuestReservesOnceAcrossACrash(String name) throws IOException {
        GuestModule guest = io.wasmworker.testing.Guests.module(name);
        HttpEndpoints inventory = HttpEndpoints.of(List.of(
                HttpEndpoint.of("inventory", service.uri(), Set.of("GET", "POST"), List.of("/stock/", "/reserve"))));
        byte[] order = "{\"sku\":\"X-1\",\"quantity\":2}".getBytes(StandardCharsets.UTF_8);
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 2, true);
        CheckpointContext context = new CheckpointContext(dying, TASK, 1, CheckpointPolicy.DEFAULT);

        InvocationResult first = SANDBOX.invoke(
                guest, Invocation.of(order).withEndpoints(inventory).withCheckpoints(context));
        assertThat(first.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(service.reservations()).isEqualTo(1);

        InvocationResult second = SANDBOX.invoke(
                guest,
                Invocation.of(order)
                        .withEndpoints(inventory)
                        .withCheckpoints(new CheckpointContext(
                                new LocalSnapshotStore(dir, false), TASK, 2, CheckpointPolicy.DEFAULT)));

        assertThat(output(second))
                .isEqualTo("{\"sku\":\"X-1\",\"quantity\":2,\"available\":5,\"reservation\":{\"reservation\":1}}");
        assertThat(service.requests("/reserve")).isEqualTo(1);
        assertThat(service.requests("/stock/X-1")).isEqualTo(1);

        InvocationResult tooMany = SANDBOX.invoke(
                guest,
                Invocation.of("{\"sku\":\"X-1\",\"quantity\":9}".getBytes(StandardCharsets.UTF_8))
                        .withEndpoints(inventory));
        assertThat(tooMany.outcome())
                .isInstanceOfSatisfying(
                        Outcome.BusinessError.class, e -> assertThat(e.code()).isEqualTo("OUT_OF_STOCK"));
    }

    @Test
    void everyJournaledCallIsObservedLiveOrReplayed() {
        GuestModule guest = HttpGuest.command(List.of(
                Call.of("svc", "POST", "/reserve"), Call.of("svc", "GET", "/echox"), Call.of("svc", "GET", "/slow")));
        List<HttpCallObserver.Call> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        endpoints = endpoints.observedBy(seen::add);
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 2, true);
        assertThat(SANDBOX.invoke(guest, attempt(dying, 1)).outcome()).isInstanceOf(Outcome.Failure.class);

        output(SANDBOX.invoke(guest, attempt(new LocalSnapshotStore(dir, false), 2)));

        assertThat(seen)
                .extracting(c -> c.sequence() + ":" + (c.replayed() ? "replayed" : "live") + ":" + c.resultLabel() + ":"
                        + c.statusClass())
                .containsExactly(
                        "1:live:ok:2xx", // attempt 1; call 2 was recorded, then the worker died
                        "1:replayed:ok:2xx",
                        "2:replayed:ok:4xx", // a 404 is a response like any other
                        "3:live:timeout:none");
        assertThat(seen).allMatch(c -> c.endpoint().equals("svc"));
    }

    @Test
    void aJournalOfAnotherInputIsClearedOrRefusedAsTheInputChangePolicySays() {
        GuestModule guest = HttpGuest.command(List.of(Call.of("svc", "POST", "/reserve")));
        SnapshotStore dying = new CrashingStore(new LocalSnapshotStore(dir, false), seq -> seq == 1, true);
        assertThat(SANDBOX.invoke(guest, attempt(dying, 1)).outcome()).isInstanceOf(Outcome.Failure.class);
        byte[] changed = "{\"order\":\"A-2\"}".getBytes(StandardCharsets.UTF_8);
        CheckpointPolicy failing = CheckpointPolicy.DEFAULT.withOnInputChange(CheckpointPolicy.InputChange.FAIL);

        InvocationResult refused = SANDBOX.invoke(
                guest,
                Invocation.of(changed)
                        .withEndpoints(endpoints)
                        .withCheckpoints(new CheckpointContext(new LocalSnapshotStore(dir, false), TASK, 2, failing)));
        assertThat(refused.outcome()).isInstanceOfSatisfying(Outcome.Failure.class, f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.CHECKPOINT);
            assertThat(f.reason()).contains("host call 1", "another input", "onInputChange: fail");
        });
        assertThat(service.requests("/reserve")).isEqualTo(1);

        InvocationResult restarted = SANDBOX.invoke(
                guest,
                Invocation.of(changed)
                        .withEndpoints(endpoints)
                        .withCheckpoints(new CheckpointContext(
                                new LocalSnapshotStore(dir, false), TASK, 3, CheckpointPolicy.DEFAULT)));
        // the other input's call was not replayed, and this one has a key of its own
        assertThat(output(restarted)).isEqualTo("[{\"reservation\":2}]");
        assertThat(service.idempotencyKeys())
                .containsExactly(key(1), StoreCallJournal.idempotencyKey(TASK, Digest.of(changed), 1));
    }

    @Test
    void anAsyncifyGuestResumesAfterItsCheckpointAndReplaysTheCallMadeSince() throws IOException {
        GuestModule guest = io.wasmworker.testing.Guests.module("ckpt-http-async-c");
        byte[] lines = "{\"lines\":3}".getBytes(StandardCharsets.UTF_8);
        String uninterrupted;
        try (LoopbackService other = new LoopbackService()) {
            uninterrupted = output(SANDBOX.invoke(guest, Invocation.of(lines).withEndpoints(inventory(other.uri()))));
        }
        assertThat(uninterrupted).isEqualTo("[{\"reservation\":1},{\"reservation\":2},{\"reservation\":3}]");
        // checkpoint 1 follows call 1; the worker dies once call 2 is recorded, before the guest sees it
        LocalSnapshotStore local = new LocalSnapshotStore(dir, false);
        SnapshotStore dying = new CrashingStore(local, seq -> seq == 2, true);
        InvocationResult first = SANDBOX.invoke(
                guest,
                Invocation.of(lines)
                        .withEndpoints(inventory(service.uri()))
                        .withCheckpoints(new CheckpointContext(dying, TASK, 1, CheckpointPolicy.DEFAULT)));
        assertThat(first.outcome()).isInstanceOf(Outcome.Failure.class);
        assertThat(local.latest(TASK).orElseThrow().sequence()).isEqualTo(1);
        assertThat(local.recordedCall(TASK, 1, 1 << 20)).isEmpty(); // covered by checkpoint 1

        InvocationResult resumed = SANDBOX.invoke(
                guest,
                Invocation.of(lines)
                        .withEndpoints(inventory(service.uri()))
                        .withCheckpoints(new CheckpointContext(local, TASK, 2, CheckpointPolicy.DEFAULT)));

        assertThat(output(resumed)).isEqualTo(uninterrupted);
        assertThat(resumed.metrics().resumedFromSequence()).isEqualTo(1);
        assertThat(new String(resumed.stderrTail(), StandardCharsets.UTF_8))
                .contains("resumed after line 1", "line 2", "line 3")
                .doesNotContainPattern("(?m)^line 1$"); // line 1 was not redone
        assertThat(service.requests("/reserve")).isEqualTo(3); // call 2 replayed, not sent again
    }

    private static HttpEndpoints inventory(URI uri) {
        return HttpEndpoints.of(List.of(HttpEndpoint.of("inventory", uri, Set.of("GET", "POST"), List.of("/"))));
    }

    private static String key(long sequence) {
        return StoreCallJournal.idempotencyKey(TASK, Digest.of(INPUT), sequence);
    }

    private static String error(int code) {
        return "{\"error\":" + code + "}";
    }

    /** A store whose worker "dies" at a host call: an exception after (or instead of) recording it. */
    private static final class CrashingStore extends DelegatingStore {
        private final LongPredicate at;
        private final boolean afterRecording;

        CrashingStore(SnapshotStore store, LongPredicate at, boolean afterRecording) {
            super(store);
            this.at = at;
            this.afterRecording = afterRecording;
        }

        @Override
        public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
            if (!at.test(sequence)) {
                return super.recordCall(taskKey, sequence, entry);
            }
            if (afterRecording) {
                super.recordCall(taskKey, sequence, entry);
            }
            throw new IllegalStateException("simulated worker death at host call " + sequence);
        }
    }

    /** A store whose worker "dies" publishing checkpoint {@code n}. */
    private static final class FailingPublishStore extends DelegatingStore {
        private final long n;

        FailingPublishStore(SnapshotStore store, long n) {
            super(store);
            this.n = n;
        }

        @Override
        public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
            if (manifest.sequence() == n) {
                throw new IllegalStateException("simulated worker death publishing checkpoint " + n);
            }
            super.publish(taskKey, expectedGeneration, manifest);
        }
    }

    private static class DelegatingStore implements SnapshotStore {
        private final SnapshotStore store;

        DelegatingStore(SnapshotStore store) {
            this.store = store;
        }

        @Override
        public Optional<Manifest> latest(String taskKey) {
            return store.latest(taskKey);
        }

        @Override
        public void putBlob(String taskKey, String blobName, byte[] data) {
            store.putBlob(taskKey, blobName, data);
        }

        @Override
        public byte[] getBlob(String taskKey, String blobName) {
            return store.getBlob(taskKey, blobName);
        }

        @Override
        public void publish(String taskKey, long expectedGeneration, Manifest manifest) {
            store.publish(taskKey, expectedGeneration, manifest);
        }

        @Override
        public byte[] recordCall(String taskKey, long sequence, byte[] entry) {
            return store.recordCall(taskKey, sequence, entry);
        }

        @Override
        public Optional<byte[]> recordedCall(String taskKey, long sequence, long maxBytes) {
            return store.recordedCall(taskKey, sequence, maxBytes);
        }

        @Override
        public void dropCalls(String taskKey, long throughSequence) {
            store.dropCalls(taskKey, throughSequence);
        }

        @Override
        public int beginAttempt(String taskKey) {
            return store.beginAttempt(taskKey);
        }

        @Override
        public List<String> taskKeys() {
            return store.taskKeys();
        }

        @Override
        public void finished(String taskKey) {
            store.finished(taskKey);
        }

        @Override
        public void delete(String taskKey) {
            store.delete(taskKey);
        }

        @Override
        public Collected collect(java.time.Instant cutoff, Set<String> running, int maxEntries) {
            return store.collect(cutoff, running, maxEntries);
        }

        @Override
        public String describe() {
            return store.describe();
        }
    }
}
