package io.wasmworker.host;

/**
 * A resumed guest made a journaled host call that differs from the one its task recorded under the same
 * sequence number: it does not compute what it computed before (it reads the clock or randomness
 * outside deterministic mode, or another module or input runs), so its recorded effects cannot be
 * trusted to stand for this run's. The attempt fails; it is never run live instead.
 */
public final class NonDeterminismException extends RuntimeException {
    public NonDeterminismException(String message) {
        super(message);
    }
}
