package io.wasmworker.adapter.temporal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.EncodedValues;
import java.io.IOException;
import java.util.Optional;

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
 * JSON (binary payloads, an unknown encoding) is an {@link InvalidArgumentsException}. The common
 * case, one {@code json/plain} argument holding one JSON object, is passed on as the bytes the caller
 * sent, once a scan has found them to be exactly one well-formed object: building a tree only to write
 * it back cost a parse and a write per activity (the sandbox checks the input again in any case).
 */
final class ActivityInput {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The encoding the SDK's JSON converter writes (a payload codec writes its own). */
    private static final ByteString JSON_PLAIN = ByteString.copyFromUtf8("json/plain");

    private ActivityInput() {}

    static byte[] toGuestInput(EncodedValues args) {
        int count = args.getSize();
        if (count == 1) {
            byte[] asSent = oneJsonObject(args);
            if (asSent != null) {
                return asSent;
            }
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

    /**
     * The only argument's bytes when it is a {@code json/plain} payload holding exactly one JSON
     * object (well-formed, valid UTF-8, nothing after it); null otherwise, and the argument takes the
     * converter's way (which also names what is wrong with it).
     */
    private static byte[] oneJsonObject(EncodedValues args) {
        Optional<Payloads> payloads = args.toPayloads();
        if (payloads.isEmpty() || payloads.get().getPayloadsCount() != 1) {
            return null;
        }
        Payload payload = payloads.get().getPayloads(0);
        if (!JSON_PLAIN.equals(payload.getMetadataOrDefault("encoding", ByteString.EMPTY))) {
            return null;
        }
        byte[] data = payload.getData().toByteArray();
        return isOneObject(data) ? data : null;
    }

    private static boolean isOneObject(byte[] data) {
        try (JsonParser parser = JSON.getFactory().createParser(data)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            int depth = 1;
            while (depth > 0) {
                JsonToken token = parser.nextToken();
                if (token == null) {
                    return false;
                }
                switch (token) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case VALUE_STRING -> parser.getTextLength(); // decodes it: invalid UTF-8 throws here
                    default -> {}
                }
            }
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
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
