package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.daemon.config.ConfigException;
import io.wasmworker.daemon.config.ConfigLoader;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import io.wasmworker.testing.Guests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From a configuration file to what the daemon runs: defaults, per-artifact settings, artifact checks. */
class DaemonPlanTest {
    @TempDir
    Path home;

    private LocalArtifactStore artifacts;

    @BeforeEach
    void store() {
        artifacts = new LocalArtifactStore(home.resolve("artifacts"));
        artifacts.bindName("order-pricing", artifacts.put(Guests.bytes("order-pricing")));
    }

    private DaemonPlan plan(String yaml) throws Exception {
        Path file = home.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return DaemonPlan.of(file.toString(), ConfigLoader.withSystemEnvironment().load(file), home,
                dir -> new ModuleCache(artifacts, new ModuleLoader(), 8));
    }

    @Test
    void defaultsAndPerArtifactSettingsAreApplied() throws Exception {
        DaemonPlan plan = plan("""
                artifacts:
                  order-pricing:
                    limits: { maxMemory: 16MiB, timeout: 3s }
                    checkpoint: { everySteps: 5 }
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - { topic: price-order, artifact: order-pricing, maxRetries: 1 }
                """);
        var topic = plan.camunda().topics().get(0);
        assertThat(topic.binding().limits().maxMemoryBytes()).isEqualTo(16L << 20);
        assertThat(topic.binding().limits().timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(topic.binding().checkpoints().everySteps()).isEqualTo(5);
        assertThat(topic.maxRetries()).isEqualTo(1);
        assertThat(topic.lockDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(plan.snapshotsDir()).isEqualTo(home.resolve("snapshots"));
        assertThat(plan.httpPort()).isEqualTo(DaemonPlan.DEFAULT_HTTP_PORT);
        assertThat(plan.temporal()).isNull();
    }

    @Test
    void aBadDigestOrAnInvalidModuleIsNamedWithItsLine() throws Exception {
        assertThatThrownBy(() -> plan("""
                temporal:
                  target: 127.0.0.1:7233
                  taskQueues:
                    - name: q
                      activities:
                        price: sha256:1234
                """)).isInstanceOf(ConfigException.class).hasMessageContaining(":6:")
                .hasMessageContaining("temporal.taskQueues[0].activities.price");

        artifacts.bindName("broken", artifacts.put("not a module".getBytes()));
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: broken
                """)).isInstanceOf(ConfigException.class).hasMessageContaining(":5:")
                .hasMessageContaining("camunda.topics[0].artifact");
    }

    @Test
    void settingsTheAdaptersRejectAreConfigurationErrors() {
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - { topic: t, artifact: order-pricing, maxConcurrent: 0 }
                """)).isInstanceOf(ConfigException.class).hasMessageContaining(":4:")
                .hasMessageContaining("camunda.topics[0].maxConcurrent: 0 is out of range: allowed 1 to 1024");
    }
}
