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
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads the YAML configuration strictly: unknown fields, wrong types, missing values and values out
 * of range are errors that name the file, the line and the field, and nothing starts. {@code ${NAME}}
 * (or {@code ${NAME:-default}}) in a value is replaced by that environment variable, so secrets need
 * not be written down; Temporal's own {@code TEMPORAL_ADDRESS}, {@code TEMPORAL_NAMESPACE} and
 * {@code TEMPORAL_API_KEY} override the {@code temporal} section ({@link TemporalEnvironment}).
 */
public final class ConfigLoader {
    private final Environment environment;
    private final Function<String, String> variables;

    public ConfigLoader(Function<String, String> environment) {
        this.environment = new Environment(environment);
        this.variables = environment;
    }

    public static ConfigLoader withSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /**
     * {@code environment} without Temporal's own variables ({@code TEMPORAL_ADDRESS}, {@code
     * TEMPORAL_NAMESPACE}, {@code TEMPORAL_API_KEY}): for a configuration that must reach the Temporal
     * service it names (dev's, which names the test bed's), whatever the user exported for theirs.
     */
    public static Function<String, String> withoutTemporalVariables(Function<String, String> environment) {
        return name -> TemporalEnvironment.VARIABLES.contains(name) ? null : environment.apply(name);
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
        return parse(file.toString(), text);
    }

    /**
     * Two passes: {@link FieldCheck} checks every key and variable and notes where each field is;
     * then Jackson binds the values (variables replaced as they are read, see
     * {@link EnvironmentParser}); then {@link ConfigChecks} checks ranges and cross-references.
     */
    WorkerConfig parse(String source, String yaml) {
        ObjectMapper mapper = mapper();
        Positions positions;
        try (JsonParser p = mapper.getFactory().createParser(yaml)) {
            positions = FieldCheck.scan(source, p, environment);
        } catch (JsonProcessingException e) {
            throw notYaml(source, e);
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        WorkerConfig config;
        try (JsonParser p = new EnvironmentParser(mapper.getFactory().createParser(yaml), environment)) {
            config = mapper.readValue(p, WorkerConfig.class);
        } catch (JsonMappingException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof StreamReadException syntax) {
                    throw notYaml(source, syntax);
                }
            }
            String path = path(e);
            String where = positions.find(path) != null ? positions.where(path) : where(source, e);
            throw new ConfigException(where + problem(e));
        } catch (JsonProcessingException e) {
            throw notYaml(source, e);
        } catch (IOException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        if (config == null) {
            throw new ConfigException(source + ": the configuration is empty");
        }
        config = TemporalEnvironment.apply(config, variables, positions);
        ConfigChecks.check(config, positions);
        return config;
    }

    private static ConfigException notYaml(String source, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String message = e.getOriginalMessage().lines().findFirst().orElse("");
        return new ConfigException(source + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr())
                + ": not valid YAML: " + message);
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
        values.addDeserializer(
                Duration.class, scalar("a duration (500ms, 30s, 5m, 1h or ISO-8601 PT30S)", Units::parseDuration));
        values.addDeserializer(
                ByteSize.class, scalar("a size (64MiB, 512KiB, 1GiB or bytes)", t -> new ByteSize(Units.parseSize(t))));
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
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private static <T> JsonDeserializer<T> scalar(String expected, Function<String, T> parse) {
        return new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                if (!p.currentToken().isScalarValue()) {
                    throw JsonMappingException.from(
                            p,
                            "expected " + expected + ", got " + p.currentToken().asString());
                }
                try {
                    return parse.apply(p.getText());
                } catch (ArithmeticException | NumberFormatException e) {
                    throw JsonMappingException.from(p, "'" + p.getText() + "' is too large for " + expected);
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
