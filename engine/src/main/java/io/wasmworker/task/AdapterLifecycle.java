package io.wasmworker.task;

/**
 * The one lifecycle both adapters follow: built, {@linkplain #start() started} once, {@linkplain
 * #close() closed} (idempotent). A call in the wrong state fails naming the state and what is
 * allowed, as Temporal's {@code WorkerFactory} does.
 */
public final class AdapterLifecycle {
    /** Where an adapter is in its life. */
    public enum State {
        /** Built, not started. */
        NEW,
        /** Serving. */
        STARTED,
        /** Closed (or its start failed): it cannot start again. */
        CLOSED
    }

    private final String what;
    private State state = State.NEW;

    /** @param what the adapter, for messages ({@code "the Camunda adapter"}) */
    public AdapterLifecycle(String what) {
        this.what = what;
    }

    /** NEW → STARTED; in any other state throws {@link IllegalStateException} naming it. */
    public synchronized void start() {
        if (state != State.NEW) {
            throw new IllegalStateException(what + " cannot start: it is " + state
                    + " (start() is allowed once, on a NEW adapter; build another one to start again)");
        }
        state = State.STARTED;
    }

    /** → CLOSED; whether it was STARTED (so there is something to stop). */
    public synchronized boolean close() {
        boolean wasStarted = state == State.STARTED;
        state = State.CLOSED;
        return wasStarted;
    }

    public synchronized State state() {
        return state;
    }

    /** Throws unless STARTED, naming what needed it. */
    public synchronized void requireStarted(String action) {
        if (state != State.STARTED) {
            throw new IllegalStateException(
                    what + " is " + state + ": " + action + " needs it STARTED (call start() first)");
        }
    }
}
