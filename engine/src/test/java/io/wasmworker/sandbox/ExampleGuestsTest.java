package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmworker.module.InvalidModuleException;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The example guests from guests/dist, each ending in its documented outcome (guests/ABI.md). */
class ExampleGuestsTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GuestLimits TIGHT = GuestLimits.DEFAULTS
            .withTimeout(Duration.ofSeconds(2))
            .withMaxMemoryBytes(16L << 20)
            .withMaxOutputBytes(1 << 20);

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static InvocationResult run(String guest, String input) {
        return run(guest, Invocation.of(input.getBytes(StandardCharsets.UTF_8)).withLimits(TIGHT));
    }

    private static InvocationResult run(String guest, Invocation invocation) {
        return SANDBOX.invoke(Guests.module(guest), invocation);
    }

    private static JsonNode output(InvocationResult r) {
        assertThat(r.outcome())
                .as(r.report() + " stderr: " + r.stderrTailText())
                .isInstanceOf(Outcome.Success.class);
        return ((Outcome.Success) r.outcome()).output();
    }

    private static Outcome.Failure failure(InvocationResult r, FailureKind kind) {
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Failure.class);
        Outcome.Failure f = (Outcome.Failure) r.outcome();
        assertThat(f.kind()).as(f.reason()).isEqualTo(kind);
        return f;
    }

    @Test
    void echoReturnsItsInputByteForByte() {
        String input = "{\"orderId\":\"A-1\",\"amount\":42.5,\"tags\":[\"x\",null,true]}";
        InvocationResult r = run("echo", input);
        output(r);
        assertThat(new String(r.stdout(), StandardCharsets.UTF_8).strip()).isEqualTo(input);
    }

    @Test
    void greetSeesTheTaskAttemptAndDeclaresABusinessErrorWithoutAName() throws Exception {
        InvocationResult ok = run(
                "greet",
                Invocation.of("{\"name\":\"Ada\"}".getBytes(StandardCharsets.UTF_8))
                        .withTask(Map.of("ATTEMPT", "3")));
        assertThat(output(ok)).isEqualTo(JSON.readTree("{\"greeting\":\"Hello, Ada!\",\"attempt\":3}"));

        InvocationResult err = run("greet", "{}");
        assertThat(err.outcome())
                .isInstanceOfSatisfying(
                        Outcome.BusinessError.class, b -> assertThat(b.code()).isEqualTo("NAME_MISSING"));
    }

    @Test
    void orderPricingComputesExactCents() throws Exception {
        // gold: 10% of 25.00 = 2.50; SAVE10: 10% of 22.50 = 2.25; DE VAT 19% of 20.25 = 3.8475 -> 3.85
        JsonNode out = output(run(
                "order-pricing",
                "{\"orderId\":\"A-1\",\"customer\":{\"tier\":\"gold\",\"country\":\"DE\"},"
                        + "\"lines\":[{\"sku\":\"X\",\"quantity\":2,\"unitPrice\":12.5}],\"couponCode\":\"SAVE10\"}"));
        assertThat(out.get("subtotal").decimalValue()).isEqualByComparingTo("25.00");
        assertThat(out.get("discount").decimalValue()).isEqualByComparingTo("4.75");
        assertThat(out.get("tax").decimalValue()).isEqualByComparingTo("3.85");
        assertThat(out.get("total").decimalValue()).isEqualByComparingTo("24.10");
        assertThat(out.get("orderId").asText()).isEqualTo("A-1");
    }

    @Test
    void orderPricingBusinessErrorsNameTheProblem() {
        InvocationResult coupon = run(
                "order-pricing",
                "{\"orderId\":\"A-1\",\"customer\":{\"tier\":\"gold\",\"country\":\"DE\"},"
                        + "\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unitPrice\":1}],\"couponCode\":\"FREE\"}");
        assertThat(coupon.outcome()).isInstanceOfSatisfying(Outcome.BusinessError.class, b -> {
            assertThat(b.code()).isEqualTo("UNKNOWN_COUPON");
            assertThat(b.details().get("couponCode").asText()).isEqualTo("FREE");
        });
        InvocationResult invalid = run(
                "order-pricing",
                "{\"orderId\":\"A-1\",\"customer\":{\"tier\":\"gold\",\"country\":\"DE\"},"
                        + "\"lines\":[{\"sku\":\"X\",\"quantity\":0,\"unitPrice\":1}]}");
        assertThat(invalid.outcome()).isInstanceOfSatisfying(Outcome.BusinessError.class, b -> {
            assertThat(b.code()).isEqualTo("INVALID_ORDER");
            assertThat(b.details().get("field").asText()).isEqualTo("lines[0].quantity");
        });
    }

    @Test
    void cAndRustPrimesAgreeWithTheKnownCount() {
        // pi(10^6) = 78498
        for (String guest : List.of("primes", "primes-rust")) {
            // the count is under test, not the speed: a limit a busy 2-core machine cannot miss
            Invocation sieve = Invocation.of("{\"n\":1000000}".getBytes(StandardCharsets.UTF_8))
                    .withLimits(TIGHT.withTimeout(java.time.Duration.ofSeconds(60)));
            assertThat(output(run(guest, sieve)).get("primes").asLong())
                    .as(guest)
                    .isEqualTo(78498);
        }
    }

    @Test
    void endlessLoopsAreStoppedAtTheTimeout() {
        for (String guest : List.of("hostile-spin", "hostile-spin-wat")) {
            long start = System.nanoTime();
            InvocationResult r = run(
                    guest,
                    Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                            .withLimits(TIGHT.withTimeout(Duration.ofMillis(500))));
            failure(r, FailureKind.TIMEOUT);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(guest).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void aMemoryBombStopsAtItsLimit() {
        InvocationResult r = run("hostile-memory-bomb", "{}");
        Outcome.Failure f = failure(r, FailureKind.MEMORY_LIMIT);
        assertThat(f.reason()).contains("memory limit of 16 MiB");
        assertThat(r.metrics().peakMemoryBytes()).isLessThanOrEqualTo(16L << 20);
        assertThat(r.stderrTailText()).contains("out of memory after");
    }

    @Test
    void deepRecursionFailsCleanlyAndTheSandboxStaysUsable() {
        failure(run("hostile-recursion", "{}"), FailureKind.STACK_OVERFLOW);
        assertThat(output(run("echo", "[1]")).get(0).asInt()).isEqualTo(1);
    }

    @Test
    void trapsAndExitCodesAreFailuresWithTheirStderr() {
        InvocationResult trap = run("hostile-trap", "{}");
        assertThat(failure(trap, FailureKind.TRAP).reason()).contains("unreachable");
        assertThat(trap.stderrTailText()).contains("now trapping");

        InvocationResult exit = run("hostile-exit-code", "{}");
        assertThat(failure(exit, FailureKind.EXIT).reason()).isEqualTo("the guest exited with code 7");
        assertThat(exit.stderrTailText()).contains("giving up");
    }

    @Test
    void anOutputFloodIsStoppedBeforeItPassesTheLimit() {
        InvocationResult r = run("hostile-output-flood", "{}");
        failure(r, FailureKind.OUTPUT_LIMIT);
        assertThat(r.metrics().outputBytes()).isLessThanOrEqualTo(1 << 20);
    }

    @Test
    void aStderrFloodKeepsOnlyTheTail() {
        InvocationResult r = run(
                "hostile-stderr-flood",
                Invocation.of("{}".getBytes(StandardCharsets.UTF_8))
                        .withLimits(TIGHT.withTimeout(Duration.ofMillis(500))));
        failure(r, FailureKind.TIMEOUT);
        assertThat(r.metrics().stderrBytes()).isGreaterThan(1 << 20);
        assertThat(r.stderrTail()).hasSize(TIGHT.maxStderrBytes());
    }

    @Test
    void nonJsonOutputIsAnInvalidOutputFailure() {
        assertThat(failure(run("hostile-invalid-json", "{}"), FailureKind.INVALID_OUTPUT)
                        .reason())
                .contains("not valid JSON")
                .contains("this is not json");
    }

    @Test
    void anUnknownHostImportIsRefusedAtLoadNamingIt() {
        Assertions.assertThatThrownBy(() -> Guests.module("hostile-bad-import"))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("wasm_worker.does_not_exist");
    }

    @Test
    void tableGrowthStaysInItsInstance() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(output(run("hostile-table-grow", "{}"))).isEqualTo(JSON.readTree("{\"size\":6}"));
        }
    }

    @Test
    void concurrentInvocationsDoNotShareState() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String name = "n" + i;
                results.add(callers.submit(() -> output(run("greet", "{\"name\":\"" + name + "\"}"))
                        .get("greeting")
                        .asText()));
            }
            for (int i = 0; i < 40; i++) {
                assertThat(results.get(i).get()).isEqualTo("Hello, n" + i + "!");
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
