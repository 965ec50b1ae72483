package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskFilterTest {
    @Test
    void tasksWithoutATenantAndTasksOfTenantsExcludeEachOther() {
        assertThatThrownBy(() -> new TaskFilter(List.of(), List.of(), null, Map.of(), List.of("acme"), true, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[acme]")
                .hasMessageContaining("choose withoutTenantId or tenantIds");
    }

    @Test
    void processVariablesAreComparedWithScalarsOnly() {
        Map<String, Object> nulled = new LinkedHashMap<>();
        nulled.put("gone", null);
        assertThatThrownBy(() -> new TaskFilter(List.of(), List.of(), null, nulled, List.of(), false, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("process variable filter 'gone': null is not a value to compare with");
        assertThatThrownBy(() -> new TaskFilter(
                        List.of(), List.of(), null, Map.of("order", Map.of("id", 1)), List.of(), false, null))
                .hasMessageContaining("'order'");
        Map<String, Object> scalars = new LinkedHashMap<>();
        scalars.put("s", "eu");
        scalars.put("i", 3);
        scalars.put("l", 9_000_000_000L);
        scalars.put("d", 0.5);
        scalars.put("b", true);
        assertThat(new TaskFilter(List.of(), List.of(), null, scalars, List.of(), false, null).processVariables())
                .as("kept in the order written")
                .containsExactly(
                        Map.entry("s", "eu"),
                        Map.entry("i", 3),
                        Map.entry("l", 9_000_000_000L),
                        Map.entry("d", 0.5),
                        Map.entry("b", true));
    }

    @Test
    void aTopicMatchesEveryTaskUnlessToldOtherwise() {
        TopicSettings topic = TopicSettings.of(
                "t",
                new io.wasmworker.task.TaskBinding(
                        io.wasmworker.artifact.ArtifactRef.parse("a"),
                        io.wasmworker.sandbox.GuestLimits.DEFAULTS,
                        io.wasmworker.checkpoint.CheckpointPolicy.DEFAULT));
        assertThat(topic.filter()).isEqualTo(TaskFilter.ANY);
        assertThat(topic.usePriority()).isTrue();
        assertThat(topic.createTimeOrder()).isNull();
        assertThat(topic.localVariables()).isFalse();
        assertThat(topic.includeExtensionProperties()).isFalse();
        assertThat(topic.withProcessDefinitionKey("order").filter().processDefinitionKeys())
                .containsExactly("order");
    }
}
