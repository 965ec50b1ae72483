package io.wasmworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmworker.artifact.Digest;
import io.wasmworker.module.GuestDescription;
import io.wasmworker.module.GuestDescription.ErrorCode;
import io.wasmworker.module.GuestDescription.Field;
import io.wasmworker.module.GuestDescription.Type;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The element template made of a guest's description: bindings, defaults, topics and error elements. */
class ElementTemplatesTest {
    private static final Digest DIGEST = Digest.of(new byte[] {1, 2, 3});
    private static final GuestDescription PRICING = new GuestDescription(
            "Order pricing",
            "Prices an order.",
            List.of(
                    new Field("orderId", "Order id", Type.STRING, null, true),
                    new Field("couponCode", null, Type.STRING, "a coupon", false)),
            List.of(new Field("total", "Total", Type.NUMBER, "what the customer pays", false)),
            List.of(new ErrorCode("UNKNOWN_COUPON", "no such coupon"), new ErrorCode("INVALID_ORDER", null)));

    private static JsonNode property(JsonNode template, String bindingType, String key, String value) {
        for (JsonNode p : template.get("properties")) {
            if (p.at("/binding/type").asText().equals(bindingType)
                    && p.at("/binding/" + key).asText().equals(value)) {
                return p;
            }
        }
        throw new AssertionError("no " + bindingType + " " + key + "=" + value + " in " + template.toPrettyString());
    }

    @Test
    void anExternalTaskOnTheTopicWithInputsResultsAndErrors() throws Exception {
        ObjectNode t = ElementTemplates.template("order-pricing", DIGEST, PRICING, List.of("price-order"));
        // what the file holds reads back the same
        JsonNode read = new ObjectMapper().readTree(ElementTemplates.text(t));
        assertThat(read).isEqualTo(t);

        assertThat(t.get("$schema").asText()).isEqualTo(ElementTemplates.SCHEMA);
        assertThat(t.get("id").asText()).isEqualTo("io.wasmworker.order-pricing");
        assertThat(t.get("name").asText()).isEqualTo("Order pricing");
        assertThat(t.get("version").asInt()).isEqualTo(1);
        assertThat(t.get("description").asText())
                .isEqualTo("Prices an order. (wasm-worker artifact order-pricing, " + DIGEST + ")");
        assertThat(t.get("appliesTo").toString()).isEqualTo("[\"bpmn:ServiceTask\"]");

        JsonNode type = property(t, "property", "name", "camunda:type");
        assertThat(type.get("type").asText()).isEqualTo("Hidden");
        assertThat(type.get("value").asText()).isEqualTo("external");
        JsonNode topic = property(t, "property", "name", "camunda:topic");
        assertThat(topic.get("type").asText()).isEqualTo("String");
        assertThat(topic.get("value").asText()).isEqualTo("price-order");
        assertThat(topic.at("/constraints/notEmpty").asBoolean()).isTrue();

        JsonNode orderId = property(t, "camunda:inputParameter", "name", "orderId");
        assertThat(orderId.get("label").asText()).isEqualTo("Order id");
        assertThat(orderId.get("value").asText()).isEqualTo("${orderId}");
        assertThat(orderId.at("/constraints/notEmpty").asBoolean()).isTrue();
        assertThat(orderId.get("description").asText()).contains("(string, required)");
        JsonNode coupon = property(t, "camunda:inputParameter", "name", "couponCode");
        assertThat(coupon.get("label").asText()).isEqualTo("couponCode");
        assertThat(coupon.get("value").asText()).isEqualTo("${execution.getVariable(\"couponCode\")}");
        assertThat(coupon.has("constraints")).isFalse();
        assertThat(coupon.get("description").asText()).isEqualTo("a coupon (string)");

        JsonNode total = property(t, "camunda:outputParameter", "source", "${total}");
        assertThat(total.get("value").asText()).isEqualTo("total");
        assertThat(total.get("label").asText()).isEqualTo("Result variable for Total");

        JsonNode error = property(t, "camunda:errorEventDefinition", "errorRef", "Error_order-pricing_UNKNOWN_COUPON");
        assertThat(error.get("type").asText()).isEqualTo("Hidden");
        assertThat(error.get("value").asText()).isEqualTo("${false}");
        JsonNode scope = t.get("scopes").get(0);
        assertThat(scope.get("type").asText()).isEqualTo("bpmn:Error");
        assertThat(scope.get("id").asText()).isEqualTo("Error_order-pricing_UNKNOWN_COUPON");
        assertThat(scope.at("/properties/0/binding/name").asText()).isEqualTo("errorCode");
        assertThat(scope.at("/properties/0/value").asText()).isEqualTo("UNKNOWN_COUPON");
        assertThat(scope.at("/properties/1/binding/name").asText()).isEqualTo("name");
        assertThat(scope.at("/properties/1/value").asText()).isEqualTo("UNKNOWN_COUPON: no such coupon");
        assertThat(t.get("scopes").get(1).at("/properties/1/value").asText()).isEqualTo("INVALID_ORDER");
    }

    @Test
    void withoutATopicTheArtifactNameIsTheDefaultAndWithSeveralTheModellerChooses() {
        JsonNode none = property(
                ElementTemplates.template("pricing", DIGEST, PRICING, List.of()), "property", "name", "camunda:topic");
        assertThat(none.get("value").asText()).isEqualTo("pricing");
        assertThat(none.get("type").asText()).isEqualTo("String");

        JsonNode many = property(
                ElementTemplates.template("pricing", DIGEST, PRICING, List.of("a", "b")),
                "property",
                "name",
                "camunda:topic");
        assertThat(many.get("type").asText()).isEqualTo("Dropdown");
        assertThat(many.get("value").asText()).isEqualTo("a");
        assertThat(many.get("choices").toString())
                .isEqualTo("[{\"name\":\"a\",\"value\":\"a\"},{\"name\":\"b\",\"value\":\"b\"}]");
    }

    @Test
    void errorIdsAreXmlNamesAndUniqueWhateverTheCodes() {
        GuestDescription d = new GuestDescription(
                null,
                null,
                List.of(),
                List.of(),
                List.of(new ErrorCode("A/B", null), new ErrorCode("A:B", null), new ErrorCode("A_B", null)));
        ObjectNode t = ElementTemplates.template("g", DIGEST, d, List.of());
        List<String> ids = new ArrayList<>();
        t.get("scopes").forEach(s -> ids.add(s.get("id").asText()));
        assertThat(ids).containsExactly("Error_g_A_B", "Error_g_A_B_2", "Error_g_A_B_3");
        assertThat(ids).allMatch(id -> id.matches("[A-Za-z_][A-Za-z0-9_.-]*"));
        // and the codes themselves are kept as they are
        assertThat(t.get("scopes").get(1).at("/properties/0/value").asText()).isEqualTo("A:B");
        assertThat(t.get("name").asText()).isEqualTo("g"); // no title: the artifact's name
        assertThat(t.get("description").asText()).isEqualTo("(wasm-worker artifact g, " + DIGEST + ")");
    }

    @Test
    void aGuestWithoutErrorsHasNoScopes() {
        GuestDescription d = new GuestDescription(null, null, List.of(), List.of(), List.of());
        ObjectNode t = ElementTemplates.template("g", DIGEST, d, List.of());
        assertThat(t.has("scopes")).isFalse();
        assertThat(t.get("properties")).hasSize(2); // the implementation type and the topic
    }
}
