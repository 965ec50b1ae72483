package io.wasmworker.daemon.config;

import java.util.Set;
import java.util.function.Function;

/**
 * Temporal's environment configuration, as its SDKs and CLI read it (the SDK's envconfig):
 * {@code TEMPORAL_ADDRESS}, {@code TEMPORAL_NAMESPACE} and {@code TEMPORAL_API_KEY}, each one set
 * (and not blank) overriding the {@code temporal} section's {@code target}, {@code namespace} and
 * {@code apiKey}, as the environment overrides a profile file there. So a worker deployed where
 * those variables are already set for Temporal's other tools talks to the same service.
 */
final class TemporalEnvironment {
    static final String ADDRESS = "TEMPORAL_ADDRESS";
    static final String NAMESPACE = "TEMPORAL_NAMESPACE";
    static final String API_KEY = "TEMPORAL_API_KEY";
    static final Set<String> VARIABLES = Set.of(ADDRESS, NAMESPACE, API_KEY);

    private TemporalEnvironment() {}

    /**
     * The configuration with the variables applied; a {@code temporal} section left without a target
     * (neither written nor in {@code TEMPORAL_ADDRESS}) is an error naming its line.
     */
    static WorkerConfig apply(WorkerConfig config, Function<String, String> env, Positions at) {
        WorkerConfig.Temporal t = config.temporal();
        if (t == null) {
            return config;
        }
        WorkerConfig.Temporal applied = new WorkerConfig.Temporal(
                or(value(env, ADDRESS), t.target()),
                or(value(env, NAMESPACE), t.namespace()),
                t.identity(),
                t.tls(),
                t.connectTimeout(),
                or(value(env, API_KEY), t.apiKey()),
                t.taskQueues());
        if (applied.target() == null || applied.target().isBlank()) {
            throw new ConfigException(at.where("temporal") + "missing required field 'target' (the frontend's"
                    + " host:port), and " + ADDRESS + " is not set either");
        }
        return config.withTemporal(applied);
    }

    private static String value(Function<String, String> env, String name) {
        String value = env.apply(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static String or(String value, String fallback) {
        return value != null ? value : fallback;
    }
}
