package io.wasmworker.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.adapter.camunda.TopicSettings;
import io.wasmworker.artifact.LocalArtifactStore;
import io.wasmworker.checkpoint.CheckpointPolicy;
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
        return plan(yaml, 4L << 30);
    }

    private DaemonPlan plan(String yaml, long maxHeapBytes) throws Exception {
        Path file = home.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return DaemonPlan.of(
                file.toString(),
                ConfigLoader.withSystemEnvironment().load(file),
                home,
                dir -> new ModuleCache(artifacts, new ModuleLoader(), 8),
                maxHeapBytes,
                2);
    }

    @Test
    void oauth2CredentialsReachTheCamundaSettingsWithTheirDefaults() throws Exception {
        var camunda = plan("""
                        camunda:
                          url: http://camunda/engine-rest
                          auth: { oauth2: { tokenUrl: "https://login/token", clientId: c, clientSecret: s } }
                          topics: [ { topic: t, artifact: order-pricing } ]
                        """).camunda();
        assertThat(camunda.username()).isNull();
        assertThat(camunda.oauth2().tokenUrl()).isEqualTo(java.net.URI.create("https://login/token"));
        assertThat(camunda.oauth2().clientSecret()).isEqualTo("s");
        assertThat(camunda.oauth2().refreshBefore()).isEqualTo(java.time.Duration.ofSeconds(30));
    }

    @Test
    void aMisspeltArtifactNameSuggestsTheCloseBoundName() {
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: order-pricng
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":5:")
                .hasMessageContaining("camunda.topics[0].artifact")
                .hasMessageContaining("no artifact is named 'order-pricng'")
                .hasMessageContaining("did you mean 'order-pricing'?");
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: something-else } ]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("no artifact is named 'something-else'")
                .message()
                .doesNotContain("did you mean");
    }

    private static final String TWO_TOPICS_AND_A_QUEUE = """
            artifacts:
              order-pricing:
                limits: { maxMemory: 64MiB }
              ckpt-step-c:
                limits: { maxMemory: 32MiB }
            camunda:
              url: http://camunda/engine-rest
              topics:
                - { topic: price, artifact: order-pricing, maxConcurrent: 2 }
                - { topic: steps, artifact: ckpt-step-c, maxConcurrent: 3 }
            temporal:
              target: 127.0.0.1:7233
              taskQueues:
                - name: q
                  maxConcurrent: 1
                  activities: { price: order-pricing, steps: ckpt-step-c }
            """;

    @Test
    void aConfigurationWhoseGuestsCannotFitTheHeapIsRefusedNamingEachClaim() throws Exception {
        artifacts.bindName("ckpt-step-c", artifacts.put(Guests.bytes("ckpt-step-c")));
        // price: 2 x (64 + 8 + 8) MiB = 160 MiB; steps (checkpointing): 3 x (4 x 32 + 16) MiB = 432 MiB;
        // q: its largest slot, 144 MiB: 736 MiB in all
        assertThatThrownBy(() -> plan(TWO_TOPICS_AND_A_QUEUE, 512L << 20))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("worker.yaml")
                .hasMessageContaining("may need 736MiB of heap, but the JVM has 512MiB (-Xmx) less 96MiB kept for the"
                        + " worker itself = 416MiB")
                .hasMessageContaining("camunda.topics[0] 'price': 2 at once x 80MiB (maxMemory 64MiB + maxInput 8MiB"
                        + " + maxOutput 8MiB) = 160MiB")
                .hasMessageContaining(
                        "camunda.topics[1] 'steps': 3 at once x 144MiB (4 x maxMemory 32MiB, checkpointing")
                .hasMessageContaining("temporal.taskQueues[0] 'q': 1 at once x 144MiB")
                .hasMessageContaining("allowHeapOvercommit: true");
        assertThat(plan(TWO_TOPICS_AND_A_QUEUE, 832L << 20).camunda().topics()).hasSize(2);
        assertThat(plan("allowHeapOvercommit: true\n" + TWO_TOPICS_AND_A_QUEUE, 512L << 20)
                        .taskQueues())
                .hasSize(1);
    }

    @Test
    void anApiKeyReachesTheTemporalSettingsWithTls() throws Exception {
        var temporal = plan("""
                        temporal:
                          target: ns.a1b2c.tmprl.cloud:7233
                          namespace: ns.a1b2c
                          apiKey: k3y
                          taskQueues: [ { name: q, activities: { price: order-pricing } } ]
                        """).temporal();
        assertThat(temporal.apiKey()).isEqualTo("k3y");
        assertThat(temporal.tls()).isEqualTo(io.wasmworker.adapter.temporal.TemporalSettings.Tls.serverOnly());
    }

    @Test
    void aQueueWithoutMaxConcurrentGetsWhatTheHeapHasLeft() throws Exception {
        String yaml = """
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: price, artifact: order-pricing, maxConcurrent: 2 } ]
                temporal:
                  target: 127.0.0.1:7233
                  taskQueues:
                    - name: q
                      activities: { price: order-pricing }
                """;
        // 96 MiB reserve + 2 x 80 MiB for the topic leaves 256 MiB: 3 slots of 80 MiB
        assertThat(plan(yaml, 512L << 20).taskQueues().get(0).maxConcurrent()).isEqualTo(3);
        // never more than 4 per core (2 cores here)
        assertThat(plan(yaml, 8L << 30).taskQueues().get(0).maxConcurrent()).isEqualTo(8);
        // and when not even one fits, the configuration is refused rather than started
        assertThatThrownBy(() -> plan(yaml, 300L << 20))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("temporal.taskQueues[0] 'q': 1 at once x 80MiB");
    }

    @Test
    void defaultsAndPerArtifactSettingsAreApplied() throws Exception {
        DaemonPlan plan = plan("""
                artifacts:
                  order-pricing:
                    limits: { maxMemory: 16MiB, timeout: 3s }
                    checkpoint: { everySteps: 5, onInputChange: fail }
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - { topic: price-order, artifact: order-pricing, maxRetries: 1 }
                """);
        var topic = plan.camunda().topics().get(0);
        assertThat(topic.binding().limits().maxMemoryBytes()).isEqualTo(16L << 20);
        assertThat(topic.binding().limits().timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(topic.binding().checkpoints().everySteps()).isEqualTo(5);
        assertThat(topic.binding().checkpoints().onInputChange()).isEqualTo(CheckpointPolicy.InputChange.FAIL);
        assertThat(topic.maxRetries()).isEqualTo(1);
        assertThat(topic.lockDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(plan.snapshots()).isEqualTo(home.resolve("snapshots").toString());
        assertThat(plan.httpPort()).isEqualTo(DaemonPlan.DEFAULT_HTTP_PORT);
        assertThat(plan.temporal()).isNull();
    }

    @Test
    void subscriptionOptionsReachTheTopicSettingsAndTheRestKeepTheirDefaults() throws Exception {
        var topics = plan("""
                        camunda:
                          url: http://camunda/engine-rest
                          topics:
                            - topic: t
                              artifact: order-pricing
                              processDefinitionKeys: [order, refund]
                              processDefinitionId: "order:3:abc"
                              processDefinitionVersionTag: v2
                              processVariables: { region: eu, vip: true, level: 3, big: 9000000000, ratio: 0.5 }
                              withoutTenantId: true
                              localVariables: true
                              includeExtensionProperties: true
                              usePriority: false
                              orderByCreateTime: desc
                            - { topic: u, artifact: order-pricing, processDefinitionKey: order, tenantIds: [acme] }
                        """).camunda().topics();
        var all = topics.get(0);
        assertThat(all.filter().processDefinitionKeys()).containsExactly("order", "refund");
        assertThat(all.filter().processDefinitionIds()).containsExactly("order:3:abc");
        assertThat(all.filter().processDefinitionVersionTag()).isEqualTo("v2");
        assertThat(all.filter().processVariables())
                .containsExactly(
                        java.util.Map.entry("region", "eu"),
                        java.util.Map.entry("vip", true),
                        java.util.Map.entry("level", 3),
                        java.util.Map.entry("big", 9_000_000_000L),
                        java.util.Map.entry("ratio", 0.5));
        assertThat(all.filter().withoutTenantId()).isTrue();
        assertThat(all.localVariables()).isTrue();
        assertThat(all.includeExtensionProperties()).isTrue();
        assertThat(all.usePriority()).isFalse();
        assertThat(all.createTimeOrder()).isEqualTo(TopicSettings.CreateTimeOrder.DESC);

        var defaults = topics.get(1);
        assertThat(defaults.filter().processDefinitionKeys()).containsExactly("order");
        assertThat(defaults.filter().tenantIds()).containsExactly("acme");
        assertThat(defaults.filter().processDefinitionIds()).isEmpty();
        assertThat(defaults.filter().processDefinitionVersionTag()).isNull();
        assertThat(defaults.filter().processVariables()).isEmpty();
        assertThat(defaults.filter().withoutTenantId()).isFalse();
        assertThat(defaults.localVariables()).isFalse();
        assertThat(defaults.includeExtensionProperties()).isFalse();
        assertThat(defaults.usePriority()).as("the official client's default").isTrue();
        assertThat(defaults.createTimeOrder()).isNull();
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
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":6:")
                .hasMessageContaining("temporal.taskQueues[0].activities.price");

        artifacts.bindName("broken", artifacts.put("not a module".getBytes()));
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: broken
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":5:")
                .hasMessageContaining("camunda.topics[0].artifact");
    }

    @Test
    void settingsTheAdaptersRejectAreConfigurationErrors() {
        assertThatThrownBy(() -> plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - { topic: t, artifact: order-pricing, maxConcurrent: 0 }
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":4:")
                .hasMessageContaining("camunda.topics[0].maxConcurrent: 0 is out of range: allowed 1 to 1024");
    }

    @Test
    void snapshotsAreCollectedByDefaultAfterAWeekOrTenTimesTheLongestWait() throws Exception {
        SnapshotCollector.Schedule byDefault = plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """).snapshotGc();
        assertThat(byDefault)
                .isEqualTo(new SnapshotCollector.Schedule(Duration.ofDays(7), Duration.ofMinutes(10), 10_000));

        // a 20-hour lock: nothing younger than 200 hours may go
        SnapshotCollector.Schedule longLocks = plan("""
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing, lockDuration: 20h } ]
                """).snapshotGc();
        assertThat(longLocks.olderThan()).isEqualTo(Duration.ofHours(200));

        assertThat(plan("""
                stores:
                  gc: { olderThan: 2d, every: 10m, maxPerSweep: 50 }
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """).snapshotGc())
                .isEqualTo(new SnapshotCollector.Schedule(Duration.ofDays(2), Duration.ofMinutes(10), 50));
        assertThat(plan("""
                stores:
                  gc: { enabled: false }
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """).snapshotGc()).isNull();
    }

    @Test
    void aCollectionAgeBelowTheFloorIsRefusedNamingTheFloor() {
        assertThatThrownBy(() -> plan("""
                stores:
                  gc: { olderThan: 1h }
                artifacts:
                  order-pricing: { limits: { timeout: 30m } }
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stores.gc.olderThan")
                .hasMessageContaining("shorter than PT5H")
                .hasMessageContaining("guest timeout");
    }

    @Test
    void snapshotsMayLiveInS3OrInADirectoryBesideTheFile() throws Exception {
        assertThat(plan("""
                stores:
                  snapshots: s3://team-bucket/wasm-worker/snapshots/
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """).snapshots()).isEqualTo("s3://team-bucket/wasm-worker/snapshots");
        assertThat(plan("""
                stores:
                  snapshots: shared/snapshots
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """).snapshots())
                .isEqualTo(home.resolve("shared/snapshots").toString());
    }

    @Test
    void aBadS3LocationIsRefusedNamingTheField() {
        assertThatThrownBy(() -> plan("""
                stores:
                  snapshots: s3://Team_Bucket/snapshots
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stores.snapshots")
                .hasMessageContaining("invalid S3 bucket name 'Team_Bucket'");
        assertThatThrownBy(() -> plan("""
                stores:
                  snapshots: s3://team-bucket/../elsewhere
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stores.snapshots")
                .hasMessageContaining("'..'");
    }
}
