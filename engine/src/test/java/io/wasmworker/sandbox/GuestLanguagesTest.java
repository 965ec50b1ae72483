package io.wasmworker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The AssemblyScript, Zig and Go guests (guests/README.md): each language's order-pricing gives
 * byte for byte the output of the Rust guest, success or business error; each language's primes
 * guest (the CPU benchmark) answers byte for byte what the C guest answers; each language's
 * checkpointing guests compute what the C guests compute; each hostile guest ends in its outcome.
 */
class GuestLanguagesTest {
    private static final Sandbox SANDBOX = new Sandbox();
    private static final List<String> ORDER_PRICING =
            List.of("order-pricing-as", "order-pricing-zig", "order-pricing-go");
    private static final List<String> PRIMES = List.of("primes-rust", "primes-as", "primes-zig", "primes-go");
    private static final GuestLimits LIMITS = GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(60));

    @AfterAll
    static void close() {
        SANDBOX.close();
    }

    private static InvocationResult run(String guest, String input, GuestLimits limits) {
        return SANDBOX.invoke(
                Guests.module(guest),
                Invocation.of(input.getBytes(StandardCharsets.UTF_8)).withLimits(limits));
    }

    private static String stdout(InvocationResult r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                // the documented example: gold, SAVE10, DE VAT
                "{\"orderId\":\"A-1\",\"customer\":{\"tier\":\"gold\",\"country\":\"DE\"},"
                        + "\"lines\":[{\"sku\":\"X\",\"quantity\":2,\"unitPrice\":12.5}],\"couponCode\":\"SAVE10\"}",
                // cents that are not exact in binary, a lower-case unknown country, no coupon
                "{\"orderId\":\"B\",\"customer\":{\"tier\":\"standard\",\"country\":\"xx\"},\"lines\":["
                        + "{\"sku\":\"a\",\"quantity\":3,\"unitPrice\":0.1},{\"sku\":\"b\",\"quantity\":1,\"unitPrice\":0.29}]}",
                // a fixed coupon larger than the order, a null coupon field order, escapes in the id
                "{\"couponCode\":\"WELCOME5\",\"orderId\":\"C \\\"q\\\" \\\\ \\n \\u0001 \\u00e9\","
                        + "\"customer\":{\"tier\":\"silver\",\"country\":\"fr\"},\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":3}]}",
                // big amounts: 1000 x 999999.99 on one line, many items
                "{\"orderId\":\"D\",\"customer\":{\"tier\":\"silver\",\"country\":\"IT\"},\"lines\":["
                        + "{\"sku\":\"a\",\"quantity\":1000,\"unitPrice\":999999.99},"
                        + "{\"sku\":\"b\",\"quantity\":999999,\"unitPrice\":0.01}],\"couponCode\":null}",
                // business errors, each naming its field
                "[1]",
                "{\"orderId\":\"\"}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"platinum\",\"country\":\"NL\"},\"lines\":[]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NLD\"},\"lines\":[]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},\"lines\":[]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},\"lines\":[7]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1.0,\"unitPrice\":1}]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":1.001}]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":-1}]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":\"1\"}]}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":1}],\"couponCode\":\"FREE \\\"X\\\"\"}",
                "{\"orderId\":\"E\",\"customer\":{\"tier\":\"gold\",\"country\":\"NL\"},"
                        + "\"lines\":[{\"sku\":\"a\",\"quantity\":1,\"unitPrice\":1}],\"couponCode\":5}",
            })
    void orderPricingGivesTheRustGuestsBytesInEveryLanguage(String input) {
        InvocationResult rust = run("order-pricing", input, LIMITS);
        assertThat(rust.outcome()).isNotInstanceOf(Outcome.Failure.class);
        for (String guest : ORDER_PRICING) {
            InvocationResult other = run(guest, input, LIMITS);
            assertThat(other.outcome().getClass())
                    .as(guest + ": " + other.report())
                    .isEqualTo(rust.outcome().getClass());
            assertThat(stdout(other)).as(guest).isEqualTo(stdout(rust));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                // the benchmark's n and a few small ones around the edges of the loops
                "{\"n\":2000000}",
                "{\"n\":0}",
                "{\"n\":1}",
                "{\"n\":2}",
                "{\"n\":4}",
                "{\"n\":25}",
                "{\"n\":65535}",
                "{\"n\":65536}",
                "{\"n\":1000000}",
                // business errors on which the C and Rust guests agree
                "[1]",
                "{}",
                "{\"n\":-1}",
                "{\"n\":1.5}",
                "{\"n\":\"7\"}",
                "{\"n\":1000000001}",
            })
    void primesGivesTheCGuestsBytesInEveryLanguage(String input) {
        InvocationResult c = run("primes", input, LIMITS);
        assertThat(c.outcome()).as(c.report()).isNotInstanceOf(Outcome.Failure.class);
        for (String guest : PRIMES) {
            InvocationResult other = run(guest, input, LIMITS);
            assertThat(other.outcome().getClass())
                    .as(guest + ": " + other.report())
                    .isEqualTo(c.outcome().getClass());
            assertThat(stdout(other)).as(guest).isEqualTo(stdout(c));
        }
    }

    @Test
    void primesCountsAreRight() {
        // pi(2,000,000) = 148,933, so the five agreeing above is not five times the same mistake
        assertThat(stdout(run("primes", "{\"n\":2000000}", LIMITS))).isEqualTo("{\"n\":2000000,\"primes\":148933}");
    }

    @Test
    void everyCheckpointingGuestComputesTheSameChain() {
        String input = "{\"steps\":12,\"work\":7}";
        String expected = "{\"steps\":12,\"work\":7,\"result\":\"b54a2824cc073bf1\",\"trail\":\"370921648437\"}";
        for (String guest : List.of("ckpt-async-as", "ckpt-step-as", "ckpt-async-zig", "ckpt-step-zig")) {
            InvocationResult r = run(guest, input, LIMITS);
            assertThat(r.outcome()).as(guest + ": " + r.report()).isInstanceOf(Outcome.Success.class);
            assertThat(stdout(r)).as(guest).isEqualTo(expected);
        }
    }

    @Test
    void checkpointingGuestsRejectABadInputAsABusinessError() {
        for (String guest : List.of("ckpt-async-as", "ckpt-step-as", "ckpt-async-zig", "ckpt-step-zig")) {
            InvocationResult r = run(guest, "{\"steps\":-1}", LIMITS);
            assertThat(r.outcome())
                    .as(guest + ": " + r.report())
                    .isInstanceOfSatisfying(
                            Outcome.BusinessError.class,
                            b -> assertThat(b.code()).isEqualTo("INVALID_INPUT"));
        }
    }

    @Test
    void assemblyScriptGrowingPastTheLimitAndWritingOutOfBoundsIsAMemoryLimitFailure() {
        InvocationResult r = run("hostile-as-grow", "{}", LIMITS.withMaxMemoryBytes(16L << 20));
        assertThat(r.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class,
                        f -> assertThat(f.kind()).as(f.reason()).isEqualTo(FailureKind.MEMORY_LIMIT));
        assertThat(r.stderrTailText()).contains("memory.grow refused after 256 pages");
    }

    @Test
    void zigFindsNoFileAndNoPreopenedDirectory() {
        InvocationResult r = run("hostile-zig-files", "{}", LIMITS);
        assertThat(r.outcome()).as(r.report()).isInstanceOf(Outcome.Success.class);
        assertThat(stdout(r)).isEqualTo("{\"escaped\":false,\"attempts\":48}");
    }

    @Test
    void goroutinesThatNeverYieldAreStoppedByTheTimeout() {
        InvocationResult r = run("hostile-go-spin", "{}", LIMITS.withTimeout(Duration.ofSeconds(3)));
        assertThat(r.outcome())
                .isInstanceOfSatisfying(
                        Outcome.Failure.class,
                        f -> assertThat(f.kind()).as(f.reason()).isEqualTo(FailureKind.TIMEOUT));
        assertThat(r.stderrTailText()).contains("starting spinners");
    }
}
