package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.artifact.ArtifactRef;
import io.wasmworker.task.TaskBinding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter's lifecycle: started once, then closed; nothing else. */
class CamundaAdapterTest {
    @TempDir
    Path home;

    private static CamundaSettings settings(TopicSettings topic) {
        // nothing listens there: the topic's client only backs off
        return new CamundaSettings(
                "http://127.0.0.1:1/engine-rest", "w1", null, null, Duration.ofSeconds(1), List.of(topic));
    }

    @Test
    void startsOnceAndNeverAgainAfterClose() {
        try (Worker worker = new Worker(home)) {
            TopicSettings topic = TopicSettings.of("greet", TaskBinding.of(worker.guest("greet")));
            CamundaAdapter adapter = CamundaAdapter.builder(settings(topic), worker.runner)
                    .shutdownGrace(Duration.ZERO)
                    .build()
                    .start();
            assertThatThrownBy(adapter::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the Camunda adapter cannot start: it is STARTED");
            adapter.close();
            adapter.close(); // idempotent
            assertThatThrownBy(adapter::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the Camunda adapter cannot start: it is CLOSED");
        }
    }

    @Test
    void aFailedStartClosesTheAdapter() {
        try (Worker worker = new Worker(home)) {
            TopicSettings topic = TopicSettings.of("x", TaskBinding.of(ArtifactRef.parse("no-such-guest")));
            CamundaAdapter adapter =
                    CamundaAdapter.builder(settings(topic), worker.runner).build();
            assertThatThrownBy(adapter::start).hasMessageContaining("no-such-guest");
            assertThatThrownBy(adapter::start).hasMessageContaining("it is CLOSED");
            adapter.close();
        }
    }
}
