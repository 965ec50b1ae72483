package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CheckpointRefTest {
    @Test
    void theTextFormIsParsedBackToTheSameReferenceEvenWhenTheKeyHoldsAnAt() {
        CheckpointRef ref = new CheckpointRef(TaskKey.of("temporal:default/mail@home/run/1"), 12);
        assertThat(ref).hasToString("temporal:default/mail@home/run/1@12");
        assertThat(CheckpointRef.parse(ref.toString())).isEqualTo(ref);
    }

    @Test
    void textThatIsNoReferenceIsRefusedSayingWhy() {
        assertThatThrownBy(() -> CheckpointRef.parse("camunda:1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'camunda:1' names no task");
        assertThatThrownBy(() -> CheckpointRef.parse("@3")).hasMessageContaining("names no task");
        assertThatThrownBy(() -> CheckpointRef.parse("camunda:1@x")).hasMessageContaining("no checkpoint generation");
        assertThatThrownBy(() -> CheckpointRef.parse("camunda:1@0")).hasMessageContaining("no checkpoint generation");
        assertThatThrownBy(() -> CheckpointRef.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLaterGenerationOfTheSameTaskIsAtLeastAnEarlierOne() {
        CheckpointRef three = CheckpointRef.parse("t@3");
        assertThat(CheckpointRef.parse("t@4").isAtLeast(three)).isTrue();
        assertThat(three.isAtLeast(three)).isTrue();
        assertThat(CheckpointRef.parse("t@2").isAtLeast(three)).isFalse();
        assertThat(CheckpointRef.parse("u@9").isAtLeast(three))
                .as("another task's")
                .isFalse();
    }

    @Test
    void anEmptyTaskKeyIsRefused() {
        assertThatThrownBy(() -> TaskKey.of("")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> TaskKey.of(null)).hasMessageContaining("must not be empty");
    }
}
