/**
 * The worker's configuration file: YAML with environment overrides, read into validated settings, with
 * errors naming file, line, field and fix.
 */
package io.wasmworker.daemon.config;
