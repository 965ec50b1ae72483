package io.wasmworker.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.Digest;
import io.wasmworker.testing.Guests;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A guest's description (custom section {@code wasm-worker.description}) is read from the module,
 * checked strictly, and a malformed one is refused with the artifact and the member named, by both
 * {@link ModuleLoader#describe} and {@link ModuleLoader#load}.
 */
class GuestDescriptionTest {
    private static final ModuleLoader LOADER = new ModuleLoader();

    static final String EXAMPLE = """
            {"version": 1, "title": "Pricing", "description": "Prices an order.\\nIn EUR.",
             "inputs": [
               {"name": "orderId", "label": "Order id", "type": "string", "required": true},
               {"name": "lines", "type": "json", "description": "the order lines"},
               {"name": "couponCode"}],
             "outputs": [{"name": "total", "type": "number", "description": "what the customer pays"}],
             "errors": [{"code": "UNKNOWN_COUPON", "description": "no such coupon"}, {"code": "INVALID_ORDER"}]}
            """;

    /** A small command with {@code json} as its description section. */
    static byte[] described(String json) {
        return withSection(
                Guests.wat(SmallModules.COMMAND), GuestDescription.SECTION, json.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] withSection(byte[] module, String name, byte[] content) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] section = WasmBytes.bytes((long) nameBytes.length, nameBytes, content);
        return WasmBytes.bytes(module, 0, (long) section.length, section);
    }

    @Test
    void aDescribedModuleLoadsAndSaysWhatItTakesAndGives() {
        byte[] module = described(EXAMPLE);
        GuestDescription d = LOADER.describe(Digest.of(module), module).orElseThrow();

        assertThat(d.title()).isEqualTo("Pricing");
        assertThat(d.description()).isEqualTo("Prices an order.\nIn EUR.");
        assertThat(d.inputs())
                .containsExactly(
                        new GuestDescription.Field("orderId", "Order id", GuestDescription.Type.STRING, null, true),
                        new GuestDescription.Field("lines", null, GuestDescription.Type.JSON, "the order lines", false),
                        new GuestDescription.Field("couponCode", null, GuestDescription.Type.STRING, null, false));
        assertThat(d.outputs())
                .containsExactly(new GuestDescription.Field(
                        "total", null, GuestDescription.Type.NUMBER, "what the customer pays", false));
        assertThat(d.errors())
                .containsExactly(
                        new GuestDescription.ErrorCode("UNKNOWN_COUPON", "no such coupon"),
                        new GuestDescription.ErrorCode("INVALID_ORDER", null));
        assertThat(LOADER.load(Digest.of(module), module).style()).isEqualTo(GuestStyle.COMMAND);
    }

    @Test
    void aModuleWithoutADescriptionHasNone() {
        byte[] module = withSection(Guests.wat(SmallModules.COMMAND), "wasm-worker.other", new byte[] {1, 2});
        assertThat(LOADER.describe(Digest.of(module), module)).isEmpty();
    }

    @Test
    void theMinimalDescriptionIsItsVersion() {
        byte[] module = described("{\"version\":1}");
        GuestDescription d = LOADER.describe(Digest.of(module), module).orElseThrow();
        assertThat(d.inputs()).isEmpty();
        assertThat(d.outputs()).isEmpty();
        assertThat(d.errors()).isEmpty();
        assertThat(d.title()).isNull();
    }

    static Stream<Arguments> malformed() {
        String field = "{\"version\":1,\"inputs\":[%s]}";
        return Stream.of(
                Arguments.of("not json", "not one JSON document"),
                Arguments.of("{\"version\":1} {}", "not one JSON document"),
                Arguments.of("{\"version\":1,\"version\":1}", "Duplicate field 'version'"),
                Arguments.of("[1]", "must be a JSON object"),
                Arguments.of("{}", "version: is required"),
                Arguments.of("{\"version\":\"1\"}", "version: must be an integer"),
                Arguments.of("{\"version\":2,\"later\":true}", "version: is 2; this host reads version 1"),
                Arguments.of(
                        "{\"version\":1,\"input\":[]}",
                        "input: unknown member (known here: description, errors, inputs, outputs, title, version)"),
                Arguments.of("{\"version\":1,\"inputs\":{}}", "inputs: must be an array"),
                Arguments.of(field.formatted("\"orderId\""), "inputs[0]: must be an object"),
                Arguments.of(field.formatted("{}"), "inputs[0].name: is required"),
                Arguments.of(
                        field.formatted("{\"name\":\"order id\"}"),
                        "inputs[0].name: 'order id' is not a variable name"),
                Arguments.of(field.formatted("{\"name\":\"${x}\"}"), "is not a variable name"),
                Arguments.of(
                        field.formatted("{\"name\":\"a\"},{\"name\":\"a\"}"), "inputs[1].name: 'a' is listed twice"),
                Arguments.of(field.formatted("{\"name\":\"a\",\"type\":\"date\"}"), "inputs[0].type: must be one of"),
                Arguments.of(
                        field.formatted("{\"name\":\"a\",\"required\":\"yes\"}"),
                        "inputs[0].required: must be true or false"),
                Arguments.of(field.formatted("{\"name\":\"a\",\"label\":\"\"}"), "inputs[0].label: must not be empty"),
                Arguments.of(
                        field.formatted("{\"name\":\"a\",\"label\":\"a\\nb\"}"),
                        "inputs[0].label: holds the control character U+000A"),
                Arguments.of(
                        field.formatted("{\"name\":\"a\",\"label\":7}"), "inputs[0].label: must be a string, got 7"),
                Arguments.of(
                        "{\"version\":1,\"outputs\":[{\"name\":\"a\",\"required\":true}]}",
                        "outputs[0].required: unknown member"),
                Arguments.of(
                        "{\"version\":1,\"errors\":[{\"code\":\"NO STOCK\"}]}", "errors[0].code: 'NO STOCK' must be"),
                Arguments.of(
                        "{\"version\":1,\"errors\":[{\"code\":\"A\"},{\"code\":\"A\"}]}",
                        "errors[1].code: 'A' is listed twice"),
                Arguments.of("{\"version\":1,\"errors\":[{}]}", "errors[0].code: is required"),
                Arguments.of("{\"version\":1,\"title\":\"" + "t".repeat(201) + "\"}", "title: has 201 characters"),
                Arguments.of(
                        "{\"version\":1,\"errors\":[" + "{\"code\":\"E\"},".repeat(200) + "{\"code\":\"F\"}]}",
                        "errors: has 201 entries, more than the limit of 200"),
                Arguments.of("[".repeat(5000) + "]".repeat(5000), "not one JSON document"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void aMalformedDescriptionIsRefusedNamingTheArtifactAndTheMember(String json, String problem) {
        byte[] module = described(json);
        String digest = Digest.of(module).toString();
        for (var attempt : new org.assertj.core.api.ThrowableAssert.ThrowingCallable[] {
            () -> LOADER.describe(Digest.of(module), module), () -> LOADER.load(Digest.of(module), module)
        }) {
            assertThatThrownBy(attempt)
                    .isInstanceOf(InvalidModuleException.class)
                    .hasMessageContaining("artifact " + digest + " has a malformed description (custom section"
                            + " 'wasm-worker.description')")
                    .hasMessageContaining(problem)
                    .hasMessageContaining("guests/ABI.md");
        }
    }

    @Test
    void aDescriptionThatIsNotUtf8IsRefused() {
        byte[] module = withSection(
                Guests.wat(SmallModules.COMMAND), GuestDescription.SECTION, new byte[] {'"', (byte) 0xC3, '"'});
        assertThatThrownBy(() -> LOADER.describe(Digest.of(module), module))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("has a malformed description");
    }

    @Test
    void aDescriptionAboveTheLimitIsRefusedBeforeItIsRead() {
        String big = "{\"version\":1,\"description\":\"" + "x".repeat(64 << 10) + "\"}";
        byte[] module = described(big);
        assertThatThrownBy(() -> LOADER.load(Digest.of(module), module))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("artifact " + Digest.of(module) + " is refused: it declares "
                        + (big.length()) + " bytes of description, more than the limit of 65536"
                        + " (maxDescriptionBytes)");
        ModuleLoader small = new ModuleLoader(
                ModuleLimits.builder().withMaxDescriptionBytes(10).build());
        byte[] module2 = described("{\"version\":1}");
        assertThatThrownBy(() -> small.describe(Digest.of(module2), module2))
                .hasMessageContaining("13 bytes of description, more than the limit of 10");
    }

    @Test
    void twoDescriptionsAreRefused() {
        byte[] once = described("{\"version\":1}");
        byte[] twice = withSection(once, GuestDescription.SECTION, "{\"version\":1}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> LOADER.load(Digest.of(twice), twice))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("is refused: it has two 'wasm-worker.description' custom sections");
    }

    @Test
    void theExampleGuestsDescribeThemselves() {
        for (String guest : new String[] {"order-pricing", "ckpt-step-rust", "stock-reservation"}) {
            byte[] module = Guests.bytes(guest);
            GuestDescription d = LOADER.describe(Digest.of(module), module)
                    .orElseThrow(() -> new AssertionError(
                            guest + " has no description: rebuild guests/dist with guests/build.sh"));
            assertThat(d.inputs()).as(guest).isNotEmpty();
            assertThat(d.outputs()).as(guest).isNotEmpty();
            assertThat(d.errors()).as(guest).isNotEmpty();
        }
        byte[] echo = Guests.bytes("echo");
        assertThat(LOADER.describe(Digest.of(echo), echo)).isEmpty();
    }
}
