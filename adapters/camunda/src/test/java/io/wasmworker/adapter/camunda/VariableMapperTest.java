package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Date;
import org.camunda.bpm.client.variable.ClientValues;
import org.camunda.bpm.engine.variable.VariableMap;
import org.camunda.bpm.engine.variable.Variables;
import org.junit.jupiter.api.Test;

/** The variable mapping alone; the round trip through a real engine is in CamundaAdapterIT. */
class VariableMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void typedVariablesBecomeOneJsonObject() throws Exception {
        VariableMap variables = Variables.createVariables()
                .putValueTyped(
                        "when", Variables.dateValue(Date.from(java.time.Instant.parse("2025-03-04T05:06:07.089Z"))))
                .putValueTyped("raw", Variables.byteArrayValue(new byte[] {1, 2, 3}))
                .putValueTyped("doc", ClientValues.jsonValue("{\"a\":[1,2]}"))
                .putValueTyped(
                        "objectAsJson",
                        Variables.serializedObjectValue("{\"b\":true}")
                                .serializationDataFormat("application/json")
                                .objectTypeName("x.B")
                                .create());
        JsonNode input = JSON.readTree(VariableMapper.input(variables));
        assertThat(input.path("when").asText()).isEqualTo("2025-03-04T05:06:07.089Z");
        assertThat(input.path("raw").asText()).isEqualTo("AQID");
        assertThat(input.path("doc").path("a").get(1).asInt()).isEqualTo(2);
        assertThat(input.path("objectAsJson").path("b").asBoolean()).isTrue();
    }

    @Test
    void theSameVariablesInAnotherOrderGiveTheSameInputBytes() {
        VariableMap oneWay = Variables.createVariables()
                .putValueTyped("b", Variables.integerValue(1))
                .putValueTyped("a", Variables.stringValue("x"))
                .putValueTyped("c", Variables.booleanValue(true));
        VariableMap otherWay = Variables.createVariables()
                .putValueTyped("c", Variables.booleanValue(true))
                .putValueTyped("a", Variables.stringValue("x"))
                .putValueTyped("b", Variables.integerValue(1));
        assertThat(new String(VariableMapper.input(oneWay), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(new String(VariableMapper.input(otherWay), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":\"x\",\"b\":1,\"c\":true}");
    }

    @Test
    void aJavaSerializedObjectIsRefusedNamingTheVariable() {
        VariableMap variables = Variables.createVariables()
                .putValueTyped(
                        "customer",
                        Variables.serializedObjectValue("rO0ABXQAA2Zvbw==")
                                .serializationDataFormat("application/x-java-serialized-object")
                                .objectTypeName("com.example.Customer")
                                .create());
        assertThatThrownBy(() -> VariableMapper.input(variables))
                .isInstanceOf(VariableMapper.UnmappableVariableException.class)
                .hasMessageContaining("'customer'")
                .hasMessageContaining("application/x-java-serialized-object")
                .hasMessageContaining("com.example.Customer")
                .hasMessageContaining("store it as Json");
    }

    @Test
    void outputMembersBecomeVariablesAndLongStringsBecomeJson() throws Exception {
        var variables = VariableMapper.variables(JSON.readTree(
                "{\"n\":1,\"big\":9000000000,\"x\":0.5,\"s\":\"" + "y".repeat(4001) + "\",\"o\":{\"k\":null}}"));
        assertThat(variables.keySet()).containsExactly("n", "big", "x", "s", "o");
        assertThat(((org.camunda.bpm.engine.variable.value.TypedValue) variables.get("n"))
                        .getType()
                        .getName())
                .isEqualTo("integer");
        assertThat(((org.camunda.bpm.engine.variable.value.TypedValue) variables.get("big"))
                        .getType()
                        .getName())
                .isEqualTo("long");
        assertThat(((org.camunda.bpm.engine.variable.value.TypedValue) variables.get("s"))
                        .getType()
                        .getName())
                .isEqualTo("json");
        assertThat(((org.camunda.bpm.engine.variable.value.TypedValue) variables.get("o"))
                        .getType()
                        .getName())
                .isEqualTo("json");
    }
}
