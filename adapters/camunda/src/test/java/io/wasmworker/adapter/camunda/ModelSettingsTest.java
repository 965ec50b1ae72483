package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelSettingsTest {
    private static final TopicSettings TOPIC = TopicSettings.of(
                    "t",
                    new TaskBinding(
                            ArtifactRef.parse("echo"),
                            GuestLimits.DEFAULTS.withTimeout(Duration.ofSeconds(7)),
                            new CheckpointPolicy(1, Duration.ZERO, true)))
            .withRetries(4, new RetryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(3)));

    @Test
    void withoutPropertiesTheTopicDecides() throws Exception {
        for (Map<String, String> none : new java.util.ArrayList<Map<String, String>>(
                java.util.Arrays.asList(null, Map.of(), Map.of("other", "x")))) {
            ModelSettings model = ModelSettings.of(none);
            assertThat(model.binding(TOPIC.binding())).isSameAs(TOPIC.binding());
            assertThat(model.maxAttempts(TOPIC)).isEqualTo(5);
            assertThat(model.delayAfter(3, TOPIC)).isEqualTo(Duration.ofSeconds(3));
        }
    }

    @Test
    void theModelPinsTheArtifactKeepingTheTopicsLimits() throws Exception {
        String digest = "sha256:" + "ab".repeat(32);
        TaskBinding pinned = ModelSettings.of(Map.of(ModelSettings.ARTIFACT, " " + digest + " "))
                .binding(TOPIC.binding());
        assertThat(pinned.artifact()).hasToString(digest);
        assertThat(pinned.limits()).isEqualTo(TOPIC.binding().limits());
        assertThat(pinned.checkpoints()).isEqualTo(TOPIC.binding().checkpoints());
        assertThat(ModelSettings.of(Map.of(ModelSettings.ARTIFACT, "greet"))
                        .binding(TOPIC.binding())
                        .artifact())
                .hasToString("greet");
    }

    @Test
    void aRepeatedCycleSetsRetriesAndOneDelay() throws Exception {
        ModelSettings model = ModelSettings.of(Map.of(ModelSettings.RETRY_TIME_CYCLE, "R3/PT5M"));
        assertThat(model.maxAttempts(TOPIC)).isEqualTo(4);
        assertThat(model.delayAfter(1, TOPIC)).isEqualTo(Duration.ofMinutes(5));
        assertThat(model.delayAfter(3, TOPIC)).isEqualTo(Duration.ofMinutes(5));
        ModelSettings none = ModelSettings.of(Map.of(ModelSettings.RETRY_TIME_CYCLE, "R0/PT1M"));
        assertThat(none.maxAttempts(TOPIC))
                .as("no retries: an incident at the first failure")
                .isEqualTo(1);
    }

    @Test
    void aListGivesOneRetryPerDelay() throws Exception {
        ModelSettings model = ModelSettings.of(Map.of(ModelSettings.RETRY_TIME_CYCLE, "PT1M, PT5M,PT10M"));
        assertThat(model.maxAttempts(TOPIC)).isEqualTo(4);
        assertThat(model.delayAfter(1, TOPIC)).isEqualTo(Duration.ofMinutes(1));
        assertThat(model.delayAfter(2, TOPIC)).isEqualTo(Duration.ofMinutes(5));
        assertThat(model.delayAfter(3, TOPIC)).isEqualTo(Duration.ofMinutes(10));
        assertThat(model.delayAfter(7, TOPIC))
                .as("an operator's extra retries wait the last delay")
                .isEqualTo(Duration.ofMinutes(10));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "wasm-worker.retryTimeCycle|R3/5M|'R3/5M' is not a retry time cycle (R<retries>/<ISO-8601 duration>, e.g. R3/PT5M",
                "wasm-worker.retryTimeCycle|PT1M,,PT5M|'PT1M,,PT5M' is not a retry time cycle",
                "wasm-worker.retryTimeCycle|''|'' is not a retry time cycle",
                "wasm-worker.retryTimeCycle|R3|'R3' is not a retry time cycle",
                "wasm-worker.retryTimeCycle|R5000/PT1S|asks for 5000 retries; at most 1000 are allowed",
                "wasm-worker.retryTimeCycle|P31D|delay P31D is out of range: allowed PT0S to P30D",
                "wasm-worker.retryTimeCycle|-PT1S|delay -PT1S is out of range",
                "wasm-worker.artifact|../etc/passwd|invalid artifact name '../etc/passwd'",
                "wasm-worker.artifact|sha256:abc|sha256:abc",
            })
    void whatIsNotASettingIsRefusedNamingTheProperty(String property, String value, String message) {
        assertThatThrownBy(() -> ModelSettings.of(Map.of(property, value)))
                .isInstanceOf(ModelSettings.InvalidModelSettingException.class)
                .hasMessageStartingWith("extension property " + property)
                .hasMessageContaining(message);
    }
}
