package io.wasmworker.daemon.config;

/** A size written as {@code 64MiB}, {@code 512KiB} or a number of bytes. */
public record ByteSize(long bytes) {}
