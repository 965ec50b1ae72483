package io.wasmworker.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final ConfigLoader LOADER = ConfigLoader.withEnvironment(Map.of("SECRET", "s3cret"));

    @TempDir
    Path dir;

    private WorkerConfig load(String yaml) throws Exception {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return LOADER.load(file);
    }

    private void fails(String yaml, String... parts) {
        assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class)
                .message().contains(dir.resolve("worker.yaml").toString()).contains(parts);
    }

    @Test
    void theExampleConfigurationLoads() {
        WorkerConfig config = ConfigLoader.withEnvironment(Map.of()).load(Path.of("../../config/examples/worker.yaml"));
        assertThat(config.camunda().topics()).hasSize(1);
        WorkerConfig.Topic topic = config.camunda().topics().get(0);
        assertThat(topic.artifact().value()).isEqualTo("order-pricing");
        assertThat(topic.lockDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.camunda().url()).isEqualTo("http://localhost:8080/engine-rest");
        assertThat(config.temporal().taskQueues().get(0).activities()).containsOnlyKeys("price-order", "long-work");
        assertThat(config.artifacts().get("order-pricing").limits().maxMemory().bytes()).isEqualTo(32L << 20);
    }

    @Test
    void secretsComeFromTheEnvironment() throws Exception {
        WorkerConfig config = load("""
                camunda:
                  url: http://camunda/engine-rest
                  auth: { username: worker, password: "${SECRET}" }
                  topics: [ { topic: t, artifact: a } ]
                """);
        assertThat(config.camunda().auth().password()).isEqualTo("s3cret");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth: { username: worker, password: "${MISSING}" }
                  topics: [ { topic: t, artifact: a } ]
                """, ":3:", "MISSING is not set");
    }

    @Test
    void anUnknownFieldIsNamedWithItsLine() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                      lockDuraton: 30s
                """, ":6:", "camunda.topics[0]", "unknown field 'lockDuraton'", "lockDuration");
    }

    @Test
    void aValueOfTheWrongKindIsNamedWithItsLine() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                      lockDuration: soon
                """, ":6:", "camunda.topics[0].lockDuration", "invalid duration 'soon'");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                      maxConcurrent: many
                """, ":6:", "camunda.topics[0].maxConcurrent");
    }

    @Test
    void aMissingFieldIsNamed() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                """, "camunda.topics[0]", "missing required field 'artifact'");
        fails("temporal: { target: 'x:1' }\n", "temporal", "'taskQueues' must list at least one task queue");
        fails("home: /tmp\n", "nothing to serve");
    }

    @Test
    void brokenYamlAndMissingFilesAreClear() {
        fails("camunda:\n  url: 'unterminated\n", ":2:", "not valid YAML", "quoted scalar");
        assertThatThrownBy(() -> LOADER.load(dir.resolve("nope.yaml"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.yaml does not exist");
    }
}
