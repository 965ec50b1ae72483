package io.wasmworker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Start once, close any number of times; the wrong call names the state it met. */
class AdapterLifecycleTest {
    @Test
    void startsOnceAndClosesIdempotently() {
        AdapterLifecycle lifecycle = new AdapterLifecycle("the test adapter");
        assertThatThrownBy(() -> lifecycle.requireStarted("client()"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the test adapter is NEW: client() needs it STARTED (call start() first)");
        lifecycle.start();
        assertThat(lifecycle.state()).isEqualTo(AdapterLifecycle.State.STARTED);
        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the test adapter cannot start: it is STARTED (start() is allowed once, on a NEW adapter;"
                        + " build another one to start again)");
        assertThat(lifecycle.close()).as("there is something to stop").isTrue();
        assertThat(lifecycle.close()).as("closed already").isFalse();
        assertThatThrownBy(lifecycle::start).hasMessageContaining("it is CLOSED");
    }

    @Test
    void anAdapterClosedBeforeItStartedCannotStart() {
        AdapterLifecycle lifecycle = new AdapterLifecycle("the test adapter");
        assertThat(lifecycle.close()).as("nothing to stop").isFalse();
        assertThatThrownBy(lifecycle::start).hasMessageContaining("cannot start: it is CLOSED");
    }
}
