package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Task keys: one per activity execution, whatever its IDs hold. */
class TemporalTaskTest {

    @Test
    void idsHoldingTheSeparatorNeverShareAKey() {
        // each pair once mapped to temporal:default/a/b/c/d
        assertThat(TemporalTask.key("default", "a/b", "c", "d", null))
                .isNotEqualTo(TemporalTask.key("default", "a", "b/c", "d", null))
                .isNotEqualTo(TemporalTask.key("default", "a", "b", "c/d", null));
        assertThat(TemporalTask.key("default", "a", "b/c", "d", null))
                .isNotEqualTo(TemporalTask.key("default", "a", "b", "c/d", null));
        // and an encoded separator is not mistaken for a literal one
        assertThat(TemporalTask.key("default", "a/b", "c", "d", null))
                .isNotEqualTo(TemporalTask.key("default", "a%2Fb", "c", "d", null));
    }

    @Test
    void aWorkflowNamedActivityIsNotAnActivityStartedOnItsOwn() {
        assertThat(TemporalTask.key("default", "activity", "r", "a", null))
                .isNotEqualTo(TemporalTask.key("default", null, null, "r", "a"));
    }

    @Test
    void manyAwkwardTuplesGiveDistinctKeys() {
        List<String> parts = List.of("", "a", "/", "%", "%2F", "%25", "a/b", "a%b", "//", "activity");
        Set<String> keys = new HashSet<>();
        int tuples = 0;
        for (String ns : List.of("default", "n/s")) {
            for (String w : parts) {
                for (String r : parts) {
                    for (String a : parts) {
                        keys.add(TemporalTask.key(ns, w, r, a, null).value());
                        tuples++;
                    }
                }
                keys.add(TemporalTask.key(ns, null, null, w, "run").value());
                tuples++;
            }
        }
        assertThat(keys).hasSize(tuples);
    }

    @Test
    void keysOfPlainIdsAreUnchanged() {
        // the format before IDs were encoded: checkpoints of tasks running across an upgrade survive it
        assertThat(TemporalTask.key("default", "order-42", "0193-run", "7", null)
                        .value())
                .isEqualTo("temporal:default/order-42/0193-run/7");
    }
}
