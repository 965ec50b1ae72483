package io.wasmworker.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY, as Temporal's environment configuration reads them. */
class TemporalEnvironmentTest {
    private static final String QUEUES = """
              taskQueues:
                - name: orders
                  activities: { price-order: order-pricing }
            """;

    @TempDir
    Path dir;

    private WorkerConfig load(Map<String, String> env, String yaml) throws Exception {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.withEnvironment(env).load(file);
    }

    @Test
    void theVariablesOverrideTheFile() throws Exception {
        WorkerConfig config = load(
                Map.of(
                        "TEMPORAL_ADDRESS", "ns.a1b2c.tmprl.cloud:7233",
                        "TEMPORAL_NAMESPACE", "ns.a1b2c",
                        "TEMPORAL_API_KEY", "k3y"),
                """
                temporal:
                  target: localhost:7233
                  namespace: default
                  apiKey: from-the-file
                """ + QUEUES);
        assertThat(config.temporal().target()).isEqualTo("ns.a1b2c.tmprl.cloud:7233");
        assertThat(config.temporal().namespace()).isEqualTo("ns.a1b2c");
        assertThat(config.temporal().apiKey()).isEqualTo("k3y");
        assertThat(config.temporal().toString()).doesNotContain("k3y");
    }

    /**
     * dev writes a configuration naming the test bed's Temporal: a TEMPORAL_ADDRESS the user exported
     * for their own Temporal must not send dev's worker there (other variables still fill the file).
     */
    @Test
    void aLoaderThatIgnoresTemporalsVariablesKeepsTheFilesService() throws Exception {
        Map<String, String> env = Map.of(
                "TEMPORAL_ADDRESS", "ns.a1b2c.tmprl.cloud:7233",
                "TEMPORAL_NAMESPACE", "ns.a1b2c",
                "TEMPORAL_API_KEY", "k3y",
                "QUEUE", "orders");
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, """
                temporal:
                  target: 127.0.0.1:41234
                  taskQueues:
                    - name: "${QUEUE}"
                      activities: { price-order: order-pricing }
                """);

        WorkerConfig dev = new ConfigLoader(ConfigLoader.withoutTemporalVariables(env::get)).load(file);

        assertThat(dev.temporal().target()).isEqualTo("127.0.0.1:41234");
        assertThat(dev.temporal().namespace()).isNotEqualTo("ns.a1b2c");
        assertThat(dev.temporal().apiKey()).isNull();
        assertThat(dev.temporal().taskQueues().get(0).name()).isEqualTo("orders");
        assertThat(ConfigLoader.withEnvironment(env).load(file).temporal().target())
                .as("the same file with the variables applied")
                .isEqualTo("ns.a1b2c.tmprl.cloud:7233");
    }

    @Test
    void theFileCountsWhereNoVariableIsSetOrOneIsBlank() throws Exception {
        WorkerConfig config = load(Map.of("TEMPORAL_NAMESPACE", " ", "SECRET", "s3cret"), """
                temporal:
                  target: localhost:7233
                  namespace: orders-ns
                  apiKey: "${SECRET}"
                """ + QUEUES);
        assertThat(config.temporal().target()).isEqualTo("localhost:7233");
        assertThat(config.temporal().namespace()).isEqualTo("orders-ns");
        assertThat(config.temporal().apiKey()).isEqualTo("s3cret");
    }

    @Test
    void theTargetMayComeFromTheEnvironmentAlone() throws Exception {
        WorkerConfig config = load(Map.of("TEMPORAL_ADDRESS", "temporal:7233"), "temporal:\n" + QUEUES);
        assertThat(config.temporal().target()).isEqualTo("temporal:7233");
        assertThat(config.temporal().namespace())
                .as("the plan's default applies")
                .isNull();
        assertThat(config.temporal().apiKey()).isNull();
    }

    @Test
    void aTargetNeitherWrittenNorInTheEnvironmentIsAnErrorNamingTheLine() {
        assertThatThrownBy(() -> load(Map.of(), "http: { port: 9464 }\ntemporal:\n" + QUEUES))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("worker.yaml") + ":2:")
                .hasMessageContaining("temporal: missing required field 'target'")
                .hasMessageContaining("TEMPORAL_ADDRESS is not set either");
    }

    @Test
    void theVariablesLeaveAConfigurationWithoutTemporalAlone() throws Exception {
        WorkerConfig config = load(Map.of("TEMPORAL_ADDRESS", "temporal:7233"), """
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: a } ]
                """);
        assertThat(config.temporal()).isNull();
    }
}
