package io.wasmworker.daemon.config;

/**
 * A configuration value with where it was written, for errors found after parsing (an artifact
 * that is not in the store, say).
 */
public record Located(String value, int line, int column) {
    @Override
    public String toString() {
        return value;
    }
}
