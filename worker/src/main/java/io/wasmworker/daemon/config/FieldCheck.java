package io.wasmworker.daemon.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A first pass over the file, before any value is bound: every key is checked against the fields
 * of {@link WorkerConfig} (an unknown one is an error at its own line, with the close match if there
 * is one, before a misspelt required field could be reported as missing), every string value's
 * environment variables are checked, and where each field was written is noted for later errors.
 * Values of the wrong kind are left to the binding, which names them.
 */
final class FieldCheck {
    private final String source;
    private final Environment environment;
    private final Map<String, com.fasterxml.jackson.core.JsonLocation> positions = new HashMap<>();

    private FieldCheck(String source, Environment environment) {
        this.source = source;
        this.environment = environment;
    }

    /** @param parser positioned before the first token */
    static Positions scan(String source, JsonParser parser, Environment environment) throws IOException {
        FieldCheck check = new FieldCheck(source, environment);
        if (parser.nextToken() == null) {
            throw new ConfigException(source + ": the configuration is empty");
        }
        check.value(parser, WorkerConfig.class, "");
        return new Positions(source, check.positions);
    }

    /** Walks the value at the current token, expected to be of the given type. */
    private void value(JsonParser p, Type type, String path) throws IOException {
        JsonToken token = p.currentToken();
        Class<?> raw = raw(type);
        if (token == JsonToken.START_OBJECT && raw.isRecord()) {
            record(p, raw, path);
        } else if (token == JsonToken.START_OBJECT && Map.class.isAssignableFrom(raw)) {
            Type values = argument(type, 1);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String child = join(path, p.currentName());
                positions.put(child, p.currentTokenLocation());
                p.nextToken();
                value(p, values, child);
            }
        } else if (token == JsonToken.START_ARRAY && List.class.isAssignableFrom(raw)) {
            Type elements = argument(type, 0);
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String child = path + "[" + i++ + "]";
                positions.put(child, p.currentTokenLocation());
                value(p, elements, child);
            }
        } else if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            p.skipChildren(); // not what the field takes: the binding says so
        } else if (token == JsonToken.VALUE_STRING) {
            try {
                environment.substitute(p.getText());
            } catch (Environment.UnsetVariableException e) {
                var at = p.currentTokenLocation();
                throw new ConfigException(source + ":" + at.getLineNr() + ":" + at.getColumnNr() + ": "
                        + (path.isEmpty() ? "" : path + ": ") + e.getMessage());
            }
        }
    }

    private void record(JsonParser p, Class<?> type, String path) throws IOException {
        Map<String, RecordComponent> fields = new HashMap<>();
        for (RecordComponent c : type.getRecordComponents()) {
            fields.put(c.getName(), c);
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            var at = p.currentTokenLocation();
            RecordComponent field = fields.get(name);
            if (field == null) {
                List<String> known = Arrays.stream(type.getRecordComponents())
                        .map(RecordComponent::getName)
                        .sorted()
                        .toList();
                throw new ConfigException(source + ":" + at.getLineNr() + ":" + at.getColumnNr() + ": "
                        + (path.isEmpty() ? "" : path + ": ") + "unknown field '" + name + "'"
                        + Suggestions.didYouMean(name, known) + " (known here: " + String.join(", ", known) + ")");
            }
            String child = join(path, name);
            positions.put(child, at);
            p.nextToken();
            value(p, field.getGenericType(), child);
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }

    private static Type argument(Type type, int index) {
        return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : Object.class;
    }
}
