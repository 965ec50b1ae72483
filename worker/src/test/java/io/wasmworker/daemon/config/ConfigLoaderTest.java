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
    private static final String CAMUNDA = """
            camunda:
              url: http://camunda/engine-rest
              topics: [ { topic: t, artifact: a } ]
            """;

    @TempDir
    Path dir;

    private WorkerConfig load(String yaml) throws Exception {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, yaml);
        return LOADER.load(file);
    }

    private void fails(String yaml, String... parts) {
        assertThatThrownBy(() -> load(yaml))
                .isInstanceOf(ConfigException.class)
                .message()
                .contains(dir.resolve("worker.yaml").toString())
                .contains(parts);
    }

    @Test
    void theExampleConfigurationLoads() {
        WorkerConfig config = ConfigLoader.withEnvironment(Map.of()).load(Path.of("../config/examples/worker.yaml"));
        assertThat(config.camunda().topics()).hasSize(1);
        WorkerConfig.Topic topic = config.camunda().topics().get(0);
        assertThat(topic.artifact().value()).isEqualTo("order-pricing");
        assertThat(topic.lockDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.camunda().url()).isEqualTo("http://localhost:8080/engine-rest");
        assertThat(config.temporal().taskQueues().get(0).activities()).containsOnlyKeys("price-order", "long-work");
        assertThat(config.artifacts().get("order-pricing").limits().maxMemory().bytes())
                .isEqualTo(32L << 20);
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
    void oauth2ClientCredentialsWithTheSecretFromTheEnvironment() throws Exception {
        WorkerConfig config = load("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    oauth2:
                      tokenUrl: https://login.example.com/realms/bpm/protocol/openid-connect/token
                      clientId: wasm-worker
                      clientSecret: "${SECRET}"
                      scope: engine-rest
                      refreshBefore: 1m
                  topics: [ { topic: t, artifact: a } ]
                """);
        WorkerConfig.OAuth2 oauth2 = config.camunda().auth().oauth2();
        assertThat(oauth2.clientSecret()).isEqualTo("s3cret");
        assertThat(oauth2.clientId()).isEqualTo("wasm-worker");
        assertThat(oauth2.scope()).isEqualTo("engine-rest");
        assertThat(oauth2.refreshBefore()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void oauth2SettingsAreCheckedWhereTheyAreWritten() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    username: worker
                    password: pw
                    oauth2: { tokenUrl: "https://login/token", clientId: c, clientSecret: s }
                  topics: [ { topic: t, artifact: a } ]
                """, ":3:", "choose basic auth (username, password) or oauth2 (client credentials), not both");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    oauth2: { tokenUrl: "login/token", clientId: c, clientSecret: s }
                  topics: [ { topic: t, artifact: a } ]
                """, ":4:", "tokenUrl 'login/token' is not an http(s) URL");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    oauth2: { tokenUrl: "https://login/token", clientId: c }
                  topics: [ { topic: t, artifact: a } ]
                """, ":4:", "missing required field 'clientSecret'");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    oauth2: { tokenUrl: "https://login/token", clientId: c, clientSecret: s, refreshBefore: 2h }
                  topics: [ { topic: t, artifact: a } ]
                """, "camunda.auth.oauth2.refreshBefore");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  auth:
                    oauth2: { tokenUrl: "https://login/token", clientId: c, clientSecret: s, scopes: x }
                  topics: [ { topic: t, artifact: a } ]
                """, "scopes", "scope");
    }

    @Test
    void variablesAreReplacedInParsedValuesWhateverTheyHold() throws Exception {
        Map<String, String> env = Map.of(
                "BACKSLASH", "a\\b\\nc",
                "HASH", "pass #word",
                "QUOTES", "it's \"quoted\"",
                "ALIAS", "*anchor",
                "ANCHOR", "&anchor x",
                "NEWLINE", "x\n  workerId: injected\ny: z");
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, """
                camunda:
                  url: ${BACKSLASH}
                  workerId: "${HASH}"
                  auth:
                    username: ${ALIAS}
                    password: '${QUOTES}'
                  topics:
                    - topic: ${ANCHOR}
                      artifact: ${NEWLINE}
                      processDefinitionKey: ${NEWLINE:-unused}-${UNSET:-fallback}
                """);
        WorkerConfig config = ConfigLoader.withEnvironment(env).load(file);
        assertThat(config.camunda().url()).isEqualTo("a\\b\\nc");
        assertThat(config.camunda().workerId()).isEqualTo("pass #word");
        assertThat(config.camunda().auth().username()).isEqualTo("*anchor");
        assertThat(config.camunda().auth().password()).isEqualTo("it's \"quoted\"");
        WorkerConfig.Topic topic = config.camunda().topics().get(0);
        assertThat(topic.topic()).isEqualTo("&anchor x");
        assertThat(topic.artifact().value()).isEqualTo("x\n  workerId: injected\ny: z");
        assertThat(topic.artifact().line()).isEqualTo(9);
        assertThat(topic.processDefinitionKey()).isEqualTo("x\n  workerId: injected\ny: z-fallback");
    }

    @Test
    void variablesBecomeNumbersAndBooleansWhereTheFieldTakesThem() throws Exception {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, """
                stores: { fsync: "${FSYNC}" }
                http:
                  port: ${PORT}
                shutdownGrace: ${GRACE}
                """ + CAMUNDA);
        WorkerConfig config = ConfigLoader.withEnvironment(Map.of("FSYNC", "false", "PORT", "9999", "GRACE", "5s"))
                .load(file);
        assertThat(config.stores().fsync()).isFalse();
        assertThat(config.http().port()).isEqualTo(9999);
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of("FSYNC", "no way", "PORT", "1", "GRACE", "5s"))
                        .load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":1:")
                .hasMessageContaining("stores.fsync");
    }

    @Test
    void variablesInCommentsAndKeysAreLeftAlone() throws Exception {
        WorkerConfig config = load("""
                # password: ${MISSING}
                camunda:
                  url: http://camunda/engine-rest   # ${ALSO_MISSING}
                  topics: [ { topic: t, artifact: a } ]
                """);
        assertThat(config.camunda().url()).isEqualTo("http://camunda/engine-rest");
    }

    @Test
    void anUnsetVariableIsNamedWithItsLineAndField() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: "${ARTIFACT}"
                """, ":5:", "camunda.topics[0].artifact", "environment variable ARTIFACT is not set");
    }

    @Test
    void aMisspeltRequiredFieldIsNamedAtItsLineWithTheCloseMatch() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifcat: a
                """, ":5:", "camunda.topics[0]", "unknown field 'artifcat'", "did you mean 'artifact'?");
        fails("""
                temporal:
                  target: 127.0.0.1:7233
                  taskQueus:
                    - { name: q, activities: { a: b } }
                """, ":3:", "temporal", "unknown field 'taskQueus'", "did you mean 'taskQueues'?");
        assertThatThrownBy(() -> load("""
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: a, zzz: 1 } ]
                """))
                .message()
                .contains("unknown field 'zzz'")
                .doesNotContain("did you mean");
    }

    @Test
    void aMissingRequiredFieldIsNamedAtItsObjectsLine() {
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      lockDuration: 30s
                """, ":4:", "camunda.topics[0]", "missing required field 'artifact'");
    }

    @Test
    void snapshotGcSettingsOutOfRangeAreNamed() {
        fails("""
                stores:
                  gc: { olderThan: 10s }
                """ + CAMUNDA, ":2:", "stores.gc.olderThan", "10s is out of range: allowed 1m to");
        fails("""
                stores:
                  gc: { every: 0s }
                """ + CAMUNDA, "stores.gc.every", "0ms is out of range: allowed 1s to");
        fails("""
                stores:
                  gc: { maxPerSweep: 0 }
                """ + CAMUNDA, "stores.gc.maxPerSweep", "0 is out of range: allowed 1 to");
        fails("""
                stores:
                  gc: { olderThen: 7d }
                """ + CAMUNDA, "unknown field 'olderThen'", "did you mean 'olderThan'?");
    }

    @Test
    void storesOnS3TakeTheirServerFromTheS3SectionWithSecretsFromTheEnvironment() throws Exception {
        WorkerConfig config = load("""
                stores:
                  artifacts: s3://wasm-artifacts/prod
                  snapshots: s3://wasm-snapshots
                  s3:
                    endpoint: http://127.0.0.1:7480
                    region: eu-central-1
                    pathStyle: false
                    accessKeyId: worker
                    secretAccessKey: "${SECRET}"
                """ + CAMUNDA);
        assertThat(config.stores().artifacts()).isEqualTo("s3://wasm-artifacts/prod");
        io.wasmworker.s3.S3Settings s3 = config.s3();
        assertThat(s3.endpoint()).contains(java.net.URI.create("http://127.0.0.1:7480"));
        assertThat(s3.region()).contains("eu-central-1");
        assertThat(s3.pathStyle()).contains(false);
        assertThat(s3.credentials()).contains(new io.wasmworker.s3.S3Settings.Credentials("worker", "s3cret"));
        assertThat(config.stores().s3().toString()).doesNotContain("s3cret");
    }

    @Test
    void withoutAnS3SectionTheSdksStandardSettingsApply() throws Exception {
        io.wasmworker.s3.S3Settings s3 = load(CAMUNDA).s3();
        assertThat(s3.endpoint()).isEmpty();
        assertThat(s3.region()).isEmpty();
        assertThat(s3.pathStyle()).isEmpty();
        assertThat(s3.credentials()).isEmpty();
    }

    @Test
    void aWrongStoreLocationOrS3SettingIsNamedWithTheFix() {
        fails("""
                stores:
                  artifacts: s3://Bad_Bucket/x
                """ + CAMUNDA, ":2:", "stores.artifacts", "invalid S3 bucket name 'Bad_Bucket'");
        fails("""
                stores:
                  snapshots: s3://bucket/../escape
                """ + CAMUNDA, ":2:", "stores.snapshots", "invalid prefix");
        fails("""
                stores:
                  artifacts: https://bucket.s3.amazonaws.com/x
                """ + CAMUNDA, ":2:", "stores.artifacts", "neither a directory nor an S3 location");
        fails("""
                stores:
                  s3: { endpont: http://127.0.0.1:7480 }
                """ + CAMUNDA, ":2:", "stores.s3", "unknown field 'endpont'", "did you mean 'endpoint'?");
        fails("""
                stores:
                  s3:
                    endpoint: 127.0.0.1:7480
                """ + CAMUNDA, ":3:", "stores.s3.endpoint", "not an http:// or https:// URL");
        fails("""
                stores:
                  s3:
                    region: EU Central
                """ + CAMUNDA, ":3:", "stores.s3.region", "'EU Central' is not a region name");
        fails("""
                stores:
                  payloads: { location: /var/payloads }
                """ + CAMUNDA, ":2:", "stores.payloads.location", "not an S3 location");
        fails("""
                stores:
                  payloads: { location: "s3://pay/x", maxStreamedInput: 3GiB }
                """ + CAMUNDA, "stores.payloads.maxStreamedInput", "3GiB is out of range");
        fails("""
                stores:
                  payloads: { offloadAbove: 1MiB }
                """ + CAMUNDA, "stores.payloads", "missing required field 'location'");
        fails("""
                stores:
                  s3:
                    accessKeyId: worker
                """ + CAMUNDA, ":3:", "stores.s3.accessKeyId", "needs stores.s3.secretAccessKey as well");
        fails("""
                stores:
                  s3:
                    accessKeyId: worker
                    secretAccessKey: "${NOT_SET}"
                """ + CAMUNDA, ":4:", "stores.s3.secretAccessKey", "NOT_SET");
    }

    @Test
    void valuesOutOfRangeAreNamedWithTheAllowedRange() {
        fails("""
                artifacts:
                  a:
                    limits:
                      maxInput: 3GiB
                """ + CAMUNDA, ":4:", "artifacts.a.limits.maxInput", "3GiB is out of range: allowed 1B to 1GiB");
        fails("""
                artifacts:
                  a:
                    limits: { timeout: 3000000h }
                """ + CAMUNDA, ":3:", "artifacts.a.limits.timeout", "3000000h is out of range: allowed 1ms to 168h");
        fails(
                """
                artifacts:
                  a:
                    limits: { maxMemory: 4GiB, timeout: 1s }
                """ + CAMUNDA,
                ":3:",
                "artifacts.a.limits.maxMemory",
                "4GiB is out of range: allowed 64KiB to 2097088KiB (2047.9MiB)");
        fails("""
                artifacts:
                  a:
                    limits: { maxOutput: 0 }
                """ + CAMUNDA, "artifacts.a.limits.maxOutput", "0B is out of range");
        fails("""
                artifacts:
                  a:
                    checkpoint: { everySteps: -1 }
                """ + CAMUNDA, "artifacts.a.checkpoint.everySteps", "-1 is out of range: allowed 0 to");
        fails("""
                artifacts:
                  a:
                    checkpoint:
                      onInputChange: resume
                """ + CAMUNDA, ":4:", "artifacts.a.checkpoint.onInputChange", "'resume' is not one of: restart, fail");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                      maxConcurrent: 100000
                """, ":6:", "camunda.topics[0].maxConcurrent", "100000 is out of range: allowed 1 to 1024");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                      lockDuration: 0s
                """, ":6:", "camunda.topics[0].lockDuration", "0ms is out of range: allowed 1s to 24h");
        fails("""
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - { topic: t, artifact: a, backoff: { multiplier: 0.5 } }
                """, "camunda.topics[0].backoff.multiplier", "0.5 is out of range: allowed 1 to 1000");
        fails("""
                temporal:
                  target: 127.0.0.1:7233
                  taskQueues:
                    - name: q
                      maxConcurrent: -2
                      activities: { a: b }
                """, ":5:", "temporal.taskQueues[0].maxConcurrent", "-2 is out of range: allowed 0 to 1024");
        fails("shutdownGrace: PT-5S\n" + CAMUNDA, ":1:", "shutdownGrace", "out of range: allowed 0ms to 24h");
        fails("http: { port: 70000 }\n" + CAMUNDA, ":1:", "http.port", "70000 is out of range: allowed 0 to 65535");
    }

    @Test
    void numbersTooLargeToHoldAreErrorsNotOverflows() {
        fails("""
                artifacts:
                  a:
                    limits: { timeout: 9999999999999999h }
                """ + CAMUNDA, ":3:", "artifacts.a.limits.timeout", "'9999999999999999h' is too large");
        fails("""
                artifacts:
                  a:
                    limits: { maxMemory: 99999999999999999999 }
                """ + CAMUNDA, ":3:", "artifacts.a.limits.maxMemory", "is too large");
    }

    @Test
    void subscriptionOptionsAreReadAsWritten() throws Exception {
        WorkerConfig.Topic topic = load("""
                        camunda:
                          url: http://camunda/engine-rest
                          topics:
                            - topic: t
                              artifact: a
                              processDefinitionKeys: [order, refund]
                              processDefinitionIds: ["order:1:x"]
                              processDefinitionVersionTag: "${SECRET}"
                              processVariables: { region: eu, "order.vip": true, level: 3 }
                              withoutTenantId: true
                              localVariables: true
                              includeExtensionProperties: true
                              usePriority: false
                              orderByCreateTime: asc
                        """).camunda().topics().get(0);
        assertThat(topic.allProcessDefinitionKeys()).containsExactly("order", "refund");
        assertThat(topic.allProcessDefinitionIds()).containsExactly("order:1:x");
        assertThat(topic.processDefinitionVersionTag()).isEqualTo("s3cret");
        assertThat(topic.processVariables())
                .containsExactly(Map.entry("region", "eu"), Map.entry("order.vip", true), Map.entry("level", 3));
        assertThat(topic.withoutTenantId()).isTrue();
        assertThat(topic.localVariables()).isTrue();
        assertThat(topic.includeExtensionProperties()).isTrue();
        assertThat(topic.usePriority()).isFalse();
        assertThat(topic.orderByCreateTime()).isEqualTo("asc");
        // left out: null here, the defaults are applied in one place (TopicSettings)
        WorkerConfig.Topic plain = load(CAMUNDA).camunda().topics().get(0);
        assertThat(plain.allProcessDefinitionKeys()).isEmpty();
        assertThat(plain.processVariables()).isNull();
        assertThat(plain.usePriority()).isNull();
        assertThat(plain.orderByCreateTime()).isNull();
        assertThat(load(CAMUNDA.replace("artifact: a", "artifact: a, processDefinitionKey: order"))
                        .camunda()
                        .topics()
                        .get(0)
                        .allProcessDefinitionKeys())
                .containsExactly("order");
    }

    @Test
    void contradictorySubscriptionOptionsAreNamedWhereTheyAreWritten() {
        String topic = """
                camunda:
                  url: http://camunda/engine-rest
                  topics:
                    - topic: t
                      artifact: a
                """;
        fails(
                topic + "      tenantIds: [acme]\n      withoutTenantId: true\n",
                ":7:7: camunda.topics[0].withoutTenantId: ",
                "exclude each other",
                "keep withoutTenantId or tenantIds");
        fails(
                topic + "      processDefinitionKey: order\n      processDefinitionKeys: [refund]\n",
                ":7:7: camunda.topics[0].processDefinitionKeys: ",
                "give processDefinitionKey or processDefinitionKeys, not both");
        fails(
                topic + "      processDefinitionId: x\n      processDefinitionIds: [y]\n",
                ":7:7: camunda.topics[0].processDefinitionIds: ",
                "not both");
        fails(
                topic + "      orderByCreateTime: newest\n",
                ":6:7: camunda.topics[0].orderByCreateTime: ",
                "'newest' is not one of: asc (oldest first), desc (newest first)");
        fails(
                topic + "      processDefinitionKeys: []\n",
                ":6:7: camunda.topics[0].processDefinitionKeys: ",
                "is empty, so nothing would match");
        fails(
                topic + "      processDefinitionKeys: [order, \"\"]\n",
                "camunda.topics[0].processDefinitionKeys[1]: ",
                "is empty: write a name");
        fails(topic + "      processVariables: {}\n", ":6:7: camunda.topics[0].processVariables: ", "is empty");
        fails(
                topic + "      processVariables:\n        region: eu\n        order: { id: 1 }\n",
                ":8:9: camunda.topics[0].processVariables.order: ",
                "an object cannot be compared with a variable");
        fails(
                topic + "      processVariables: { gone: null }\n",
                "camunda.topics[0].processVariables.gone: ",
                "null cannot be compared");
        fails(
                topic + "      processDefinitionVersionTag: \"${EMPTY:-}\"\n",
                ":6:7: camunda.topics[0].processDefinitionVersionTag: ",
                "is empty");
        fails(
                topic + "      withoutTenantID: true\n",
                "unknown field 'withoutTenantID' (did you mean 'withoutTenantId'?)");
    }

    @Test
    void settingsForAnArtifactNothingRunsAreAnError() {
        fails(
                """
                artifacts:
                  order-pricing:
                    limits: { timeout: 5s }
                  order-pricng:
                    limits: { timeout: 1s }
                camunda:
                  url: http://camunda/engine-rest
                  topics: [ { topic: t, artifact: order-pricing } ]
                """,
                ":4:",
                "artifacts.order-pricng",
                "no topic or activity runs 'order-pricng'",
                "did you mean 'order-pricing'?");
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
        assertThatThrownBy(() -> LOADER.load(dir.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.yaml does not exist");
    }
}
