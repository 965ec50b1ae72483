package io.wasmworker.daemon.config;

/** A configuration the worker cannot start with; the message names the file, line and field. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
