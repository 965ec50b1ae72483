package io.wasmworker.adapter.camunda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import org.camunda.bpm.client.variable.ClientValues;
import org.camunda.bpm.engine.variable.VariableMap;
import org.camunda.bpm.engine.variable.Variables;
import org.camunda.bpm.engine.variable.value.FileValue;
import org.camunda.bpm.engine.variable.value.ObjectValue;
import org.camunda.bpm.engine.variable.value.TypedValue;

/**
 * Camunda variables to the guest's input JSON and the guest's output JSON back to variables, with
 * types kept both ways. The mapping is documented in {@code adapters/camunda/README.md}.
 */
final class VariableMapper {
    /** Longer String variables fail on some databases (H2: 4000 chars); such strings go as Json. */
    static final int MAX_STRING_CHARS = 4000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private VariableMapper() {}

    /** A variable a guest cannot be given; the task is modelled wrongly, so retrying will not help. */
    static final class UnmappableVariableException extends RuntimeException {
        UnmappableVariableException(String message) {
            super(message);
        }
    }

    /**
     * The guest's input: one JSON object with a member per variable, in name order. The same variables
     * always give the same bytes, whatever order the engine lists them in: a checkpoint belongs to
     * the digest of its input, and resumes at a position in those bytes.
     */
    static byte[] input(VariableMap variables) {
        ObjectNode input = JSON.createObjectNode();
        for (String name : new java.util.TreeSet<>(variables.keySet())) {
            input.set(name, toJson(name, variables.getValueTyped(name)));
        }
        try {
            return JSON.writeValueAsBytes(input);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode toJson(String name, TypedValue typed) {
        String type = typed.getType() == null ? "null" : typed.getType().getName();
        // files and objects are read in their own way: getValue() of an object fetched without
        // deserialization throws
        if (type.equals("file")) {
            return file((FileValue) typed);
        }
        if (type.equals("object")) {
            return object(name, (ObjectValue) typed);
        }
        Object value = typed.getValue();
        if (value == null) {
            return JSON.nullNode();
        }
        return switch (type) {
            case "string", "xml" -> JSON.getNodeFactory().textNode(value.toString());
            case "integer", "short", "long" -> JSON.getNodeFactory().numberNode(((Number) value).longValue());
            case "double", "number" -> JSON.getNodeFactory().numberNode(((Number) value).doubleValue());
            case "boolean" -> JSON.getNodeFactory().booleanNode((Boolean) value);
            case "date" ->
                JSON.getNodeFactory().textNode(((Date) value).toInstant().toString());
            case "json" -> parse(name, value.toString());
            case "bytes" -> JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString((byte[]) value));
            default ->
                throw new UnmappableVariableException(
                        "variable '" + name + "' has type " + type + ", which has no JSON form for the guest");
        };
    }

    private static JsonNode parse(String name, String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UnmappableVariableException(
                    "variable '" + name + "' is of type Json but holds no valid JSON: " + e.getOriginalMessage());
        }
    }

    private static JsonNode file(FileValue file) {
        ObjectNode node = JSON.createObjectNode();
        node.put("filename", file.getFilename());
        node.put("mimeType", file.getMimeType());
        try (InputStream in = file.getValue()) {
            node.put("base64", in == null ? "" : Base64.getEncoder().encodeToString(in.readAllBytes()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read file variable " + file.getFilename() + ": " + e, e);
        }
        return node;
    }

    /** Only objects serialized as JSON can be read; Java serialization is opaque to a guest. */
    private static JsonNode object(String name, ObjectValue object) {
        if (object.getValueSerialized() == null) {
            return JSON.nullNode();
        }
        String format = object.getSerializationDataFormat();
        if (format != null && format.startsWith("application/json")) {
            return parse(name, object.getValueSerialized());
        }
        throw new UnmappableVariableException("variable '" + name + "' is an Object serialized as " + format
                + " (type " + object.getObjectTypeName() + "), which a guest cannot read; store it as Json"
                + " or as an object serialized to application/json");
    }

    /** The output object's members as typed variables. */
    static Map<String, Object> variables(JsonNode output) {
        Map<String, Object> variables = new LinkedHashMap<>();
        output.fields().forEachRemaining(e -> variables.put(e.getKey(), toVariable(e.getValue())));
        return variables;
    }

    static TypedValue toVariable(JsonNode value) {
        if (value == null || value.isNull()) {
            return Variables.untypedNullValue();
        }
        if (value.isTextual()) {
            String text = value.textValue();
            return text.length() <= MAX_STRING_CHARS
                    ? Variables.stringValue(text)
                    : ClientValues.jsonValue(value.toString());
        }
        if (value.isBoolean()) {
            return Variables.booleanValue(value.booleanValue());
        }
        if (value.isInt()) {
            return Variables.integerValue(value.intValue());
        }
        if (value.isLong()) {
            return Variables.longValue(value.longValue());
        }
        if (value.isFloatingPointNumber()) {
            return Variables.doubleValue(value.doubleValue());
        }
        // objects, arrays and integers beyond 64 bits keep their exact JSON
        return ClientValues.jsonValue(value.toString());
    }
}
