package io.wasmworker.daemon.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.wasmworker.cli.Units;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the YAML configuration strictly: unknown fields, wrong types and missing values are errors
 * that name the file, the line and the field, and nothing starts. {@code ${NAME}} (or
 * {@code ${NAME:-default}}) anywhere in the file is replaced by that environment variable, so
 * secrets need not be written down.
 */
public final class ConfigLoader {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> environment;

    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    public static ConfigLoader withSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    public WorkerConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
        }
        return parse(file.toString(), substitute(file.toString(), text));
    }

    /** Replaces {@code ${NAME}} line by line, so errors keep their line numbers. */
    String substitute(String source, String text) {
        String[] lines = text.split("\n", -1);
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (!line.stripLeading().startsWith("#")) {
                Matcher m = VARIABLE.matcher(line);
                StringBuilder replaced = new StringBuilder();
                while (m.find()) {
                    String value = environment.apply(m.group(1));
                    if (value == null) {
                        value = m.group(2);
                    }
                    if (value == null) {
                        throw new ConfigException(source + ":" + (i + 1) + ": environment variable " + m.group(1)
                                + " is not set (write ${" + m.group(1) + ":-default} for a default)");
                    }
                    m.appendReplacement(replaced, Matcher.quoteReplacement(value));
                }
                m.appendTail(replaced);
                line = replaced.toString();
            }
            out.append(line);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    WorkerConfig parse(String source, String yaml) {
        try {
            WorkerConfig config = mapper().readValue(yaml, WorkerConfig.class);
            if (config == null) {
                throw new ConfigException(source + ": the configuration is empty");
            }
            return config;
        } catch (JsonMappingException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof StreamReadException syntax) {
                    throw notYaml(source, syntax);
                }
                if (c instanceof UnknownField unknown) {
                    // fields of records are buffered, so the parser cannot say where this one was
                    int line = lineOf(yaml, unknown.name);
                    throw new ConfigException(source + (line > 0 ? ":" + line : "") + ": "
                            + (path(e).isEmpty() ? "" : path(e) + ": ") + unknown.getOriginalMessage());
                }
            }
            throw new ConfigException(where(source, e) + problem(e));
        } catch (JsonProcessingException e) {
            throw notYaml(source, e);
        }
    }

    private static ConfigException notYaml(String source, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String message = e.getOriginalMessage().lines().findFirst().orElse("");
        return new ConfigException(source + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr())
                + ": not valid YAML: " + message);
    }

    /** The first line where {@code name} is written as a key (1-based), or 0. */
    private static int lineOf(String yaml, String name) {
        Pattern key = Pattern.compile("^[\\s-]*\\{?\\s*\"?" + Pattern.quote(name) + "\"?\\s*:.*|.*[{,]\\s*" + Pattern.quote(name) + "\\s*:.*");
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (key.matcher(lines[i]).matches()) {
                return i + 1;
            }
        }
        return 0;
    }

    /** An unknown field, with its name (for finding its line). */
    private static final class UnknownField extends JsonMappingException {
        final String name;

        UnknownField(JsonParser p, String name, String message) {
            super(p, message);
            this.name = name;
        }
    }

    private static String where(String source, JsonMappingException e) {
        JsonLocation at = e.getLocation();
        String path = path(e);
        return source + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr()) + ": "
                + (path.isEmpty() ? "" : path + ": ");
    }

    /** {@code camunda.topics[0].lockDuration} */
    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** The innermost message: ours (from a record or a value parser) or Jackson's. */
    private static String problem(JsonMappingException e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause instanceof IllegalArgumentException || cause instanceof ConfigException) {
            return cause.getMessage();
        }
        String message = e.getOriginalMessage();
        int cut = message.indexOf(" at [Source");
        return cut > 0 ? message.substring(0, cut) : message;
    }

    private static ObjectMapper mapper() {
        SimpleModule values = new SimpleModule("wasm-worker-config");
        values.addDeserializer(Duration.class, scalar("a duration (500ms, 30s, 5m, 1h or ISO-8601 PT30S)", Units::parseDuration));
        values.addDeserializer(ByteSize.class, scalar("a size (64MiB, 512KiB, 1GiB or bytes)", t -> new ByteSize(Units.parseSize(t))));
        values.addDeserializer(Located.class, new JsonDeserializer<>() {
            @Override
            public Located deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                if (p.currentToken() != JsonToken.VALUE_STRING) {
                    return (Located) ctx.handleUnexpectedToken(Located.class, p);
                }
                JsonLocation at = p.currentTokenLocation();
                return new Located(p.getText(), at.getLineNr(), at.getColumnNr());
            }
        });
        return new ObjectMapper(new YAMLFactory())
                .registerModule(values)
                .addHandler(new DeserializationProblemHandler() {
                    // names the fields that would have been right
                    @Override
                    public boolean handleUnknownProperty(DeserializationContext ctx, JsonParser p,
                            JsonDeserializer<?> deserializer, Object bean, String name) throws IOException {
                        String known = String.join(", ", deserializer.getKnownPropertyNames().stream()
                                .map(Object::toString).sorted().toList());
                        throw new UnknownField(p, name, "unknown field '" + name + "'"
                                + (known.isEmpty() ? "" : " (known here: " + known + ")"));
                    }
                })
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private static <T> JsonDeserializer<T> scalar(String expected, Function<String, T> parse) {
        return new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                if (!p.currentToken().isScalarValue()) {
                    throw JsonMappingException.from(p, "expected " + expected + ", got " + p.currentToken().asString());
                }
                try {
                    return parse.apply(p.getText());
                } catch (RuntimeException e) {
                    throw JsonMappingException.from(p, e.getMessage());
                }
            }
        };
    }

    /** For tests: a loader reading the given environment. */
    static ConfigLoader withEnvironment(Map<String, String> env) {
        return new ConfigLoader(env::get);
    }
}
