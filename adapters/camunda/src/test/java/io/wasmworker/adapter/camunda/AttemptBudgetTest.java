package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AttemptBudgetTest {
    private static final int MAX = 3;

    @Test
    void aFirstAttemptHasTheTopicsBudget() {
        AttemptBudget b = AttemptBudget.of(1, null, 0, 0, MAX);
        assertThat(b.remaining()).isEqualTo(3);
        assertThat(b.lostLocks()).isZero();
        assertThat(b.retriesAfterFailure()).isEqualTo(2);
        assertThat(b.failureNumber(MAX)).isEqualTo(1);
    }

    @Test
    void reportedFailuresAreCountedByTheEngineAlone() {
        // attempt 2 fetched with retries 2, its predecessor (attempt 1) reported the failure
        AttemptBudget b = AttemptBudget.of(2, 2, 1, 0, MAX);
        assertThat(b.remaining()).isEqualTo(2);
        assertThat(b.lostLocks()).isZero();
        assertThat(b.failureNumber(MAX)).isEqualTo(2);
        assertThat(AttemptBudget.of(3, 1, 2, 0, MAX).retriesAfterFailure())
                .as("the last one: an incident")
                .isZero();
    }

    @Test
    void retriesSetByAnOperatorAfterAnIncidentAreANewBudget() {
        // attempt 3 reported the incident (retries 0); the operator set retries to 2
        AttemptBudget b = AttemptBudget.of(4, 2, 3, 0, MAX);
        assertThat(b.exhausted()).isFalse();
        assertThat(b.remaining()).isEqualTo(2);
        assertThat(b.retriesAfterFailure()).isEqualTo(1);
        // and after an attempts_exhausted incident (reported by the attempt that gave up) just the same
        assertThat(AttemptBudget.of(5, 1, 4, 0, MAX).remaining()).isEqualTo(1);
    }

    @Test
    void attemptsThatLostTheirLockWithoutReportingCount() {
        // attempts 1..3 died unseen; no failure was ever reported
        AttemptBudget b = AttemptBudget.of(4, null, 0, 0, MAX);
        assertThat(b.exhausted()).isTrue();
        assertThat(b.lostLocks()).isEqualTo(3);
        assertThat(b.exhaustedReason())
                .contains("only 3 attempts are allowed")
                .contains("3 earlier attempts lost their lock");
        // attempt 2 reported, attempt 3 died: one lost
        assertThat(AttemptBudget.of(4, 2, 2, 0, MAX).remaining()).isEqualTo(1);
    }

    @Test
    void anAttemptThatAdvancedTheCheckpointMadeProgressAndIsNotCounted() {
        // attempts 1..3 died, but attempt 3 wrote the latest checkpoint: only what came after counts
        assertThat(AttemptBudget.of(4, null, 0, 3, MAX).remaining()).isEqualTo(3);
        // attempt 4 died without a checkpoint after attempt 3's: one lost
        AttemptBudget b = AttemptBudget.of(5, null, 0, 3, MAX);
        assertThat(b.lostLocks()).isEqualTo(1);
        assertThat(b.remaining()).isEqualTo(2);
    }

    @Test
    void attemptNumbersFromAnotherStoreNeverMakeANegativeCount() {
        // a worker with its own store reported attempt 7; here this is attempt 2
        AttemptBudget b = AttemptBudget.of(2, 2, 7, 0, MAX);
        assertThat(b.lostLocks()).isZero();
        assertThat(b.remaining()).isEqualTo(2);
    }
}
