package io.wasmworker.adapter.temporal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.EncodedValues;

/**
 * Activity arguments → the guest's stdin. Guests take one JSON object (ABI v1), so:
 *
 * <ul>
 *   <li>no argument → {@code {}};</li>
 *   <li>one argument that is a JSON object (a Map, a POJO, a JsonNode...) → that object;</li>
 *   <li>anything else (one string, number, array or null; or several arguments) →
 *       {@code {"args": [arg0, arg1, ...]}}, so nothing is lost and the guest sees why.</li>
 * </ul>
 *
 * Arguments are read through the worker's data converter as JSON trees; an argument that is not
 * JSON (binary payloads, an unknown encoding) is an {@link InvalidArgumentsException}.
 */
final class ActivityInput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ActivityInput() {}

    static byte[] toGuestInput(EncodedValues args) {
        int count = args.getSize();
        if (count == 1) {
            JsonNode only = argument(args, 0);
            if (only.isObject()) {
                return bytes(only);
            }
        }
        ObjectNode wrapped = JSON.createObjectNode();
        if (count == 0) {
            return bytes(wrapped);
        }
        ArrayNode list = wrapped.putArray("args");
        for (int i = 0; i < count; i++) {
            list.add(argument(args, i));
        }
        return bytes(wrapped);
    }

    private static JsonNode argument(EncodedValues args, int index) {
        try {
            JsonNode node = args.get(index, JsonNode.class);
            return node == null ? NullNode.getInstance() : node;
        } catch (DataConverterException e) {
            throw new InvalidArgumentsException(
                    "activity argument " + index + " is not JSON the guest could read: " + e.getMessage());
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written back: " + e, e);
        }
    }

    /** The arguments cannot become guest input; retrying the same arguments cannot help. */
    static final class InvalidArgumentsException extends RuntimeException {
        InvalidArgumentsException(String message) {
            super(message);
        }
    }
}
